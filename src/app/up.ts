import path from 'node:path';
import { ensureContainer, findEnvContainer, removeEnvContainer } from '../core/container-ops.js';
import { configHash } from '../core/container-plan.js';
import type { ContainerDetails, ContainerState, Engine } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import type { RepoState } from '../core/host.js';
import { LABELS } from '../core/identity.js';
import type { Progress } from '../core/ports.js';
import { openBuildLog } from '../host/fs-ops.js';
import type { EnvContext } from './context.js';
import { withLock } from './env-lock.js';
import { repoDir, workdirFor } from './env-paths.js';
import { syncVscodeAttachConfig } from './vscode.js';

export interface UpOptions {
  /** Build the image even when it is up to date, and recreate the container. */
  rebuild?: boolean;
  noCache?: boolean;
  /** A new container even when one runs (e.g. `start --gpus N` for another lease). */
  recreate?: boolean;
  /** Wait this long (ms; Infinity: no limit) for enough free GPUs instead of failing; null: do not wait. */
  waitMs?: number | null;
  /** Return once the container runs, without waiting for its healthcheck to pass. */
  noWait?: boolean;
}

export interface UpResult {
  /** Where shells and commands start in the container. */
  workdir: string;
}

/**
 * `start` and `rebuild` up to a running container: the repo, the image, the folders, the
 * container, VS Code's attach configuration; then, when the container has a healthcheck, until
 * it passes. A running, healthy env with the current config costs one engine request.
 */
export async function upEnv(ctx: EnvContext, options: UpOptions): Promise<UpResult> {
  const engine = await ctx.engine();
  let container = await findEnvContainer(engine, ctx.identity);
  if (!options.rebuild && container && isUpToDateAndRunning(ctx, container))
    ctx.ui.detail(`container ${ctx.identity.containerName} is already running`);
  else {
    ctx.io.build?.tookRarePath();
    container = await withLock(ctx, () => prepareEnv(ctx, engine, options));
  }
  if (ctx.placement) {
    const { rememberPlacement } = await import('./placement.js');
    rememberPlacement(ctx.io, ctx.loaded, ctx.placement);
  }
  await syncVscodeAttachConfig(ctx);
  // Outside the lock: another start or a stop need not wait for this one's healthcheck.
  if (!options.noWait && container.health && container.health.status !== 'healthy') {
    const { waitUntilHealthy } = await import('./readiness.js');
    await waitUntilHealthy(ctx, engine, container);
  }
  return { workdir: workdirFor(ctx) };
}

function isUpToDateAndRunning(ctx: EnvContext, container: ContainerState): boolean {
  return container.running && container.labels[LABELS.configHash] === configHash(ctx.loaded.config);
}

