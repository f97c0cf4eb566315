import { RegistryFailure } from '../core/engine.js';
import { DevenvError, HostPortTaken } from '../core/errors.js';
import { hostAddress } from '../core/published-ports.js';
import { describeEndpoint, type EngineEndpoint } from './endpoint.js';

interface EngineFailure {
  code?: string;
  statusCode?: number;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
}

export function statusOf(error: unknown): number | undefined {
  return (error as EngineFailure | undefined)?.statusCode;
}

/** The engine's own message for a failed request, without dockerode's wrapping. */
export function engineMessage(error: unknown): string {
  const failure = error as EngineFailure;
  const fromJson = failure.json?.message;
  if (fromJson) return fromJson.trim();
  const message = failure.message ?? String(error);
  return message.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
}

/**
 * A GPU request the engine cannot serve. It fails at start, not at create: an engine without
 * NVIDIA support accepts the container and then refuses to start it, with HTTP 500 `could not
 * select device driver "" with capabilities: [[gpu]]`.
 */
export function noGpuDriver(error: unknown): DevenvError {
  return new DevenvError(
    'the Docker engine cannot give this container GPUs (no NVIDIA device driver is configured)',
    {
      hint: 'install the NVIDIA Container Toolkit and run `sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker`, or set "gpus": "none"',
      code: 'gpu',
      cause: error,
    },
  );
}

// What the engine says when a published port is taken, at start (create succeeds): held by
// another container ("Bind for 127.0.0.1:8888 failed: port is already allocated"), or by a host
// process, through docker-proxy ("listen tcp4 127.0.0.1:8888: bind: address already in use").
const ALLOCATED = /Bind for (\S+):(\d+) failed: port is already allocated/;
const IN_USE = /listen (tcp|udp)[46]? (\S+):(\d+): bind: address already in use/;

/** The engine's "port is already allocated" / "address already in use" as HostPortTaken; null for anything else. */
export function hostPortTaken(error: unknown): HostPortTaken | null {
  const message = engineMessage(error);
  const allocated = ALLOCATED.exec(message);
  const inUse = allocated ? null : IN_USE.exec(message);
  const ip = allocated?.[1] ?? inUse?.[2];
  const port = Number(allocated?.[2] ?? inUse?.[3]);
  if (ip === undefined || !Number.isInteger(port)) return null;
  const bare = ip.replace(/^\[|\]$/g, '');
  const address = hostAddress({
    hostIp: bare === '0.0.0.0' || bare === '::' || bare === '' ? null : bare,
    hostPort: port,
    protocol: inUse?.[1] === 'udp' ? 'udp' : 'tcp',
  });
  const says = allocated ? 'port is already allocated' : 'address already in use';
  return new HostPortTaken(address, { kind: 'engine', says }, error);
}

/**
 * Maps a failed engine call to one clear DevenvError. Connection failures name the endpoint and
 * where it came from; everything else keeps the engine's message with what devenv was doing.
 */
export function engineError(
  error: unknown,
  endpoint: Pick<EngineEndpoint, 'url' | 'source'>,
  doing: string,
): DevenvError {
  if (error instanceof DevenvError) return error;
  const failure = error as EngineFailure;
  const where = describeEndpoint(endpoint);
  switch (failure.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
      return new DevenvError(`cannot reach the Docker engine at ${where}`, {
        hint: 'start Docker (e.g. `sudo systemctl start docker`) or point DOCKER_HOST or --context at a running engine',
        code: 'engine',
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
      return new DevenvError(`permission denied on the Docker socket ${where}`, {
        hint: 'add yourself to the docker group (`sudo usermod -aG docker $USER`), then log in again',
        code: 'engine',
        cause: error,
      });
    case 'ECONNRESET':
    case 'EPIPE':
      return new DevenvError(`the Docker engine at ${where} closed the connection while ${doing}`, {
        hint: 'check that the engine is healthy (`docker info`) and try again',
        code: 'engine',
        cause: error,
      });
  }
  return new DevenvError(`Docker engine error while ${doing}: ${engineMessage(error)}`, {
    code: 'engine',
    cause: error,
  });
}

/**
 * A failed push or pull as a RegistryFailure, by what the engine said: a DevenvError when the
 * engine itself could not be reached (that is not the registry's doing).
 */
export function registryFailureOf(
  error: unknown,
  endpoint: Pick<EngineEndpoint, 'url' | 'source'>,
  doing: string,
): Error {
  if (error instanceof DevenvError) return error;
  const code = (error as EngineFailure).code;
  if (code && statusOf(error) === undefined && !(error instanceof RegistryFailure))
    return engineError(error, endpoint, doing);
  const message = (engineMessage(error).split('\n')[0] ?? '').trim();
  return new RegistryFailure(registryFailureKind(message, statusOf(error)), message);
}

export function registryFailureKind(message: string, status?: number): RegistryFailure['kind'] {
  if (/unauthorized|authentication required|denied|no basic auth credentials|forbidden/i.test(message))
    return 'denied';
  if (status === 404 || /manifest unknown|not found|does not exist|no such image/i.test(message))
    return 'missing';
  if (
    /connection refused|no such host|i\/o timeout|dial tcp|timeout|server gave HTTP response|tls:|x509|EOF|connection reset|network is unreachable/i.test(
      message,
    )
  )
    return 'unreachable';
  return 'other';
}
