import path from 'node:path';
import { type BuildPlan, type ContextFile, type PythonInstall, planBuild } from '../core/build-plan.js';
import { type ContainerCreateBody, type GpuWiring, planContainer } from '../core/container-plan.js';
import { DevenvError } from '../core/errors.js';
import { chooseBaseImage } from '../core/gpu/base-image.js';
import { type GpuPlan, planGpus } from '../core/gpu/gpu-plan.js';
import { chooseTorchIndex, torchPipArgs } from '../core/gpu/torch-index.js';
import { contentKey } from '../core/hash.js';
import { onHost } from '../core/host.js';
import type { MountPlan } from '../core/mounts.js';
import type { Reporter } from '../core/ports.js';
import type { Caches } from '../host/caches.js';
import { readRecipe } from '../host/fs-ops.js';
import type { HostGpuDetection } from '../host/gpu.js';
import type { PlanFacts } from '../host/plan-memo.js';
import type { Env } from './env.js';
import { envMounts, repoDir, workdirFor } from './env-paths.js';
import type { Site } from './site.js';

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

/** What planning reads of the site: its host's files and GPUs, and the engine's GPU support. */
export type PlanSite = Pick<Site, 'host' | 'hostGpus' | 'engineGpuSupport'> & Partial<Pick<Site, 'job'>>;

/**
 * GPUs: asks the host (nvidia-smi) and the engine only when the config may want them. With
 * `allocated`, the GPUs the site's allocator gave the env are planned instead of the config's
 * request: by UUID, or none at all.
 */
export async function gpuFacts(env: Env, site: PlanSite, allocated?: string[]): Promise<HostGpuFacts | null> {
  if (env.loaded.config.gpus === 'none') return null;
  const request =
    allocated === undefined ? env.loaded.config.gpus : allocated.length > 0 ? allocated : 'none';
  const [detection, support] = await Promise.all([site.hostGpus(), site.engineGpuSupport()]);
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
async function requirementsFiles(env: Env, site: PlanSite): Promise<ContextFile[]> {
  const configured = configuredRequirements(env);
  const file = requirementsFile(env);
  if (file === null) return [];
  const files = await site.host.requirementsContext(file);
  if (files !== null) return files;
  if (configured === null) return [];
  throw new DevenvError(
    `${env.loaded.file ?? '.devenvrc'}: "requirements" names ${file}${onHost(site.host)}, which does not exist`,
    {
      hint: "fix the path, or remove the key to use the cloned repo's requirements.txt",
      code: 'config',
    },
  );
}

function configuredRequirements(env: Env): string | null {
  const { requirements } = env.loaded.config;
  return requirements ? path.resolve(env.hostRoot, requirements) : null;
}

/** The requirements file the build installs: the configured one, else the cloned repo's (which may not exist). */
function requirementsFile(env: Env): string | null {
  const repo = repoDir(env);
  return configuredRequirements(env) ?? (repo ? path.join(repo, 'requirements.txt') : null);
}

function torchInstall(env: Env, gpu: HostGpuFacts | null): PythonInstall['torch'] {
  const { config } = env.loaded;
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

function baseImageFor(env: Env, gpu: HostGpuFacts | null): string {
  const { baseImage } = env.loaded.config;
  if (baseImage !== 'auto') return baseImage;
  return chooseBaseImage({ gpusWired: gpu?.plan.kind === 'gpu', cudaVersion: gpu?.gpus.cudaVersion ?? null })
    .image;
}

async function buildPlanFor(
  env: Env,
  site: PlanSite,
  gpu: HostGpuFacts | null,
  caches: Pick<Caches, 'stableHash'>,
): Promise<BuildPlan> {
  return planBuild({
    identity: env.identity,
    config: env.loaded.config,
    user: env.containerUser,
    baseImage: baseImageFor(env, gpu),
    recipe: readRecipe(),
    python: { torch: torchInstall(env, gpu), files: await requirementsFiles(env, site) },
    hash: caches.stableHash,
  });
}

/** What status, ls and doctor show of the build plan: its image, hash, base and PyTorch index. */
export async function planFactsFor(
  env: Env,
  site: PlanSite,
  gpu: HostGpuFacts | null,
  caches: Pick<Caches, 'stableHash' | 'planFacts'>,
): Promise<PlanFacts> {
  const key = contentKey({
    imageRef: env.identity.imageRef,
    config: env.loaded.config,
    user: env.containerUser,
    baseImage: baseImageFor(env, gpu),
    torch: torchInstall(env, gpu),
    requirements: requirementsFile(env),
  });
  return caches.planFacts(key, async () => {
    const plan = await buildPlanFor(env, site, gpu, caches);
    return {
      imageRef: plan.imageRef,
      hash: plan.hash,
      baseImage: plan.baseImage,
      torchIndex: plan.shared.buildArgs.TORCH_PACKAGES ? plan.shared.buildArgs.TORCH_INDEX_URL || null : null,
    };
  });
}

/** The whole plan of an env: its folders, GPUs (the allocated ones), image and container. */
export async function planEnv(
  env: Env,
  site: PlanSite,
  allocated: string[] | undefined,
  context: { ui: Reporter; caches: Pick<Caches, 'stableHash'> },
): Promise<EnvPlan> {
  const { config } = env.loaded;
  const mounts = envMounts(env);
  const gpu = await gpuFacts(env, site, allocated);
  if (gpu?.plan.error)
    throw new DevenvError(gpu.plan.error.message, { hint: gpu.plan.error.hint, code: 'gpu' });
  const build = await buildPlanFor(env, site, gpu, context.caches);
  const wiring: GpuWiring = gpu
    ? { deviceRequests: gpu.plan.deviceRequests, runtime: gpu.plan.runtime, lease: allocated ?? [] }
    : { deviceRequests: [], runtime: null, lease: [] };
  const workdir = workdirFor(env);
  const limits = (await site.job?.limits()) ?? null;
  const container = planContainer({
    identity: env.identity,
    config,
    user: env.containerUser,
    mounts: mounts.mounts,
    buildHash: build.hash,
    configHash: env.configHash,
    workdir,
    gpu: wiring,
    sshAgentDir: agentDir(env, site, context.ui),
    limits,
  });
  return { mounts, workdir, gpu, build, container };
}

/** The agent folder to mount when sshAgent is on; says once why forwarding is off otherwise. */
function agentDir(env: Env, site: PlanSite, ui: Reporter): string | null {
  if (!env.loaded.config.sshAgent) return null;
  const link = site.host.agentLink();
  if ('problem' in link) {
    ui.warn(link.problem);
    return null;
  }
  return link.dir;
}
