import type { EnvContext } from '../app/context.js';
import { removeEnvContainer } from '../core/container-ops.js';

/** `devenv stop`: stops and removes the container, as run.sh did. Mounted folders stay. */
export async function runStop(ctx: EnvContext): Promise<number> {
  const engine = await ctx.engine();
  const progress = ctx.ui.progress(`stopping ${ctx.identity.containerName}`);
  const removed = await removeEnvContainer(engine, ctx.identity);
  progress.succeed(
    removed
      ? `stopped and removed ${ctx.identity.containerName}`
      : `${ctx.identity.containerName} was not running`,
  );
  return 0;
}
