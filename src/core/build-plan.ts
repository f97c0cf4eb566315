import type { DevenvConfig } from './config/schema.js';
import type { ContainerUser } from './container-user.js';
import { stableHash } from './hash.js';
import { type EnvIdentity, LABELS, ownerLabels, SHARED_LAYER_LABELS, sharedImageRef } from './identity.js';

/** A file in the in-memory build context. */
export interface ContextFile {
  path: string;
  content: Uint8Array;
  mode?: number;
}

export interface PythonInstall {
  /** What pip installs for PyTorch, or null for none. */
  torch: { packages: string[]; indexUrl: string | null } | null;
  /** requirements.txt and the local packages it names, under python/ in the context. */
  files: ContextFile[];
}

/** devenv's recipe (images/): the shared layers' build context, and the user layer's. */
export interface Recipe {
  shared: ContextFile[];
  user: ContextFile[];
}

/** One image build: what is sent (context, args), the tag it gets and the labels written into it. */
export interface ImageBuild {
  imageRef: string;
  buildArgs: Record<string, string>;
  files: ContextFile[];
  /** The hash of the build's inputs: the finished image carries it (contextWithLabels). */
  hash: string;
  labels: Record<string, string>;
}

/**
 * An env's image: its user layer (this build) on top of the shared layers (`shared`), which no
 * user's name, UID or env is an input of, so every user and env with the same inputs on a
 * server builds on one image of them. `hash` covers both: it is the env image's build hash.
 */
export interface BuildPlan extends ImageBuild {
  baseImage: string;
  shared: ImageBuild;
}

/** Packages the Python layer needs from apt when it is used. */
export const PYTHON_APT_PACKAGES = ['python3', 'python3-venv', 'python3-pip'];

export function pythonLayerUsed(config: DevenvConfig, python: PythonInstall): boolean {
  return (
    python.torch !== null ||
    config.pythonPackages.length > 0 ||
    python.files.some((f) => f.path === 'python/requirements.txt' && f.content.length > 0)
  );
}

export function planBuild(input: {
  identity: EnvIdentity;
  config: DevenvConfig;
  user: ContainerUser;
  baseImage: string;
  recipe: Recipe;
  python: PythonInstall;
  /** stableHash, or one that remembers (host/hash-memo.ts). */
  hash?: (value: unknown) => string;
}): BuildPlan {
  const { config, user, python } = input;
  const hash = input.hash ?? stableHash;
  const usesPython = pythonLayerUsed(config, python);
  const aptPackages = usesPython
    ? unique([...config.aptPackages, ...PYTHON_APT_PACKAGES])
    : config.aptPackages;
  const sharedArgs: Record<string, string> = {
    BASE_IMAGE: input.baseImage,
    APT_PACKAGES: aptPackages.join(' '),
    LOCALES: config.locales.join(' '),
    LANG_DEFAULT: config.locales[0] ?? 'C.UTF-8',
    TIMEZONE: config.timezone,
    PYTHON_ENABLED: usesPython ? '1' : '0',
    INSTALLER: config.installer,
    TORCH_PACKAGES: python.torch?.packages.join(' ') ?? '',
    TORCH_INDEX_URL: python.torch?.indexUrl ?? '',
    PYTHON_PACKAGES: config.pythonPackages.join(' '),
  };
  const sharedFiles = withPythonFolder([...input.recipe.shared, ...python.files]);
  const sharedHash = hash({ buildArgs: sharedArgs, files: filesForHash(sharedFiles) });
  const shared: ImageBuild = {
    imageRef: sharedImageRef(sharedHash),
    buildArgs: sharedArgs,
    files: sharedFiles,
    hash: sharedHash,
    labels: { ...SHARED_LAYER_LABELS, [LABELS.sharedHash]: sharedHash },
  };
  const userArgs: Record<string, string> = {
    SHARED_IMAGE: shared.imageRef,
    USER_NAME: user.name,
    USER_UID: String(user.uid),
    USER_GID: String(user.gid),
    USER_HOME: user.home,
    USER_SHELL: config.shell,
  };
  const files = input.recipe.user;
  const envHash = hash({ buildArgs: userArgs, files: filesForHash(files) });
  return {
    imageRef: input.identity.imageRef,
    baseImage: input.baseImage,
    buildArgs: userArgs,
    files,
    hash: envHash,
    labels: { ...ownerLabels(input.identity), [LABELS.layer]: 'env', [LABELS.buildHash]: envHash },
    shared,
  };
}

