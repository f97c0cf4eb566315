import { diagnoseBuildFailure } from './build-diagnosis.js';
import { type BuildPlan, NO_PYTHON_FOR_VENV, withoutVenv } from './build-plan.js';
import { BuildFailure, type Engine, type ImageState } from './engine.js';
import { DevenvError, ImageInUse } from './errors.js';
import { type EnvIdentity, isOwnedBy, LABELS, MANAGED_BY, ownerFilters } from './identity.js';
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
 * Builds the image when asked to (rebuild) or when none exists. An existing image is never
 * rebuilt behind the user's back: a stale one is reported, and `devenv rebuild` rebuilds it.
 */
export async function ensureImage(
  deps: { engine: Engine; ui: Reporter; openLog: () => BuildLog; signal?: AbortSignal },
  plan: BuildPlan,
  options: { rebuild: boolean; noCache: boolean },
): Promise<{ built: boolean; stale: boolean; replaced: string | null }> {
  const { engine, ui } = deps;
  const current = await imageStatus(engine, plan);
  if (current.image && !options.rebuild) {
    if (current.stale) {
      ui.warn(
        `image ${plan.imageRef} is stale: the recipe, build args or requirements changed since it was built; run \`devenv rebuild\``,
      );
    }
    return { built: false, stale: current.stale, replaced: null };
  }
  await ensureBaseImage(deps, plan.baseImage);
  const log = deps.openLog();
  const progress = ui.progress(`building image ${plan.imageRef}`);
  const build = (recipe: BuildPlan) =>
    engine.buildImage(recipe, {
      noCache: options.noCache,
      ...(deps.signal ? { signal: deps.signal } : {}),
      onLine: (line) => log.write(line),
      onStep: (step, total, instruction) =>
        progress.update(
          `building image ${plan.imageRef}: step ${step}/${total} ${truncate(instruction, 60)}`,
        ),
    });
  try {
    await build(plan).catch((error: unknown) => {
      // No python3 for the venv the recipe's ENV names: build the image without it (build-plan.ts).
      if (!(error instanceof BuildFailure && error.exitCode === NO_PYTHON_FOR_VENV)) throw error;
      return build(withoutVenv(plan));
    });
  } catch (error) {
    progress.fail(`building image ${plan.imageRef}`);
    log.close();
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
  log.close();
  progress.succeed(`built image ${plan.imageRef}`);
  if (current.image) {
    const replaced = await engine.inspectImage(plan.imageRef);
    if (
      replaced &&
      replaced.id !== current.image.id &&
      !(await removeImageIfUnused(engine, current.image.id))
    ) {
      return { built: true, stale: false, replaced: current.image.id };
    }
  }
  return { built: true, stale: false, replaced: null };
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

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
