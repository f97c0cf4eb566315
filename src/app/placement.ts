import { findEnvContainer, runsConfig } from '../core/container-ops.js';
import { DevenvError } from '../core/errors.js';
import { isFree, leaseRequestOf } from '../core/gpu/lease.js';
import { ownerFilters } from '../core/identity.js';
import type { GlobalOptions, Io } from '../core/io.js';
import {
  choosePlacement,
  commandOn,
  type HostChoice,
  type HostSurvey,
  type PlacementDecision,
} from '../core/placement.js';
import type { Reporter } from '../core/ports.js';
import { type EngineEndpoint, endpointOfHost, resolveEndpoint } from '../docker/endpoint.js';
import type { CheckedConfig } from '../host/caches.js';
import { readPlacement, removePlacement, writePlacement } from '../host/placement-store.js';
import { type Env, envOn, withGpuCount } from './env.js';
import type { Site } from './site.js';

export interface Placed {
  site: Site;
  env: Env;
  /** Set when the env's placement ("hosts", --on, the record) chose the site; start records it once the env runs there. */
  placement: PlacementDecision | null;
}

export interface PlacementWiring {
  io: Pick<Io, 'env'>;
  ui: Reporter;
  /** Opens the site of an engine (app/site.ts openSite; a fake one in tests). */
  openSite(endpoint: EngineEndpoint): Promise<Site>;
  /** Opens the site of an env with a "slurm" key: its job's node (app/slurm-site.ts). */
  openSlurmSite(checked: CheckedConfig): Promise<Site>;
}

/**
 * The site an env's command goes to. `--on`, `--context` and DOCKER_HOST say it outright;
 * otherwise the env's last placement (by "hosts" or `start --on`; with "hosts", start re-places
 * it when it does not run there), else the first of "hosts"; otherwise the docker CLI's choice.
 */
export async function placeEnv(
  wiring: PlacementWiring,
  globals: GlobalOptions,
  checked: CheckedConfig,
  choice: HostChoice,
): Promise<Placed> {
  const { io, ui } = wiring;
  const { loaded } = checked;
  const { hosts, name } = loaded.config;
  const on = (endpoint: EngineEndpoint) => wiring.openSite(endpoint);
  const placed = (site: Site, placement: PlacementDecision | null): Placed => ({
    site,
    env: envOn(site.host, checked),
    placement,
  });
  if (loaded.config.slurm) {
    if (choice.on || globals.context)
      throw new DevenvError(
        `${choice.on ? '--on' : '--context'} cannot place an env with a "slurm" key: Slurm chooses its node`,
        {
          hint: `drop ${choice.on ? '--on' : '--context'}, or remove "slurm" from ${loaded.file ?? '.devenvrc'}`,
          code: 'usage',
        },
      );
    if (hosts.length > 0)
      ui.warn('"hosts" is not used with "slurm": Slurm chooses the node of the env\'s job');
    return placed(await wiring.openSlurmSite(checked), null);
  }
  const last = readPlacement(io.env, loaded.envRoot, name)?.host ?? null;
  if (choice.on) {
    if (choice.place && last !== null && last !== choice.on)
      ui.warn(
        `the env was on ${last}; if it still runs there it keeps running (and holds its GPUs): stop it with \`${commandOn(last, 'stop')}\``,
      );
    const site = await on(endpointOfHost(choice.on, `--on ${choice.on}`, io.env));
    return placed(site, { host: choice.on, explanation: null });
  }
  if (globals.context || io.env.DOCKER_HOST || (hosts.length === 0 && last === null))
    return placed(await on(resolveEndpoint(io.env, globals.context)), null);

  if (!choice.place || hosts.length === 0) {
    const entry = last ?? (hosts[0] as string);
    return placed(await on(hostEndpoint(entry, io.env)), { host: entry, explanation: null });
  }
  if (last !== null) {
    // The common case costs one host: the env runs where it was placed, with the current config.
    const site = await on(hostEndpoint(last, io.env)).catch(() => null);
    if (site) {
      const env = envOn(site.host, checked);
      const container = await site
        .engine()
        .then((engine) => findEnvContainer(engine, env.identity))
        .catch(() => null);
      if (container && runsConfig(container, env.configHash))
        return { site, env, placement: { host: last, explanation: null } };
    }
  }
  const chosen = await placeAmong(
    wiring,
    checked,
    choice.gpus,
    last !== null && hosts.includes(last) ? last : null,
    Boolean(choice.waiting),
  );
  return placed(chosen.site, chosen.placement);
}

/** Surveys every entry of "hosts" at once and opens the chosen one. */
async function placeAmong(
  wiring: PlacementWiring,
  checked: CheckedConfig,
  gpus: number | undefined,
  lastPlaced: string | null,
  waiting: boolean,
): Promise<{ site: Site; placement: PlacementDecision }> {
  const { io, ui } = wiring;
  const { hosts } = checked.loaded.config;
  const opened = await Promise.all(
    hosts.map(async (entry) => {
      try {
        const site = await wiring.openSite(hostEndpoint(entry, io.env));
        const env = envOn(site.host, checked);
        return {
          entry,
          site,
          survey: await surveySite(entry, site, gpus === undefined ? env : withGpuCount(env, gpus)),
        };
      } catch (error) {
        const problem = error instanceof DevenvError ? error.message : String(error);
        ui.warn(`${entry}: ${problem}`);
        return { entry, site: null, survey: { host: entry, reachable: false, problem } as HostSurvey };
      }
    }),
  );
  const request = leaseRequestOf(gpus ?? checked.loaded.config.gpus);
  const chosen = choosePlacement({ request, surveys: opened.map((o) => o.survey), lastPlaced, waiting });
  const site = opened.find((o) => o.entry === chosen.host)?.site as Site;
  ui.info(chosen.explanation);
  return { site, placement: { host: chosen.host, explanation: chosen.explanation } };
}

async function surveySite(entry: string, site: Site, env: Env): Promise<HostSurvey> {
  const engine = await site.engine();
  const request = leaseRequestOf(env.loaded.config.gpus);
  const [container, images, room] = await Promise.all([
    findEnvContainer(engine, env.identity),
    engine.listImages(ownerFilters(env.user, env.loaded.config.name)),
    site.gpus.room(env, request),
  ]);
  const state = container
    ? container.running
      ? 'running'
      : 'stopped'
    : images.length > 0
      ? 'image'
      : 'absent';
  return {
    host: entry,
    reachable: true,
    env: state,
    gpus: { total: room.slots.length, free: room.slots.filter(isFree).length },
    fits: request.kind === 'none' || room.choice.ok,
  };
}

function hostEndpoint(entry: string, env: NodeJS.ProcessEnv): EngineEndpoint {
  return endpointOfHost(entry, `"hosts" entry ${entry}`, env);
}

/** After a start on a placed host: later commands of this env go there. */
export function rememberPlacement(io: Pick<Io, 'env'>, env: Env, placement: PlacementDecision): void {
  writePlacement(io.env, env.loaded.envRoot, env.loaded.config.name, placement.host);
}

/** After a prune there: the env is gone, so it is placed nowhere (and --all-hosts stops asking there). */
export function forgetPlacement(io: Pick<Io, 'env'>, env: Env, placement: PlacementDecision): void {
  const { envRoot, config } = env.loaded;
  if (readPlacement(io.env, envRoot, config.name)?.host === placement.host)
    removePlacement(io.env, envRoot, config.name);
}
