import { apiVersionSupported, MIN_API_VERSION } from '../core/engine-api.js';
import { DevenvError } from '../core/errors.js';
import { describeEndpoint, type EngineEndpoint } from './endpoint.js';

/**
 * Refuses an engine too old for what devenv asks of it. An engine that does not say its
 * API version is given the benefit of the doubt: its answers show the problem if there is one.
 */
export function checkApiVersion(
  answer: { ApiVersion?: unknown; Version?: unknown },
  endpoint: Pick<EngineEndpoint, 'url' | 'source'>,
): void {
  const api = typeof answer.ApiVersion === 'string' ? answer.ApiVersion : '';
  if (apiVersionSupported(api)) return;
  const server = typeof answer.Version === 'string' && answer.Version ? `Docker ${answer.Version}, ` : '';
  throw new DevenvError(
    `the Docker engine at ${describeEndpoint(endpoint)} is too old (${server}API ${api}); devenv needs API ${MIN_API_VERSION} or newer for GPU device requests`,
    {
      hint: 'upgrade Docker to 19.03 or newer, or point DOCKER_HOST or --context at a newer engine',
      code: 'engine',
    },
  );
}
