import * as z from 'zod/mini';
import { parseDockerDuration } from '../duration.js';
import { type PortMapping, parsePortSpec, portSpecProblem, samePublishedPort } from '../published-ports.js';
import { parseSize } from './size.js';
import { allowedOf, choice, fields, flag, list, mapOf, oneOf, orNull, shown, text } from './values.js';

/**
 * The .devenvrc schema: every key with what it allows, its default, what it does and an example.
 * Validation, the defaults, `devenv config`, `devenv init`'s comments, docs/config.md and the
 * DevenvConfig type all come from here; adding a key is one entry in `configSchema`.
 */

export { parseSize };

/** Facts from the host that some defaults depend on. */
export interface DefaultsContext {
  envRootName: string;
  hostTimezone: string;
}

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const MIN_SHM = 64 * 1024 ** 2;
const MAX_SHM = 1024 ** 4;

/** Makes a folder name usable as an env name: Docker's characters, starting with a letter or digit. */
export function sanitizeEnvName(folder: string): string {
  const cleaned = folder
    .replace(/[^a-zA-Z0-9_.-]+/g, '-')
    .replace(/^[^a-zA-Z0-9]+/, '')
    .slice(0, 64);
  return cleaned === '' ? 'env' : cleaned;
}

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

const got = (s: string) => `(got ${JSON.stringify(s)})`;

const envName = text('a name of letters, digits, "_", "." or "-" (Docker\'s rule)', (s) =>
  DOCKER_NAME.test(s) && s.length <= 64
    ? null
    : `must start with a letter or digit and use only letters, digits, "_", "." and "-", at most 64 characters ${got(s)}: Docker rejects other names`,
);
// Docker's reference grammar for a repository: an optional registry host[:port], then lowercase
// path components. devenv adds "/devenv-shared:HASH" and "/devenv-<env>-<user>:HASH" to it.
const REGISTRY_REPO =
  /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const registryRepo = text('a registry and repository such as "registry.lab:5000/devenv"', (s) =>
  REGISTRY_REPO.test(s) && !/[:@]/.test(s.slice(s.indexOf('/') + 1)) && s.length <= 200
    ? null
    : `must be a registry host[:port] and a lowercase repository path, with no tag ${got(s)}, e.g. "registry.lab:5000/devenv"`,
);
const hostPath = text('a path (relative to the env root, or absolute)', (s) =>
  s.includes('\0') ? 'must not contain a NUL character' : null,
);
const containerPath = text('an absolute path inside the container', (s) =>
  s.startsWith('/') ? null : `must be an absolute path inside the container, starting with "/" ${got(s)}`,
);
const shmSize = text('a size such as "8g" or "512m"', (s) => {
  const bytes = parseSize(s);
  if (bytes === null) return `must be a size such as "8g" or "512m" ${got(s)}`;
  if (bytes < MIN_SHM || bytes > MAX_SHM) return `must be between 64m and 1024g ${got(s)}`;
  return null;
});
const aptPackage = text('a Debian package name', (s) =>
  /^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/.test(s) ? null : `is not a Debian package name ${got(s)}`,
);
const envVariable = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z_][A-Za-z0-9_]*$/,
      'is not a valid environment variable name (letters, digits and "_", not starting with a digit)',
    ),
  );
