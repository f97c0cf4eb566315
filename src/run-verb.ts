import type { EnvContext } from './app/context.js';
import type { GlobalOptions, Io } from './core/io.js';
import type { ArgSpecs, CliSpecs, FlagSpecs, Parsed, VerbSpec } from './core/verb-spec.js';
import type { Caches } from './host/caches.js';

/**
 * How the entry points (cli.ts, everyday.ts) run a verb from its spec (core/verb-spec.ts): the
 * context its spec says it needs, then its run with the options its spec maps from the parsed
 * command line.
 */

/** What a verb that needs no env is given: it opens the hosts it asks (or none) itself. */
export interface Given {
  io: Io;
  globals: GlobalOptions;
  caches: Caches;
  /** Every verb's spec, each command module loaded (for completion). */
  cli(): Promise<CliSpecs>;
}

export type EnvVerb = VerbSpec<FlagSpecs, ArgSpecs, unknown, EnvContext, 'placed-env' | 'env'>;
export type GivenVerb = VerbSpec<FlagSpecs, ArgSpecs, unknown, Given, 'host' | 'none'>;
export type Verb = EnvVerb | GivenVerb;

export function isEnvVerb(verb: Verb): verb is EnvVerb {
  return verb.needs === 'placed-env' || verb.needs === 'env';
}

/** A verb's module, loaded when that verb runs (or when help or completion needs every verb). */
export type VerbLoader<V extends Verb = Verb> = () => Promise<V>;

/** The env, placed as the verb's spec says (start's --on, --gpus and --wait), then the verb. */
export async function runEnvVerb(
  spec: EnvVerb,
  parsed: Parsed,
  io: Io,
  globals: GlobalOptions,
  caches: Caches,
): Promise<number> {
  const { loadEnvContext } = await import('./app/context.js');
  const ctx = await loadEnvContext(
    io,
    globals,
    { place: spec.needs === 'placed-env', waiting: false, ...spec.placement?.(parsed) },
    caches,
  );
  return spec.run(ctx, spec.options(parsed));
}
