import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../core/engine.js';
import {
  type EnvObjects,
  type EnvRow,
  envRow,
  groupEnvObjects,
  type ImageFreshness,
} from '../core/env-list.js';
import { LABELS, MANAGED_BY, ownerFilters } from '../core/identity.js';
import { imageStatus } from '../core/image-ops.js';
import { CONFIG_FILE_NAME } from '../host/config-file.js';
import { envContextFor, type HostContext } from './context.js';
import { loadEnvConfig } from './env-config.js';
import { gpuFacts, planFactsFor } from './env-plan.js';

/**
 * Every env of this user on this engine (every user's with `all`), found by label. Whether an
 * image is fresh is known for the user's own envs whose .devenvrc can still be read; otherwise
 * it shows as unknown.
 */
export async function listEnvs(host: HostContext, options: { all?: boolean }): Promise<EnvRow[]> {
  const engine = await host.engine();
  const filters = options.all ? [`${LABELS.managedBy}=${MANAGED_BY}`] : ownerFilters(host.user);
  const [containers, images] = await Promise.all([
    engine.listContainers(filters),
    engine.listImages(filters),
  ]);
  // nvidia-smi only when some env holds GPUs: their indexes are the host's to say.
  const hostGpus = containers.some((c) => c.labels[LABELS.gpuLease]) ? (await host.hostGpus()).gpus : [];
  const rows: EnvRow[] = [];
  for (const group of groupEnvObjects(containers, images))
    rows.push(envRow(group, await freshness(host, engine, group), hostGpus));
  return rows;
}

/** Compares the env's image with what its .devenvrc would build now, as `status` does. */
async function freshness(host: HostContext, engine: Engine, group: EnvObjects): Promise<ImageFreshness> {
  if (group.images.length === 0) return 'absent';
  // An env on a remote host has its root there, and its .devenvrc on some machine we cannot tell.
  if (host.host.remote) return 'unknown';
  if (group.user !== host.user.name || group.uid !== host.user.uid || !existsSync(group.root))
    return 'unknown';
  try {
    const file = path.join(group.root, CONFIG_FILE_NAME);
    const loaded = loadEnvConfig(host.io.env, group.root, existsSync(file) ? file : undefined);
    if (loaded.envRoot !== group.root || loaded.config.name !== group.env) return 'unknown';
    const ctx = envContextFor(host, loaded);
    const status = await imageStatus(engine, await planFactsFor(ctx, await gpuFacts(ctx)));
    if (!status.image) return 'absent';
    return status.stale ? 'stale' : 'fresh';
  } catch {
    return 'unknown';
  }
}