function filesForHash(files: ContextFile[]): unknown[] {
  return files.map((f) => [f.path, f.mode ?? 0o644, f.content]);
}

/**
 * The recipe's line that puts the venv in VIRTUAL_ENV and first on PATH (images/shared/Dockerfile).
 * The step after it must make that venv; when the image has no python3 and no Python setting
 * brought one, it cannot, and fails with NO_PYTHON_FOR_VENV. The image is then built from
 * `withoutVenv(plan)`, so neither variable ever names a venv that is not there.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: ${PATH} is the Dockerfile's, expanded by the builder.
export const VENV_ENV_LINE = 'ENV VIRTUAL_ENV=/opt/devenv/venv PATH=/opt/devenv/venv/bin:${PATH}';

/** setup-python.sh's exit code when the image's ENV names a venv it has no python3 to make. */
export const NO_PYTHON_FOR_VENV = 69;

/**
 * The shared layers' build without the venv: the recipe without VENV_ENV_LINE. Hash and labels stay:
 * the inputs are the same, and they are what decided there is no python3 to make it.
 */
export function withoutVenv<T extends Pick<ImageBuild, 'files'>>(plan: T): T {
  const files = plan.files.map((file) => {
    if (file.path !== 'Dockerfile') return file;
    const lines = Buffer.from(file.content).toString('utf8').split('\n');
    const kept = lines.filter((line) => line.trim() !== VENV_ENV_LINE);
    if (kept.length !== lines.length - 1)
      throw new Error('the recipe Dockerfile has no single venv ENV line');
    return { ...file, content: Buffer.from(kept.join('\n')) };
  });
  return { ...plan, files };
}

/** The recipe always copies python/; an empty requirements file keeps that COPY valid. */
function withPythonFolder(files: ContextFile[]): ContextFile[] {
  if (files.some((f) => f.path.startsWith('python/'))) return files;
  return [...files, { path: 'python/requirements.txt', content: new Uint8Array() }];
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/** Labels written on the finished image only, last (contextWithLabels). */
const FINAL_LABELS: readonly string[] = [LABELS.buildHash, LABELS.sharedHash];

/**
 * The context as sent: the Dockerfile with devenv's labels written into it. Owner and layer
 * labels go right after FROM, so every image the build commits, the cache images a failed build
 * leaves behind included, says whose it is, or that it is a shared layer (and prune can find it).
 * The hashes go last: only a finished image claims to match the inputs, and a new hash does not
 * void the cache of every layer. (The build API's labels option makes the classic builder commit
 * one step per label, at the end.) The hash is over `files`, so the labels do not feed back into it.
 */
export function contextWithLabels(plan: Pick<ImageBuild, 'files' | 'labels'>): ContextFile[] {
  const first = Object.fromEntries(
    Object.entries(plan.labels).filter(([key]) => !FINAL_LABELS.includes(key)),
  );
  const last = Object.fromEntries(Object.entries(plan.labels).filter(([key]) => FINAL_LABELS.includes(key)));
  return plan.files.map((file) => {
    if (file.path !== 'Dockerfile') return file;
    const lines = Buffer.from(file.content).toString('utf8').split('\n');
    const from = lines.findIndex((line) => /^\s*FROM\s/i.test(line));
    if (from < 0) throw new Error('the recipe Dockerfile has no FROM line');
    if (Object.keys(first).length > 0) lines.splice(from + 1, 0, labelLine(first));
    if (Object.keys(last).length > 0) lines.push(labelLine(last), '');
    return { ...file, content: Buffer.from(lines.join('\n')) };
  });
}

function labelLine(labels: Record<string, string>): string {
  const quote = (value: string) => JSON.stringify(value).replace(/\$/g, '\\$');
  return `LABEL ${Object.entries(labels)
    .map(([key, value]) => `${key}=${quote(value)}`)
    .join(' ')}`;
}