const envValue = z.string({
  error: (issue) => `must be a string (got ${JSON.stringify(issue.input)}); quote numbers and booleans`,
});
const locale = text('a locale such as "en_US.UTF-8"', (s) =>
  /^[A-Za-z]{1,3}(_[A-Z]{2})?(@[A-Za-z0-9]+)?\.[A-Za-z0-9-]+$/.test(s)
    ? null
    : `is not a locale such as "en_US.UTF-8" ${got(s)}`,
);
const timezone = text('a timezone such as "Europe/Paris" or "UTC"', (s) =>
  /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(s)
    ? null
    : `is not a timezone such as "Asia/Taipei" ${got(s)}`,
);
const pipRequirement = text('a pip requirement such as "numpy==2.1" (no spaces)', (s) =>
  /\s/.test(s) ? `must be one pip requirement with no spaces ${got(s)}` : null,
);
const GPU_ID = 'a GPU index (0, 1, …) or UUID ("GPU-…")';
const gpuId = z.custom<string | number>(
  (value) =>
    (typeof value === 'number' && Number.isInteger(value) && value >= 0) ||
    (typeof value === 'string' && (/^\d+$/.test(value) || /^(GPU|MIG)-[0-9a-fA-F-]+$/.test(value))),
  // Not aborting: for a list with a bad entry, the union reports that entry rather than the whole key.
  { abort: false, error: (issue) => `must be ${GPU_ID} (got ${JSON.stringify(issue.input)})` },
);
const torch = text('"auto", "none", "cpu", "cuXYZ" or a pip requirement for torch', (s) =>
  /\s/.test(s) ? `must be "auto", "none", "cpu", "cuXYZ" or one pip requirement ${got(s)}` : null,
);
const hostEntry = text('a docker context name or an ssh:// URL', (s) => {
  if (/^ssh:\/\/[^/\s]+$/.test(s) || DOCKER_NAME.test(s)) return null;
  if (/^(tcp|unix|https?):\/\//.test(s))
    return `must reach its host over SSH: use ssh://user@host, or a context whose endpoint is one ${got(s)}`;
  return `must be a docker context name or ssh://user@host[:port] ${got(s)}`;
});
const extension = text('a VS Code extension id such as "ms-python.python"', (s) =>
  /^[A-Za-z0-9][A-Za-z0-9-]*\.[A-Za-z0-9][A-Za-z0-9.-]*(@[A-Za-z0-9.+-]+)?$/.test(s)
    ? null
    : `is not an extension id such as "ms-python.python" ${got(s)}`,
);

const mount = fields({
  source: hostPath,
  target: containerPath,
  readonly: z.optional(flag()),
  /** Allows a target under a system folder such as /etc or /usr. */
  allowSystemTarget: z.optional(flag()),
});
export type MountSpec = z.output<typeof mount>;

const GPU_COUNT = 'a whole number of GPUs, 1 or more';
const isGpuCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1;
const notACount = (input: unknown) => `must be ${GPU_COUNT} (got ${shown(input)}); "none" means no GPU`;
// At the top level only a number is a count: a string or a list gets the key's own message.
const gpuCount = z.number().check(z.refine(isGpuCount, { error: (issue) => notACount(issue.input) }));
// Inside the object, every value is checked and not aborting, so a bad or missing field (and an
// unknown key, with its did-you-mean) is reported at its own path rather than as the whole key.
const gpuCountField = z.custom<number>(isGpuCount, {
  abort: false,
  error: (issue) => (issue.input === undefined ? `is required (${GPU_COUNT})` : notACount(issue.input)),
});
const MIN_MEMORY = 'a size in GiB greater than 0, such as 40';
const minMemoryGiB = z.custom<number>(
  (value) => typeof value === 'number' && Number.isFinite(value) && value > 0,
  { abort: false, error: (issue) => `must be ${MIN_MEMORY} (got ${shown(issue.input)})` },
);
const gpuCountRequest = fields(
  { count: gpuCountField, minMemoryGiB: z.optional(minMemoryGiB) },
  'an object such as {"count": 2, "minMemoryGiB": 40}',
);
export type GpuCountRequest = z.output<typeof gpuCountRequest>;

const gpuRequest = oneOf(
  [choice(['auto', 'all', 'none']), gpuCount, gpuCountRequest, list(gpuId)],
  '"auto", "all", "none", a number of GPUs to lease (2, or {"count": 2, "minMemoryGiB": 40}) or a list of GPU indices/UUIDs',
);
export type GpuRequest = z.output<typeof gpuRequest>;

const DURATION = 'a duration such as "2s", "1m30s" or "500ms"';
const dockerDuration = text(DURATION, (s) => {
  const ms = parseDockerDuration(s);
  if (ms === null) return `must be ${DURATION}, each number with its unit (ms, s, m, h) ${got(s)}`;
  return ms < 1 ? `must be at least 1ms ${got(s)}` : null;
});
const RETRIES = 'a whole number of failed probes in a row, 1 or more';
const retries = z.custom<number>(
  (value) => typeof value === 'number' && Number.isInteger(value) && value >= 1,
  {
    abort: false,
    error: (issue) => `must be ${RETRIES} (got ${shown(issue.input)})`,
  },
);
const COMMAND = 'a shell command such as "curl -fsS localhost:8888/api"';
// Checked without aborting, as gpuCountField is: a missing or bad command is reported at its own
// path (with the object's other problems) rather than as the whole key.
const healthCommand = z.custom<string>((value) => typeof value === 'string' && value.trim() !== '', {
  abort: false,
  error: (issue) =>
    issue.input === undefined ? `is required (${COMMAND})` : `must be ${COMMAND} (got ${shown(issue.input)})`,
});
const healthcheckObject = fields(
  {
    command: healthCommand,
    interval: z.optional(dockerDuration),
    timeout: z.optional(dockerDuration),
    retries: z.optional(retries),
    startPeriod: z.optional(dockerDuration),
  },
  'an object such as {"command": "curl -fsS localhost:8888/api", "interval": "2s"}',
);
const healthcheck = oneOf(
  [choice(['none']), healthcheckObject],
  '"none" or {"command", "interval"?, "timeout"?, "retries"?, "startPeriod"?}',
);
export type HealthcheckSpec = z.output<typeof healthcheckObject>;

const portSpec = text('a port mapping such as "8888:8888", "127.0.0.1:8888:8888" or "8888:8888/udp"', (s) =>
  portSpecProblem(s),
);

// Slurm's own time formats (sbatch --time): minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
const SLURM_TIME =
  /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}|\d+-\d{1,2}:\d{1,2}|\d+-\d{1,2}:\d{1,2}:\d{1,2})$/;
