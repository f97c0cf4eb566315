import { findEnvContainer } from '../core/container-ops.js';
import { DevenvError } from '../core/errors.js';
import type { EnvContext } from './context.js';

/** Copies the container's output to the terminal, its stdout and stderr apart; with `follow`, until it stops. */
export async function copyEnvLogs(ctx: EnvContext, follow: boolean): Promise<void> {
  const engine = await ctx.site.engine();
  const container = await findEnvContainer(engine, ctx.env.identity);
  if (!container) {
    throw new DevenvError(`env ${ctx.env.identity.envName} has no container`, {
      hint: 'run `devenv start` first',
      code: 'notFound',
    });
  }
  await engine.containerLogs(
    container.id,
    { follow, signal: ctx.io.signal },
    { stdout: ctx.io.stdout, stderr: ctx.io.stderr },
  );
}
