import { type Stats, statSync } from 'node:fs';
import path from 'node:path';
import { readCacheEntries, writeCacheEntries } from './cache-file.js';

/** What status, ls and doctor show of an env's build plan: enough to tell a fresh image from a stale one. */
export interface PlanFacts {
  imageRef: string;
  hash: string;
  baseImage: string;
  /** The PyTorch wheel index the build installs from; null without PyTorch. */
  torchIndex: string | null;
}

interface Entry {
  key: string;
  /** Each file or folder the plan read, with its stat signature (null: it did not exist). */
  deps: Array<[string, string | null]>;
  facts: PlanFacts;
}

/** The envs a user looks at: older entries make room. */
const MAX_ENTRIES = 8;

/**
 * A file changed this recently may change again without its timestamps moving (they tick
 * coarsely): such a plan is not kept, as git does not trust a racily clean index entry.
 */
const SETTLED_MS = 2000;

export interface PlanMemo {
  lookup(key: string): PlanFacts | null;
  store(key: string, consulted: string[], facts: PlanFacts): void;
}

/**
 * Plans this build worked out before, by what they read: `key` stands for every input that is
 * not a file (the config, the user, the base image, PyTorch), and each file or folder read is
 * checked by its size, times, inode and mode. A changed, added or removed file is a miss, so
 * status and ls read the recipe and the requirements again only when one of them changed.
 */
export function openPlanMemo(
  dir: string,
  build: string,
  uid: number,
  now: () => number = Date.now,
): PlanMemo {
  const file = path.join(dir, 'plans.json');
  let entries: Entry[] | null = null;
  const read = () => {
    entries ??= readCacheEntries<Entry>(file, build, uid);
    return entries;
  };
  return {
    lookup(key) {
      const entry = read().find((e) => e.key === key);
      if (!entry) return null;
      return entry.deps.every(([dep, signature]) => statSignature(dep) === signature) ? entry.facts : null;
    },
    store(key, consulted, facts) {
      const deps: Entry['deps'] = [];
      for (const dep of new Set(consulted)) {
        const stat = statOf(dep);
        if (stat && now() - Math.max(stat.mtimeMs, stat.ctimeMs) < SETTLED_MS) return;
        deps.push([dep, stat && signatureOf(stat)]);
      }
      entries = [{ key, deps, facts }, ...read().filter((e) => e.key !== key)].slice(0, MAX_ENTRIES);
      writeCacheEntries(file, { build, entries });
    },
  };
}

function statOf(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

function signatureOf(stat: Stats): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}:${stat.mode}`;
}

export function statSignature(file: string): string | null {
  const stat = statOf(file);
  return stat && signatureOf(stat);
}
