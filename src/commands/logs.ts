import type { EnvContext } from '../app/context.js';
import { findEnvContainer } from '../core/container-ops.js';
import { DevenvError } from '../core/errors.js';

/** `devenv logs [-f]`: the container's output, its stdout on stdout and its stderr on stderr. */
export async function runLogs(ctx: EnvContext, options: { follow?: boolean }): Promise<number> {
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
    { follow: Boolean(options.follow), signal: ctx.io.signal },
    { stdout: ctx.io.stdout, stderr: ctx.io.stderr },
  );
  return 0;
}
