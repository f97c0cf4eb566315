import type { EnvContext } from '../app/context.js';
import { stopEnv } from '../app/down.js';

/** `devenv stop`: stops and removes the container, as run.sh did. Mounted folders stay. */
export async function runStop(ctx: EnvContext): Promise<number> {
  if (!(await stopEnv(ctx))) ctx.ui.info(`${ctx.env.identity.containerName} is not running`);
  return 0;
}