/** Everything up to a running container, which it returns. */
async function prepareEnv(ctx: EnvContext, engine: Engine, options: UpOptions): Promise<ContainerDetails> {
  await engine.checkCompatible?.();
  // Another devenv may have made the env while this one waited for the lock.
  const existing = await findEnvContainer(engine, ctx.identity);
  if (!options.rebuild && existing && isUpToDateAndRunning(ctx, existing)) return existing;
  // A container will be made or started: its host ports must be free, before anything is made.
  if (!existing?.running || options.rebuild || options.recreate) {
    const { checkHostPorts } = await import('./port-check.js');
    await checkHostPorts(ctx, engine, existing);
  }

  await cloneRepoIfMissing(ctx);
  // Loaded here, not at the top: `start` on a running env (the common case) never plans or builds.
  const [
    { planEnv },
    { ensureImage, removeDanglingEnvImages, removeImageIfUnused },
    { checkLeaseRace, LostRace, leaseGpus, rememberLease },
  ] = await Promise.all([import('./env-plan.js'), import('../core/image-ops.js'), import('./gpu-lease.js')]);
  let lease = await namingHost(ctx, () => leaseGpus(ctx, { waitMs: options.waitMs ?? null, exclude: [] }));
  let plan = await namingHost(ctx, () => planEnv(ctx, lease?.uuids));
  const extraMounts = plan.mounts.mounts.slice(2);
  const kinds = await ctx.host.kinds(extraMounts.map((m) => m.Source));
  const missing = extraMounts.find((_, i) => kinds[i] === null);
  if (missing) {
    throw new DevenvError(`mount source ${missing.Source} does not exist${onHost(ctx)}`, {
      hint: `create it, or fix "mounts" in ${ctx.loaded.file ?? '.devenvrc'}`,
      code: 'config',
    });
  }
  if (plan.gpu?.plan.notice) ctx.ui.warn(plan.gpu.plan.notice);
  if (lease?.notice) ctx.ui.warn(lease.notice);
  if (lease) ctx.ui.info(lease.explanation);

  const image = await ensureImage(
    {
      engine,
      ui: ctx.ui,
      openLog: () => openBuildLog(ctx.io.env, ctx.identity.containerName),
      signal: ctx.io.signal,
    },
    plan.build,
    { rebuild: Boolean(options.rebuild), noCache: Boolean(options.noCache) },
  );
  if ((options.rebuild || options.recreate) && existing) await removeEnvContainer(engine, ctx.identity);
  // Made only now, so a start that fails before this point leaves no empty folders behind.
  await ctx.host.makeDirs(plan.mounts.hostDirs);
  const exclude: string[] = [];
  let container: ContainerDetails;
  for (let attempt = 1; ; attempt++) {
    const leased = lease;
    try {
      ({ container } = await ensureContainer(
        {
          engine,
          ui: ctx.ui,
          signal: ctx.io.signal,
          ...(leased ? { beforeStart: (id: string) => checkLeaseRace(ctx, id, leased.uuids) } : {}),
        },
        ctx.identity,
        plan.container,
      ));
      if (leased) rememberLease(ctx, leased.uuids);
      break;
    } catch (error) {
      if (!(error instanceof LostRace) || attempt >= MAX_LEASE_ATTEMPTS) throw error;
      // Another env leased some of these GPUs a moment earlier: pick again without them.
      exclude.push(...error.taken);
      ctx.ui.detail(`${error.message}; picking again`);
      lease = await namingHost(ctx, () => leaseGpus(ctx, { waitMs: options.waitMs ?? null, exclude }));
      plan = await namingHost(ctx, () => planEnv(ctx, lease?.uuids));
      if (lease) ctx.ui.info(lease.explanation);
    }
  }
  // The image a rebuild replaced could not go while the old container used it; now it can.
  if (image.replaced) await removeImageIfUnused(engine, image.replaced);
  // What earlier failed builds of this env left behind is no use once a build succeeded.
  if (image.built) await removeDanglingEnvImages(engine, ctx.identity);
  return container;
}

/** Two starts racing for the same GPUs settle in a round or two; more means something is wrong. */
const MAX_LEASE_ATTEMPTS = 5;

/** Clones the configured repo into projects/ when it is not there; never touches an existing folder. */
async function cloneRepoIfMissing(ctx: EnvContext): Promise<void> {
  const { config } = ctx.loaded;
  const dest = repoDir(ctx);
  if (!config.repo || !dest) return;
  const projects = path.dirname(dest);
  // The folders this start makes (a remote env's root too): a failed clone takes them back.
  const kinds = await ctx.host.kinds([ctx.hostRoot, projects]);
  const made = [projects, ctx.hostRoot].filter((_, i) => kinds[1 - i] === null);
  await ctx.host.makeDirs([projects]);
  const cloning = `cloning ${config.repo}${onHost(ctx)}`;
  let progress: Progress | null = null;
  let state: RepoState;
  try {
    state = await ctx.host.cloneRepo({
      repo: config.repo,
      branch: config.branch,
      dest,
      root: ctx.hostRoot,
      signal: ctx.io.signal,
      onCloneStart: () => {
        progress = ctx.ui.progress(cloning);
      },
      onProgress: (text) => progress?.update(`${cloning}: ${text}`),
    });
  } catch (error) {
    (progress as Progress | null)?.fail();
    // A failed first start leaves no empty folder behind (only an empty one can be removed).
    for (const dir of made) await ctx.host.removeEmptyDir(dir);
    throw error;
  }
  if (state === 'cloned')
    (progress as Progress | null)?.succeed(`cloned ${config.repo} into ${dest}${onHost(ctx)}`);
  if (state === 'not-git')
    ctx.ui.warn(`${dest}${onHost(ctx)} exists but is not a git repository; devenv leaves it as it is`);
}

/** The GPU planning speaks of "this host"; on a remote host its messages name it. */
async function namingHost<T>(ctx: EnvContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!ctx.host.remote || !(error instanceof DevenvError)) throw error;
    const named = (text: string) => text.replace(/\bthis host\b/g, ctx.host.name);
    throw new DevenvError(named(error.message), {
      ...(error.hint === undefined ? {} : { hint: named(error.hint) }),
      exitCode: error.exitCode,
      cause: error,
    });
  }
}

/** " on gpu1" for a remote host, so every path in a message says which machine it is on. */
export function onHost(ctx: EnvContext): string {
  return ctx.host.remote ? ` on ${ctx.host.name}` : '';
}
