import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostPortTaken } from '../../../src/core/errors.js';
import {
  describeMapping,
  firstPublishedElsewhere,
  hostAddress,
  mappingsFromBindings,
  type PortHolder,
  type PublishedPort,
  parsePortSpec,
  portSpecProblem,
  samePublishedPort,
} from '../../../src/core/published-ports.js';
import { bindProbe, listeningInodes, localPortHolder } from '../../../src/host/port-holder.js';

describe("parsePortSpec: Docker's short syntax", () => {
  it.each([
    ['8888:8888', { hostIp: null, hostPort: 8888, containerPort: 8888, protocol: 'tcp' }],
    ['127.0.0.1:9000:8000', { hostIp: '127.0.0.1', hostPort: 9000, containerPort: 8000, protocol: 'tcp' }],
    ['5353:53/udp', { hostIp: null, hostPort: 5353, containerPort: 53, protocol: 'udp' }],
    ['8888:8888/tcp', { hostIp: null, hostPort: 8888, containerPort: 8888, protocol: 'tcp' }],
    ['[::1]:8888:8888', { hostIp: '::1', hostPort: 8888, containerPort: 8888, protocol: 'tcp' }],
    ['0.0.0.0:8888:8888', { hostIp: null, hostPort: 8888, containerPort: 8888, protocol: 'tcp' }],
  ])('%j', (text, mapping) => {
    expect(parsePortSpec(text)).toEqual(mapping);
    expect(portSpecProblem(text)).toBeNull();
  });

  it.each([
    ['8888', 'must name the host port too'],
    ['8000-8010:8000-8010', 'not a range'],
    ['0:8888', 'from 1 to 65535'],
    ['8888:70000', 'from 1 to 65535'],
    ['300.0.0.1:80:80', 'a host IP such as "127.0.0.1"'],
    ['8888:8888/sctp', 'such as "8888:8888"'],
    ['localhost:8888:8888', 'a host IP such as "127.0.0.1"'],
  ])('%j is refused: %s', (text, says) => {
    expect(parsePortSpec(text)).toBeNull();
    expect(portSpecProblem(text)).toContain(says);
    expect(portSpecProblem(text)).toContain(`(got ${JSON.stringify(text)})`);
  });
});

describe('host ports as messages and status name them', () => {
  it.each([
    [{ hostIp: null, hostPort: 8888, protocol: 'tcp' as const }, '8888'],
    [{ hostIp: '127.0.0.1', hostPort: 8888, protocol: 'tcp' as const }, '127.0.0.1:8888'],
    [{ hostIp: '::1', hostPort: 8888, protocol: 'tcp' as const }, '[::1]:8888'],
    [{ hostIp: null, hostPort: 5353, protocol: 'udp' as const }, '5353/udp'],
  ])('%j is %s', (port, text) => {
    expect(hostAddress(port)).toBe(text);
  });

  it('describes a mapping host -> container', () => {
    expect(
      describeMapping({ hostIp: '127.0.0.1', hostPort: 9000, containerPort: 8000, protocol: 'tcp' }),
    ).toBe('127.0.0.1:9000 -> 8000/tcp');
    expect(describeMapping({ hostIp: null, hostPort: 5353, containerPort: 53, protocol: 'udp' })).toBe(
      '5353 -> 53/udp',
    );
  });

  it("reads a container's PortBindings back", () => {
    expect(
      mappingsFromBindings({
        '8000/tcp': [
          { HostIp: '127.0.0.1', HostPort: '9000' },
          { HostIp: '', HostPort: '9001' },
        ],
        '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }],
        '9/tcp': null,
      }),
    ).toEqual([
      { hostIp: '127.0.0.1', hostPort: 9000, containerPort: 8000, protocol: 'tcp' },
      { hostIp: null, hostPort: 9001, containerPort: 8000, protocol: 'tcp' },
      { hostIp: null, hostPort: 5353, containerPort: 53, protocol: 'udp' },
    ]);
    expect(mappingsFromBindings(null)).toEqual([]);
  });
});

describe('which container already publishes a host port', () => {
  const web = (hostIp: string | null, hostPort: number, protocol: 'tcp' | 'udp' = 'tcp'): PublishedPort => ({
    containerId: 'c1',
    container: 'web',
    hostIp,
    hostPort,
    protocol,
  });
  const want = (text: string) =>
    parsePortSpec(text) ?? { hostIp: null, hostPort: 0, containerPort: 0, protocol: 'tcp' };

  it.each([
    {
      label: 'the same address and port',
      wanted: '127.0.0.1:8888:80',
      published: web('127.0.0.1', 8888),
      taken: true,
    },
    { label: 'every address vs one', wanted: '8888:80', published: web('127.0.0.1', 8888), taken: true },
    {
      label: 'one address vs every address',
      wanted: '127.0.0.1:8888:80',
      published: web(null, 8888),
      taken: true,
    },
    {
      label: 'two different addresses',
      wanted: '127.0.0.1:8888:80',
      published: web('127.0.0.2', 8888),
      taken: false,
    },
    { label: 'another port', wanted: '8889:80', published: web(null, 8888), taken: false },
    { label: 'UDP vs TCP', wanted: '8888:80/udp', published: web(null, 8888), taken: false },
  ])('$label: taken $taken', ({ wanted, published, taken }) => {
    expect(samePublishedPort(want(wanted), published)).toBe(taken);
    const found = firstPublishedElsewhere([want('1234:1'), want(wanted)], [published]);
    expect(found?.holder.container ?? null).toBe(taken ? 'web' : null);
  });
});

