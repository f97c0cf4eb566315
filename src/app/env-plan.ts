import { existsSync } from 'node:fs';
import path from 'node:path';
import { type BuildPlan, type ContextFile, type PythonInstall, planBuild } from '../core/build-plan.js';
import { type ContainerCreateBody, type GpuWiring, planContainer } from '../core/container-plan.js';
import { DevenvError } from '../core/errors.js';
import { chooseBaseImage } from '../core/gpu/base-image.js';
import { type GpuPlan, planGpus } from '../core/gpu/gpu-plan.js';
import { chooseTorchIndex, torchPipArgs } from '../core/gpu/torch-index.js';
import { contentKey } from '../core/hash.js';
import type { MountPlan } from '../core/mounts.js';
import { configOwnerUid } from '../host/config-file.js';
import { readRecipe } from '../host/fs-ops.js';
import type { HostGpuDetection } from '../host/gpu.js';
import { memoizedStableHash } from '../host/hash-memo.js';
import { openPlanMemo, type PlanFacts } from '../host/plan-memo.js';
import { requirementsContext, requirementsTextContext } from '../host/python-files.js';
import { linkAgentSocket } from '../host/ssh-agent.js';
import type { EnvContext } from './context.js';
import { envMounts, repoDir, workdirFor } from './env-paths.js';

export interface HostGpuFacts {
  gpus: HostGpuDetection;
  plan: GpuPlan;
}

export interface EnvPlan {
  mounts: MountPlan;
  workdir: string;
  gpu: HostGpuFacts | null;
  build: BuildPlan;
  container: { body: ContainerCreateBody; settingsHash: string };
}

/**
 * GPUs: asks the host (nvidia-smi) and the engine only when the config may want them. With
 * `leased`, the GPUs chosen for the env (app/gpu-lease.ts) are planned instead of the config's
 * request: by UUID, or none at all.
 */
export async function gpuFacts(ctx: EnvContext, leased?: string[]): Promise<HostGpuFacts | null> {
  if (ctx.loaded.config.gpus === 'none') return null;
  const request = leased === undefined ? ctx.loaded.config.gpus : leased.length > 0 ? leased : 'none';
  const [detection, support] = await Promise.all([ctx.hostGpus(), ctx.engineGpuSupport()]);
  const plan = planGpus({
    request,
    hostGpus: detection.gpus,
    driverProblem: detection.problem,
    engine: support,
  });
  return { gpus: detection, plan };
}

/**
 * The requirements to install, as build-context files: the configured file, else the cloned
 * repo's requirements.txt when it exists. Both are on the env's host, under its root.
 */
async function requirementsFiles(ctx: EnvContext, consulted?: string[]): Promise<ContextFile[]> {
  const configured = configuredRequirements(ctx);
  const file = requirementsFile(ctx);
  if (file === null) return [];
  consulted?.push(file);
  const text = ctx.host.remote ? await ctx.host.readFile(file) : existsSync(file) ? true : null;
  if (text === null) {
    if (configured === null) return [];
    throw new DevenvError(
      `${ctx.loaded.file ?? '.devenvrc'}: "requirements" names ${file}${ctx.host.remote ? ` on ${ctx.host.name}` : ''}, which does not exist`,
      {
        hint: "fix the path, or remove the key to use the cloned repo's requirements.txt",
        code: 'config',
      },
    );
  }
  return text === true
    ? requirementsContext(file, consulted)
    : requirementsTextContext(text.toString(), `${file} on ${ctx.host.name}`);
}

function configuredRequirements(ctx: EnvContext): string | null {
  const { requirements } = ctx.loaded.config;
  return requirements ? path.resolve(ctx.hostRoot, requirements) : null;
}

/** The requirements file the build installs: the configured one, else the cloned repo's (which may not exist). */
function requirementsFile(ctx: EnvContext): string | null {
  const repo = repoDir(ctx);
  return configuredRequirements(ctx) ?? (repo ? path.join(repo, 'requirements.txt') : null);
}

export async function pythonInstall(
  ctx: EnvContext,
  gpu: HostGpuFacts | null,
  consulted?: string[],
): Promise<PythonInstall> {
  return { torch: torchInstall(ctx, gpu), files: await requirementsFiles(ctx, consulted) };
}

