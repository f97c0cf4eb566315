import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A file of results this build of devenv worked out before (checked configs, hashes), in the
 * user's cache folder beside the bundle's code cache: valid for one build only, and not read if
 * another user could have written it (what it holds decides what a container mounts).
 */
export interface CacheFile<T> {
  build: string;
  entries: T[];
}

/** The entries of `file` when this build wrote them; none when it is missing, foreign or damaged. */
export function readCacheEntries<T>(file: string, build: string, uid: number): T[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const stat = fstatSync(fd);
    if ((stat.uid !== uid && stat.uid !== 0) || (stat.mode & 0o022) !== 0) return [];
    const cache = JSON.parse(readFileSync(fd, 'utf8')) as Partial<CacheFile<T>>;
    return cache.build === build && Array.isArray(cache.entries) ? cache.entries : [];
  } catch {
    // Half-written or not ours: worked out again as if there were no cache.
    return [];
  } finally {
    closeSync(fd);
  }
}

/** Replaces `file` in one step (private to the user); a read-only or full home only costs speed. */
export function writeCacheEntries<T>(file: string, cache: CacheFile<T>): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const staging = `${file}.${process.pid}`;
    writeFileSync(staging, JSON.stringify(cache), { mode: 0o600 });
    renameSync(staging, file);
  } catch {
    // not kept: the next command works it out again
  }
}
