import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { closest, editDistance } from '../../../../src/core/config/did-you-mean.js';
import { parseJsonc } from '../../../../src/core/config/jsonc.js';
import {
  CONFIG_KEYS,
  DEFAULT_APT_PACKAGES,
  type DefaultsContext,
  type DevenvConfig,
  type GpuRequest,
  type MountSpec,
  parseSize,
  sanitizeEnvName,
} from '../../../../src/core/config/schema.js';
import { parseConfig, validateConfig } from '../../../../src/core/config/validate.js';
import { DevenvError } from '../../../../src/core/errors.js';

const FILE = '/srv/envs/podcast llm/.devenvrc';
const ctx: DefaultsContext = { envRootName: 'podcast llm', hostTimezone: 'Asia/Taipei' };
const EXAMPLE_FILE = fileURLToPath(new URL('../../../../.devenvrc.example', import.meta.url));
const KNOWN_KEYS = CONFIG_KEYS.map((spec) => spec.key);

/** Runs `run`, which must fail with a config error (exit code 3), and returns that error. */
function configFailure(run: () => unknown): DevenvError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(3);
    return error as DevenvError;
  }
  throw new Error('expected a DevenvError, but the config was accepted');
}

const rejected = (raw: Record<string, unknown>) => configFailure(() => validateConfig(raw, FILE, ctx));
const accepted = (raw: Record<string, unknown>) => validateConfig(raw, FILE, ctx);

describe('parseConfig: defaults', () => {
  const defaults = {
    name: 'podcast-llm',
    baseImage: 'auto',
    projectsDir: 'projects',
    vscodeServerDir: 'temp/.vscode-server',
    mounts: [],
    aptPackages: DEFAULT_APT_PACKAGES,
    env: {},
    network: 'host',
    shmSize: '8g',
    locales: ['en_US.UTF-8'],
    timezone: 'Asia/Taipei',
    shell: '/bin/bash',
    repo: null,
    branch: null,
    gpus: 'auto',
    entrypoint: 'devenv',
    torch: 'auto',
    requirements: null,
    pythonPackages: [],
    installer: 'pip',
    vscode: { extensions: [] },
    remoteRoot: null,
    hosts: [],
    slurm: null,
    registry: null,
    sshAgent: false,
    healthcheck: null,
    ports: [],
  };

  it.each([
    { label: 'an empty file', text: '' },
    { label: 'a file of whitespace', text: '  \n\t\n' },
    { label: 'an empty object', text: '{}' },
    {
      label: 'every key null',
      text: JSON.stringify(Object.fromEntries(KNOWN_KEYS.map((key) => [key, null]))),
    },
  ])('$label gives every default', ({ text }) => {
    expect(parseConfig(text, FILE, ctx)).toEqual(defaults);
  });

  it('sets a value for every key in CONFIG_KEYS', () => {
    expect(Object.keys(parseConfig('', FILE, ctx)).sort()).toEqual([...KNOWN_KEYS].sort());
  });

  it('takes the name from the env root folder and the timezone from the host', () => {
    const config = parseConfig('', FILE, { envRootName: '..My Env (v2)', hostTimezone: 'Europe/Paris' });
    expect(config.name).toBe('My-Env-v2-');
    expect(config.timezone).toBe('Europe/Paris');
  });

  it('keeps the values a file sets and fills in the rest', () => {
    const config = parseConfig('{"name": "demo", "shmSize": "16g", "gpus": [0, 1]}', FILE, ctx);
    expect(config).toEqual({ ...defaults, name: 'demo', shmSize: '16g', gpus: [0, 1] });
  });

  it('does not share default lists between configs', () => {
    const first = parseConfig('', FILE, ctx);
    first.aptPackages.push('ffmpeg');
    expect(parseConfig('', FILE, ctx).aptPackages).toEqual(DEFAULT_APT_PACKAGES);
  });
});

