import type { ContainerState, Engine } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import {
  chooseGpus,
  type GpuProcess,
  gpuSlots,
  type Lease,
  type LeaseRequest,
  leaseFromContainer,
  raceOutcome,
} from '../core/gpu/lease.js';
import { includesGpu } from '../core/gpu/uuid.js';
import type { Host } from '../core/host.js';
import { LABELS, MANAGED_BY } from '../core/identity.js';
import type { Progress, Reporter } from '../core/ports.js';
import { type HostGpuDetection, readGpuUsage } from '../host/gpu.js';
import type { LeaseStore } from '../host/lease-store.js';
import { containerOfPid } from '../host/proc.js';
import type { Env } from './env.js';
import type { GpuAllocation, GpuAllocator, GpuLedger } from './gpu-allocator.js';
import { LostRace } from './gpu-allocator.js';
import { sleep } from './sleep.js';

export interface LeaseSite {
  host: Host;
  engine(): Promise<Engine>;
  hostGpus(): Promise<HostGpuDetection>;
}

/**
 * devenv's own GPU allocator for a server without a scheduler: the ledger is the engine's list
 * of devenv containers, each labelled with the GPUs it leased, beside nvidia-smi's view of what
 * else runs on them. Two starts racing for the same GPUs settle it between create and start.
 */
export function leaseAllocator(
  site: LeaseSite,
  store: LeaseStore,
  context: { ui: Reporter; signal: AbortSignal },
  clock: { now(): number } = Date,
): GpuAllocator {
  const ledger = async (self: string | null): Promise<GpuLedger> => {
    // All at once: the nvidia-smi processes run while the engine client loads and asks.
    const [detection, live, containers] = await Promise.all([
      site.hostGpus(),
      readGpuUsage(site.host),
      site.engine().then((engine) => engine.listContainers([`${LABELS.managedBy}=${MANAGED_BY}`])),
    ]);
    const leases = leasesOf(containers, new Date(clock.now()));
    const nameById = new Map(containers.map((c) => [c.id, c.name]));
    const processes: GpuProcess[] = await Promise.all(
      live.processes.map(async (p) => {
        const id = await containerOfPid(site.host, p.pid);
        return { ...p, container: id === null ? null : (nameById.get(id) ?? null) };
      }),
    );
    const slots = gpuSlots({ gpus: detection.gpus, usage: live.usage, processes, leases, self });
    return { slots, processes };
  };

  const pick = async (env: Env, request: LeaseRequest, exclude: string[]): Promise<GpuAllocation> => {
    const { slots } = await ledger(env.identity.containerName);
    const choice = chooseGpus({ request, slots, previous: store.read(env.identity.containerName), exclude });
    if (!choice.ok) throw new NotEnoughGpus(choice.message, choice.hint, choice.canWait);
    return choice;
  };

  return {
    ledger,
    async allocate(env, request, options) {
      if (options.waitMs === null) return pick(env, request, options.exclude);
      const deadline = clock.now() + options.waitMs;
      let progress: Progress | null = null;
      for (;;) {
        try {
          const choice = await pick(env, request, options.exclude);
          progress?.succeed(`the GPUs are free: ${choice.explanation}`);
          return choice;
        } catch (error) {
          if (!(error instanceof NotEnoughGpus) || !error.canWait || clock.now() >= deadline) {
            progress?.fail();
            throw error;
          }
          const text = `waiting for GPUs: ${error.message}`;
          if (progress) progress.update(text);
          else progress = context.ui.progress(text);
          await sleep(Math.min(WAIT_POLL_MS, Math.max(0, deadline - clock.now())), context.signal);
        }
      }
    },
    async confirm(env, containerId, uuids) {
      const engine = await site.engine();
      const deadline = clock.now() + RACE_DECISION_MS;
      for (;;) {
        const leases = leasesOf(
          await engine.listContainers([`${LABELS.managedBy}=${MANAGED_BY}`]),
          new Date(clock.now()),
        );
        const mine: Lease = leases.find((l) => l.containerId === containerId) ?? {
          // A stopped container about to start again: its lease starts now.
          containerId,
          container: env.identity.containerName,
          user: env.user.name,
          env: env.identity.envName,
          uuids,
          since: new Date(clock.now()).toISOString(),
          pending: true,
        };
        const race = raceOutcome(mine, leases);
        if (race.outcome === 'won') return;
        if (race.outcome === 'lost' || clock.now() >= deadline)
          throw new LostRace(
            uuids.filter((u) => leases.some((l) => l.containerId !== containerId && includesGpu(l.uuids, u))),
          );
        await sleep(RACE_POLL_MS, context.signal);
      }
    },
    remember(env, uuids) {
      store.write(env.identity.containerName, uuids);
    },
    async room(env, request) {
      const { slots } = await ledger(env.identity.containerName);
      return {
        slots,
        choice: chooseGpus({ request, slots, previous: store.read(env.identity.containerName) }),
      };
    },
  };
}

function leasesOf(containers: ContainerState[], now: Date): Lease[] {
  return containers.map((c) => leaseFromContainer(c, now)).filter((l): l is Lease => l !== null);
}

class NotEnoughGpus extends DevenvError {
  constructor(
    message: string,
    hint: string,
    /** False when waiting cannot help (the host has too few GPUs, an unknown id). */
    readonly canWait: boolean,
  ) {
    super(message, { hint, code: 'gpu' });
    this.name = 'NotEnoughGpus';
  }
}

const WAIT_POLL_MS = 2_000;

/** A rival start decides within one ledger read of its own; waiting longer means it died half way. */
const RACE_DECISION_MS = 30_000;
const RACE_POLL_MS = 150;
