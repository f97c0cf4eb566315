import { LEASE_LABEL } from './lease.js';
import type { HostGpu } from './nvidia-smi-parse.js';

export interface LeasedGpu {
  /** The GPU's index on the host, or null when the host does not list it (any more). */
  index: number | null;
  uuid: string;
}

/** The GPUs a container's lease label names, with their host indexes: for status and ls. */
export function leasedGpus(labels: Record<string, string>, hostGpus: HostGpu[]): LeasedGpu[] {
  const uuids = (labels[LEASE_LABEL] ?? '').split(',').filter((u) => u !== '');
  return uuids.map((uuid) => ({ uuid, index: hostGpus.find((g) => g.uuid === uuid)?.index ?? null }));
}

/** "4,5" (or the UUIDs the host does not list), "-" for none. */
export function describeLeased(gpus: LeasedGpu[]): string {
  return gpus.length === 0 ? '-' : gpus.map((g) => (g.index === null ? g.uuid : String(g.index))).join(',');
}