describe('parseConfig: malformed JSON names file, line and column', () => {
  it.each([
    {
      label: 'a doubled comma on line 3',
      text: '{\n  "name": "a",\n  "network": "host",,\n  "shell": "/bin/sh"\n}',
      where: '3:21',
      says: 'expected a key in "double quotes"',
    },
    {
      label: 'a missing comma on line 3',
      text: '{\n  "name": "a",\n  "network": "host" "x"\n}',
      where: '3:21',
      says: 'expected a comma before this',
    },
    {
      label: 'an unquoted value on line 3',
      text: '{\n  "name": "a",\n  "network": host\n}',
      where: '3:14',
      says: 'unexpected host (strings and keys need "double quotes")',
    },
    {
      label: 'an unquoted key',
      text: '{\n  name: "a"\n}',
      where: '2:3',
      says: 'unexpected name (strings and keys need "double quotes")',
    },
    { label: 'single quotes', text: "{'name': 'a'}", where: '1:2', says: "unexpected 'name'" },
    { label: 'an unclosed object', text: '{\n  "name": "a"\n', where: '3:1', says: 'expected "}"' },
    {
      label: 'an unclosed comment',
      text: '{"name": "a" /* why',
      where: '1:14',
      says: 'a /* comment is not closed',
    },
    { label: 'an unclosed string', text: '{"name": "a}', where: '1:10', says: 'a string is not closed' },
    { label: 'text after the object', text: '{"name": "a"} {}', where: '1:15', says: 'unexpected' },
    { label: 'an error on line 1', text: '{"name": "a" "b"}', where: '1:14', says: 'expected a comma' },
    {
      label: 'after a byte order mark',
      text: '\uFEFF{"name": "a" "b"}',
      where: '1:14',
      says: 'expected a comma',
    },
  ])('$label', ({ text, where, says }) => {
    const error = configFailure(() => parseConfig(text, FILE, ctx));
    expect(error.message).toContain(`${FILE}:${where}: not valid JSON: ${says}`);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.hint).toContain('devenv config');
  });

  it.each([
    { label: 'a list', text: '["name"]', got: 'a list' },
    { label: 'a string', text: '"demo"', got: '"demo"' },
    { label: 'null', text: 'null', got: 'null' },
    { label: 'a number', text: '42', got: '42' },
  ])('rejects $label at the top level', ({ text, got }) => {
    expect(configFailure(() => parseConfig(text, FILE, ctx)).message).toBe(
      `${FILE}:1:1: must be a JSON object such as {"name": "myenv"} (got ${got})`,
    );
  });
});

describe('parseConfig: JSONC, as VS Code reads its settings', () => {
  it('accepts // and /* */ comments and trailing commas', () => {
    const text = [
      '// my env',
      '{',
      '  /* the name */ "name": "demo", // docker-safe',
      '  "gpus": [0, 1,],',
      '  "env": { "A": "1", },',
      '}',
      '',
    ].join('\n');
    expect(parseConfig(text, FILE, ctx)).toMatchObject({ name: 'demo', gpus: [0, 1], env: { A: '1' } });
  });

  it('accepts a UTF-8 byte order mark', () => {
    expect(parseConfig('\uFEFF{"name": "demo"}\n', FILE, ctx).name).toBe('demo');
  });

  it('gives the defaults for a file of comments only', () => {
    expect(parseConfig('// nothing yet\n/* really */\n', FILE, ctx)).toEqual(parseConfig('', FILE, ctx));
  });

  it('refuses a key given twice, naming the key and both lines', () => {
    const text = '{\n  "name": "a",\n  "gpus": "all",\n  "name": "b"\n}\n';
    const error = configFailure(() => parseConfig(text, FILE, ctx));
    expect(error.message).toBe(`${FILE}:4:3: "name" is given twice, on lines 2 and 4`);
    expect(error.hint).toContain('keep one');
  });

  it('refuses a key given twice inside a nested object, with its full path', () => {
    const text = '{\n  "mounts": [\n    { "source": "a", "target": "/a",\n      "source": "b" }\n  ]\n}';
    expect(configFailure(() => parseConfig(text, FILE, ctx)).message).toBe(
      `${FILE}:4:7: "mounts[0].source" is given twice, on lines 3 and 4`,
    );
  });

  it('reports every key given twice, with a count', () => {
    const text = '{"name": "a", "name": "b",\n "env": {"A": "1", "A": "2"}}';
    const error = configFailure(() => parseConfig(text, FILE, ctx));
    expect(error.message.split('\n')).toEqual([
      `${FILE}:1:15: "name" is given twice, on lines 1 and 1`,
      `${FILE}:2:20: "env.A" is given twice, on lines 2 and 2`,
    ]);
    expect(error.hint).toContain('2 problems');
  });

  it('allows the same key in different objects', () => {
    const text = '{"mounts": [{"source": "a", "target": "/a"}, {"source": "b", "target": "/b"}]}';
    expect(parseConfig(text, FILE, ctx).mounts).toHaveLength(2);
  });
});

