import { diagnoseBuildFailure } from './build-diagnosis.js';
import { type BuildPlan, type ImageBuild, NO_PYTHON_FOR_VENV, withoutVenv } from './build-plan.js';
import { BuildFailure, type Engine, type ImageState } from './engine.js';
import { DevenvError, ImageInUse } from './errors.js';
import {
  type EnvIdentity,
  isOwnedBy,
  isSharedLayer,
  LABELS,
  MANAGED_BY,
  ownerFilters,
  SHARED_LAYER_LABELS,
  sharedImageRef,
  sharedLayerFilters,
} from './identity.js';
import type { BuildLog, Reporter } from './ports.js';

export interface ImageStatus {
  image: ImageState | null;
  /** True when the image exists but was built from other inputs than the current config. */
  stale: boolean;
}

export async function imageStatus(
  engine: Engine,
  plan: Pick<BuildPlan, 'imageRef' | 'hash'>,
): Promise<ImageStatus> {
  const image = await engine.inspectImage(plan.imageRef);
  if (image && image.labels[LABELS.managedBy] !== MANAGED_BY) {
    throw new DevenvError(`image ${plan.imageRef} exists but was not made by devenv`, {
      hint: `remove or retag it yourself (docker rmi ${plan.imageRef}), or set another "name" in .devenvrc`,
      code: 'conflict',
    });
  }
  return { image, stale: image !== null && image.labels[LABELS.buildHash] !== plan.hash };
}

/** The last line the recipe's own scripts printed as a diagnosis ("devenv: …"), if any. */
export function diagnosisFromLog(lines: readonly string[]): string | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = /^devenv: (.+)$/.exec(lines[i]?.trim() ?? '');
    if (match?.[1] && !match[1].startsWith('installing')) return match[1];
  }
  return null;
}

/**
 * Where an env's images come from other than a build here: a registry, or another host of the
 * env (app/image-supply.ts). Each call says what it did; none throws for a registry or host that
 * fails (it warns, and devenv builds): `false` means "build it".
 */
export interface ImageSupply {
  /** Puts the env's image (as `plan` would build it) on the engine; true when it is there now. */
  fetchEnvImage(plan: BuildPlan): Promise<boolean>;
  /** Puts the shared layers' image on the engine; true when it is there now. */
  fetchSharedImage(shared: ImageBuild): Promise<boolean>;
  /** Sends what a build made to where other hosts fetch it from. */
  publish(plan: BuildPlan): Promise<void>;
}

export interface EnsuredImage {
  built: boolean;
  stale: boolean;
  replaced: string | null;
  /**
   * The hash of the shared layers the replaced image built on, when the new one builds on others
   * (a dependency bump): they go once the replaced image has gone, unless another image uses them.
   */
  replacedShared: string | null;
  /** True when the image came from the supply (a registry, another host) instead of a build. */
  fetched: boolean;
}

/**
 * Builds the image when asked to (rebuild) or when none exists, unless the supply has it. An
 * existing image is never rebuilt behind the user's back: a stale one is reported, and
 * `devenv rebuild` rebuilds it. The env's image is its user layer on the shared layers' image,
 * which is reused when this engine has it (another user or env built it), else fetched, else built.
 */
export async function ensureImage(
  deps: SharedBuildDeps & { openLog: () => BuildLog },
  plan: BuildPlan,
  options: { rebuild: boolean; noCache: boolean },
): Promise<EnsuredImage> {
  const { engine, ui } = deps;
  const current = await imageStatus(engine, plan);
  if (current.image && !options.rebuild) {
    if (current.stale) {
      ui.warn(
        `image ${plan.imageRef} is stale: the recipe, build args or requirements changed since it was built; run \`devenv rebuild\``,
      );
    }
    return { built: false, stale: current.stale, replaced: null, replacedShared: null, fetched: false };
  }
  if (!options.rebuild && deps.supply && (await deps.supply.fetchEnvImage(plan)))
    return { built: false, stale: false, replaced: null, replacedShared: null, fetched: true };
  const log = deps.openLog();
  try {
    await ensureSharedImage(deps, plan, options, log);
    await buildOne(deps, plan, options, log, `image ${plan.imageRef}`);
  } finally {
    log.close();
  }
  await deps.supply?.publish(plan);
  const built = { built: true, stale: false, replaced: null, replacedShared: null, fetched: false };
  if (!current.image) return built;
  const now = await engine.inspectImage(plan.imageRef);
  if (!now || now.id === current.image.id) return built;
  const oldShared = current.image.labels[LABELS.sharedHash];
  const replacedShared = oldShared && oldShared !== plan.shared.hash ? oldShared : null;
  if (!(await removeImageIfUnused(engine, current.image.id)))
    return { ...built, replaced: current.image.id, replacedShared };
  if (replacedShared) await removeSharedImageIfUnused(engine, replacedShared);
  return built;
}

