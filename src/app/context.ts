import { configHash } from '../core/container-plan.js';
import type { GlobalOptions, Io } from '../core/io.js';
import type { HostChoice, PlacementDecision } from '../core/placement.js';
import { type EngineEndpoint, resolveEndpoint } from '../docker/endpoint.js';
import { type Caches, type CheckedConfig, NO_CACHES } from '../host/caches.js';
import { configOwnerUid, readConfigSource } from '../host/config-file.js';
import { hostTimezone } from '../host/user.js';
import { createUi, type Ui } from '../ui/ui.js';
import type { Env } from './env.js';
import { placeEnv } from './placement.js';
import { openSite, type Site } from './site.js';

export type { GlobalOptions, Io } from '../core/io.js';

/**
 * The wiring of a command that is not about the current folder's env (`ls`, `gpus`): the
 * terminal, the caches and the site of the engine. It never reads a .devenvrc, so a broken one
 * cannot stop it.
 */
export interface HostContext {
  io: Io;
  ui: Ui;
  caches: Caches;
  site: Site;
}

/** The wiring of a command on the current folder's env: the env, resolved and placed on its site. */
export interface EnvContext extends HostContext {
  env: Env;
  /** Set when the env's placement ("hosts", --on, the record) chose the site; start records it once the env runs there. */
  placement: PlacementDecision | null;
}

export function createUiFor(io: Io, globals: GlobalOptions): Promise<Ui> {
  return createUi({
    // Read when written to: a command that prints no data never makes process.stdout.
    get stdout() {
      return io.stdout;
    },
    stderr: io.stderr,
    env: io.env,
    quiet: Boolean(globals.quiet),
    verbose: Boolean(globals.verbose),
  });
}

export async function loadHostContext(
  io: Io,
  globals: GlobalOptions,
  caches: Caches = NO_CACHES,
): Promise<HostContext> {
  const { ui, openSite } = await loadFleetContext(io, globals, caches);
  return { io, ui, caches, site: await openSite(resolveEndpoint(io.env, globals.context)) };
}

/** The wiring of a command that asks every host (`--all-hosts`): it opens their sites as it goes. */
export interface FleetContext {
  io: Io;
  ui: Ui;
  openSite(endpoint: EngineEndpoint): Promise<Site>;
}

export async function loadFleetContext(
  io: Io,
  globals: GlobalOptions,
  caches: Caches = NO_CACHES,
): Promise<FleetContext> {
  const ui = await createUiFor(io, globals);
  return { io, ui, openSite: (endpoint) => openSite(io, ui, endpoint, caches) };
}

/** The env of the .devenvrc at `io.cwd` (or --config), on the site its command goes to. */
export async function loadEnvContext(
  io: Io,
  globals: GlobalOptions,
  choice: HostChoice = {},
  caches: Caches = NO_CACHES,
): Promise<EnvContext> {
  // The config first: a bad .devenvrc is the error to report, whatever else is wrong.
  const checked = await loadCheckedConfig(io, globals.config, caches);
  const ui = await createUiFor(io, globals);
  const { site, env, placement } = await placeEnv(
    {
      io,
      ui,
      openSite: (endpoint) => openSite(io, ui, endpoint, caches),
      openSlurmSite: (slurmChecked) =>
        import('./slurm-site.js').then(({ openSlurmSite }) => openSlurmSite(io, ui, slurmChecked, caches)),
    },
    globals,
    checked,
    choice,
  );
  return { io, ui, caches, site, env, placement };
}

/**
 * The env's .devenvrc, checked and with defaults. The file is found, read and its owner checked
 * afresh every time; the schema checks it unless the caches hold this build's check of the same
 * text. The schema (zod) is loaded only to check: most commands never need it.
 */
export function loadCheckedConfig(
  io: Io,
  explicitFile: string | undefined,
  caches: Caches,
): Promise<CheckedConfig> {
  const source = readConfigSource({ cwd: io.cwd, explicitFile, uid: configOwnerUid(io.env) });
  const timezone = hostTimezone(io.env);
  return caches.checkedConfig(source, timezone, async () => {
    const { checkConfig } = await import('./env-config.js');
    const loaded = checkConfig(source, timezone);
    return { loaded, configHash: configHash(loaded.config) };
  });
}
