import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerState } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import {
  chooseGpus,
  type GpuChoice,
  type GpuProcess,
  type GpuSlot,
  gpuSlots,
  type Lease,
  type LeaseRequest,
  leaseFromContainer,
  leaseRequestOf,
  raceOutcome,
} from '../core/gpu/lease.js';
import { dockerSafe, LABELS, MANAGED_BY } from '../core/identity.js';
import type { Progress } from '../core/ports.js';
import { stateDir } from '../host/fs-ops.js';
import type { EnvContext, HostContext } from './context.js';
import { sleep } from './sleep.js';

/** The server's GPUs right now: each with who holds it, from the engine's container list (the ledger). */
export interface GpuLedger {
  slots: GpuSlot[];
  /** Every compute process on the GPUs, with the devenv container it runs in (or null). */
  processes: GpuProcess[];
}

/** Reads the ledger (one engine request) and the GPUs' live usage and processes (nvidia-smi). */
export async function readGpuLedger(host: HostContext, self: string | null): Promise<GpuLedger> {
  // All at once: the nvidia-smi processes run while the engine client loads and asks.
  const [detection, live, containers] = await Promise.all([
    host.hostGpus(),
    import('../host/gpu.js').then(({ readGpuUsage }) => readGpuUsage(host.host)),
    host.engine().then((engine) => engine.listContainers([`${LABELS.managedBy}=${MANAGED_BY}`])),
  ]);
  const leases = leasesOf(containers);
  const { containerOfPid } = await import('../host/proc.js');
  const nameById = new Map(containers.map((c) => [c.id, c.name]));
  const processes: GpuProcess[] = await Promise.all(
    live.processes.map(async (p) => {
      const id = await containerOfPid(host.host, p.pid);
      return { ...p, container: id === null ? null : (nameById.get(id) ?? null) };
    }),
  );
  const slots = gpuSlots({ gpus: detection.gpus, usage: live.usage, processes, leases, self });
  return { slots, processes };
}

function leasesOf(containers: ContainerState[], now = new Date()): Lease[] {
  return containers.map((c) => leaseFromContainer(c, now)).filter((l): l is Lease => l !== null);
}

/** Picks the env's GPUs, or throws exit 8 saying how many are free and who holds the others. */
function chooseOrFail(
  request: LeaseRequest,
  slots: GpuSlot[],
  previous: string[],
  exclude: string[],
): GpuChoiceMade {
  const choice = chooseGpus({ request, slots, previous, exclude });
  if (!choice.ok) throw new NotEnoughGpus(choice.message, choice.hint, choice.canWait);
  return choice;
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

/** The GPUs the env held last time, kept by the user (a stopped env has no container to say it). */
export function previousLease(ctx: EnvContext): string[] {
  try {
    const uuids = JSON.parse(readFileSync(leaseFile(ctx), 'utf8')) as unknown;
    return Array.isArray(uuids) ? uuids.filter((u): u is string => typeof u === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberLease(ctx: EnvContext, uuids: string[]): void {
  const file = leaseFile(ctx);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(uuids)}\n`);
}

/** Kept per host: the same env on two servers holds two servers' GPUs. */
function leaseFile(ctx: EnvContext): string {
  const leases = path.join(stateDir(ctx.io.env), 'leases');
  const file = `${ctx.identity.containerName}.json`;
  return ctx.host.remote ? path.join(leases, dockerSafe(ctx.host.name), file) : path.join(leases, file);
}

/** A lease that lost a race: another env leased some of the same GPUs first. */
export class LostRace extends Error {
  constructor(readonly taken: string[]) {
    super(`GPUs ${taken.join(', ')} were leased by another env at the same moment`);
    this.name = 'LostRace';
  }
}

/**
 * The GPUs for the env: the config's request against the ledger. Null when nothing is leased
 * (no GPUs wanted, none on the host, or the engine cannot give them: planning says why).
 * With `waitMs`, waits for enough GPUs to free up, saying what it waits for.
 */
export async function leaseGpus(
  ctx: EnvContext,
  options: { waitMs: number | null; exclude: string[] },
): Promise<GpuChoiceMade | null> {
  const request = leaseRequestOf(ctx.loaded.config.gpus);
  if (request.kind === 'none') return null;
  const { gpuFacts } = await import('./env-plan.js');
  const facts = await gpuFacts(ctx);
  if (facts?.plan.kind !== 'gpu') return null;
  const pick = async () => {
    const ledger = await readGpuLedger(ctx, ctx.identity.containerName);
    return chooseOrFail(request, ledger.slots, previousLease(ctx), options.exclude);
  };
  if (options.waitMs === null) return pick();
  const deadline = Date.now() + options.waitMs;
  let progress: Progress | null = null;
  for (;;) {
    try {
      const choice = await pick();
      progress?.succeed(`the GPUs are free: ${choice.explanation}`);
      return choice;
    } catch (error) {
      if (!(error instanceof NotEnoughGpus) || !error.canWait || Date.now() >= deadline) {
        progress?.fail();
        throw error;
      }
      const text = `waiting for GPUs: ${error.message}`;
      if (progress) progress.update(text);
      else progress = ctx.ui.progress(text);
      await sleep(Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now())), ctx.io.signal);
    }
  }
}

export type GpuChoiceMade = Extract<GpuChoice, { ok: true }>;

const WAIT_POLL_MS = 2_000;

/**
 * Between create and start: re-reads the ledger until the race over these GPUs is decided (see
 * raceOutcome). Returns when this lease won; throws LostRace when one that came first holds any
 * of them, so the caller removes its container and picks again.
 */
export async function checkLeaseRace(ctx: EnvContext, containerId: string, uuids: string[]): Promise<void> {
  const engine = await ctx.engine();
  const deadline = Date.now() + RACE_DECISION_MS;
  for (;;) {
    const leases = leasesOf(await engine.listContainers([`${LABELS.managedBy}=${MANAGED_BY}`]));
    const mine: Lease = leases.find((l) => l.containerId === containerId) ?? {
      // A stopped container about to start again: its lease starts now.
      containerId,
      container: ctx.identity.containerName,
      user: ctx.user.name,
      env: ctx.identity.envName,
      uuids,
      since: new Date().toISOString(),
      pending: true,
    };
    const race = raceOutcome(mine, leases);
    if (race.outcome === 'won') return;
    if (race.outcome === 'lost' || Date.now() >= deadline)
      throw new LostRace(
        uuids.filter((u) => leases.some((l) => l.containerId !== containerId && l.uuids.includes(u))),
      );
    await sleep(RACE_POLL_MS, ctx.io.signal);
  }
}

/** A rival start decides within one ledger read of its own; waiting longer means it died half way. */
const RACE_DECISION_MS = 30_000;
const RACE_POLL_MS = 150;