/**
 * The shared layers' image: the one on the engine when its inputs match (any user or env may
 * have built it), else from the supply, else built here. `--no-cache` builds it again.
 */
async function ensureSharedImage(
  deps: SharedBuildDeps,
  plan: BuildPlan,
  options: { noCache: boolean },
  log: BuildLog,
): Promise<void> {
  const { shared } = plan;
  if (!options.noCache) {
    if (await reuseSharedImage(deps, shared)) return;
    if (deps.supply && (await deps.supply.fetchSharedImage(shared))) return;
  }
  await ensureBaseImage(deps, plan.baseImage);
  const lock = await lockSharedBuild(deps, shared, plan.baseImage);
  try {
    // Another user's start may have built it while this one waited for the lock.
    if (lock.waited && !options.noCache && (await reuseSharedImage(deps, shared))) return;
    await buildOne(deps, shared, options, log, `shared layers ${shared.imageRef}`, () => withoutVenv(shared));
  } finally {
    await lock.release();
  }
}

interface SharedBuildDeps {
  engine: Engine;
  ui: Reporter;
  signal?: AbortSignal;
  supply?: ImageSupply;
  /** Waits between looks at another start's build of the same shared layers. */
  sleep?: (ms: number) => Promise<void>;
}

async function reuseSharedImage(
  deps: { engine: Engine; ui: Reporter },
  shared: ImageBuild,
): Promise<boolean> {
  const existing = await deps.engine.inspectImage(shared.imageRef);
  if (!existing || !isSharedImageOf(existing, shared.hash)) return false;
  deps.ui.detail(`reusing the shared layers ${shared.imageRef}`);
  return true;
}

const BUILD_LOCK_LAYER = 'build-lock';

/** Engine label filters that select the shared builds' lock containers. */
function buildLockFilters(): string[] {
  return [`${LABELS.managedBy}=${MANAGED_BY}`, `${LABELS.layer}=${BUILD_LOCK_LAYER}`];
}

/** How often a start looks whether another's build of the same shared layers ended. */
export const SHARED_BUILD_POLL_MS = 1000;

/**
 * One build of the same shared layers at a time per engine: two users starting envs with the same
 * inputs at once would otherwise both build them, and store them twice. The lock is a container
 * named after the inputs' hash, which lives only while its holder's process does (Engine.takeLock).
 */
async function lockSharedBuild(
  deps: SharedBuildDeps,
  shared: ImageBuild,
  baseImage: string,
): Promise<{ waited: boolean; release(): Promise<void> }> {
  const { engine } = deps;
  const none = { waited: false, release: async () => undefined };
  if (!engine.takeLock || !deps.sleep) return none;
  const name = `devenv-shared-build-${shared.hash}`;
  const labels = { ...SHARED_LAYER_LABELS, [LABELS.layer]: BUILD_LOCK_LAYER };
  let progress: ReturnType<Reporter['progress']> | null = null;
  for (;;) {
    const lock = await engine.takeLock(name, baseImage, labels);
    if (lock) {
      progress?.succeed(`the other build of ${shared.imageRef} ended`);
      return { waited: progress !== null, release: () => lock.release() };
    }
    progress ??= deps.ui.progress(
      `waiting for another start's build of the shared layers ${shared.imageRef} on this engine`,
    );
    try {
      await deps.sleep(SHARED_BUILD_POLL_MS);
    } catch (error) {
      progress.fail();
      throw error;
    }
  }
}

/** True when the image is devenv's shared layers for these inputs. */
export function isSharedImageOf(image: ImageState, sharedHash: string): boolean {
  return isSharedLayer(image.labels) && image.labels[LABELS.sharedHash] === sharedHash;
}

/**
 * One build, with a progress line; a failure becomes one DevenvError. `withoutVenv` is the build
 * to run instead when the first one says the image has no python3 for the venv (build-plan.ts).
 */
async function buildOne(
  deps: { engine: Engine; ui: Reporter; signal?: AbortSignal },
  build: ImageBuild,
  options: { noCache: boolean },
  log: BuildLog,
  what: string,
  withoutVenvBuild?: () => ImageBuild,
): Promise<void> {
  const progress = deps.ui.progress(`building ${what}`);
  const run = (recipe: ImageBuild) =>
    deps.engine.buildImage(recipe, {
      noCache: options.noCache,
      ...(deps.signal ? { signal: deps.signal } : {}),
      onLine: (line) => log.write(line),
      onStep: (step, total, instruction) =>
        progress.update(`building ${what}: step ${step}/${total} ${truncate(instruction, 60)}`),
    });
  try {
    await run(build).catch((error: unknown) => {
      // No python3 for the venv the recipe's ENV names: build the image without it (build-plan.ts).
      if (!(withoutVenvBuild && error instanceof BuildFailure && error.exitCode === NO_PYTHON_FOR_VENV))
        throw error;
      return run(withoutVenvBuild());
    });
  } catch (error) {
    progress.fail(`building ${what}`);
    if (error instanceof DevenvError) throw error;
    if (deps.signal?.aborted) throw error;
    // Anything but a BuildFailure broke the build without a report of its own: its message it is.
    const failure = error instanceof BuildFailure ? error : null;
    const diagnosis = failure && diagnosisFromLog(failure.logTail);
    const known = failure && diagnoseBuildFailure(failure, diagnosis, log.path);
    if (known)
      throw new DevenvError(`image build failed: ${known.message}`, {
        hint: known.hint,
        code: 'image',
        cause: error,
      });
    throw new DevenvError(`image build failed: ${diagnosis ?? (error as Error).message}`, {
      hint: `full build log: ${log.path}`,
      code: 'image',
      cause: error,
    });
  }
  progress.succeed(`built ${what}`);
}

