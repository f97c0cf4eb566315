import type { GpuChoice, GpuProcess, GpuSlot, LeaseRequest } from '../core/gpu/lease.js';
import type { Env } from './env.js';

/** GPUs given to an env: which, and the line that says so. */
export type GpuAllocation = Extract<GpuChoice, { ok: true }>;

/** A site's GPUs right now: each with who holds it, and every compute process on them. */
export interface GpuLedger {
  slots: GpuSlot[];
  /** Every compute process on the GPUs, with the devenv container it runs in (or null). */
  processes: GpuProcess[];
}

/** How a site's GPUs stand for one env's request now: for placement among hosts, and doctor. */
export interface GpuRoom {
  slots: GpuSlot[];
  choice: GpuChoice;
}

/**
 * Who hands out a site's GPUs to its envs. On a server that is devenv's own lease ledger
 * (app/lease-allocator.ts); on a cluster it is the scheduler's job for the env.
 */
export interface GpuAllocator {
  /**
   * The GPUs for `request` (never "none"), leaving out `exclude`. Fails with exit 8 saying who holds
   * the others; with `waitMs`, waits that long for enough of them to be free, saying what it waits for.
   */
  allocate(
    env: Env,
    request: LeaseRequest,
    options: { waitMs: number | null; exclude: string[] },
  ): Promise<GpuAllocation>;
  /**
   * Between create and start of the container that will hold `uuids`: returns when the allocation
   * stands, throws LostRace when another env took some of them first.
   */
  confirm(env: Env, containerId: string, uuids: string[]): Promise<void>;
  /** After the container started with them: the env prefers these GPUs next time. */
  remember(env: Env, uuids: string[]): void;
  room(env: Env, request: LeaseRequest): Promise<GpuRoom>;
  /** Every GPU and who holds it; `self` (a container name) counts as holding nothing. */
  ledger(self: string | null): Promise<GpuLedger>;
}

/** An allocation that lost a race: another env got some of the same GPUs first. */
export class LostRace extends Error {
  constructor(readonly taken: string[]) {
    super(`GPUs ${taken.join(', ')} were leased by another env at the same moment`);
    this.name = 'LostRace';
  }
}
