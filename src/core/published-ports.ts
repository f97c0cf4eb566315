/**
 * The "ports" key: Docker's short syntax ("8888:8888", "127.0.0.1:8888:8888", "8888:8888/udp")
 * parsed, turned into the create body's ExposedPorts and PortBindings, and checked against the
 * host ports other containers already publish.
 */

export type PortProtocol = 'tcp' | 'udp';

export interface PortMapping {
  /** The host address it is published on; null: every address (Docker's 0.0.0.0). */
  hostIp: string | null;
  hostPort: number;
  containerPort: number;
  protocol: PortProtocol;
}

/** A host port a container publishes, as the engine's container list says it. */
export interface PublishedPort {
  containerId: string;
  container: string;
  hostIp: string | null;
  hostPort: number;
  protocol: PortProtocol;
}

const IPV4 = String.raw`\d{1,3}(?:\.\d{1,3}){3}`;
const IPV6 = String.raw`\[[0-9A-Fa-f:.]+\]`;
const PORT_SPEC = new RegExp(`^(?:(${IPV4}|${IPV6}):)?(\\d{1,5}):(\\d{1,5})(?:/(tcp|udp))?$`);
const ALLOWED = '"host port:container port", optionally after a host IP and before /tcp or /udp';

const validPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65_535;
const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);

/** A mapping from Docker's short syntax; null when the text is not one. */
export function parsePortSpec(text: string): PortMapping | null {
  const match = PORT_SPEC.exec(text.trim());
  if (!match) return null;
  const hostPort = Number(match[2]);
  const containerPort = Number(match[3]);
  if (!validPort(hostPort) || !validPort(containerPort)) return null;
  const written = match[1];
  if (written && !written.startsWith('[') && written.split('.').some((octet) => Number(octet) > 255))
    return null;
  const ip = written === undefined ? null : written.replace(/^\[|\]$/g, '');
  return {
    hostIp: ip === null || WILDCARDS.has(ip) ? null : ip,
    hostPort,
    containerPort,
    protocol: (match[4] as PortProtocol | undefined) ?? 'tcp',
  };
}

/** What is wrong with a "ports" entry, in the schema's words; null when it is a mapping. */
export function portSpecProblem(text: string): string | null {
  if (parsePortSpec(text) !== null) return null;
  const got = `(got ${JSON.stringify(text)})`;
  if (/^\d+(\/(tcp|udp))?$/.test(text.trim()))
    return `must name the host port too, as "8888:8888" does ${got}: devenv publishes only the ports you choose`;
  if (/\d+-\d+/.test(text)) return `must be one port per entry, not a range ${got}`;
  const loose = /^(?:(.+):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(text.trim());
  const ports = [loose?.[2], loose?.[3]].map(Number);
  if (loose && ports.some((n) => !validPort(n))) return `must use ports from 1 to 65535 ${got}`;
  if (loose?.[1] !== undefined)
    return `must start with a host IP such as "127.0.0.1" or "[::1]", when it names one ${got}`;
  return `must be ${ALLOWED}, such as "8888:8888" or "127.0.0.1:8888:8888" ${got}`;
}

/** "127.0.0.1:8888", "8888" (every address), with "/udp" for UDP: a host port as messages name it. */
export function hostAddress(port: {
  hostIp: string | null;
  hostPort: number;
  protocol: PortProtocol;
}): string {
  const ip = port.hostIp === null ? '' : port.hostIp.includes(':') ? `[${port.hostIp}]:` : `${port.hostIp}:`;
  return `${ip}${port.hostPort}${port.protocol === 'udp' ? '/udp' : ''}`;
}

/** "127.0.0.1:8888 -> 8888/tcp", as `status` lists a mapping. */
export function describeMapping(m: PortMapping): string {
  const host = m.hostIp === null ? `${m.hostPort}` : hostAddress({ ...m, protocol: 'tcp' });
  return `${host} -> ${m.containerPort}/${m.protocol}`;
}

/** The create body's part for the mappings: each container port exposed, bound to its host ports. */
export function portBindings(mappings: PortMapping[]): {
  ExposedPorts: Record<string, Record<string, never>>;
  PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
} {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const m of mappings) {
    const key = `${m.containerPort}/${m.protocol}`;
    exposed[key] = {};
    bindings[key] = [...(bindings[key] ?? []), { HostIp: m.hostIp ?? '', HostPort: String(m.hostPort) }];
  }
  return { ExposedPorts: exposed, PortBindings: bindings };
}

/** The mappings a container's HostConfig.PortBindings holds (what it publishes when it runs). */
export function mappingsFromBindings(
  bindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null | undefined,
): PortMapping[] {
  const out: PortMapping[] = [];
  for (const [key, hosts] of Object.entries(bindings ?? {})) {
    const [port, protocol] = key.split('/');
    if (protocol !== 'tcp' && protocol !== 'udp') continue;
    for (const host of hosts ?? []) {
      const hostPort = Number(host.HostPort);
      if (!validPort(hostPort)) continue;
      const ip = host.HostIp ?? '';
      out.push({ hostIp: WILDCARDS.has(ip) ? null : ip, hostPort, containerPort: Number(port), protocol });
    }
  }
  return out;
}

function addressesOverlap(a: string | null, b: string | null): boolean {
  return a === null || b === null || WILDCARDS.has(a) || WILDCARDS.has(b) || a === b;
}

/** True when two host ports cannot both be bound: same port and protocol, overlapping addresses. */
export function samePublishedPort(
  a: { hostIp: string | null; hostPort: number; protocol: PortProtocol },
  b: { hostIp: string | null; hostPort: number; protocol: PortProtocol },
): boolean {
  return a.hostPort === b.hostPort && a.protocol === b.protocol && addressesOverlap(a.hostIp, b.hostIp);
}

/** The first of `mappings` another container already publishes, with that container; null when none is. */
export function firstPublishedElsewhere(
  mappings: PortMapping[],
  published: PublishedPort[],
): { mapping: PortMapping; holder: PublishedPort } | null {
  for (const mapping of mappings) {
    const holder = published.find((p) => samePublishedPort(mapping, p));
    if (holder) return { mapping, holder };
  }
  return null;
}

/** Who holds a host port, as far as devenv can tell. */
export type PortHolder =
  | { kind: 'container'; name: string }
  | { kind: 'process'; name: string; pid: number }
  | { kind: 'local' }
  | { kind: 'engine'; says: string };

/** "held by container web", "held by python3 (pid 42) on this machine", …: the end of the message. */
export function describeHolder(holder: PortHolder): string {
  switch (holder.kind) {
    case 'container':
      return `held by container ${holder.name}`;
    case 'process':
      return `held by ${holder.name} (pid ${holder.pid}) on this machine`;
    case 'local':
      return 'held by another process on this machine';
    case 'engine':
      return `the Docker engine says: ${holder.says}`;
  }
}

/**
 * How to free it: stop the container, or choose another host port. Found before anything was made,
 * it says so; the engine's refusal comes after a build, with the container removed again.
 */
export function freeHint(holder: PortHolder): string {
  const stop =
    holder.kind === 'container'
      ? `stop that container (docker stop ${holder.name})`
      : holder.kind === 'process'
        ? `stop ${holder.name} (pid ${holder.pid})`
        : 'stop what holds it';
  const made = holder.kind === 'engine' ? 'the container was removed' : 'nothing was created';
  return `${stop} or choose another host port in "ports"; ${made}`;
}
