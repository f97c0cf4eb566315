import { chownSync, fchownSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { HostUser } from '../core/identity.js';

type Owner = Pick<HostUser, 'uid' | 'gid'>;

/**
 * Under sudo devenv runs as root for the real user: what it creates for them (folders, config
 * files) is handed over, or they could not change their own files afterwards.
 */
function handsOver(owner: Owner): boolean {
  return process.getuid?.() === 0 && owner.uid !== 0;
}

export function handOver(file: string, owner: Owner): void {
  if (handsOver(owner)) chownSync(file, owner.uid, owner.gid);
}

export function handOverFd(fd: number, owner: Owner): void {
  if (handsOver(owner)) fchownSync(fd, owner.uid, owner.gid);
}

/** `mkdir -p dir`, every folder it makes handed over to `owner`. */
export function mkdirOwned(dir: string, owner: Owner): void {
  const created = mkdirSync(dir, { recursive: true });
  // mkdirSync returns the first folder it made: hand over that one and everything below it.
  if (created)
    for (let current = dir; current.length >= created.length; current = path.dirname(current))
      handOver(current, owner);
}
