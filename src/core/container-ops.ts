import type { ContainerCreateBody } from './container-plan.js';
import type { ContainerDetails, ContainerState, Engine } from './engine.js';
import { ContainerNameTaken, DevenvError } from './errors.js';
import { type EnvIdentity, isOwnedBy, LABELS } from './identity.js';
import type { Reporter } from './ports.js';

/** The env's container, or null; a same-named container devenv did not make is an error. */
export async function findEnvContainer(engine: Engine, id: EnvIdentity): Promise<ContainerDetails | null> {
  const container = await engine.inspectContainer(id.containerName);
  if (container && !isOwnedBy(container.labels, id.user, id.envName)) {
    throw new DevenvError(
      `a container named ${id.containerName} exists but devenv did not create it for this env`,
      {
        hint: `devenv leaves it alone: rename or remove it yourself (docker rm ${id.containerName}), or set another "name" in .devenvrc`,
        code: 'conflict',
      },
    );
  }
  return container;
}

/** Whether a container runs, made from the config whose hash is `configHash`: such an env needs nothing done. */
export function runsConfig(container: ContainerState, configHash: string): boolean {
  return container.running && container.labels[LABELS.configHash] === configHash;
}

export type ContainerOutcome = 'created' | 'started' | 'running';

/**
 * Makes the env's container exist and run. A stopped container made from other settings or
 * another image is recreated (only the container's own writable layer goes, never a mount);
 * a running one is left running, with a word that its settings are out of date.
 */
export async function ensureContainer(
  deps: {
    engine: Engine;
    ui: Reporter;
    signal?: AbortSignal;
    /** Runs between create and start (e.g. a GPU lease's race check); a throw removes what was created. */
    beforeStart?: (containerId: string) => Promise<void>;
  },
  id: EnvIdentity,
  plan: { body: ContainerCreateBody; settingsHash: string },
): Promise<{ container: ContainerDetails; outcome: ContainerOutcome }> {
  const { engine, ui } = deps;
  let existing = await findEnvContainer(engine, id);
  const outdated = existing !== null && existing.labels[LABELS.createHash] !== plan.settingsHash;
  if (existing?.running) {
    if (outdated)
      ui.warn(
        'the running env was made from older settings or an older image; run `devenv stop` then `devenv start` to apply them',
      );
    return { container: existing, outcome: 'running' };
  }
  if (existing && outdated) {
    ui.detail(`recreating stopped container ${id.containerName}: settings changed`);
    await engine.removeContainer(existing.id);
    existing = null;
  }
  if (existing) {
    await deps.beforeStart?.(existing.id);
    await engine.startContainer(existing.id);
    return { container: (await engine.inspectContainer(existing.id)) ?? existing, outcome: 'started' };
  }
  const progress = ui.progress(`creating container ${id.containerName}`);
  let createdId: string | null = null;
  try {
    createdId = await engine.createContainer(plan.body);
    if (deps.signal?.aborted) throw deps.signal.reason;
    await deps.beforeStart?.(createdId);
    await engine.startContainer(createdId);
    if (deps.signal?.aborted) throw deps.signal.reason;
  } catch (error) {
    progress.fail();
    // Interrupted or failed half way: leave no half-made container behind.
    if (createdId) await engine.removeContainer(createdId).catch(() => undefined);
    else if (deps.signal?.aborted) await removeIfCreatedMeanwhile(engine, id);
    throw createdId ? error : nameRaceOr(error, id);
  }
  progress.succeed(`container ${id.containerName} is running`);
  const container = await engine.inspectContainer(createdId);
  if (!container)
    throw new DevenvError(`container ${id.containerName} disappeared right after it started`, {
      code: 'engine',
    });
  return { container, outcome: 'created' };
}

function nameRaceOr(error: unknown, id: EnvIdentity): unknown {
  if (error instanceof ContainerNameTaken) {
    return new DevenvError(
      `another container named ${id.containerName} appeared while devenv was creating it`,
      {
        hint: 'run the command again',
        code: 'conflict',
        cause: error,
      },
    );
  }
  return error;
}

/** Stops and removes the env's container. Mounted folders are untouched. */
export async function removeEnvContainer(engine: Engine, id: EnvIdentity): Promise<ContainerDetails | null> {
  const container = await findEnvContainer(engine, id);
  if (!container) return null;
  if (container.running) await engine.stopContainer(container.id);
  await engine.removeContainer(container.id);
  return container;
}

/** A create request aborted on our side may still have completed in the engine. */
async function removeIfCreatedMeanwhile(engine: Engine, id: EnvIdentity): Promise<void> {
  const container = await engine.inspectContainer(id.containerName).catch(() => null);
  if (container && !container.running && isOwnedBy(container.labels, id.user, id.envName)) {
    await engine.removeContainer(container.id).catch(() => undefined);
  }
}
