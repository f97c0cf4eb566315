import type { EnvContext } from '../app/context.js';
import { findEnvContainer, removeEnvContainer } from '../core/container-ops.js';
import { withLock } from './start.js';

/** `devenv stop`: stops and removes the container, as run.sh did. Mounted folders stay. */
export async function runStop(ctx: EnvContext): Promise<number> {
  const engine = await ctx.engine();
  // Looked up first, so a same-named container devenv did not make is one error line, nothing else.
  if (!(await findEnvContainer(engine, ctx.identity))) {
    ctx.ui.info(`${ctx.identity.containerName} is not running`);
    return 0;
  }
  const progress = ctx.ui.progress(`stopping ${ctx.identity.containerName}`);
  await withLock(ctx, () => removeEnvContainer(engine, ctx.identity));
  progress.succeed(`stopped and removed ${ctx.identity.containerName}`);
  return 0;
}
