import type { EnvContext } from '../app/context.js';
import { meaningfulChanges, summarizeChanges } from '../core/changes.js';
import { findEnvContainer, removeEnvContainer } from '../core/container-ops.js';
import { DevenvError, ExitCode } from '../core/errors.js';
import { ownerFilters } from '../core/identity.js';
import { planMounts } from '../core/mounts.js';
import { confirm } from '../ui/confirm.js';
import { withLock } from './start.js';

/** `devenv prune`: removes the env's container and images. projects/ and the VS Code cache stay. */
export async function runPrune(ctx: EnvContext, options: { yes?: boolean }): Promise<number> {
  const engine = await ctx.engine();
  const container = await findEnvContainer(engine, ctx.identity);
  const images = await engine.listImages(ownerFilters(ctx.user, ctx.identity.envName));
  if (!container && images.length === 0) {
    ctx.ui.info(`nothing to prune for env ${ctx.identity.envName}`);
    return 0;
  }
  if (container) {
    const targets = planMounts(
      ctx.loaded.config,
      ctx.loaded.envRoot,
      ctx.containerUser,
      ctx.loaded.file ?? '.devenvrc',
    ).mounts.map((m) => m.Target);
    const lost = meaningfulChanges(await engine.containerChanges(container.id), targets);
    if (lost.length > 0) {
      ctx.ui.warn(
        `the container holds ${lost.length} change(s) outside its mounts that prune will lose: ${summarizeChanges(lost)}`,
      );
    }
  }
  const what = [
    container ? `container ${container.name}` : null,
    images.length > 0 ? `${images.length} image(s) of env ${ctx.identity.envName}` : null,
  ]
    .filter(Boolean)
    .join(' and ');
  if (!options.yes) {
    if (!ctx.io.stdin.isTTY) {
      throw new DevenvError(`prune would remove ${what}, and there is no terminal to confirm it`, {
        hint: 'run `devenv prune --yes` to confirm',
        code: 'declined',
      });
    }
    if (
      !(await confirm(`Remove ${what}? Your projects and VS Code cache stay.`, ctx.io.stdin, ctx.io.stderr))
    ) {
      ctx.ui.info('nothing removed');
      return ExitCode.declined;
    }
  }
  await withLock(ctx, async () => {
    await removeEnvContainer(engine, ctx.identity);
    // Listed again under the lock: a start that raced this prune may have built a newer one.
    for (const image of await engine.listImages(ownerFilters(ctx.user, ctx.identity.envName)))
      await engine.removeImage(image.id);
  });
  ctx.ui.info(`removed ${what}`);
  return 0;
}
