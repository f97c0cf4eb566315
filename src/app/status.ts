import { findEnvContainer } from '../core/container-ops.js';
import { portMappings } from '../core/container-plan.js';
import { type LeasedGpu, leasedGpus } from '../core/gpu/leased.js';
import type { HealthProbe, HealthStatus } from '../core/health.js';
import { LABELS, sharedImageRef } from '../core/identity.js';
import { imageStatus } from '../core/image-ops.js';
import { imageOrigin } from '../core/image-origin.js';
import type { PortMapping } from '../core/published-ports.js';
import type { SlurmJob } from '../core/slurm/job.js';
import { readImageOrigin } from '../host/image-origins.js';
import type { EnvContext } from './context.js';
import { envMounts } from './env-paths.js';
import { gpuFacts, planFactsFor } from './env-plan.js';

export interface EnvStatus {
  env: string;
  envRoot: string;
  configFile: string | null;
  user: { name: string; uid: number; gid: number };
  engine: { url: string; source: string; remote: boolean };
  /** The machine the env lives on: "this machine", or the remote host's name. */
  host: string;
  /** Where its folders are on that host. */
  hostRoot: string;
  image: {
    ref: string;
    present: boolean;
    fresh: boolean | null;
    created: string | null;
    sizeBytes: number | null;
    /** Where the image came from: "built here", "pulled from REGISTRY", "copied from HOST"; null without one. */
    origin: string | null;
    /** The shared layers' image it builds on (devenv-shared:HASH), null without an image. */
    shared: string | null;
    /** What the current config builds from, and the PyTorch wheel index it installs from. */
    base: string;
    torchIndex: string | null;
  };
  container: {
    name: string;
    state: 'running' | 'stopped' | 'absent';
    created: string | null;
    gpus: string | null;
    /** The GPUs leased to the running container, by index and UUID. */
    lease: LeasedGpu[];
  };
  /** The container's healthcheck verdict; null without a container or a healthcheck. */
  health: HealthStatus | null;
  /** The last probe's exit code and output, when one ran. */
  lastProbe: HealthProbe | null;
  /** Host ports published to the container: its own when it exists, else what "ports" asks for. */
  ports: PortMapping[];
  mounts: Array<{ source: string; target: string; readonly: boolean; exists: boolean }>;
  gpus: {
    host: Array<{ index: number; name: string; memoryMiB: number | null }>;
    driver: string | null;
    cuda: string | null;
    notice: string | null;
  } | null;
  /** True for an env with a "slurm" key: it runs in a job, on the job's node. */
  onCluster: boolean;
  /** The env's Slurm job on a cluster (null elsewhere, and when it has none). */
  job: {
    id: string;
    state: string;
    reason: string | null;
    node: string | null;
    secondsLeft: number | null;
    timeLimit: string;
  } | null;
}

