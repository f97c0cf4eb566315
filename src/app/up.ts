import path from 'node:path';
import { ensureContainer, findEnvContainer, removeEnvContainer, runsConfig } from '../core/container-ops.js';
import type { ContainerDetails, Engine } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import { leaseRequestOf } from '../core/gpu/lease.js';
import { onHost, type RepoState } from '../core/host.js';
import {
  ensureImage,
  removeDanglingEnvImages,
  removeImageIfUnused,
  removeSharedImageIfUnused,
} from '../core/image-ops.js';
import type { Progress } from '../core/ports.js';
import { openBuildLog } from '../host/fs-ops.js';
import type { EnvContext } from './context.js';
import type { Env } from './env.js';
import { withLock } from './env-lock.js';
import { repoDir, workdirFor } from './env-paths.js';
import { type EnvPlan, gpuFacts, type PlanSite, planEnv } from './env-plan.js';
import { type GpuAllocation, LostRace } from './gpu-allocator.js';
import { envImageSupply } from './image-supply.js';
import { rememberPlacement } from './placement.js';
import { checkHostPorts } from './port-check.js';
import { waitUntilHealthy } from './readiness.js';
import type { Site } from './site.js';
import { sleep } from './sleep.js';
import { syncVscodeAttachConfig } from './vscode.js';

