import { findEnvContainer } from '../core/container-ops.js';
import { configHash } from '../core/container-plan.js';
import { DevenvError } from '../core/errors.js';
import { chooseGpus, isFree, leaseRequestOf } from '../core/gpu/lease.js';
import { LABELS, ownerFilters } from '../core/identity.js';
import { choosePlacement, type HostSurvey } from '../core/placement.js';
import { type EngineEndpoint, endpointOfHost, resolveEndpoint } from '../docker/endpoint.js';
import type { LoadedConfig } from '../host/config-file.js';
import { readPlacement, removePlacement, writePlacement } from '../host/placement-store.js';
import type { Ui } from '../ui/ui.js';
import { envContextFor, type GlobalOptions, type HostContext, type Io, openHostContext } from './context.js';

export interface HostChoice {
  /** `start --on HOST`: that engine, whatever "hosts" and the last placement say. */
  on?: string;
  /** Place the env among "hosts" (start, rebuild, code); other verbs follow the last placement. */
  place?: boolean;
  /** `start --gpus N`: the request to place by, instead of the config's. */
  gpus?: number;
  /** `start --wait`: when no host has room, place where waiting can succeed. */
  waiting?: boolean;
}

/** Where an env's placement came from, for `start` to record once the env runs. */
export interface PlacementDecision {
  host: string;
  explanation: string | null;
}

/**
 * The host an env's command goes to. `--on`, `--context` and DOCKER_HOST say it outright;
 * otherwise the env's last placement (by "hosts" or `start --on`; with "hosts", start re-places
 * it when it does not run there), else the first of "hosts"; otherwise the docker CLI's choice.
 */
export async function hostContextForEnv(
  io: Io,
  ui: Ui,
  globals: GlobalOptions,
  loaded: LoadedConfig,
  choice: HostChoice,
): Promise<{ host: HostContext; placement: PlacementDecision | null }> {
  const { hosts, name } = loaded.config;
  const last = readPlacement(io.env, loaded.envRoot, name)?.host ?? null;
  if (choice.on) {
    if (choice.place && last !== null && last !== choice.on)
      ui.warn(
        `the env was on ${last}; if it still runs there it keeps running (and holds its GPUs): stop it with \`${commandOn(last, 'stop')}\``,
      );
    const host = await openHostContext(io, ui, endpointOfHost(choice.on, `--on ${choice.on}`, io.env));
    return { host, placement: { host: choice.on, explanation: null } };
  }
  if (globals.context || io.env.DOCKER_HOST || (hosts.length === 0 && last === null))
    return { host: await openHostContext(io, ui, resolveEndpoint(io.env, globals.context)), placement: null };

  if (!choice.place || hosts.length === 0) {
    const entry = last ?? (hosts[0] as string);
    const host = await openHostContext(io, ui, hostEndpoint(entry, io.env));
    return { host, placement: { host: entry, explanation: null } };
  }
  if (last !== null) {
    // The common case costs one host: the env runs where it was placed, with the current config.
    const host = await openHostContext(io, ui, hostEndpoint(last, io.env)).catch(() => null);
    if (host && (await runsCurrentConfig(host, loaded)))
      return { host, placement: { host: last, explanation: null } };
  }
  const request =
    choice.gpus === undefined ? loaded : { ...loaded, config: { ...loaded.config, gpus: choice.gpus } };
  return placeAmong(
    io,
    ui,
    request,
    last !== null && hosts.includes(last) ? last : null,
    Boolean(choice.waiting),
  );
}

/** Surveys every entry of "hosts" at once and opens the chosen one. */
async function placeAmong(
  io: Io,
  ui: Ui,
  loaded: LoadedConfig,
  lastPlaced: string | null,
  waiting: boolean,
): Promise<{ host: HostContext; placement: PlacementDecision }> {
  const { hosts } = loaded.config;
  const request = leaseRequestOf(loaded.config.gpus);
  const opened = await Promise.all(
    hosts.map(async (entry) => {
      try {
        const host = await openHostContext(io, ui, hostEndpoint(entry, io.env));
        return { entry, host, survey: await surveyHost(entry, host, loaded) };
      } catch (error) {
        const problem = error instanceof DevenvError ? error.message : String(error);
        ui.warn(`${entry}: ${problem}`);
        return { entry, host: null, survey: { host: entry, reachable: false, problem } as HostSurvey };
      }
    }),
  );
  const chosen = choosePlacement({ request, surveys: opened.map((o) => o.survey), lastPlaced, waiting });
  const host = opened.find((o) => o.entry === chosen.host)?.host as HostContext;
  ui.info(chosen.explanation);
  return { host, placement: { host: chosen.host, explanation: chosen.explanation } };
}

async function surveyHost(entry: string, host: HostContext, loaded: LoadedConfig): Promise<HostSurvey> {
  const ctx = envContextFor(host, loaded);
  const engine = await host.engine();
  const request = leaseRequestOf(loaded.config.gpus);
  const [container, images, slots] = await Promise.all([
    findEnvContainer(engine, ctx.identity),
    engine.listImages(ownerFilters(ctx.user, loaded.config.name)),
    import('./gpu-lease.js').then(({ readGpuLedger }) => readGpuLedger(host, ctx.identity.containerName)),
  ]);
  const env = container
    ? container.running
      ? 'running'
      : 'stopped'
    : images.length > 0
      ? 'image'
      : 'absent';
  const fits = request.kind === 'none' || chooseGpus({ request, slots: slots.slots, previous: [] }).ok;
  return {
    host: entry,
    reachable: true,
    env,
    gpus: { total: slots.slots.length, free: slots.slots.filter(isFree).length },
    fits,
  };
}

async function runsCurrentConfig(host: HostContext, loaded: LoadedConfig): Promise<boolean> {
  const ctx = envContextFor(host, loaded);
  const container = await findEnvContainer(await host.engine(), ctx.identity).catch(() => null);
  return Boolean(container?.running && container.labels[LABELS.configHash] === configHash(loaded.config));
}

/** `devenv VERB` pointed at one host, the way the docker CLI is: a context flag or DOCKER_HOST. */
function commandOn(entry: string, verb: string): string {
  return /^[a-z]+:\/\//i.test(entry)
    ? `DOCKER_HOST=${entry} devenv ${verb}`
    : `devenv --context ${entry} ${verb}`;
}

function hostEndpoint(entry: string, env: NodeJS.ProcessEnv): EngineEndpoint {
  return endpointOfHost(entry, `"hosts" entry ${entry}`, env);
}

/** After a start on a placed host: later commands of this env go there. */
export function rememberPlacement(io: Io, loaded: LoadedConfig, placement: PlacementDecision): void {
  writePlacement(io.env, loaded.envRoot, loaded.config.name, placement.host);
}

/** After a prune there: the env is gone, so it is placed nowhere (and --all-hosts stops asking there). */
export function forgetPlacement(io: Io, loaded: LoadedConfig, placement: PlacementDecision): void {
  const { envRoot, config } = loaded;
  if (readPlacement(io.env, envRoot, config.name)?.host === placement.host)
    removePlacement(io.env, envRoot, config.name);
}
