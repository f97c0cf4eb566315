import path from 'node:path';
import type { DevenvConfig } from '../core/config/schema.js';
import { readCacheEntries, writeCacheEntries } from './cache-file.js';
import type { ConfigSource } from './config-file.js';

/**
 * The configs this build of devenv has checked, by .devenvrc text: a command on an env whose
 * .devenvrc has not changed since the last one takes the checked config from here, without
 * loading the schema (zod) and the JSONC parser. An entry holds for one build, one file (its
 * folder names the default env name), its exact text and the host's timezone (a default):
 * everything the checked config depends on. Only configs that passed are kept, so a bad one is
 * always checked, and reported, as before.
 */
export interface ConfigCache {
  lookup(source: ConfigSource, hostTimezone: string): CachedConfig | null;
  store(source: ConfigSource, hostTimezone: string, checked: CachedConfig): void;
}

export interface CachedConfig {
  config: DevenvConfig;
  /** The config's hash (core/container-plan.ts), which start compares with the container's label. */
  configHash: string;
}

interface Entry extends CachedConfig {
  file: string | null;
  envRoot: string;
  text: string;
  hostTimezone: string;
}

/** The envs a user works on at once: older entries make room. */
const MAX_ENTRIES = 16;

/** The cache of build `build`, a file in `dir` (see host/cache-file.ts). */
export function openConfigCache(dir: string, build: string, uid: number): ConfigCache {
  const file = path.join(dir, 'configs.json');
  let entries: Entry[] | null = null;
  const read = (): Entry[] => {
    entries ??= readCacheEntries<Entry>(file, build, uid);
    return entries;
  };
  const matches = (entry: Entry, source: ConfigSource, hostTimezone: string) =>
    entry.file === source.file &&
    entry.envRoot === source.envRoot &&
    entry.text === source.text &&
    entry.hostTimezone === hostTimezone;
  return {
    lookup(source, hostTimezone) {
      const entry = read().find((e) => matches(e, source, hostTimezone));
      return entry ? { config: entry.config, configHash: entry.configHash } : null;
    },
    store(source, hostTimezone, checked) {
      const entry: Entry = { ...source, hostTimezone, ...checked };
      const kept = read().filter((e) => !(e.file === source.file && e.envRoot === source.envRoot));
      entries = [entry, ...kept].slice(0, MAX_ENTRIES);
      writeCacheEntries(file, { build, entries });
    },
  };
}
