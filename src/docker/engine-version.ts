import { DevenvError } from '../core/errors.js';
import type { EngineEndpoint } from './endpoint.js';

/** GPU DeviceRequests arrived in Engine API 1.40 (Docker 19.03); devenv needs them. */
export const MIN_API_VERSION = '1.40';

/** Compares dotted API versions ("1.41" vs "1.9") numerically; NaN parts count as 0. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Refuses an engine too old for what devenv asks of it. An engine that does not say its
 * API version is given the benefit of the doubt: its answers show the problem if there is one.
 */
export function checkApiVersion(
  answer: { ApiVersion?: unknown; Version?: unknown },
  endpoint: Pick<EngineEndpoint, 'url' | 'source'>,
): void {
  const api = typeof answer.ApiVersion === 'string' ? answer.ApiVersion : '';
  if (!/^\d+\.\d+/.test(api) || compareApiVersions(api, MIN_API_VERSION) >= 0) return;
  const where = `${endpoint.url}${endpoint.source === 'default' ? '' : ` (from ${endpoint.source})`}`;
  const server = typeof answer.Version === 'string' && answer.Version ? `Docker ${answer.Version}, ` : '';
  throw new DevenvError(
    `the Docker engine at ${where} is too old (${server}API ${api}); devenv needs API ${MIN_API_VERSION} or newer for GPU device requests`,
    {
      hint: 'upgrade Docker to 19.03 or newer, or point DOCKER_HOST or --context at a newer engine',
      code: 'engine',
    },
  );
}
