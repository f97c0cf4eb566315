import type { EnvContext } from '../app/context.js';
import { planPrune, pruneEnv } from '../app/down.js';
import { DevenvError, ExitCode } from '../core/errors.js';
import { defineVerb } from '../core/verb-spec.js';
import { confirm } from '../ui/confirm.js';

export const spec = defineVerb({
  name: 'prune',
  description:
    'remove the container and the image, and the shared layers no other env uses (projects/ and the VS Code cache stay)',
  flags: { yes: { short: '-y', help: 'do not ask for confirmation' } },
  needs: 'env',
  options: ({ flags }) => ({ yes: Boolean(flags.yes) }),
  run: runPrune,
});

/** `devenv prune`: removes the env's container and images, after asking. projects/ and the VS Code cache stay. */
export async function runPrune(ctx: EnvContext, options: { yes?: boolean }): Promise<number> {
  const { what, lost } = await planPrune(ctx);
  if (!what) {
    ctx.ui.info(`nothing to prune for env ${ctx.env.identity.envName}`);
    return 0;
  }
  if (lost)
    ctx.ui.warn(
      `the container holds ${lost.count} change(s) outside its mounts that prune will lose: ${lost.summary}`,
    );
  if (!options.yes) {
    if (!ctx.io.stdin.isTTY) {
      throw new DevenvError(`prune would remove ${what}, and there is no terminal to confirm it`, {
        hint: 'run `devenv prune --yes` to confirm',
        code: 'declined',
      });
    }
    if (
      !(await confirm(`Remove ${what}? Your projects and VS Code cache stay.`, ctx.io.stdin, ctx.io.stderr))
    ) {
      ctx.ui.info('nothing removed');
      return ExitCode.declined;
    }
  }
  await pruneEnv(ctx);
  ctx.ui.info(`removed ${what}`);
  return 0;
}
