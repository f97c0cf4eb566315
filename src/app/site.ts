import type { Engine } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import type { EngineGpuSupport } from '../core/gpu/gpu-plan.js';
import type { Host } from '../core/host.js';
import type { Io } from '../core/io.js';
import type { Reporter } from '../core/ports.js';
import { describeEndpoint, type EngineEndpoint } from '../docker/endpoint.js';
import type { Caches } from '../host/caches.js';
import { detectEngineGpuSupport, detectHostGpus, type HostGpuDetection } from '../host/gpu.js';
import { type LeaseStore, openLeaseStore } from '../host/lease-store.js';
import { localHost } from '../host/local-host.js';
import type { GpuAllocator } from './gpu-allocator.js';
import { leaseAllocator } from './lease-allocator.js';
import type { SiteJob } from './site-job.js';

/**
 * Where an env runs, as one thing: the machine (its folders, clone, nvidia-smi), the engine on
 * it, and who allocates its GPUs. This machine or a server over SSH with devenv's lease ledger
 * today; a scheduler's node with the scheduler's allocation is another site.
 */
export interface Site {
  /** How messages name it: "this machine", or the context name / user@host of a remote one. */
  readonly name: string;
  readonly host: Host;
  readonly endpoint: EngineEndpoint;
  /** Connected on first use: commands that never talk to the engine never load dockerode. */
  engine(): Promise<Engine>;
  /** The host's GPUs (nvidia-smi), asked once per command. */
  hostGpus(): Promise<HostGpuDetection>;
  /** What the engine offers for GPUs (`docker info`, the NVIDIA hook, CDI specs), asked once per command. */
  engineGpuSupport(): Promise<EngineGpuSupport>;
  readonly gpus: GpuAllocator;
  /** The env's job on a scheduler's site (app/slurm-site.ts); null on a server. */
  readonly job: SiteJob | null;
}

/**
 * The site of the engine at `endpoint`: this machine for a local engine, the engine's host over
 * SSH for an ssh:// one. A tcp:// engine on another machine is refused: devenv has no way to make
 * folders, clone or run nvidia-smi there.
 */
export async function openSite(
  io: Io,
  ui: Reporter,
  endpoint: EngineEndpoint,
  caches: Caches,
): Promise<Site> {
  const host = await openHost(io.env, endpoint);
  let engine: Promise<Engine> | undefined;
  return siteOf({
    host,
    endpoint,
    engine: () => {
      engine ??= import('../docker/engine.js').then(({ connectEngine }) =>
        connectEngine(endpoint, io.env).then((connected) => caches.engine(connected)),
      );
      return engine;
    },
    leases: openLeaseStore(io.env, host.remote ? host.name : null),
    io,
    ui,
  });
}

/**
 * A site from its parts. Its GPU probes are asked once each (nvidia-smi on its host and the
 * engine's GPU support, unless given), and its allocator is devenv's lease ledger unless given.
 */
export function siteOf(parts: {
  host: Host;
  endpoint: EngineEndpoint;
  engine(): Promise<Engine>;
  leases: LeaseStore;
  io: Pick<Io, 'env' | 'signal'>;
  ui: Reporter;
  hostGpus?: () => Promise<HostGpuDetection>;
  engineGpuSupport?: () => Promise<EngineGpuSupport>;
  gpus?: GpuAllocator;
}): Site {
  const { host, engine } = parts;
  let gpus: Promise<HostGpuDetection> | undefined;
  let support: Promise<EngineGpuSupport> | undefined;
  const hostGpus = () => {
    gpus ??= parts.hostGpus?.() ?? detectHostGpus({ env: parts.io.env, host });
    return gpus;
  };
  return {
    name: host.name,
    host,
    endpoint: parts.endpoint,
    engine,
    hostGpus,
    engineGpuSupport: () => {
      support ??=
        parts.engineGpuSupport?.() ??
        engine()
          .then((e) => e.info())
          .then((info) =>
            detectEngineGpuSupport({ Runtimes: info.runtimes, CDISpecDirs: info.cdiSpecDirs }, host),
          );
      return support;
    },
    gpus:
      parts.gpus ??
      leaseAllocator({ host, engine, hostGpus }, parts.leases, { ui: parts.ui, signal: parts.io.signal }),
    job: null,
  };
}

async function openHost(env: NodeJS.ProcessEnv, endpoint: EngineEndpoint): Promise<Host> {
  if (endpoint.ssh) {
    const { openSshHost } = await import('../host/ssh-host.js');
    return openSshHost(endpoint.ssh, endpoint.hostName, env);
  }
  if (endpoint.remote)
    throw new DevenvError(
      `devenv cannot use the engine at ${describeEndpoint(endpoint)}: it reaches an engine's host only over SSH, to make the env's folders, clone and read its GPUs there`,
      {
        hint: `use ssh://USER@${endpoint.hostName.replace(/:\d+$/, '')} instead (e.g. \`docker context create NAME --docker host=ssh://USER@${endpoint.hostName.replace(/:\d+$/, '')}\`)`,
        code: 'engine',
      },
    );
  return localHost(env);
}
