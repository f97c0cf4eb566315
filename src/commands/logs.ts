import type { EnvContext } from '../app/context.js';
import { copyEnvLogs } from '../app/logs.js';

/** `devenv logs [-f]`: the container's output, its stdout on stdout and its stderr on stderr. */
export async function runLogs(ctx: EnvContext, options: { follow?: boolean }): Promise<number> {
  await copyEnvLogs(ctx, Boolean(options.follow));
  return 0;
}