const slurmTime = text('a Slurm time limit such as "8:00:00", "90" (minutes) or "2-00:00:00"', (s) =>
  SLURM_TIME.test(s) ? null : `must be a Slurm time limit: minutes, "HH:MM:SS" or "D-HH:MM:SS" ${got(s)}`,
);
const slurmWord = text('a Slurm name such as "gpu"', (s) =>
  /^[A-Za-z0-9_.,:+-]+$/.test(s)
    ? null
    : `must be a Slurm name (letters, digits, "_", ".", "-", "," ) ${got(s)}`,
);
const slurmConstraint = text('a Slurm feature expression such as "a100|h100"', (s) =>
  s.trim() === '' || s.includes('\n') ? `must be a feature expression on one line ${got(s)}` : null,
);
const sbatchArg = text('an sbatch option such as "--mem=64G"', (s) =>
  s.startsWith('-')
    ? null
    : `must be an sbatch option starting with "-" ${got(s)}: the job's command is devenv's`,
);
const slurmSettings = fields(
  {
    partition: z.optional(slurmWord),
    time: z.optional(slurmTime),
    account: z.optional(slurmWord),
    qos: z.optional(slurmWord),
    constraint: z.optional(slurmConstraint),
    sbatchArgs: z.optional(list(sbatchArg)),
  },
  'an object such as {"partition": "gpu", "time": "8:00:00"}',
);
export type SlurmSettings = z.output<typeof slurmSettings>;

/** What the docs, `devenv config` and `devenv init` say about a key. */
export interface KeyDoc {
  /** In words, what the key may hold. */
  allowed: string;
  default: unknown;
  /** How the docs state a default that depends on the host. */
  defaultDoc?: string | undefined;
  /** What the key does. */
  doc: string;
  /** A value that is valid and shows the key off in .devenvrc.example. */
  example: unknown;
}