function torchInstall(ctx: EnvContext, gpu: HostGpuFacts | null): PythonInstall['torch'] {
  const { config } = ctx.loaded;
  const wired = gpu?.plan.kind === 'gpu';
  const index = wired
    ? chooseTorchIndex({
        cudaVersion: gpu.gpus.cudaVersion,
        driverVersion: gpu.gpus.driverVersion,
        computeCaps: gpu.gpus.gpus.map((g) => g.computeCap).filter((c): c is string => c !== null),
      }).index
    : 'cpu';
  return config.torch === 'none' ? null : torchPipArgs(config.torch, index);
}

export function baseImageFor(ctx: EnvContext, gpu: HostGpuFacts | null): string {
  const { baseImage } = ctx.loaded.config;
  if (baseImage !== 'auto') return baseImage;
  return chooseBaseImage({ gpusWired: gpu?.plan.kind === 'gpu', cudaVersion: gpu?.gpus.cudaVersion ?? null })
    .image;
}

/** The build plan; every file and folder it reads on this machine goes to `consulted`. */
export async function buildPlanFor(
  ctx: EnvContext,
  gpu: HostGpuFacts | null,
  consulted?: string[],
): Promise<BuildPlan> {
  const { build } = ctx.io;
  return planBuild({
    identity: ctx.identity,
    config: ctx.loaded.config,
    user: ctx.containerUser,
    baseImage: baseImageFor(ctx, gpu),
    recipe: readRecipe(consulted),
    python: await pythonInstall(ctx, gpu, consulted),
    hash: build ? memoizedStableHash(build.cacheDir, build.key, configOwnerUid(ctx.io.env)) : undefined,
  });
}

/**
 * What status, ls and doctor show of the build plan. From the bundle, on this machine, it is
 * remembered by what the plan read (host/plan-memo.ts): the recipe and the requirements are read
 * and hashed again only when one of their files changed (~1.5 ms of every status).
 */
export async function planFactsFor(ctx: EnvContext, gpu: HostGpuFacts | null): Promise<PlanFacts> {
  const { build } = ctx.io;
  const memo =
    build && !ctx.host.remote ? openPlanMemo(build.cacheDir, build.key, configOwnerUid(ctx.io.env)) : null;
  const baseImage = baseImageFor(ctx, gpu);
  const key = contentKey({
    imageRef: ctx.identity.imageRef,
    config: ctx.loaded.config,
    user: ctx.containerUser,
    baseImage,
    torch: torchInstall(ctx, gpu),
    requirements: requirementsFile(ctx),
  });
  const known = memo?.lookup(key);
  if (known) return known;
  const consulted: string[] = [];
  const plan = await buildPlanFor(ctx, gpu, consulted);
  const facts: PlanFacts = {
    imageRef: plan.imageRef,
    hash: plan.hash,
    baseImage: plan.baseImage,
    torchIndex: plan.buildArgs.TORCH_PACKAGES ? plan.buildArgs.TORCH_INDEX_URL || null : null,
  };
  memo?.store(key, consulted, facts);
  return facts;
}

export async function planEnv(ctx: EnvContext, leased?: string[]): Promise<EnvPlan> {
  const { config } = ctx.loaded;
  const mounts = envMounts(ctx);
  const gpu = await gpuFacts(ctx, leased);
  if (gpu?.plan.error)
    throw new DevenvError(gpu.plan.error.message, { hint: gpu.plan.error.hint, code: 'gpu' });
  const build = await buildPlanFor(ctx, gpu);
  const wiring: GpuWiring = gpu
    ? { deviceRequests: gpu.plan.deviceRequests, runtime: gpu.plan.runtime, lease: leased ?? [] }
    : { deviceRequests: [], runtime: null, lease: [] };
  const workdir = workdirFor(ctx);
  const container = planContainer({
    identity: ctx.identity,
    config,
    user: ctx.containerUser,
    mounts: mounts.mounts,
    buildHash: build.hash,
    workdir,
    gpu: wiring,
    sshAgentDir: agentDir(ctx),
  });
  return { mounts, workdir, gpu, build, container };
}

/** The agent folder to mount when sshAgent is on; says once why forwarding is off otherwise. */
function agentDir(ctx: EnvContext): string | null {
  if (!ctx.loaded.config.sshAgent) return null;
  if (ctx.host.remote) {
    ctx.ui.warn(
      `sshAgent: devenv does not forward your agent into an env on ${ctx.host.name} (it would last only as long as one SSH session); use \`ssh -A\` to ${ctx.host.name} and a key there`,
    );
    return null;
  }
  const link = linkAgentSocket(ctx.io.env, ctx.user.uid);
  if ('problem' in link) {
    ctx.ui.warn(link.problem);
    return null;
  }
  return link.dir;
}