async function ensureBaseImage(deps: { engine: Engine; ui: Reporter }, baseImage: string): Promise<void> {
  if (await deps.engine.inspectImage(baseImage)) return;
  const progress = deps.ui.progress(`pulling base image ${baseImage}`);
  try {
    await deps.engine.pullImage(baseImage, (line) =>
      progress.update(`pulling ${baseImage}: ${truncate(line, 60)}`),
    );
  } catch (error) {
    progress.fail();
    throw error;
  }
  progress.succeed(`pulled base image ${baseImage}`);
}

/**
 * The image a rebuild replaced, unless a container still uses it (the engine says 409): then the
 * caller removes it once that container is recreated.
 */
export async function removeImageIfUnused(engine: Engine, id: string): Promise<boolean> {
  try {
    await engine.removeImage(id);
    return true;
  } catch (error) {
    if (error instanceof ImageInUse) return false;
    throw error;
  }
}

/**
 * Removes this env's dangling images: what failed builds leave behind (their finished steps, kept
 * as cache) and a replaced image no container uses any more. Each is removed with the untagged
 * parents only it builds on, so a failed build's whole chain goes and the steps the env's image
 * still builds on stay. Only images carrying this env's and this user's labels are touched;
 * one a container still uses is kept. Run it holding the env's lock: a build in progress has
 * dangling images too.
 */
export async function removeDanglingEnvImages(
  engine: Engine,
  identity: EnvIdentity,
): Promise<{ removed: string[]; inUse: string[] }> {
  const dangling = await engine.listDanglingImages(ownerFilters(identity.user, identity.envName));
  const removed: string[] = [];
  const inUse: string[] = [];
  for (const image of dangling) {
    if (!isOwnedBy(image.labels, identity.user, identity.envName)) continue;
    if (await removeImageIfUnused(engine, image.id)) removed.push(image.id);
    else inUse.push(image.id);
  }
  return { removed, inUse };
}

/**
 * Removes shared layers nothing uses any more: the shared images of `sharedHashes` (those the
 * pruned env's images built on) and the leftovers of failed shared-layers builds. Each goes by
 * its id, which the engine refuses (409) while another image builds on it or a container uses
 * it, so a layer another env or user still uses always stays. Shared images carry no user's
 * labels: they are nobody's, and go when nobody needs them.
 */
export async function removeUnusedSharedImages(
  engine: Engine,
  sharedHashes: readonly string[],
): Promise<string[]> {
  const removed: string[] = [];
  for (const hash of new Set(sharedHashes)) {
    const id = await removeSharedImageIfUnused(engine, hash);
    if (id) removed.push(id);
  }
  for (const image of await sharedBuildLeftovers(engine))
    if (await removeImageIfUnused(engine, image.id)) removed.push(image.id);
  return removed;
}

/**
 * What failed shared-layers builds left on the engine: untagged steps labelled shared, nobody's,
 * which a prune removes unless something uses them. None while a shared build runs (it holds its
 * lock): its last finished step is untagged too, and waits for a later prune.
 */
export async function sharedBuildLeftovers(engine: Engine): Promise<ImageState[]> {
  if ((await engine.listContainers(buildLockFilters())).some((lock) => lock.running)) return [];
  const dangling = await engine.listDanglingImages(sharedLayerFilters());
  return dangling.filter((image) => isSharedLayer(image.labels));
}

/** The shared image of `sharedHash`, by its id, unless an image builds on it or a container uses it; its id when it went. */
export async function removeSharedImageIfUnused(engine: Engine, sharedHash: string): Promise<string | null> {
  const image = await engine.inspectImage(sharedImageRef(sharedHash));
  if (!image || !isSharedImageOf(image, sharedHash)) return null;
  return (await removeImageIfUnused(engine, image.id)) ? image.id : null;
}

/** The hashes of the shared layers these images build on (their inherited label). */
export function sharedHashesOf(images: readonly ImageState[]): string[] {
  return images.map((image) => image.labels[LABELS.sharedHash]).filter((h): h is string => Boolean(h));
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
