import type { EnvContext } from '../app/context.js';
import { copyEnvLogs } from '../app/logs.js';
import { defineVerb } from '../core/verb-spec.js';

export const spec = defineVerb({
  name: 'logs',
  description: "print the container's output",
  flags: { follow: { short: '-f', help: 'keep printing new output until Ctrl-C or the env stops' } },
  needs: 'env',
  options: ({ flags }) => ({ follow: Boolean(flags.follow) }),
  run: runLogs,
});

/** `devenv logs [-f]`: the container's output, its stdout on stdout and its stderr on stderr. */
export async function runLogs(ctx: EnvContext, options: { follow?: boolean }): Promise<number> {
  await copyEnvLogs(ctx, Boolean(options.follow));
  return 0;
}
