import { LABELS } from '../identity.js';
import type { HostGpu } from './nvidia-smi-parse.js';
import { sameGpu } from './uuid.js';

export interface LeasedGpu {
  /** The GPU's index on the host, or null when the host does not list it (any more). */
  index: number | null;
  uuid: string;
}

/** The GPUs a container's lease label names, with their host indexes: for status and ls. */
export function leasedGpus(labels: Record<string, string>, hostGpus: HostGpu[]): LeasedGpu[] {
  return leaseUuids(labels).map((uuid) => ({
    uuid,
    index: hostGpus.find((g) => g.uuid !== null && sameGpu(g.uuid, uuid))?.index ?? null,
  }));
}

/** "4,5" (or the UUIDs the host does not list), "-" for none. */
export function describeLeased(gpus: LeasedGpu[]): string {
  return gpus.length === 0 ? '-' : gpus.map((g) => (g.index === null ? g.uuid : String(g.index))).join(',');
}

/** The labels that record a lease of `uuids` on the container that holds it. */
export function leaseLabels(uuids: string[]): Record<string, string> {
  return uuids.length === 0 ? {} : { [LABELS.gpuLease]: uuids.join(',') };
}

/** The UUIDs a container's labels lease; none without the label. */
export function leaseUuids(labels: Record<string, string>): string[] {
  return (labels[LABELS.gpuLease] ?? '')
    .split(',')
    .map((uuid) => uuid.trim())
    .filter((uuid) => uuid !== '');
}