const keyDocs = z.registry<KeyDoc>();

/** A top-level key: `schema` with its default (a fresh copy each time) and its documentation. */
function key<S extends z.ZodMiniType>(
  schema: S,
  spec: {
    default: Exclude<z.output<S>, undefined>;
    defaultDoc?: string;
    doc: string;
    example: z.output<S>;
  },
) {
  const value = spec.default;
  const withDefault = z._default(schema, () => structuredClone(value));
  keyDocs.add(withDefault, { allowed: allowedOf(schema), ...spec });
  return withDefault;
}

/** The schema of a whole .devenvrc, with the defaults that depend on `host` filled in. */
export function configSchema(host: DefaultsContext) {
  return fields(
    {
      name: key(envName, {
        default: sanitizeEnvName(host.envRootName),
        defaultDoc: "the env root's folder name",
        doc: 'Name of the env; the container is devenv-<name>-<user>.',
        example: 'podcastllm',
      }),
      baseImage: key(text('an image reference such as "ubuntu:24.04", or "auto"'), {
        default: 'auto',
        doc: '"auto" picks nvidia/cuda matching the driver when GPUs are wired in, ubuntu:24.04 otherwise; or any Debian/Ubuntu-based image.',
        example: 'nvidia/cuda:12.8.1-base-ubuntu24.04',
      }),
      projectsDir: key(hostPath, {
        default: 'projects',
        doc: 'Host folder mounted at ~/projects.',
        example: 'projects',
      }),
      vscodeServerDir: key(hostPath, {
        default: 'temp/.vscode-server',
        doc: 'Host folder mounted at ~/.vscode-server, so VS Code keeps its server and extensions across rebuilds.',
        example: 'temp/.vscode-server',
      }),
      mounts: key(list(mount, 'a list of {"source", "target", "readonly"?} objects'), {
        default: [],
        doc: 'Extra bind mounts; source relative to the env root (or absolute), target absolute in the container.',
        example: [{ source: 'data', target: '/data', readonly: true }],
      }),
      aptPackages: key(list(aptPackage), {
        default: DEFAULT_APT_PACKAGES,
        doc: 'Debian/Ubuntu packages installed in the image (sudo, locales and tzdata always are).',
        example: [...DEFAULT_APT_PACKAGES, 'ffmpeg'],
      }),
      env: key(mapOf(envVariable, envValue, 'an object of string values'), {
        default: {},
        doc: 'Environment variables set in the container when it is created (never baked into the image).',
        example: { HF_HOME: '/home/me/projects/.cache/huggingface' },
      }),
      network: key(text('"host", "bridge" or a Docker network name'), {
        default: 'host',
        doc: '"host" makes servers started inside reachable as on the host; "bridge" or any other network name gives the container its own ports, and "ports" publishes the ones to reach from the host.',
        example: 'bridge',
      }),
      shmSize: key(shmSize, {
        default: '8g',
        doc: "Size of /dev/shm. PyTorch DataLoader workers need far more than Docker's 64m.",
        example: '16g',
      }),
      locales: key(list(locale), {
        default: ['en_US.UTF-8'],
        doc: 'Locales generated in the image; the first is LANG.',
        example: ['en_US.UTF-8', 'zh_TW.UTF-8'],
      }),
      timezone: key(timezone, {
        default: host.hostTimezone,
        defaultDoc: "the host's timezone",
        doc: "Timezone of the container; defaults to the host's.",
        example: 'Asia/Taipei',
      }),
      shell: key(
        text('an absolute path to a shell', (s) =>
          s.startsWith('/') ? null : `must be an absolute path such as "/bin/bash" ${got(s)}`,
        ),
        {
          default: '/bin/bash',
          doc: 'Login shell of the container user, and the shell `start` attaches.',
          example: '/bin/bash',
        },
      ),
      repo: key(
        orNull(
          text('a git URL or a local path', (s) =>
            s.startsWith('-') ? `must be a git URL or a path, not an option ${got(s)}` : null,
          ),
        ),
        {
          default: null,
          doc: 'Git repository cloned (on the host, with your credentials) into <projectsDir>/<repo name> when missing.',
          example: 'https://github.com/example/podcastllm.git',
        },
      ),
      branch: key(orNull(text('a branch name')), {
        default: null,
        doc: 'Branch to clone; the remote default when unset.',
        example: 'main',
      }),
      gpus: key(gpuRequest, {
        default: 'auto',
        doc: 'A number leases that many free GPUs (no other env leases them, nothing outside devenv uses them), the same ones as last time when still free; {"count", "minMemoryGiB"} also sets the memory each needs. "auto" wires in the GPUs no other env leases, when the host and the engine have them; "all" or a list insist, and are refused when another env leases one; "none" never.',
        example: 'auto',
      }),
      entrypoint: key(choice(['devenv', 'base']), {
        default: 'devenv',
        doc: '"devenv" keeps the container alive with a minimal init; "base" keeps the base image\'s own entrypoint and services.',
        example: 'devenv',
      }),
      torch: key(torch, {
        default: 'auto',
        doc: '"auto" installs the PyTorch build matching the driver and GPUs at build time; "none", "cpu", "cu126"… or a pip requirement. Whatever it says, an image with python3 has your own venv (/opt/devenv/venv, on PATH): `pip install` works as you.',
        example: 'auto',
      }),
      requirements: key(orNull(hostPath), {
        default: null,
        doc: "requirements file installed at build time (relative to the env root, on the env's host); defaults to the cloned repo's requirements.txt when present.",
        example: 'projects/podcastllm/requirements.txt',
      }),
      pythonPackages: key(list(pipRequirement), {
        default: [],
        doc: 'Extra pip packages installed at build time.',
        example: ['sentence-transformers'],
      }),
      installer: key(choice(['pip', 'uv']), {
        default: 'pip',
        doc: 'Python installer used at build time.',
        example: 'pip',
      }),
      vscode: key(fields({ extensions: list(extension) }), {
        default: { extensions: [] },
        doc: 'VS Code settings for the attached container; extensions are installed when VS Code attaches.',
        example: { extensions: ['ms-python.python'] },
      }),
      remoteRoot: key(
        orNull(
          text('an absolute path, or one starting with ~/', (s) =>
            s.startsWith('/') || s === '~' || s.startsWith('~/')
              ? null
              : `must be absolute or start with ~/ (the remote account's home) ${got(s)}`,
          ),
        ),
        {
          default: null,
          defaultDoc: '~/devenv/<name> on that host',
          doc: "With a remote engine (ssh://, or a context or host that is one): the folder on that host holding the env's folders (projects/, the VS Code cache, relative mount sources). ~ is the remote account's home.",
          example: '~/devenv/podcastllm',
        },
      ),
      hosts: key(list(hostEntry, 'a list of docker context names or ssh:// URLs'), {
        default: [],
        doc: '`devenv start` puts the env on one of these engines: where it runs; else one with enough free GPUs for "gpus", preferring where its container or image is, then where it was last, then the most free GPUs, then this order. Later commands follow it there. Docker context names or ssh://user@host URLs.',
        example: ['gpu1', 'ssh://me@gpu2.example.com'],
      }),
      slurm: key(orNull(slurmSettings), {
        default: null,
        doc: 'Run the env on a Slurm cluster: `devenv start` (on a login node) submits one job for the env with its "gpus" as GRES and these settings (partition, time, account, qos, constraint, and sbatchArgs: extra sbatch options), and runs the container in that job, on its node\'s engine, with exactly the job\'s GPUs, CPUs and memory. `stop` ends the job. Slurm allocates: "hosts" and devenv\'s GPU leases are not used. See docs/slurm.md.',
        example: { partition: 'gpu', time: '8:00:00' },
      }),
      registry: key(orNull(registryRepo), {
        default: null,
        doc: 'Where the env\'s images are shared between hosts: a build pushes them there (the shared layers, and your image on them), and a start on another host or Slurm node whose build inputs match pulls instead of building. Credentials are Docker\'s own (`docker login`, ~/.docker/config.json, credential helpers). A registry that cannot be reached or refuses is a warning: devenv builds. Without it, a start may copy the image from another of the env\'s "hosts". See "One build for the whole team" in the README.',
        example: 'registry.lab:5000/devenv',
      }),
      sshAgent: key(flag(), {
        default: false,
        doc: "Forward the host's SSH agent (SSH_AUTH_SOCK) into the container, so git push inside uses your keys.",
        example: false,
      }),
      healthcheck: key(orNull(healthcheck), {
        default: null,
        defaultDoc: 'the base image\'s own HEALTHCHECK with "entrypoint": "base"; none with "devenv"',
        doc: 'The container\'s healthcheck: {"command"} is a shell command run inside, healthy when it exits 0; "interval", "timeout" and "startPeriod" are durations as Docker writes them ("2s", "1m30s"), "retries" the failures in a row that make it unhealthy (Docker\'s defaults: 30s, 30s, 0s, 3). "none" turns off the base image\'s own. `start` waits until it passes (see "Services and readiness" in the README). A change recreates the container at the next start; the image is not rebuilt.',
        example: {
          command: 'curl -fsS localhost:8888/api',
          interval: '2s',
          timeout: '5s',
          retries: 3,
          startPeriod: '30s',
        },
      }),
      ports: key(list(portSpec), {
        default: [],
        doc: 'Host ports published to the container, as Docker\'s short syntax writes them ("[host IP:]host port:container port[/udp]"). Needs a bridge "network": with "host" the container already shares the host\'s ports. A host port already taken is refused before anything is created.',
        example: ['127.0.0.1:8888:8888'],
      }),
    },
    'a JSON object such as {"name": "myenv"}',
  ).check(z.superRefine((config, ctx) => portsProblems(config, ctx)));
}