describe('parseConfig: a bad value names its line and column', () => {
  it('points at the key, in the order the file has them', () => {
    const text = [
      '{',
      '  "netwrok": "host",',
      '  "shmSize": "lots",',
      '  "mounts": [{ "source": "d", "target": "d" }],',
      '  "env": { "PORT": 8080 },',
      '}',
    ].join('\n');
    expect(configFailure(() => parseConfig(text, FILE, ctx)).message.split('\n')).toEqual([
      `${FILE}:2:3: "netwrok" is not a known key (did you mean "network"?)`,
      `${FILE}:3:3: "shmSize" must be a size such as "8g" or "512m" (got "lots")`,
      `${FILE}:4:31: "mounts[0].target" must be an absolute path inside the container, starting with "/" (got "d")`,
      `${FILE}:5:12: "env.PORT" must be a string (got 8080); quote numbers and booleans`,
    ]);
  });

  it('points at the enclosing object for a key left out', () => {
    const text = '{\n  "mounts": [\n    { "source": "data" }\n  ]\n}';
    expect(configFailure(() => parseConfig(text, FILE, ctx)).message).toBe(
      `${FILE}:3:5: "mounts[0].target" is required (an absolute path inside the container)`,
    );
  });
});

describe('validateConfig: wrong types name the key and what is allowed', () => {
  it.each([
    {
      key: 'name',
      value: 42,
      says: 'must be a name of letters, digits, "_", "." or "-" (Docker\'s rule) (got 42)',
    },
    {
      key: 'baseImage',
      value: ['ubuntu'],
      says: 'must be an image reference such as "ubuntu:24.04", or "auto" (got a list)',
    },
    {
      key: 'projectsDir',
      value: true,
      says: 'must be a path (relative to the env root, or absolute) (got true)',
    },
    {
      key: 'mounts',
      value: {},
      says: 'must be a list of {"source", "target", "readonly"?} objects (got an object)',
    },
    { key: 'aptPackages', value: 'git vim', says: 'must be a list of a Debian package name (got "git vim")' },
    { key: 'env', value: ['A=1'], says: 'must be an object of string values (got a list)' },
    { key: 'network', value: 5, says: 'must be "host", "bridge" or a Docker network name (got 5)' },
    { key: 'shmSize', value: 8, says: 'must be a size such as "8g" or "512m" (got 8)' },
    {
      key: 'locales',
      value: 'en_US.UTF-8',
      says: 'must be a list of a locale such as "en_US.UTF-8" (got "en_US.UTF-8")',
    },
    { key: 'timezone', value: 8, says: 'must be a timezone such as "Europe/Paris" or "UTC" (got 8)' },
    { key: 'shell', value: false, says: 'must be an absolute path to a shell (got false)' },
    { key: 'repo', value: { url: 'x' }, says: 'must be a git URL or a local path (got an object)' },
    { key: 'branch', value: 1, says: 'must be a branch name (got 1)' },
    {
      key: 'gpus',
      value: true,
      says: 'must be "auto", "all", "none", a number of GPUs to lease (2, or {"count": 2, "minMemoryGiB": 40}) or a list of GPU indices/UUIDs (got true)',
    },
    { key: 'entrypoint', value: 'docker', says: 'must be one of "devenv", "base" (got "docker")' },
    {
      key: 'torch',
      value: 2,
      says: 'must be "auto", "none", "cpu", "cuXYZ" or a pip requirement for torch (got 2)',
    },
    {
      key: 'requirements',
      value: ['a.txt'],
      says: 'must be a path (relative to the env root, or absolute) (got a list)',
    },
    { key: 'pythonPackages', value: 'numpy', says: 'must be a list of a pip requirement' },
    { key: 'installer', value: 'conda', says: 'must be one of "pip", "uv" (got "conda")' },
    { key: 'vscode', value: ['ms-python.python'], says: 'must be an object (got a list)' },
    { key: 'sshAgent', value: 'yes', says: 'must be true or false (got "yes")' },
    {
      key: 'registry',
      value: 'registry.lab:5000/devenv:latest',
      says: 'must be a registry host[:port] and a lowercase repository path, with no tag (got "registry.lab:5000/devenv:latest")',
    },
    {
      key: 'registry',
      value: 'registry.lab/Team',
      says: 'must be a registry host[:port] and a lowercase repository path',
    },
    {
      key: 'registry',
      value: 'r.lab/x@sha256:ab',
      says: 'must be a registry host[:port] and a lowercase repository path',
    },
    {
      key: 'registry',
      value: 5000,
      says: 'must be a registry and repository such as "registry.lab:5000/devenv" (got 5000)',
    },
    {
      key: 'remoteRoot',
      value: 'devenv/x',
      says: `must be absolute or start with ~/ (the remote account's home) (got "devenv/x")`,
    },
  ])('$key: $value', ({ key, value, says }) => {
    const error = rejected({ [key]: value });
    expect(error.message).toContain(`${FILE}: "${key}" ${says}`);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it.each([
    { raw: { shell: 'bash' }, line: '"shell" must be an absolute path such as "/bin/bash" (got "bash")' },
    {
      raw: { aptPackages: ['git', 'Git'] },
      line: '"aptPackages[1]" is not a Debian package name (got "Git")',
    },
    {
      raw: { locales: ['english'] },
      line: '"locales[0]" is not a locale such as "en_US.UTF-8" (got "english")',
    },
    {
      raw: { timezone: 'Europe Paris' },
      line: '"timezone" is not a timezone such as "Asia/Taipei" (got "Europe Paris")',
    },
    {
      raw: { pythonPackages: ['numpy ==2.1'] },
      line: '"pythonPackages[0]" must be one pip requirement with no spaces',
    },
    { raw: { vscode: { extensions: 'ms-python.python' } }, line: '"vscode.extensions" must be a list of' },
    { raw: { vscode: { extensions: ['python'] } }, line: '"vscode.extensions[0]" is not an extension id' },
    { raw: { vscode: {} }, line: '"vscode.extensions" is required' },
    { raw: { mounts: [{ source: 'data' }] }, line: '"mounts[0].target" is required' },
    {
      raw: { mounts: [{ source: 'd', target: '/d', readonly: 'yes' }] },
      line: '"mounts[0].readonly" must be true or false',
    },
    { raw: { mounts: ['data:/data'] }, line: '"mounts[0]" must be an object (got "data:/data")' },
  ])('names the nested key: $line', ({ raw, line }) => {
    expect(rejected(raw).message).toContain(`${FILE}: ${line}`);
  });
});

describe('validateConfig: unknown keys', () => {
  it.each([
    { key: 'netwrok', guess: 'network' },
    { key: 'shm_size', guess: 'shmSize' },
    { key: 'shmsize', guess: 'shmSize' },
    { key: 'Name', guess: 'name' },
    { key: 'gpu', guess: 'gpus' },
    { key: 'base_image', guess: 'baseImage' },
    { key: 'apt_packages', guess: 'aptPackages' },
    { key: 'python_packages', guess: 'pythonPackages' },
    { key: 'vscode_server_dir', guess: 'vscodeServerDir' },
    { key: 'ssh_agent', guess: 'sshAgent' },
    { key: 'time_zone', guess: 'timezone' },
    { key: 'mount', guess: 'mounts' },
    { key: 'requirement', guess: 'requirements' },
  ])('"$key" suggests "$guess"', ({ key, guess }) => {
    expect(rejected({ [key]: 'x' }).message).toBe(
      `${FILE}: "${key}" is not a known key (did you mean "${guess}"?)`,
    );
  });

  // Too far from any key to guess: the message lists every known key instead.
  it.each(['image', 'tz', 'foo', 'entry'])('"%s" lists the known keys', (key) => {
    const message = rejected({ [key]: 'x' }).message;
    expect(message).toBe(`${FILE}: "${key}" is not a known key (known keys: ${KNOWN_KEYS.join(', ')})`);
  });

  it('suggests for an unknown key inside a mount', () => {
    expect(rejected({ mounts: [{ source: 'd', target: '/d', readOnly: true }] }).message).toContain(
      '"mounts[0].readOnly" is not a known key (did you mean "readonly"?)',
    );
  });
});

describe('validateConfig: every bad key in one error', () => {
  it('reports each problem on its own line, with a count in the hint', () => {
    const error = rejected({ netwrok: 'host', shmSize: 'lots', name: '-bad', env: { PORT: 8080 } });
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.every((line) => line.startsWith(`${FILE}: "`))).toBe(true);
    expect(lines.map((line) => /^[^"]*"([^"]+)"/.exec(line)?.[1]).sort()).toEqual([
      'env.PORT',
      'name',
      'netwrok',
      'shmSize',
    ]);
    expect(error.hint).toContain('4 problems');
  });

  it('gives no count when there is one problem', () => {
    expect(rejected({ shmSize: 'lots' }).hint).toBeUndefined();
  });
});

describe('validateConfig: values Docker or the image would reject', () => {
  it.each([
    'name',
    'baseImage',
    'projectsDir',
    'vscodeServerDir',
    'network',
    'shmSize',
    'timezone',
    'shell',
    'repo',
    'branch',
    'torch',
    'requirements',
  ])('empty "%s" is rejected', (key) => {
    for (const value of ['', '   ']) {
      expect(rejected({ [key]: value }).message).toContain(`"${key}" must not be empty`);
    }
  });

  it.each([
    { label: 'empty apt package', raw: { aptPackages: [''] }, key: 'aptPackages[0]' },
    {
      label: 'empty mount source',
      raw: { mounts: [{ source: '', target: '/data' }] },
      key: 'mounts[0].source',
    },
    {
      label: 'empty mount target',
      raw: { mounts: [{ source: 'data', target: '' }] },
      key: 'mounts[0].target',
    },
    { label: 'empty locale', raw: { locales: [''] }, key: 'locales[0]' },
  ])('$label is rejected', ({ raw, key }) => {
    expect(rejected(raw).message).toContain(`"${key}" must not be empty`);
  });

  it.each(['data', './data', 'data/../x'])('relative mount target %j is rejected', (target) => {
    expect(rejected({ mounts: [{ source: 'data', target }] }).message).toContain(
      `"mounts[0].target" must be an absolute path inside the container, starting with "/" (got ${JSON.stringify(target)})`,
    );
  });

  it.each(['-bad', 'a b', 'a'.repeat(65), '.hidden', '_x', 'naïve', 'a/b'])('name %j is rejected', (name) => {
    expect(rejected({ name }).message).toContain('"name" must start with a letter or digit');
  });

  it.each(['a', 'a'.repeat(64), 'my_env.v2-1', 'PodcastLLM', '0day'])('name %j is accepted', (name) => {
    expect(accepted({ name }).name).toBe(name);
  });

  it.each(['0', '10t', 'lots', '1k', '63m', '1025g', '-8g', '8 g', '8gb'])(
    'shmSize %j is rejected',
    (shmSize) => {
      expect(rejected({ shmSize }).message).toMatch(/"shmSize" must be (a size|between 64m and 1024g)/);
    },
  );

  it.each(['64m', '512m', '8g', '8G', '1.5g', '1024g', '67108864'])('shmSize %j is accepted', (shmSize) => {
    expect(accepted({ shmSize }).shmSize).toBe(shmSize);
  });

  it.each([
    { env: { PORT: 8080 }, says: '"env.PORT" must be a string (got 8080); quote numbers and booleans' },
    { env: { DEBUG: true }, says: '"env.DEBUG" must be a string (got true)' },
    { env: { LIST: ['a'] }, says: '"env.LIST" must be a string (got ["a"])' },
    { env: { '1ST': 'x' }, says: '"env.1ST" is not a valid environment variable name' },
    { env: { 'MY-VAR': 'x' }, says: '"env.MY-VAR" is not a valid environment variable name' },
    { env: { 'A=B': 'x' }, says: '"env.A=B" is not a valid environment variable name' },
    { env: { '': 'x' }, says: '"env." is not a valid environment variable name' },
  ])('env $env is rejected', ({ env, says }) => {
    expect(rejected({ env }).message).toContain(says);
  });

  it('accepts string env values, including empty ones and ones with "="', () => {
    const env = { HF_HOME: '/home/me/.cache/hf', EMPTY: '', _X1: 'a=b' };
    expect(accepted({ env }).env).toEqual(env);
  });

  it.each([
    'auto',
    'all',
    'none',
    1,
    2,
    8,
    { count: 2 },
    { count: 2, minMemoryGiB: 40 },
    { count: 1, minMemoryGiB: 0.5 },
    [],
    [0],
    [0, '1', 'GPU-8ee5f1e0-e705-aac5-6d6e-b97ad59601ef'],
    ['MIG-5e3f1c2a-0b7d-4f3e-9a1c-2d4e6f8a0b1c'],
  ])('gpus %j is accepted', (gpus) => {
    expect(accepted({ gpus }).gpus).toEqual(gpus);
  });

  it.each(['some', 'ALL', '', '2', true])('gpus %j is rejected with what the key allows', (gpus) => {
    expect(rejected({ gpus }).message).toBe(
      `${FILE}: "gpus" must be "auto", "all", "none", a number of GPUs to lease (2, or {"count": 2, "minMemoryGiB": 40}) or a list of GPU indices/UUIDs (got ${JSON.stringify(gpus)})`,
    );
  });

  // A number that is not a count is told what a count is, not the whole list of forms.
  it.each([0, -1, 1.5])('gpus %j is not a count', (gpus) => {
    expect(rejected({ gpus }).message).toBe(
      `${FILE}: "gpus" must be a whole number of GPUs, 1 or more (got ${gpus}); "none" means no GPU`,
    );
  });

  // In the object form, each bad field is named at its own path, unknown keys with a guess.
  it.each([
    { gpus: {}, lines: ['"gpus.count" is required (a whole number of GPUs, 1 or more)'] },
    {
      gpus: { count: 0 },
      lines: ['"gpus.count" must be a whole number of GPUs, 1 or more (got 0); "none" means no GPU'],
    },
    { gpus: { count: '2' }, lines: ['"gpus.count" must be a whole number of GPUs, 1 or more (got "2")'] },
    {
      gpus: { count: 2, minMemoryGiB: 0 },
      lines: ['"gpus.minMemoryGiB" must be a size in GiB greater than 0, such as 40 (got 0)'],
    },
    {
      gpus: { count: 2, minMemoryGiB: '40g' },
      lines: ['"gpus.minMemoryGiB" must be a size in GiB greater than 0, such as 40 (got "40g")'],
    },
    {
      gpus: { count: 2, minMemory: 40 },
      lines: ['"gpus.minMemory" is not a known key (did you mean "minMemoryGiB"?)'],
    },
    {
      gpus: { counts: 2 },
      lines: ['"gpus.count" is required', '"gpus.counts" is not a known key (did you mean "count"?)'],
    },
  ])('gpus $gpus names the field', ({ gpus, lines }) => {
    const message = rejected({ gpus }).message.split('\n');
    expect(message).toHaveLength(lines.length);
    for (const line of lines) expect(message.some((m) => m.startsWith(`${FILE}: ${line}`))).toBe(true);
  });

  // In a list, the bad entry is named.
  it.each([-1, 1.5, 'gpu0', 'GPU-xyz', null])('gpus [%j] names the entry', (entry) => {
    expect(rejected({ gpus: [0, entry] }).message).toBe(
      `${FILE}: "gpus[1]" must be a GPU index (0, 1, …) or UUID ("GPU-…") (got ${JSON.stringify(entry)})`,
    );
  });

  it.each(['auto', 'none', 'cpu', 'cu126', 'torch==2.5.1', 'torch>=2.4,<2.6'])(
    'torch %j is accepted',
    (torch) => {
      expect(accepted({ torch }).torch).toBe(torch);
    },
  );

  it.each(['torch 2.5', 'torch == 2.5.1', 'cu 126'])('torch %j is rejected', (torch) => {
    expect(rejected({ torch }).message).toContain(
      `"torch" must be "auto", "none", "cpu", "cuXYZ" or one pip requirement (got ${JSON.stringify(torch)})`,
    );
  });

  it('accepts a mount with every option', () => {
    const mount = {
      source: '/mnt/datasets',
      target: '/etc/datasets',
      readonly: true,
      allowSystemTarget: true,
    };
    expect(accepted({ mounts: [mount] }).mounts).toEqual([mount]);
  });
});

describe('hosts', () => {
  it.each([
    {
      value: 'tcp://gpu1:2375',
      says: 'must reach its host over SSH: use ssh://user@host, or a context whose endpoint is one (got "tcp://gpu1:2375")',
    },
    {
      value: 'ssh://me@gpu1/path',
      says: 'must be a docker context name or ssh://user@host[:port] (got "ssh://me@gpu1/path")',
    },
    { value: 'my box', says: 'must be a docker context name or ssh://user@host[:port] (got "my box")' },
  ])('refuses $value, naming the entry', ({ value, says }) => {
    const error = rejected({ hosts: ['gpu1', value] });
    expect(error.message).toContain(`${FILE}: "hosts[1]" ${says}`);
  });

  it('takes context names and ssh:// URLs with a user and a port', () => {
    const hosts = ['gpu1', 'ssh://me@gpu2.example.com', 'ssh://me@10.0.0.7:2222', 'ssh://gpu3'];
    expect(parseConfig(JSON.stringify({ hosts }), FILE, ctx).hosts).toEqual(hosts);
  });
});

describe('healthcheck and ports', () => {
  it.each([
    { raw: { healthcheck: 'none' }, value: 'none' },
    {
      raw: { healthcheck: { command: 'curl -f localhost:8888' } },
      value: { command: 'curl -f localhost:8888' },
    },
    {
      raw: {
        healthcheck: { command: 'x', interval: '1m30s', timeout: '500ms', retries: 2, startPeriod: '1s' },
      },
      value: { command: 'x', interval: '1m30s', timeout: '500ms', retries: 2, startPeriod: '1s' },
    },
  ])('healthcheck $raw.healthcheck is accepted', ({ raw, value }) => {
    expect(accepted(raw).healthcheck).toEqual(value);
  });

  it.each([
    {
      raw: { healthcheck: 'off' },
      lines: [
        '"healthcheck" must be "none" or {"command", "interval"?, "timeout"?, "retries"?, "startPeriod"?} (got "off")',
      ],
    },
    {
      raw: { healthcheck: {} },
      lines: ['"healthcheck.command" is required (a shell command such as "curl -fsS localhost:8888/api")'],
    },
    {
      raw: { healthcheck: { command: 'x', interval: '2' } },
      lines: [
        '"healthcheck.interval" must be a duration such as "2s", "1m30s" or "500ms", each number with its unit (ms, s, m, h) (got "2")',
      ],
    },
    {
      raw: { healthcheck: { command: 'x', timeout: '0s', retries: 0 } },
      lines: [
        '"healthcheck.timeout" must be at least 1ms (got "0s")',
        '"healthcheck.retries" must be a whole number of failed probes in a row, 1 or more (got 0)',
      ],
    },
    {
      raw: { healthcheck: { command: 'x', start_period: '5s' } },
      lines: ['"healthcheck.start_period" is not a known key (did you mean "startPeriod"?)'],
    },
    {
      raw: { ports: ['8888:8888'] },
      lines: [
        '"ports" cannot be used with "network": "host" (the default: the container shares the host\'s ports already) — set "network" to a bridge network (e.g. one made with `docker network create`), or remove "ports"',
      ],
    },
    {
      raw: { network: 'svcnet', ports: ['8888'] },
      lines: [
        '"ports[0]" must name the host port too, as "8888:8888" does (got "8888"): devenv publishes only the ports you choose',
      ],
    },
    {
      raw: { network: 'svcnet', ports: ['8888:80', '127.0.0.1:8888:81'] },
      lines: ['"ports[1]" publishes the same host port as "ports[0]" (got "127.0.0.1:8888:81")'],
    },
  ])('$raw is refused, each problem at its own key', ({ raw, lines }) => {
    expect(rejected(raw).message.split('\n')).toEqual(lines.map((line) => `${FILE}: ${line}`));
  });

  it('ports with a bridge network are accepted', () => {
    expect(accepted({ network: 'svcnet', ports: ['8888:8888', '127.0.0.1:9000:8000/udp'] }).ports).toEqual([
      '8888:8888',
      '127.0.0.1:9000:8000/udp',
    ]);
  });
});

describe('CONFIG_KEYS examples and .devenvrc.example', () => {
  it('every example is valid, and together they make a valid config', () => {
    const examples = Object.fromEntries(CONFIG_KEYS.map((spec) => [spec.key, spec.example]));
    const config = accepted(examples);
    expect(config).toEqual(examples);
  });

  it.each(CONFIG_KEYS.map((spec) => [spec.key, spec] as const))(
    '%s has an example and a doc',
    (_key, spec) => {
      expect(spec.example).not.toBeUndefined();
      expect(spec.example).not.toBeNull();
      expect(spec.doc.length).toBeGreaterThan(10);
    },
  );

  it.skipIf(!existsSync(EXAMPLE_FILE))('the repository .devenvrc.example parses and sets every key', () => {
    const text = readFileSync(EXAMPLE_FILE, 'utf8');
    expect(() => parseConfig(text, EXAMPLE_FILE, ctx)).not.toThrow();
    expect(text.startsWith('// ')).toBe(true);
    const parsed = parseJsonc(text);
    if (!parsed.ok) throw new Error('the example does not parse');
    expect(KNOWN_KEYS.filter((key) => !(key in (parsed.value as Record<string, unknown>)))).toEqual([]);
  });
});

describe("the DevenvConfig type is the schema's", () => {
  it('has the types the rest of devenv relies on', () => {
    expectTypeOf<DevenvConfig['name']>().toEqualTypeOf<string>();
    expectTypeOf<DevenvConfig['repo']>().toEqualTypeOf<string | null>();
    expectTypeOf<DevenvConfig['gpus']>().toEqualTypeOf<GpuRequest>();
    expectTypeOf<GpuRequest>().toEqualTypeOf<
      | 'auto'
      | 'all'
      | 'none'
      | number
      | { count: number; minMemoryGiB?: number | undefined }
      | Array<string | number>
    >();
    expectTypeOf<DevenvConfig['mounts']>().toEqualTypeOf<MountSpec[]>();
    expectTypeOf<MountSpec['readonly']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<DevenvConfig['entrypoint']>().toEqualTypeOf<'devenv' | 'base'>();
    expectTypeOf<DevenvConfig['env']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<keyof DevenvConfig>().toEqualTypeOf<(typeof CONFIG_KEYS)[number]['key']>();
  });
});

describe('parseSize', () => {
  it.each([
    { text: '8g', bytes: 8 * 1024 ** 3 },
    { text: '8G', bytes: 8 * 1024 ** 3 },
    { text: ' 8g ', bytes: 8 * 1024 ** 3 },
    { text: '512m', bytes: 512 * 1024 ** 2 },
    { text: '1.5g', bytes: 1.5 * 1024 ** 3 },
    { text: '64k', bytes: 64 * 1024 },
    { text: '100b', bytes: 100 },
    { text: '1073741824', bytes: 1073741824 },
    { text: '0', bytes: 0 },
  ])('$text is $bytes bytes', ({ text, bytes }) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'lots', '10t', '-1g', '8gb', '8 g', 'g', '1e3'])('%j is not a size', (text) => {
    expect(parseSize(text)).toBeNull();
  });
});

describe('sanitizeEnvName', () => {
  it.each([
    { folder: 'podcastllm', name: 'podcastllm' },
    { folder: 'podcast llm', name: 'podcast-llm' },
    { folder: 'My Env (v2)', name: 'My-Env-v2-' },
    { folder: '..hidden', name: 'hidden' },
    { folder: '-dash', name: 'dash' },
    { folder: 'naïve café', name: 'na-ve-caf-' },
    { folder: '', name: 'env' },
    { folder: '___', name: 'env' },
    { folder: '日本語', name: 'env' },
    { folder: 'a'.repeat(80), name: 'a'.repeat(64) },
  ])('$folder -> $name', ({ folder, name }) => {
    expect(sanitizeEnvName(folder)).toBe(name);
  });

  it.each(['podcast llm', '..hidden', '日本語', `${'x'.repeat(63)} tail`, '$$$abc', '.'])(
    'the name made from %j passes the name rule',
    (folder) => {
      const name = sanitizeEnvName(folder);
      expect(accepted({ name }).name).toBe(name);
    },
  );
});

describe('closest and editDistance', () => {
  it.each([
    { a: '', b: '', distance: 0 },
    { a: '', b: 'abc', distance: 3 },
    { a: 'abc', b: 'abc', distance: 0 },
    { a: 'kitten', b: 'sitting', distance: 3 },
    { a: 'netwrok', b: 'network', distance: 2 },
    { a: 'gpu', b: 'gpus', distance: 1 },
    { a: 'flaw', b: 'lawn', distance: 2 },
  ])('editDistance($a, $b) = $distance', ({ a, b, distance }) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });

  it.each([
    { word: 'netwrok', guess: 'network' },
    { word: 'shm_size', guess: 'shmSize' },
    { word: 'SHMSIZE', guess: 'shmSize' },
    { word: 'gpu', guess: 'gpus' },
    { word: 'image', guess: undefined },
    { word: 'tz', guess: undefined },
    { word: 'x', guess: undefined },
  ])('closest($word) is $guess', ({ word, guess }) => {
    expect(closest(word, KNOWN_KEYS)).toBe(guess);
  });

  it('finds nothing among no words', () => {
    expect(closest('name', [])).toBeUndefined();
  });
});
