import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EnvContext, GlobalOptions, Io } from '../app/context.js';
import { type HostContext, loadHostContext } from '../app/context.js';
import { buildPlanFor, gpuFacts } from '../app/env-plan.js';
import { containerUserFor } from '../core/container-user.js';
import type { Engine } from '../core/engine.js';
import {
  type EnvObjects,
  envRow,
  groupEnvObjects,
  type ImageFreshness,
  renderEnvTable,
} from '../core/env-list.js';
import { envIdentity, LABELS, MANAGED_BY, ownerFilters } from '../core/identity.js';
import { imageStatus } from '../core/image-ops.js';
import { CONFIG_FILE_NAME, loadConfig } from '../host/config-file.js';
import { hostTimezone } from '../host/user.js';

/**
 * `devenv ls [--all] [--json]`: every env of this user on this engine (every user's with
 * --all), found by label. Whether an image is fresh is known for the user's own envs whose
 * .devenvrc can still be read; otherwise it shows as unknown.
 */
export async function runLs(
  io: Io,
  globals: GlobalOptions,
  options: { all?: boolean; json?: boolean },
): Promise<number> {
  const ctx = await loadHostContext(io, globals);
  const engine = await ctx.engine();
  const filters = options.all ? [`${LABELS.managedBy}=${MANAGED_BY}`] : ownerFilters(ctx.user);
  const [containers, images] = await Promise.all([
    engine.listContainers(filters),
    engine.listImages(filters),
  ]);
  const rows = [];
  for (const group of groupEnvObjects(containers, images))
    rows.push(envRow(group, await freshness(ctx, engine, group)));
  if (options.json) ctx.ui.data(JSON.stringify(rows, null, 2));
  else if (rows.length === 0)
    ctx.ui.info(options.all ? 'no devenv envs on this engine' : `no envs of ${ctx.user.name} on this engine`);
  else for (const line of renderEnvTable(rows)) ctx.ui.data(line);
  return 0;
}

/** Compares the env's image with what its .devenvrc would build now, as `status` does. */
async function freshness(host: HostContext, engine: Engine, group: EnvObjects): Promise<ImageFreshness> {
  if (group.images.length === 0) return 'absent';
  if (group.user !== host.user.name || group.uid !== host.user.uid || !existsSync(group.root))
    return 'unknown';
  try {
    const file = path.join(group.root, CONFIG_FILE_NAME);
    const loaded = loadConfig({
      cwd: group.root,
      explicitFile: existsSync(file) ? file : undefined,
      uid: process.getuid?.() ?? host.user.uid,
      hostTimezone: hostTimezone(host.io.env),
    });
    if (loaded.envRoot !== group.root || loaded.config.name !== group.env) return 'unknown';
    const ctx: EnvContext = {
      ...host,
      loaded,
      identity: envIdentity(group.env, host.user, group.root),
      containerUser: containerUserFor(host.user),
    };
    const status = await imageStatus(engine, buildPlanFor(ctx, await gpuFacts(ctx, engine)));
    if (!status.image) return 'absent';
    return status.stale ? 'stale' : 'fresh';
  } catch {
    return 'unknown';
  }
}
