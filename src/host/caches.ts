import { ENGINE_CHANGES, type Engine } from '../core/engine.js';
import { stableHash } from '../core/hash.js';
import { openConfigCache } from './config-cache.js';
import type { ConfigSource, LoadedConfig } from './config-file.js';
import { recordReads } from './file-reads.js';
import { memoizedStableHash } from './hash-memo.js';
import { openPlanMemo, type PlanFacts } from './plan-memo.js';

/** When devenv runs from its bundle: that build's key and the user's folder for its caches. */
export interface BuildInfo {
  key: string;
  cacheDir: string;
  /**
   * Says this run took a path that most runs of its command do not (the config checked by the
   * schema, an image built): bin/devenv.cjs then keeps the compiled code of a later run instead.
   */
  tookRarePath(): void;
}

/** A .devenvrc checked by the schema, with its hash (core/container-plan.ts configHash). */
export interface CheckedConfig {
  loaded: LoadedConfig;
  configHash: string;
}

/**
 * What one run of devenv may remember from earlier runs of the same build, as one port: the
 * wiring gives it to the commands (a no-op one outside the bundle and in tests), and the code that
 * plans never knows whether an answer came from a cache.
 */
export interface Caches {
  /** The checked config of `source`: this build's earlier check of the same text, else `check`'s. */
  checkedConfig(
    source: ConfigSource,
    timezone: string,
    check: () => Promise<CheckedConfig>,
  ): Promise<CheckedConfig>;
  /** What status shows of a build plan, remembered by the files `plan` read on this machine. */
  planFacts(key: string, plan: () => Promise<PlanFacts>): Promise<PlanFacts>;
  /** The hash of a build's inputs. */
  stableHash(value: unknown): string;
  /** The engine as a command uses it; a change made through it marks the run as a rare one. */
  engine(engine: Engine): Engine;
}

export const NO_CACHES: Caches = {
  checkedConfig: (_source, _timezone, check) => check(),
  planFacts: (_key, plan) => plan(),
  stableHash,
  engine: (engine) => engine,
};

/** The caches of the bundle's build `build`, kept for the user `uid` in the build's cache folder. */
export function bundleCaches(build: BuildInfo, uid: number): Caches {
  let configs: ReturnType<typeof openConfigCache> | undefined;
  let plans: ReturnType<typeof openPlanMemo> | undefined;
  let hash: ((value: unknown) => string) | undefined;
  return {
    async checkedConfig(source, timezone, check) {
      configs ??= openConfigCache(build.cacheDir, build.key, uid);
      const cached = configs.lookup(source, timezone);
      if (cached)
        return {
          loaded: { envRoot: source.envRoot, file: source.file, config: cached.config },
          configHash: cached.configHash,
        };
      build.tookRarePath();
      const checked = await check();
      configs.store(source, timezone, { config: checked.loaded.config, configHash: checked.configHash });
      return checked;
    },
    async planFacts(key, plan) {
      plans ??= openPlanMemo(build.cacheDir, build.key, uid);
      const known = plans.lookup(key);
      if (known) return known;
      const { value, read } = await recordReads(plan);
      if (read !== null) plans.store(key, read, value);
      return value;
    },
    stableHash(value) {
      hash ??= memoizedStableHash(build.cacheDir, build.key, uid);
      return hash(value);
    },
    engine(engine) {
      return new Proxy(engine, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          // A run that changes something through the engine is not an everyday one.
          if (!ENGINE_CHANGES.has(name as keyof Engine) || typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            build.tookRarePath();
            return value.apply(target, args);
          };
        },
      });
    },
  };
}