export interface UpOptions {
  /** Build the image even when it is up to date, and recreate the container. */
  rebuild?: boolean;
  noCache?: boolean;
  /** A new container even when one runs (e.g. `start --gpus N` for another allocation). */
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
 * `start`, `rebuild` and `code`: the env, already resolved and placed on its site (app/context.ts),
 * up to a running container. A running env with the current config costs one engine request;
 * otherwise, under the env's lock: clone, allocate GPUs, plan, build, create and start. Then the
 * placement is recorded, VS Code's attach file written, and the healthcheck waited for.
 */
export async function upEnv(ctx: EnvContext, options: UpOptions): Promise<UpResult> {
  const { io, ui, site, env } = ctx;
  // On a cluster the env runs in its job: submitted (or found) and running before anything else.
  const claim = site.job ? await site.job.ensure(env, { ui, signal: io.signal }) : null;
  let engine: Engine;
  let container: ContainerDetails;
  try {
    engine = await site.engine();
    const found = await findEnvContainer(engine, env.identity);
    if (!options.rebuild && found && runsConfig(found, env.configHash)) {
      ui.detail(`container ${env.identity.containerName} is already running`);
      container = found;
    } else container = await withLock(ctx, () => prepareEnv(ctx, engine, options));
  } catch (error) {
    // A job this start submitted would hold its GPUs for nobody.
    if (claim?.submitted) await site.job?.end().catch(() => undefined);
    throw error;
  }
  if (ctx.placement) rememberPlacement(io, env, ctx.placement);
  await syncVscodeAttachConfig(ctx);
  // Outside the lock: another start or a stop need not wait for this one's healthcheck.
  if (!options.noWait) await waitUntilHealthy(ctx, engine, container);
  return { workdir: workdirFor(env) };
}

/** Everything up to a running container, which it returns. */
async function prepareEnv(ctx: EnvContext, engine: Engine, options: UpOptions): Promise<ContainerDetails> {
  const { io, ui, site, env } = ctx;
  await engine.checkCompatible?.();
  // Another devenv may have made the env while this one waited for the lock.
  const existing = await findEnvContainer(engine, env.identity);
  if (!options.rebuild && existing && runsConfig(existing, env.configHash)) return existing;
  // A container will be made or started: its host ports must be free, before anything is made.
  if (!existing?.running || options.rebuild || options.recreate)
    await checkHostPorts(env.loaded.config, site.host, engine, existing);

  await cloneRepoIfMissing(ctx);
  const waitMs = options.waitMs ?? null;
  let allocation = await allocateGpus(env, site, waitMs, []);
  let plan = await planWith(ctx, allocation);
  await checkMountSources(env, site, plan);
  if (plan.gpu?.plan.notice) ui.warn(plan.gpu.plan.notice);
  if (allocation?.notice) ui.warn(allocation.notice);
  if (allocation) ui.info(allocation.explanation);

  const image = await ensureImage(
    {
      engine,
      ui,
      openLog: () => openBuildLog(io.env, env.identity.containerName),
      signal: io.signal,
      supply: envImageSupply(ctx, engine),
      sleep: (ms) => sleep(ms, io.signal),
    },
    plan.build,
    { rebuild: Boolean(options.rebuild), noCache: Boolean(options.noCache) },
  );
  if ((options.rebuild || options.recreate) && existing) await removeEnvContainer(engine, env.identity);
  // Made only now, so a start that fails before this point leaves no empty folders behind.
  await site.host.makeDirs(plan.mounts.hostDirs);

  const exclude: string[] = [];
  let container: ContainerDetails;
  for (let attempt = 1; ; attempt++) {
    const allocated = allocation;
    try {
      ({ container } = await ensureContainer(
        {
          engine,
          ui,
          signal: io.signal,
          ...(allocated ? { beforeStart: (id: string) => site.gpus.confirm(env, id, allocated.uuids) } : {}),
        },
        env.identity,
        plan.container,
      ));
      if (allocated) site.gpus.remember(env, allocated.uuids);
      break;
    } catch (error) {
      if (!(error instanceof LostRace)) throw error;
      if (attempt >= MAX_ALLOCATION_ATTEMPTS)
        throw new DevenvError(
          `gave up after ${attempt} tries to get GPUs that other envs kept taking at the same moment (last: ${error.taken.join(', ')})`,
          {
            hint: 'see who starts envs now with `devenv gpus`, then run `devenv start` again',
            code: 'gpu',
            cause: error,
          },
        );
      // Another env got some of these GPUs a moment earlier: allocate again without them.
      exclude.push(...error.taken);
      ui.detail(`${error.message}; picking again`);
      allocation = await allocateGpus(env, site, waitMs, exclude);
      plan = await planWith(ctx, allocation);
      if (allocation) ui.info(allocation.explanation);
    }
  }
  // The image a rebuild replaced could not go while the old container used it; now it can.
  if (image.replaced && (await removeImageIfUnused(engine, image.replaced)) && image.replacedShared)
    await removeSharedImageIfUnused(engine, image.replacedShared);
  // What earlier failed builds of this env left behind is no use once a build succeeded.
  if (image.built) await removeDanglingEnvImages(engine, env.identity);
  return container;
}

/** Two starts racing for the same GPUs settle in a round or two; more means something is wrong. */
const MAX_ALLOCATION_ATTEMPTS = 5;

/**
 * The env's GPUs from its site's allocator; null when none are allocated: none wanted, none on
 * the host, or the engine cannot give them (planning says why).
 */
async function allocateGpus(
  env: Env,
  site: Site,
  waitMs: number | null,
  exclude: string[],
): Promise<GpuAllocation | null> {
  const request = leaseRequestOf(env.loaded.config.gpus);
  if (request.kind === 'none') return null;
  return namingHost(site, async () => {
    const facts = await gpuFacts(env, site);
    if (facts?.plan.kind !== 'gpu') return null;
    return site.gpus.allocate(env, request, { waitMs, exclude });
  });
}

function planWith(ctx: EnvContext, allocation: GpuAllocation | null): Promise<EnvPlan> {
  return namingHost(ctx.site, () => planEnv(ctx.env, ctx.site, allocation?.uuids, ctx));
}

/** The configured mounts' sources must exist on the host: Docker would make them as root. */
async function checkMountSources(env: Env, site: PlanSite, plan: EnvPlan): Promise<void> {
  const extraMounts = plan.mounts.mounts.slice(2);
  const kinds = await site.host.kinds(extraMounts.map((m) => m.Source));
  const missing = extraMounts.find((_, i) => kinds[i] === null);
  if (missing)
    throw new DevenvError(`mount source ${missing.Source} does not exist${onHost(site.host)}`, {
      hint: `create it, or fix "mounts" in ${env.loaded.file ?? '.devenvrc'}`,
      code: 'config',
    });
}

/** Clones the configured repo into projects/ when it is not there; never touches an existing folder. */
async function cloneRepoIfMissing(ctx: EnvContext): Promise<void> {
  const { io, ui, env } = ctx;
  const { host } = ctx.site;
  const { config } = env.loaded;
  const dest = repoDir(env);
  if (!config.repo || !dest) return;
  const projects = path.dirname(dest);
  // The folders this start makes (a remote env's root too): a failed clone takes them back.
  const kinds = await host.kinds([env.hostRoot, projects]);
  const made = [projects, env.hostRoot].filter((_, i) => kinds[1 - i] === null);
  await host.makeDirs([projects]);
  const cloning = `cloning ${config.repo}${onHost(host)}`;
  let progress: Progress | null = null;
  let state: RepoState;
  try {
    state = await host.cloneRepo({
      repo: config.repo,
      branch: config.branch,
      dest,
      root: env.hostRoot,
      signal: io.signal,
      onCloneStart: () => {
        progress = ui.progress(cloning);
      },
      onProgress: (text) => progress?.update(`${cloning}: ${text}`),
    });
  } catch (error) {
    (progress as Progress | null)?.fail();
    // A failed first start leaves no empty folder behind (only an empty one can be removed).
    for (const dir of made) await host.removeEmptyDir(dir);
    throw error;
  }
  if (state === 'cloned')
    (progress as Progress | null)?.succeed(`cloned ${config.repo} into ${dest}${onHost(host)}`);
  if (state === 'not-git')
    ui.warn(`${dest}${onHost(host)} exists but is not a git repository; devenv leaves it as it is`);
}

/** GPU allocation and planning speak of "this host"; on a remote host their messages name it. */
async function namingHost<T>(site: Pick<Site, 'host'>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!site.host.remote || !(error instanceof DevenvError)) throw error;
    const named = (text: string) => text.replace(/\bthis host\b/g, site.host.name);
    throw new DevenvError(named(error.message), {
      ...(error.hint === undefined ? {} : { hint: named(error.hint) }),
      exitCode: error.exitCode,
      cause: error,
    });
  }
}
