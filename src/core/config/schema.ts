import { boolean, either, type Field, listOf, object, oneOf, recordOf, string } from './schema-kit.js';

/** Facts from the host that some defaults depend on. */
export interface DefaultsContext {
  envRootName: string;
  hostTimezone: string;
}

export interface MountSpec {
  source: string;
  target: string;
  readonly?: boolean | undefined;
  /** Allows a target under a system folder such as /etc or /usr. */
  allowSystemTarget?: boolean | undefined;
}

export type GpuRequest = 'auto' | 'all' | 'none' | Array<string | number>;

export interface DevenvConfig {
  name: string;
  baseImage: string;
  projectsDir: string;
  vscodeServerDir: string;
  mounts: MountSpec[];
  aptPackages: string[];
  env: Record<string, string>;
  network: string;
  shmSize: string;
  locales: string[];
  timezone: string;
  shell: string;
  repo: string | null;
  branch: string | null;
  gpus: GpuRequest;
  entrypoint: 'devenv' | 'base';
  torch: string;
  requirements: string | null;
  pythonPackages: string[];
  installer: 'pip' | 'uv';
  vscode: { extensions: string[] };
  sshAgent: boolean;
}

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const SIZE = /^(\d+(?:\.\d+)?)([bkmg])?$/i;
const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes in a Docker-style size ("512m", "8g", "1073741824"). */
export function parseSize(text: string): number | null {
  const match = SIZE.exec(text.trim());
  if (!match) return null;
  return Math.round(Number(match[1]) * (UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1));
}

const MIN_SHM = 64 * 1024 ** 2;
const MAX_SHM = 1024 ** 4;

const name = string('a name of letters, digits, "_", "." or "-" (Docker\'s rule)', (s) =>
  DOCKER_NAME.test(s) && s.length <= 64
    ? null
    : `must start with a letter or digit and use only letters, digits, "_", "." and "-", at most 64 characters (got ${JSON.stringify(s)}): Docker rejects other names`,
);
const relativeOrAbsolutePath = string('a path (relative to the env root, or absolute)', (s) =>
  s.includes('\0') ? 'must not contain a NUL character' : null,
);
const absolutePath = string('an absolute path inside the container', (s) =>
  s.startsWith('/')
    ? null
    : `must be an absolute path inside the container, starting with "/" (got ${JSON.stringify(s)})`,
);
const shmSize = string('a size such as "8g" or "512m"', (s) => {
  const bytes = parseSize(s);
  if (bytes === null) return `must be a size such as "8g" or "512m" (got ${JSON.stringify(s)})`;
  if (bytes < MIN_SHM || bytes > MAX_SHM) return `must be between 64m and 1024g (got ${JSON.stringify(s)})`;
  return null;
});
const aptPackage = string('a Debian package name', (s) =>
  /^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/.test(s)
    ? null
    : `is not a Debian package name (got ${JSON.stringify(s)})`,
);
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envValue: Field<string> = {
  expected: 'a string',
  parse: (value, key, issues) => {
    const variable = key.slice(key.indexOf('.') + 1);
    if (!envName.test(variable)) {
      issues.push({
        key,
        message:
          'is not a valid environment variable name (letters, digits and "_", not starting with a digit)',
      });
      return undefined;
    }
    if (typeof value === 'string') return value;
    issues.push({
      key,
      message: `must be a string (got ${JSON.stringify(value)}); quote numbers and booleans`,
    });
    return undefined;
  },
};
const locale = string('a locale such as "en_US.UTF-8"', (s) =>
  /^[A-Za-z]{1,3}(_[A-Z]{2})?(@[A-Za-z0-9]+)?\.[A-Za-z0-9-]+$/.test(s)
    ? null
    : `is not a locale such as "en_US.UTF-8" (got ${JSON.stringify(s)})`,
);
const timezone = string('a timezone such as "Europe/Paris" or "UTC"', (s) =>
  /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(s)
    ? null
    : `is not a timezone such as "Asia/Taipei" (got ${JSON.stringify(s)})`,
);
const pipSpec = string('a pip requirement such as "numpy==2.1" (no spaces)', (s) =>
  /\s/.test(s) ? `must be one pip requirement with no spaces (got ${JSON.stringify(s)})` : null,
);
const gpuId: Field<string | number> = {
  expected: 'a GPU index (0, 1, …) or UUID ("GPU-…")',
  parse(value, key, issues) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
    if (typeof value === 'string' && (/^\d+$/.test(value) || /^(GPU|MIG)-[0-9a-fA-F-]+$/.test(value)))
      return value;
    issues.push({
      key,
      message: `must be a GPU index (0, 1, …) or UUID ("GPU-…") (got ${JSON.stringify(value)})`,
    });
    return undefined;
  },
};
const torch = string('"auto", "none", "cpu", "cuXYZ" or a pip requirement for torch', (s) =>
  /\s/.test(s)
    ? `must be "auto", "none", "cpu", "cuXYZ" or one pip requirement (got ${JSON.stringify(s)})`
    : null,
);
const extension = string('a VS Code extension id such as "ms-python.python"', (s) =>
  /^[A-Za-z0-9][A-Za-z0-9-]*\.[A-Za-z0-9][A-Za-z0-9.-]*(@[A-Za-z0-9.+-]+)?$/.test(s)
    ? null
    : `is not an extension id such as "ms-python.python" (got ${JSON.stringify(s)})`,
);