/** Everything `devenv status` shows, as data (`--json` prints it as it is). */
export async function collectStatus(ctx: EnvContext): Promise<EnvStatus> {
  const { site, env } = ctx;
  const live = site.job ? await site.job.current() : null;
  // On a cluster the node's engine is reached only through a running job.
  if (site.job && live?.state !== 'RUNNING') return statusWithoutNode(ctx, live);
  const engine = await site.engine();
  const { envRoot, file } = env.loaded;
  const [container, gpu] = await Promise.all([findEnvContainer(engine, env.identity), gpuFacts(env, site)]);
  const build = await planFactsFor(env, site, gpu, ctx.caches);
  const image = await imageStatus(engine, build);
  const mounts = envMounts(env).mounts;
  const sharedHash = image.image?.labels[LABELS.sharedHash];
  // Built here, its shared layers may have been pulled or copied: asked beside the folders.
  const [kinds, sharedImage] = await Promise.all([
    site.host.kinds(mounts.map((m) => m.Source)),
    image.image?.parent && sharedHash ? engine.inspectImage(sharedImageRef(sharedHash)) : null,
  ]);
  return {
    env: env.identity.envName,
    envRoot,
    configFile: file,
    user: { name: env.user.name, uid: env.user.uid, gid: env.user.gid },
    engine: {
      url: site.endpoint.url,
      source: site.endpoint.source,
      remote: site.endpoint.remote,
    },
    host: site.name,
    hostRoot: env.hostRoot,
    image: {
      ref: env.identity.imageRef,
      present: image.image !== null,
      fresh: image.image ? !image.stale : null,
      created: image.image?.created ?? null,
      sizeBytes: image.image?.size ?? null,
      origin: image.image
        ? imageOrigin(image.image, (id) => readImageOrigin(ctx.io.env, site.endpoint.url, id), sharedImage)
        : null,
      shared: sharedOf(sharedHash),
      base: build.baseImage,
      torchIndex: build.torchIndex,
    },
    container: {
      name: env.identity.containerName,
      state: container ? (container.running ? 'running' : 'stopped') : 'absent',
      created: container?.created ?? null,
      gpus: container ? (container.labels[LABELS.gpus] ?? 'none') : null,
      lease: container?.running ? leasedGpus(container.labels, gpu?.gpus.gpus ?? []) : [],
    },
    health: container?.health?.status ?? null,
    lastProbe: container?.health?.lastProbe ?? null,
    ports: container ? container.ports : portMappings(env.loaded.config),
    mounts: mounts.map((m, i) => ({
      source: m.Source,
      target: m.Target,
      readonly: m.ReadOnly,
      exists: kinds[i] !== null,
    })),
    gpus: gpu && {
      host: gpu.gpus.gpus.map((g) => ({ index: g.index, name: g.name, memoryMiB: g.memoryMiB })),
      driver: gpu.gpus.driverVersion,
      cuda: gpu.gpus.cudaVersion,
      notice: gpu.plan.notice ?? gpu.gpus.problem,
    },
    onCluster: site.job !== null,
    job: jobStatus(live),
  };
}

function sharedOf(sharedHash: string | undefined): string | null {
  return sharedHash ? sharedImageRef(sharedHash) : null;
}

function jobStatus(job: SlurmJob | null): EnvStatus['job'] {
  return (
    job && {
      id: job.id,
      state: job.state,
      reason: job.reason,
      node: job.node,
      secondsLeft: job.secondsLeft,
      timeLimit: job.timeLimit,
    }
  );
}

/** A cluster env whose job is queued or gone: what the login node knows, without the node's engine. */
async function statusWithoutNode(ctx: EnvContext, job: SlurmJob | null): Promise<EnvStatus> {
  const { site, env } = ctx;
  const build = await planFactsFor(env, site, null, ctx.caches);
  const mounts = envMounts(env).mounts;
  const kinds = await site.host.kinds(mounts.map((m) => m.Source));
  return {
    env: env.identity.envName,
    envRoot: env.loaded.envRoot,
    configFile: env.loaded.file,
    user: { name: env.user.name, uid: env.user.uid, gid: env.user.gid },
    engine: { url: site.endpoint.url, source: site.endpoint.source, remote: site.endpoint.remote },
    host: site.name,
    hostRoot: env.hostRoot,
    image: {
      ref: env.identity.imageRef,
      present: false,
      fresh: null,
      created: null,
      sizeBytes: null,
      origin: null,
      shared: null,
      base: build.baseImage,
      torchIndex: build.torchIndex,
    },
    container: { name: env.identity.containerName, state: 'absent', created: null, gpus: null, lease: [] },
    health: null,
    lastProbe: null,
    ports: portMappings(env.loaded.config),
    mounts: mounts.map((m, i) => ({
      source: m.Source,
      target: m.Target,
      readonly: m.ReadOnly,
      exists: kinds[i] !== null,
    })),
    gpus: null,
    onCluster: true,
    job: jobStatus(job),
  };
}