/** "ports" against "network", and one host port given twice: problems of the keys together. */
function portsProblems(
  config: { network: string; ports: string[] },
  ctx: {
    addIssue(issue: { code: 'custom'; message: string; path: Array<string | number>; input: unknown }): void;
  },
): void {
  if (config.ports.length === 0) return;
  if (config.network === 'host') {
    ctx.addIssue({
      code: 'custom',
      path: ['ports'],
      input: config.ports,
      message:
        'cannot be used with "network": "host" (the default: the container shares the host\'s ports already) — set "network" to a bridge network (e.g. one made with `docker network create`), or remove "ports"',
    });
    return;
  }
  const seen: PortMapping[] = [];
  config.ports.forEach((spec, i) => {
    const mapping = parsePortSpec(spec);
    if (!mapping) return;
    const earlier = seen.findIndex((m) => samePublishedPort(m, mapping));
    if (earlier >= 0)
      ctx.addIssue({
        code: 'custom',
        path: ['ports', i],
        input: spec,
        message: `publishes the same host port as "ports[${earlier}]" ${got(spec)}`,
      });
    seen.push(mapping);
  });
}

export type DevenvConfig = z.output<ReturnType<typeof configSchema>>;
export type ConfigKey = keyof DevenvConfig;

/** Host facts for documentation, where the host's own would make the docs differ per machine. */
export const REFERENCE_HOST: DefaultsContext = { envRootName: 'env', hostTimezone: 'Etc/UTC' };

/** Every key with its documentation, in the schema's order. */
export function configKeys(host: DefaultsContext = REFERENCE_HOST): Array<KeyDoc & { key: ConfigKey }> {
  return Object.entries(configSchema(host).shape).map(([name, schema]) => {
    const doc = keyDocs.get(schema);
    if (!doc) throw new Error(`config key ${name} has no documentation`);
    return { key: name as ConfigKey, ...doc };
  });
}

export const CONFIG_KEYS = configKeys();
