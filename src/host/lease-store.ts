import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dockerSafe } from '../core/identity.js';
import { stateDir } from './fs-ops.js';

/**
 * The GPUs each env held last time, kept on this machine by its user (a stopped env has no
 * container to say it). One store per host: the same env on two servers holds two servers' GPUs.
 */
export interface LeaseStore {
  read(containerName: string): string[];
  write(containerName: string, uuids: string[]): void;
}

/** The store for the engine host named `hostKey` (null: this machine's own engine). */
export function openLeaseStore(env: NodeJS.ProcessEnv, hostKey: string | null): LeaseStore {
  const root = path.join(stateDir(env), 'leases');
  const dir = hostKey === null ? root : path.join(root, dockerSafe(hostKey));
  const fileOf = (containerName: string) => path.join(dir, `${containerName}.json`);
  return {
    read(containerName) {
      try {
        const uuids = JSON.parse(readFileSync(fileOf(containerName), 'utf8')) as unknown;
        return Array.isArray(uuids) ? uuids.filter((u): u is string => typeof u === 'string') : [];
      } catch {
        return [];
      }
    },
    write(containerName, uuids) {
      const file = fileOf(containerName);
      mkdirSync(dir, { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify(uuids)}\n`);
      renameSync(temp, file);
    },
  };
}