export const mountField = object({
  source: { field: relativeOrAbsolutePath },
  target: { field: absolutePath },
  readonly: { field: boolean(), optional: true },
  allowSystemTarget: { field: boolean(), optional: true },
});

/** The default apt packages: the everyday tool set run.sh's image carried. */
export const DEFAULT_APT_PACKAGES = [
  'git',
  'vim',
  'nano',
  'wget',
  'curl',
  'less',
  'procps',
  'openssh-client',
  'python3',
  'python3-pip',
  'python3-venv',
];

export interface KeySpec {
  key: keyof DevenvConfig;
  field: Field<unknown>;
  default: (ctx: DefaultsContext) => unknown;
  /** How the docs state a default that depends on the host. */
  defaultDoc?: string;
  /** What the key does, for `devenv config --explain` and the docs. */
  doc: string;
  /** A value that is valid and shows the key off in .devenvrc.example. */
  example: unknown;
}

export const CONFIG_KEYS: KeySpec[] = [
  {
    key: 'name',
    field: name,
    default: (ctx) => sanitizeEnvName(ctx.envRootName),
    defaultDoc: "the env root's folder name",
    doc: 'Name of the env; the container is devenv-<name>-<user>.',
    example: 'podcastllm',
  },
  {
    key: 'baseImage',
    field: string('an image reference such as "ubuntu:24.04", or "auto"'),
    default: () => 'auto',
    doc: '"auto" picks nvidia/cuda matching the driver when GPUs are wired in, ubuntu:24.04 otherwise; or any Debian/Ubuntu-based image.',
    example: 'nvidia/cuda:12.8.1-base-ubuntu24.04',
  },
  {
    key: 'projectsDir',
    field: relativeOrAbsolutePath,
    default: () => 'projects',
    doc: 'Host folder mounted at ~/projects.',
    example: 'projects',
  },
  {
    key: 'vscodeServerDir',
    field: relativeOrAbsolutePath,
    default: () => 'temp/.vscode-server',
    doc: 'Host folder mounted at ~/.vscode-server, so VS Code keeps its server and extensions across rebuilds.',
    example: 'temp/.vscode-server',
  },
  {
    key: 'mounts',
    field: listOf(mountField, 'a list of {"source", "target", "readonly"?} objects'),
    default: () => [],
    doc: 'Extra bind mounts; source relative to the env root (or absolute), target absolute in the container.',
    example: [{ source: 'data', target: '/data', readonly: true }],
  },
  {
    key: 'aptPackages',
    field: listOf(aptPackage),
    default: () => [...DEFAULT_APT_PACKAGES],
    doc: 'Debian/Ubuntu packages installed in the image (sudo, locales and tzdata always are).',
    example: [...DEFAULT_APT_PACKAGES, 'ffmpeg'],
  },
  {
    key: 'env',
    field: recordOf(envValue, 'an object of string values'),
    default: () => ({}),
    doc: 'Environment variables set in the container when it is created (never baked into the image).',
    example: { HF_HOME: '/home/me/projects/.cache/huggingface' },
  },
  {
    key: 'network',
    field: string('"host", "bridge" or a Docker network name'),
    default: () => 'host',
    doc: '"host" makes servers started inside reachable as on the host; "bridge" or any network name also work.',
    example: 'host',
  },
  {
    key: 'shmSize',
    field: shmSize,
    default: () => '8g',
    doc: "Size of /dev/shm. PyTorch DataLoader workers need far more than Docker's 64m.",
    example: '16g',
  },
  {
    key: 'locales',
    field: listOf(locale),
    default: () => ['en_US.UTF-8'],
    doc: 'Locales generated in the image; the first is LANG.',
    example: ['en_US.UTF-8', 'zh_TW.UTF-8'],
  },
  {
    key: 'timezone',
    field: timezone,
    default: (ctx) => ctx.hostTimezone,
    defaultDoc: "the host's timezone",
    doc: "Timezone of the container; defaults to the host's.",
    example: 'Asia/Taipei',
  },
  {
    key: 'shell',
    field: string('an absolute path to a shell', (s) =>
      s.startsWith('/') ? null : `must be an absolute path such as "/bin/bash" (got ${JSON.stringify(s)})`,
    ),
    default: () => '/bin/bash',
    doc: 'Login shell of the container user, and the shell `start` attaches.',
    example: '/bin/bash',
  },
  {
    key: 'repo',
    field: string('a git URL or a local path', (s) =>
      s.startsWith('-') ? `must be a git URL or a path, not an option (got ${JSON.stringify(s)})` : null,
    ),
    default: () => null,
    doc: 'Git repository cloned (on the host, with your credentials) into <projectsDir>/<repo name> when missing.',
    example: 'https://github.com/example/podcastllm.git',
  },
  {
    key: 'branch',
    field: string('a branch name'),
    default: () => null,
    doc: 'Branch to clone; the remote default when unset.',
    example: 'main',
  },
  {
    key: 'gpus',
    field: either(
      oneOf(['auto', 'all', 'none'] as const),
      listOf(gpuId),
      '"auto", "all", "none" or a list of GPU indices/UUIDs',
    ),
    default: () => 'auto',
    doc: '"auto" wires in the GPUs when the host and the engine have them; "all" or a list insist; "none" never.',
    example: 'auto',
  },
  {
    key: 'entrypoint',
    field: oneOf(['devenv', 'base'] as const),
    default: () => 'devenv',
    doc: '"devenv" keeps the container alive with a minimal init; "base" keeps the base image\'s own entrypoint and services.',
    example: 'devenv',
  },
  {
    key: 'torch',
    field: torch,
    default: () => 'auto',
    doc: '"auto" installs the PyTorch build matching the driver and GPUs at build time; "none", "cpu", "cu126"… or a pip requirement.',
    example: 'auto',
  },
  {
    key: 'requirements',
    field: relativeOrAbsolutePath,
    default: () => null,
    doc: "requirements file installed at build time (relative to the env root); defaults to the cloned repo's requirements.txt when present.",
    example: 'projects/podcastllm/requirements.txt',
  },
  {
    key: 'pythonPackages',
    field: listOf(pipSpec),
    default: () => [],
    doc: 'Extra pip packages installed at build time.',
    example: ['sentence-transformers'],
  },
  {
    key: 'installer',
    field: oneOf(['pip', 'uv'] as const),
    default: () => 'pip',
    doc: 'Python installer used at build time.',
    example: 'pip',
  },
  {
    key: 'vscode',
    field: object({ extensions: { field: listOf(extension) } }),
    default: () => ({ extensions: [] }),
    doc: 'VS Code settings for the attached container; extensions are installed when VS Code attaches.',
    example: { extensions: ['ms-python.python'] },
  },
  {
    key: 'sshAgent',
    field: boolean(),
    default: () => false,
    doc: "Forward the host's SSH agent (SSH_AUTH_SOCK) into the container, so git push inside uses your keys.",
    example: false,
  },
];

/** Makes a folder name usable as an env name: Docker's characters, starting with a letter or digit. */
export function sanitizeEnvName(folder: string): string {
  const cleaned = folder
    .replace(/[^a-zA-Z0-9_.-]+/g, '-')
    .replace(/^[^a-zA-Z0-9]+/, '')
    .slice(0, 64);
  return cleaned === '' ? 'env' : cleaned;
}