describe('HostPortTaken: one line naming the port and its holder, exit 7', () => {
  it.each<{ holder: PortHolder; message: string; hint: string }>([
    {
      holder: { kind: 'container', name: 'web' },
      message: 'host port 127.0.0.1:8888 is already taken (held by container web)',
      hint: 'stop that container (docker stop web) or choose another host port in "ports"; nothing was created',
    },
    {
      holder: { kind: 'process', name: 'python3', pid: 4242 },
      message: 'host port 127.0.0.1:8888 is already taken (held by python3 (pid 4242) on this machine)',
      hint: 'stop python3 (pid 4242) or choose another host port in "ports"; nothing was created',
    },
    {
      holder: { kind: 'local' },
      message: 'host port 127.0.0.1:8888 is already taken (held by another process on this machine)',
      hint: 'stop what holds it or choose another host port in "ports"; nothing was created',
    },
  ])('$holder.kind', ({ holder, message, hint }) => {
    const error = new HostPortTaken('127.0.0.1:8888', holder);
    expect(error.message).toBe(message);
    expect(error.hint).toBe(hint);
    expect(error.exitCode).toBe(7);
  });
});

// Two listening sockets on 8888 (0x22B8), one established connection and a UDP socket on it.
const TCP_TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:22B8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  4242        0 111 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:22B8 0100007F:C350 01 00000000:00000000 00:00000000 00000000  4242        0 333 1 0000000000000000 20 4 30 10 -1
`;
const TCP6_TABLE = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:22B8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  4242        0 444 1 0000000000000000 100 0 0 10 0
`;

describe('listeningInodes: the sockets listening on a port, from /proc/net/{tcp,udp}[6]', () => {
  it('takes listening sockets only, on that port', () => {
    expect(listeningInodes(TCP_TABLE, 8888, 'tcp')).toEqual(['111']);
    expect(listeningInodes(TCP_TABLE, 8080, 'tcp')).toEqual(['222']);
    expect(listeningInodes(TCP6_TABLE, 8888, 'tcp')).toEqual(['444']);
    expect(listeningInodes(TCP_TABLE, 9999, 'tcp')).toEqual([]);
  });

  it('a bound UDP socket is state 07', () => {
    const udp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  10: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000   100        0 555 2 0000000000000000 0`;
    expect(listeningInodes(udp, 5353, 'udp')).toEqual(['555']);
  });
});

describe('localPortHolder: the process behind a socket, from a /proc tree', () => {
  it('names the process whose fd links to the socket; null when no fd does', async () => {
    const proc = mkdtempSync(path.join(tmpdir(), 'devenv-proc-'));
    mkdirSync(path.join(proc, 'net'));
    writeFileSync(path.join(proc, 'net', 'tcp'), TCP_TABLE);
    writeFileSync(path.join(proc, 'net', 'tcp6'), TCP6_TABLE);
    for (const [pid, comm, socket] of [
      ['17', 'sshd', 'socket:[999]'],
      ['4242', 'python3', 'socket:[111]'],
    ] as const) {
      mkdirSync(path.join(proc, pid, 'fd'), { recursive: true });
      writeFileSync(path.join(proc, pid, 'comm'), `${comm}\n`);
      symlinkSync(socket, path.join(proc, pid, 'fd', '3'));
    }
    expect(await localPortHolder(8888, 'tcp', proc)).toEqual({ pid: 4242, name: 'python3' });
    expect(await localPortHolder(8080, 'tcp', proc)).toBeNull();
    expect(await localPortHolder(9999, 'tcp', proc)).toBeNull();
  });
});

describe('bindProbe: bind, let go, say whether it could', () => {
  let server: Server | null = null;
  afterEach(() => {
    server?.close();
    server = null;
  });

  it('a port a server listens on is taken; once it closes, free', async () => {
    const listening = createServer();
    server = listening;
    await new Promise<void>((resolve) => listening.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (listening.address() as { port: number }).port;
    expect(await bindProbe({ hostIp: '127.0.0.1', hostPort: port, protocol: 'tcp' })).toBe('taken');
    expect(await bindProbe({ hostIp: null, hostPort: port, protocol: 'tcp' })).toBe('taken');
    await new Promise((resolve) => listening.close(resolve));
    server = null;
    expect(await bindProbe({ hostIp: '127.0.0.1', hostPort: port, protocol: 'tcp' })).toBe('free');
  });

  it('an address this machine does not have is for the engine to judge', async () => {
    expect(await bindProbe({ hostIp: '192.0.2.1', hostPort: 18_888, protocol: 'tcp' })).toBe('unknown');
  });
});
