import type { Env } from '../../src/app/env.js';
import {
  type GpuAllocation,
  type GpuAllocator,
  type GpuLedger,
  type GpuRoom,
  LostRace,
} from '../../src/app/gpu-allocator.js';
import { DevenvError } from '../../src/core/errors.js';
import { chooseGpus, type GpuSlot, type Lease, type LeaseRequest } from '../../src/core/gpu/lease.js';
import type { HostGpu } from '../../src/core/gpu/nvidia-smi-parse.js';

/**
 * A GpuAllocator (src/app/gpu-allocator.ts) with scripted outcomes, for orchestration tests that
 * are about what the caller does with an answer: GPUs another env holds (`holdFor`), races lost at
 * confirm (`loseRaces`), every call recorded. The choice itself is core's chooseGpus over those
 * GPUs, so refusals carry the real messages (exit 8).
 */
export class FakeAllocator implements GpuAllocator {
  /** Every allocate, with what it was asked. */
  readonly allocations: Array<{ request: LeaseRequest; waitMs: number | null; exclude: string[] }> = [];
  readonly confirms: Array<{ containerId: string; uuids: string[] }> = [];
  /** What remember kept, by container name. */
  readonly remembered = new Map<string, string[]>();
  private readonly holders = new Map<string, Lease>();
  private racesToLose = 0;

  constructor(readonly gpus: HostGpu[]) {}

  /** Another env holds these GPUs now. */
  holdFor(holder: string, uuids: string[]): this {
    for (const uuid of uuids)
      this.holders.set(uuid, {
        containerId: `rival-${holder}`,
        container: `devenv-${holder}`,
        user: holder,
        env: holder,
        uuids,
        since: '2026-12-01T09:00:00.000Z',
        pending: false,
      });
    return this;
  }

  /** The next `count` confirms lose their race: another env got those GPUs a moment earlier, and holds them from then on. */
  loseRaces(count: number): this {
    this.racesToLose = count;
    return this;
  }

  async allocate(
    env: Env,
    request: LeaseRequest,
    options: { waitMs: number | null; exclude: string[] },
  ): Promise<GpuAllocation> {
    this.allocations.push({ request, waitMs: options.waitMs, exclude: [...options.exclude] });
    const choice = chooseGpus({
      request,
      slots: this.slots(),
      previous: this.remembered.get(env.identity.containerName) ?? [],
      exclude: options.exclude,
    });
    if (!choice.ok) throw new DevenvError(choice.message, { hint: choice.hint, code: 'gpu' });
    return choice;
  }

  async confirm(_env: Env, containerId: string, uuids: string[]): Promise<void> {
    this.confirms.push({ containerId, uuids: [...uuids] });
    if (this.racesToLose <= 0) return;
    this.racesToLose -= 1;
    this.holdFor(`rival${this.confirms.length}`, uuids);
    throw new LostRace(uuids);
  }

  remember(env: Env, uuids: string[]): void {
    this.remembered.set(env.identity.containerName, [...uuids]);
  }

  async room(env: Env, request: LeaseRequest): Promise<GpuRoom> {
    const slots = this.slots();
    return {
      slots,
      choice: chooseGpus({ request, slots, previous: this.remembered.get(env.identity.containerName) ?? [] }),
    };
  }

  async ledger(_self: string | null): Promise<GpuLedger> {
    return { slots: this.slots(), processes: [] };
  }

  private slots(): GpuSlot[] {
    return this.gpus.map((gpu) => ({
      gpu,
      usage: null,
      heldBy: (gpu.uuid && this.holders.get(gpu.uuid)) || null,
      foreign: [],
      busy: null,
    }));
  }
}
