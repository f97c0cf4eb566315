import { DevenvError } from '../core/errors.js';
import type { GlobalOptions, Io } from '../core/io.js';
import type { Reporter } from '../core/ports.js';
import { type EngineEndpoint, endpointOfHost, resolveEndpoint } from '../docker/endpoint.js';
import { placedHosts } from '../host/placement-store.js';
import { loadEnvConfig } from './env-config.js';
import type { Site } from './site.js';

export interface FleetHost {
  /** As the user names it: a "hosts" entry, a context, or the current engine's host. */
  host: string;
  engine: string;
}

export type FleetAnswer<T> = FleetHost & ({ ok: true; value: T } | { ok: false; problem: string });

/**
 * Every engine the user works with: the current one (as the docker CLI picks it), the "hosts"
 * of the .devenvrc found from here, and every host an env of theirs was placed on.
 */
export function fleetEndpoints(
  io: Pick<Io, 'env' | 'cwd'>,
  globals: GlobalOptions,
): Array<{ name: string; endpoint: EngineEndpoint }> {
  const current = resolveEndpoint(io.env, globals.context);
  const entries: Array<{ name: string; endpoint: EngineEndpoint }> = [
    { name: current.hostName, endpoint: current },
  ];
  let configured: string[] = [];
  try {
    configured = loadEnvConfig(io.env, io.cwd, globals.config).config.hosts;
  } catch {
    // a broken or foreign .devenvrc does not stop a view of the fleet
  }
  for (const entry of [...configured, ...placedHosts(io.env)]) {
    try {
      entries.push({ name: entry, endpoint: endpointOfHost(entry, `host ${entry}`, io.env) });
    } catch (error) {
      if (!(error instanceof DevenvError)) throw error;
    }
  }
  const seen = new Set<string>();
  return entries.filter(({ endpoint }) => !seen.has(endpoint.url) && seen.add(endpoint.url));
}

/** Runs `ask` on every host at once; a host that cannot be reached is one warning, never fatal. */
export async function askFleet<T>(
  wiring: { io: Pick<Io, 'env' | 'cwd'>; ui: Reporter; openSite(endpoint: EngineEndpoint): Promise<Site> },
  globals: GlobalOptions,
  ask: (site: Site) => Promise<T>,
): Promise<Array<FleetAnswer<T>>> {
  const { io, ui } = wiring;
  return Promise.all(
    fleetEndpoints(io, globals).map(async ({ name, endpoint }): Promise<FleetAnswer<T>> => {
      try {
        const site = await wiring.openSite(endpoint);
        return { host: name, engine: endpoint.url, ok: true, value: await ask(site) };
      } catch (error) {
        if (!(error instanceof DevenvError)) throw error;
        ui.warn(`${name}: ${error.message}`);
        return { host: name, engine: endpoint.url, ok: false, problem: error.message };
      }
    }),
  );
}
