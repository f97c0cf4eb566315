import { execInEnv } from '../app/attach.js';
import type { EnvContext } from '../app/context.js';
import { workdirFor } from '../app/env-paths.js';
import { DevenvError } from '../core/errors.js';

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
