import { attachShell, canAttach } from '../app/attach.js';
import type { EnvContext } from '../app/context.js';
import { workdirFor } from '../app/env-paths.js';
import { DevenvError } from '../core/errors.js';
import { defineVerb } from '../core/verb-spec.js';

export const spec = defineVerb({
  name: 'shell',
  description: 'open another shell in the running env',
  needs: 'env',
  options: () => ({}),
  run: (ctx: EnvContext) => runShell(ctx),
});

/** `devenv shell`: another interactive shell in the running env. */
export async function runShell(ctx: EnvContext): Promise<number> {
  if (!canAttach(ctx.io)) {
    throw new DevenvError('devenv shell needs a terminal (stdin and stdout are not a TTY)', {
      hint: 'use `devenv exec -- CMD` from scripts',
      code: 'usage',
    });
  }
  return attachShell(ctx, await ctx.site.engine(), workdirFor(ctx.env));
}
