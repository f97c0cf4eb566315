import { meaningfulChanges, summarizeChanges } from '../core/changes.js';
import { findEnvContainer, removeEnvContainer } from '../core/container-ops.js';
import { ownerFilters } from '../core/identity.js';
import {
  removeDanglingEnvImages,
  removeUnusedSharedImages,
  sharedBuildLeftovers,
  sharedHashesOf,
} from '../core/image-ops.js';
import type { EnvContext } from './context.js';
import { withLock } from './env-lock.js';
import { envMounts } from './env-paths.js';
import { forgetPlacement } from './placement.js';

/**
 * Stops and removes the env's container, as run.sh did, and ends its job on a cluster (its GPUs
 * are free at once); false when there was neither. Mounted folders stay.
 */
export async function stopEnv(ctx: EnvContext): Promise<boolean> {
  const { job } = ctx.site;
  if (!job) return removeContainer(ctx);
  const live = await job.current();
  const removed = live?.state === 'RUNNING' ? await removeContainer(ctx) : false;
  if (live) await endJob(ctx);
  return removed || live !== null;
}

/** Ends the env's job on a cluster, saying which; nothing on a server. */
async function endJob(ctx: EnvContext): Promise<void> {
  const ended = await ctx.site.job?.end();
  if (ended)
    ctx.ui.info(
      `ended Slurm job ${ended.id}${ended.node ? ` on ${ended.node}` : ''}${ended.state === 'RUNNING' ? ': its GPUs are free' : ' (it was queued)'}`,
    );
}

async function removeContainer(ctx: EnvContext): Promise<boolean> {
  const { identity } = ctx.env;
  const engine = await ctx.site.engine();
  // Looked up first, so a same-named container devenv did not make is one error line, nothing else.
  if (!(await findEnvContainer(engine, identity))) return false;
  const progress = ctx.ui.progress(`stopping ${identity.containerName}`);
  await withLock(ctx, () => removeEnvContainer(engine, identity));
  progress.succeed(`stopped and removed ${identity.containerName}`);
  return true;
}

export interface PrunePlan {
  /** "container devenv-x-me and 2 image(s) of env x", or null when there is nothing to prune. */
  what: string | null;
  /** Files changed in the container outside its mounts: what removing it loses. */
  lost: { count: number; summary: string } | null;
}

/** What `prune` would remove, so the user can be asked first. */
export async function planPrune(ctx: EnvContext): Promise<PrunePlan> {
  const { env } = ctx;
  const live = ctx.site.job ? await ctx.site.job.current() : null;
  if (ctx.site.job && live?.state !== 'RUNNING') {
    // A node's engine is reached only through a running job: without one, nothing there can go.
    if (live === null) ctx.ui.warn(PRUNE_WITHOUT_JOB);
    return { what: live ? `Slurm job ${live.id} (queued)` : null, lost: null };
  }
  const engine = await ctx.site.engine();
  const container = await findEnvContainer(engine, env.identity);
  const images = await engine.listImages(ownerFilters(env.user, env.identity.envName));
  let lost: PrunePlan['lost'] = null;
  if (container) {
    const targets = envMounts(env).mounts.map((m) => m.Target);
    const changes = meaningfulChanges(await engine.containerChanges(container.id), targets);
    if (changes.length > 0) lost = { count: changes.length, summary: summarizeChanges(changes) };
  }
  // Nobody's, and pruneEnv removes them: an env whose only build failed in its shared layers has
  // nothing else, and "nothing to prune" would leave them for good.
  const leftovers = await sharedBuildLeftovers(engine);
  const parts = [
    live ? `Slurm job ${live.id} on ${live.node}` : null,
    container ? `container ${container.name}` : null,
    images.length > 0 ? `${images.length} image(s) of env ${env.identity.envName}` : null,
    leftovers.length > 0 ? `${leftovers.length} image(s) left by failed shared-layer builds` : null,
  ].filter(Boolean);
  return { what: parts.length > 0 ? parts.join(' and ') : null, lost };
}

/** Removes the env's container and every image of it. projects/ and the VS Code cache stay. */
export async function pruneEnv(ctx: EnvContext): Promise<void> {
  const { env } = ctx;
  const live = ctx.site.job ? await ctx.site.job.current() : null;
  if (ctx.site.job && live?.state !== 'RUNNING') {
    await endJob(ctx);
    return;
  }
  const engine = await ctx.site.engine();
  await withLock(ctx, async () => {
    await removeEnvContainer(engine, env.identity);
    // Listed again under the lock: a start that raced this prune may have built a newer one.
    const images = await engine.listImages(ownerFilters(env.user, env.identity.envName));
    for (const image of images) await engine.removeImage(image.id);
    await removeDanglingEnvImages(engine, env.identity);
    // The shared layers they built on go too, unless another env or user builds on them.
    await removeUnusedSharedImages(engine, sharedHashesOf(images));
  });
  await endJob(ctx);
  if (ctx.placement) forgetPlacement(ctx.io, env, ctx.placement);
}

const PRUNE_WITHOUT_JOB =
  "no Slurm job of this env runs, so devenv cannot reach a node's engine: images built on nodes stay there (`devenv start`, then `devenv prune`, removes those of the job's node)";
