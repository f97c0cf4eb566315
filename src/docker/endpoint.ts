import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DevenvError } from '../core/errors.js';
import { type SshTarget, sshTargetOf } from '../host/ssh.js';

/** Where the engine is, as the docker CLI would find it, and how docker-modem reaches it. */
export interface EngineEndpoint {
  /** The URL shown to users: unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host */
  url: string;
  /** Where the choice came from: DOCKER_HOST, --context NAME, DOCKER_CONTEXT, config.json, default. */
  source: string;
  remote: boolean;
  /** How messages name the engine's host: "this machine", a context's name, user@host[:port]. */
  hostName: string;
  /** Set for ssh:// engines: the host devenv reaches over SSH for the engine and every host-side step. */
  ssh: SshTarget | null;
  /** Set for the engine of a Slurm job's node: reached through a step of that job. */
  slurmJob?: { id: string; node: string };
  modemOptions: Record<string, unknown>;
}

export const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';
export const LOCAL_HOST_NAME = 'this machine';

/** "tcp://gpu1:2376 (from DOCKER_HOST)": the engine's URL and, unless it is the default, why that one. */
export function describeEndpoint(endpoint: Pick<EngineEndpoint, 'url' | 'source'>): string {
  return `${endpoint.url}${endpoint.source === 'default' ? '' : ` (from ${endpoint.source})`}`;
}

type ReadFile = (file: string) => string;

/** Follows the docker CLI's order: --context, DOCKER_HOST, DOCKER_CONTEXT, currentContext, default. */
export function resolveEndpoint(
  env: NodeJS.ProcessEnv,
  contextFlag?: string,
  read: ReadFile = (f) => readFileSync(f, 'utf8'),
): EngineEndpoint {
  const configDir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? '/', '.docker');
  if (contextFlag) return fromContext(contextFlag, `--context ${contextFlag}`, configDir, read);
  if (env.DOCKER_HOST) {
    const tls =
      env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0'
        ? tlsFiles(env.DOCKER_CERT_PATH ?? configDir, read)
        : undefined;
    return fromUrl(env.DOCKER_HOST, 'DOCKER_HOST', tls);
  }
  const contextName = env.DOCKER_CONTEXT ?? currentContext(configDir, read);
  if (contextName && contextName !== 'default') {
    return fromContext(
      contextName,
      env.DOCKER_CONTEXT ? `DOCKER_CONTEXT=${contextName}` : `context ${contextName}`,
      configDir,
      read,
    );
  }
  return fromUrl(DEFAULT_SOCKET, 'default');
}

/**
 * The engine of a `hosts` entry or `--on` value: an ssh:// URL, else a docker context's name.
 * `source` says where it was named, for messages.
 */
export function endpointOfHost(
  entry: string,
  source: string,
  env: NodeJS.ProcessEnv,
  read: ReadFile = (f) => readFileSync(f, 'utf8'),
): EngineEndpoint {
  if (/^[a-z]+:\/\//i.test(entry)) {
    return fromUrl(entry, source);
  }
  const configDir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? '/', '.docker');
  try {
    return fromContext(entry, source, configDir, read);
  } catch (error) {
    if (!(error instanceof DevenvError)) throw error;
    throw new DevenvError(error.message, {
      hint: 'list contexts with `docker context ls`, or write the host as ssh://user@host',
      code: 'engine',
    });
  }
}

function currentContext(configDir: string, read: ReadFile): string | undefined {
  try {
    const config = JSON.parse(read(path.join(configDir, 'config.json'))) as { currentContext?: unknown };
    return typeof config.currentContext === 'string' ? config.currentContext : undefined;
  } catch {
    return undefined;
  }
}

function fromContext(name: string, source: string, configDir: string, read: ReadFile): EngineEndpoint {
  if (name === 'default') return fromUrl(DEFAULT_SOCKET, source);
  const id = createHash('sha256').update(name).digest('hex');
  let meta: { Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } };
  try {
    meta = JSON.parse(read(path.join(configDir, 'contexts', 'meta', id, 'meta.json')));
  } catch {
    throw new DevenvError(
      `docker context "${name}" (from ${source}) was not found in ${configDir}/contexts`,
      {
        hint: 'list contexts with `docker context ls`, or unset DOCKER_CONTEXT',
        code: 'engine',
      },
    );
  }
  const host = meta.Endpoints?.docker?.Host;
  if (!host) {
    throw new DevenvError(`docker context "${name}" has no docker endpoint`, {
      hint: 'recreate it with `docker context create`',
      code: 'engine',
    });
  }
  const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
  const endpoint = fromUrl(host, source, tlsFiles(tlsDir, read, true));
  return endpoint.remote ? { ...endpoint, hostName: name } : endpoint;
}

interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

function tlsFiles(dir: string, read: ReadFile, optional = false): TlsFiles | undefined {
  const files: TlsFiles = {};
  for (const [key, file] of [
    ['ca', 'ca.pem'],
    ['cert', 'cert.pem'],
    ['key', 'key.pem'],
  ] as const) {
    try {
      files[key] = read(path.join(dir, file));
    } catch {
      if (!optional) {
        throw new DevenvError(`TLS file ${path.join(dir, file)} cannot be read`, {
          hint: 'set DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem, or unset DOCKER_TLS_VERIFY',
          code: 'engine',
        });
      }
    }
  }
  return Object.keys(files).length > 0 ? files : undefined;
}

export function fromUrl(url: string, source: string, tls?: TlsFiles): EngineEndpoint {
  const bad = () =>
    new DevenvError(`cannot use Docker endpoint ${JSON.stringify(url)} (from ${source})`, {
      hint: 'use unix:///path/to/docker.sock, tcp://host:port or ssh://user@host',
      code: 'engine',
    });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad();
  }
  switch (parsed.protocol) {
    case 'unix:': {
      const socketPath = decodeURIComponent(parsed.pathname);
      if (!socketPath) throw bad();
      return {
        url,
        source,
        remote: false,
        hostName: LOCAL_HOST_NAME,
        ssh: null,
        modemOptions: { socketPath },
      };
    }
    case 'tcp:':
    case 'http:':
    case 'https:': {
      if (!parsed.hostname) throw bad();
      const secure = parsed.protocol === 'https:' || tls !== undefined;
      const port = parsed.port || (secure ? '2376' : '2375');
      const remote = !['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
      return {
        url,
        source,
        remote,
        hostName: remote ? parsed.host : LOCAL_HOST_NAME,
        ssh: null,
        modemOptions: {
          host: parsed.hostname,
          port: Number(port),
          protocol: secure ? 'https' : 'http',
          ...(tls ?? {}),
        },
      };
    }
    case 'ssh:': {
      if (!parsed.hostname || (parsed.pathname !== '' && parsed.pathname !== '/')) throw bad();
      const ssh = sshTargetOf(parsed);
      // The connection itself is made by docker/ssh-dial.ts, over the system ssh.
      return { url, source, remote: true, hostName: ssh.display, ssh, modemOptions: {} };
    }
    default:
      throw bad();
  }
}
