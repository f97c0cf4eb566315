import { sameGpu } from '../core/gpu/uuid.js';
import type { Site } from './site.js';

/** One GPU of the server, as `devenv gpus --json` prints it. */
export interface GpuMapEntry {
  index: number;
  uuid: string | null;
  name: string;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  utilizationPct: number | null;
  heldBy: { user: string; env: string; container: string; since: string } | null;
  /** Why it counts as busy outside devenv (a process, memory in use), or null. */
  busy: string | null;
  processes: Array<{ pid: number; usedMemoryMiB: number | null; container: string | null }>;
}

export interface GpuMap {
  gpus: GpuMapEntry[];
  driver: string | null;
  cuda: string | null;
  /** Why the host's GPUs cannot be read (no driver, nvidia-smi failing), or null. */
  problem: string | null;
}

/** The server's GPU map: every GPU, who holds it, and what runs on it. */
export async function collectGpuMap(site: Pick<Site, 'hostGpus' | 'gpus'>): Promise<GpuMap> {
  const [detection, ledger] = await Promise.all([site.hostGpus(), site.gpus.ledger(null)]);
  return {
    gpus: ledger.slots.map((slot) => ({
      index: slot.gpu.index,
      uuid: slot.gpu.uuid,
      name: slot.gpu.name,
      memoryUsedMiB: slot.usage?.memoryUsedMiB ?? null,
      memoryTotalMiB: slot.gpu.memoryMiB,
      utilizationPct: slot.usage?.utilizationPct ?? null,
      heldBy: slot.heldBy && {
        user: slot.heldBy.user,
        env: slot.heldBy.env,
        container: slot.heldBy.container,
        since: slot.heldBy.since,
      },
      busy: slot.busy,
      processes: ledger.processes
        .filter((p) => slot.gpu.uuid !== null && sameGpu(p.gpuUuid, slot.gpu.uuid))
        .map((p) => ({ pid: p.pid, usedMemoryMiB: p.usedMemoryMiB, container: p.container })),
    })),
    driver: detection.driverVersion,
    cuda: detection.cudaVersion,
    problem: detection.problem,
  };
}
