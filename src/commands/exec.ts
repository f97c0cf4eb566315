import { execInEnv } from '../app/attach.js';
import type { EnvContext } from '../app/context.js';
import { workdirFor } from '../app/env-paths.js';
import { DevenvError } from '../core/errors.js';
import { defineVerb } from '../core/verb-spec.js';

export const spec = defineVerb({
  name: 'exec',
  description: 'run a command in the env as you, in ~/projects (use -- before the command)',
  args: { command: { help: 'the command and its arguments', variadic: true } },
  // `devenv exec ls -la`: -la is ls's.
  passThrough: true,
  needs: 'env',
  options: ({ args }) => ({ command: args.command }),
  run: (ctx: EnvContext, options) => runExecCommand(ctx, options.command),
});

/** `devenv exec -- CMD…`: runs CMD in the env as the user; its exit code is devenv's. */
export async function runExecCommand(ctx: EnvContext, command: string[]): Promise<number> {
  if (command.length === 0) {
    throw new DevenvError('exec needs a command to run', {
      hint: 'e.g. `devenv exec -- python train.py`',
      code: 'usage',
    });
  }
  const tty = Boolean(ctx.io.stdin.isTTY && ctx.io.stdout.isTTY);
  return execInEnv(ctx, await ctx.site.engine(), command, workdirFor(ctx.env), tty);
}
