import type { GpuAllocator } from '../../src/app/gpu-allocator.js';
import { type Site, siteOf } from '../../src/app/site.js';
import type { EngineGpuSupport } from '../../src/core/gpu/gpu-plan.js';
import type { Io } from '../../src/core/io.js';
import type { Reporter } from '../../src/core/ports.js';
import { type EngineEndpoint, fromUrl } from '../../src/docker/endpoint.js';
import { detectHostGpus, type HostGpuDetection } from '../../src/host/gpu.js';
import { FakeEngine } from './engine.js';
import { FakeHost } from './host.js';
import { FakeLeaseStore } from './lease-store.js';

export interface FakeSiteOptions {
  io: Pick<Io, 'env' | 'signal'>;
  ui: Reporter;
  host?: FakeHost;
  engine?: FakeEngine;
  /** Where the engine is; unix:///var/run/docker.sock for a local host, ssh://<host name> for a remote one. */
  endpoint?: EngineEndpoint;
  /** The host's GPUs as given; else the real detection (src/host/gpu.ts) over the host's nvidia-smi. */
  hostGpus?: HostGpuDetection;
  /** The engine's GPU support as given; else the real detection over the engine's info and the host. */
  engineGpuSupport?: EngineGpuSupport;
  /** Who allocates GPUs; else the real lease ledger (src/app/lease-allocator.ts) over this host and engine. */
  gpus?: GpuAllocator;
  leases?: FakeLeaseStore;
}

/** A Site whose parts are fakes the test can look at afterwards. */
export interface FakeSite extends Site {
  readonly host: FakeHost;
  readonly fakeEngine: FakeEngine;
  /** The lease ledger's memory of each env's GPUs (used by the real allocator only). */
  readonly leases: FakeLeaseStore;
  /** How many times the site was asked for its engine. */
  readonly connects: number;
}

/**
 * A Site (src/app/site.ts) built as openSite builds one, over a FakeHost and a FakeEngine: the
 * GPU probes are asked once each, and the allocator is devenv's own lease ledger unless given.
 */
export function fakeSite(options: FakeSiteOptions): FakeSite {
  const host = options.host ?? new FakeHost();
  const engine = options.engine ?? new FakeEngine();
  const leases = options.leases ?? new FakeLeaseStore();
  const endpoint =
    options.endpoint ??
    (host.remote
      ? fromUrl(`ssh://${host.name}`, '"hosts" entry')
      : fromUrl('unix:///var/run/docker.sock', 'default'));
  let connects = 0;
  const site = siteOf({
    host,
    endpoint,
    engine: async () => {
      connects += 1;
      return engine;
    },
    leases,
    io: options.io,
    ui: options.ui,
    hostGpus: () =>
      options.hostGpus
        ? Promise.resolve(options.hostGpus)
        : detectHostGpus({ env: options.io.env, host, nvidiaOnPciBus: async () => false }),
    ...(options.engineGpuSupport
      ? { engineGpuSupport: async () => options.engineGpuSupport as EngineGpuSupport }
      : {}),
    ...(options.gpus ? { gpus: options.gpus } : {}),
  });
  return {
    ...site,
    host,
    fakeEngine: engine,
    leases,
    get connects() {
      return connects;
    },
  };
}
