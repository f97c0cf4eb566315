import type { EnvContext } from '../app/context.js';
import { stopEnv } from '../app/down.js';
import { defineVerb } from '../core/verb-spec.js';

export const spec = defineVerb({
  name: 'stop',
  description: 'stop and remove the container (your files stay)',
  needs: 'env',
  options: () => ({}),
  run: (ctx: EnvContext) => runStop(ctx),
});

/** `devenv stop`: stops and removes the container, as run.sh did. Mounted folders stay. */
export async function runStop(ctx: EnvContext): Promise<number> {
  if (!(await stopEnv(ctx))) ctx.ui.info(`${ctx.env.identity.containerName} is not running`);
  return 0;
}
