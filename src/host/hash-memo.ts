import path from 'node:path';
import { contentBytes, contentKey, stableHash } from '../core/hash.js';
import { readCacheEntries, writeCacheEntries } from './cache-file.js';

interface Entry {
  key: string;
  hash: string;
}

/** The build inputs of the envs a user looks at: older entries make room. */
const MAX_ENTRIES = 8;

/**
 * Inputs holding more file content than this are hashed, not memoized: their key would be the
 * content itself (a requirements layer of local wheels made a 514 MB memo file, read back in 12 s,
 * where hashing the same bytes takes a fraction of a second).
 */
export const MEMO_MAX_CONTENT_BYTES = 4 * 1024 * 1024;

/**
 * stableHash through a memo of the results this build computed before, by the inputs' exact
 * content (core/hash.ts contentKey): status and ls tell a fresh image from a stale one without
 * hashing its recipe and requirements again, nor loading node:crypto (~3 ms). A changed input is
 * a new key, hashed and kept.
 */
export function memoizedStableHash(dir: string, build: string, uid: number): (value: unknown) => string {
  const file = path.join(dir, 'hashes.json');
  let entries: Entry[] | null = null;
  return (value) => {
    if (contentBytes(value) > MEMO_MAX_CONTENT_BYTES) return stableHash(value);
    const key = contentKey(value);
    entries ??= readCacheEntries<Entry>(file, build, uid);
    const known = entries.find((e) => e.key === key);
    if (known) return known.hash;
    const hash = stableHash(value);
    entries = [{ key, hash }, ...entries].slice(0, MAX_ENTRIES);
    writeCacheEntries(file, { build, entries });
    return hash;
  };
}
