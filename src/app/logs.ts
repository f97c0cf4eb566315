import { findEnvContainer } from '../core/container-ops.js';
import { DevenvError } from '../core/errors.js';
import type { EnvContext } from './context.js';

/** Copies the container's output to the terminal, its stdout and stderr apart; with `follow`, until it stops. */
export async function copyEnvLogs(ctx: EnvContext, follow: boolean): Promise<void> {
  const engine = await ctx.engine();
  const container = await findEnvContainer(engine, ctx.identity);
  if (!container) {
    throw new DevenvError(`env ${ctx.identity.envName} has no container`, {
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
