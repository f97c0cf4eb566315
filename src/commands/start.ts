import { attachShell, canAttach } from '../app/attach.js';
import type { EnvContext } from '../app/context.js';
import { type UpOptions, upEnv } from '../app/up.js';

export interface StartOptions extends UpOptions {
  detach?: boolean;
}

/** `devenv start` and `devenv rebuild`: the env up and running, then a shell in it. */
export async function runStart(ctx: EnvContext, options: StartOptions): Promise<number> {
  const { workdir } = await upEnv(ctx, options);
  if (options.detach || !canAttach(ctx)) {
    ctx.ui.info(`env ${ctx.identity.envName} is running; enter it with \`devenv shell\``);
    return 0;
  }
  return attachShell(ctx, await ctx.engine(), workdir);
}
