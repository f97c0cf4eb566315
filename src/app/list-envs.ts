import { existsSync } from 'node:fs';
import path from 'node:path';
import { configHash } from '../core/container-plan.js';
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
import type { Io } from '../core/io.js';
import type { Caches } from '../host/caches.js';
import { CONFIG_FILE_NAME } from '../host/config-file.js';
import { envOn } from './env.js';
import { loadEnvConfig } from './env-config.js';
import { gpuFacts, planFactsFor } from './env-plan.js';
import type { Site } from './site.js';

/**
 * Every env of this user on this engine (every user's with `all`), found by label. Whether an
 * image is fresh is known for the user's own envs whose .devenvrc can still be read; otherwise
 * it shows as unknown.
 */
export async function listEnvs(
  site: Site,
  context: { io: Pick<Io, 'env'>; caches: Caches },
  options: { all?: boolean },
): Promise<EnvRow[]> {
  const engine = await site.engine();
  const { account } = site.host;
  const user = { name: account.name, uid: account.uid, gid: account.gid };
  const filters = options.all ? [`${LABELS.managedBy}=${MANAGED_BY}`] : ownerFilters(user);
  const [containers, images] = await Promise.all([
    engine.listContainers(filters),
    engine.listImages(filters),
  ]);
  // nvidia-smi only when some env holds GPUs: their indexes are the host's to say.
  const hostGpus = containers.some((c) => c.labels[LABELS.gpuLease]) ? (await site.hostGpus()).gpus : [];
  const rows: EnvRow[] = [];
  for (const group of groupEnvObjects(containers, images))
    rows.push(envRow(group, await freshness(site, context, engine, group), hostGpus));
  return rows;
}

/** Compares the env's image with what its .devenvrc would build now, as `status` does. */
async function freshness(
  site: Site,
  context: { io: Pick<Io, 'env'>; caches: Caches },
  engine: Engine,
  group: EnvObjects,
): Promise<ImageFreshness> {
  if (group.images.length === 0) return 'absent';
  const { host } = site;
  // An env on a remote host has its root there, and its .devenvrc on some machine we cannot tell.
  if (host.remote) return 'unknown';
  if (group.user !== host.account.name || group.uid !== host.account.uid || !existsSync(group.root))
    return 'unknown';
  try {
    const file = path.join(group.root, CONFIG_FILE_NAME);
    const loaded = loadEnvConfig(context.io.env, group.root, existsSync(file) ? file : undefined);
    if (loaded.envRoot !== group.root || loaded.config.name !== group.env) return 'unknown';
    const env = envOn(host, { loaded, configHash: configHash(loaded.config) });
    const facts = await planFactsFor(env, site, await gpuFacts(env, site), context.caches);
    const status = await imageStatus(engine, facts);
    if (!status.image) return 'absent';
    return status.stale ? 'stale' : 'fresh';
  } catch {
    return 'unknown';
  }
}
