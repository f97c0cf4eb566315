import type { LeaseStore } from '../../src/host/lease-store.js';

/** The LeaseStore port (src/host/lease-store.ts) in memory: the GPUs each env held last, by container name. */
export class FakeLeaseStore implements LeaseStore {
  readonly saved = new Map<string, string[]>();

  read(containerName: string): string[] {
    return [...(this.saved.get(containerName) ?? [])];
  }

  write(containerName: string, uuids: string[]): void {
    this.saved.set(containerName, [...uuids]);
  }
}
