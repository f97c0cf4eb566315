import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type ContextFile,
  contextWithLabels,
  NO_PYTHON_FOR_VENV,
  PYTHON_APT_PACKAGES,
  type PythonInstall,
  planBuild,
  type Recipe,
  VENV_ENV_LINE,
  withoutVenv,
} from '../../../src/core/build-plan.js';
import type { DevenvConfig } from '../../../src/core/config/schema.js';
import { parseConfig } from '../../../src/core/config/validate.js';
import { containerUserFor } from '../../../src/core/container-user.js';
import { DevenvError } from '../../../src/core/errors.js';
import type { EnvIdentity, HostUser } from '../../../src/core/identity.js';
import {
  envIdentity,
  LABELS,
  MANAGED_BY,
  ownerLabels,
  SHARED_LAYER_LABELS,
  sharedImageRef,
} from '../../../src/core/identity.js';

const alice: HostUser = { name: 'alice', uid: 1234, gid: 2345 };
const bob: HostUser = { name: 'bob', uid: 1001, gid: 1001 };
const identity = envIdentity('podcastllm', alice, '/srv/envs/podcastllm');
const bytes = (text: string) => new Uint8Array(Buffer.from(text));

function config(overrides: Partial<DevenvConfig> = {}): DevenvConfig {
  return {
    ...parseConfig('', '/srv/envs/podcastllm/.devenvrc', { envRootName: 'podcastllm', hostTimezone: 'UTC' }),
    ...overrides,
  };
}

function sharedRecipe(dockerfile = 'ARG BASE_IMAGE\nFROM $BASE_IMAGE\n'): ContextFile[] {
  return [
    { path: 'Dockerfile', content: bytes(dockerfile) },
    { path: 'setup-system.sh', content: bytes('#!/bin/sh\napt-get install\n'), mode: 0o755 },
  ];
}

function userRecipe(dockerfile = 'ARG SHARED_IMAGE\nFROM $SHARED_IMAGE\n'): ContextFile[] {
  return [
    { path: 'Dockerfile', content: bytes(dockerfile) },
    { path: 'setup-user.sh', content: bytes('#!/bin/sh\nuseradd\n'), mode: 0o755 },
  ];
}

function recipe(parts: Partial<Recipe> = {}): Recipe {
  return { shared: parts.shared ?? sharedRecipe(), user: parts.user ?? userRecipe() };
}

const noPython: PythonInstall = { torch: null, files: [] };
const requirements = (text: string): PythonInstall => ({
  torch: null,
  files: [{ path: 'python/requirements.txt', content: bytes(text) }],
});

function plan(
  input: {
    config?: DevenvConfig;
    user?: HostUser;
    identity?: EnvIdentity;
    python?: PythonInstall;
    recipe?: Recipe;
    baseImage?: string;
  } = {},
) {
  return planBuild({
    identity: input.identity ?? identity,
    config: input.config ?? config(),
    user: containerUserFor(input.user ?? alice),
    baseImage: input.baseImage ?? 'ubuntu:24.04',
    recipe: input.recipe ?? recipe(),
    python: input.python ?? noPython,
  });
}

describe('containerUserFor', () => {
  it.each([
    { user: alice, expected: { name: 'alice', uid: 1234, gid: 2345, home: '/home/alice' } },
    { user: { name: 'root', uid: 0, gid: 0 }, expected: { name: 'root', uid: 0, gid: 0, home: '/root' } },
    { user: { name: 'admin', uid: 0, gid: 10 }, expected: { name: 'root', uid: 0, gid: 0, home: '/root' } },
    {
      user: { name: 'john.doe_2-x', uid: 1500, gid: 100 },
      expected: { name: 'john.doe_2-x', uid: 1500, gid: 100, home: '/home/john.doe_2-x' },
    },
    {
      user: { name: '_svc', uid: 999, gid: 999 },
      expected: { name: '_svc', uid: 999, gid: 999, home: '/home/_svc' },
    },
  ])('$user.name ($user.uid) -> $expected.name in $expected.home', ({ user, expected }) => {
    expect(containerUserFor(user)).toEqual(expected);
  });

  it.each(['john doe', 'DOMAIN\\john', '-dash', 'a/b', '', 'x'.repeat(33)])(
    'host user %j cannot be a container user',
    (name) => {
      let error: unknown;
      try {
        containerUserFor({ name, uid: 1000, gid: 1000 });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DevenvError);
      expect((error as DevenvError).exitCode).toBe(11);
      expect((error as DevenvError).message).toContain(JSON.stringify(name));
      expect((error as DevenvError).hint).toBeTruthy();
    },
  );
});

describe('planBuild: build args', () => {
  it('the user layer gets the container user, its shell and the shared image; the shared layers the base image and timezone', () => {
    const built = plan({
      config: config({ timezone: 'Asia/Taipei', shell: '/bin/zsh' }),
      baseImage: 'nvidia/cuda:12.8.1-base-ubuntu24.04',
    });
    expect(built.buildArgs).toEqual({
      SHARED_IMAGE: built.shared.imageRef,
      USER_NAME: 'alice',
      USER_UID: '1234',
      USER_GID: '2345',
      USER_HOME: '/home/alice',
      USER_SHELL: '/bin/zsh',
    });
    expect(built.shared.buildArgs).toMatchObject({
      BASE_IMAGE: 'nvidia/cuda:12.8.1-base-ubuntu24.04',
      TIMEZONE: 'Asia/Taipei',
    });
    expect(Object.keys(built.shared.buildArgs).filter((key) => key.startsWith('USER_'))).toEqual([]);
  });

  it('carry root as root', () => {
    expect(plan({ user: { name: 'root', uid: 0, gid: 0 } }).buildArgs).toMatchObject({
      USER_NAME: 'root',
      USER_UID: '0',
      USER_GID: '0',
      USER_HOME: '/root',
    });
  });

  it.each([
    { locales: ['en_US.UTF-8'], LOCALES: 'en_US.UTF-8', LANG_DEFAULT: 'en_US.UTF-8' },
    {
      locales: ['zh_TW.UTF-8', 'en_US.UTF-8'],
      LOCALES: 'zh_TW.UTF-8 en_US.UTF-8',
      LANG_DEFAULT: 'zh_TW.UTF-8',
    },
    { locales: [], LOCALES: '', LANG_DEFAULT: 'C.UTF-8' },
  ])('locales $locales: LANG is $LANG_DEFAULT', ({ locales, LOCALES, LANG_DEFAULT }) => {
    expect(plan({ config: config({ locales }) }).shared.buildArgs).toMatchObject({ LOCALES, LANG_DEFAULT });
  });

  it.each([
    { label: 'no Python at all', cfg: {}, python: noPython, apt: 'git ffmpeg', enabled: '0' },
    {
      label: 'an empty requirements file',
      cfg: {},
      python: requirements(''),
      apt: 'git ffmpeg',
      enabled: '0',
    },
    {
      label: 'a requirements file',
      cfg: {},
      python: requirements('numpy==2.1\n'),
      apt: `git ffmpeg ${PYTHON_APT_PACKAGES.join(' ')}`,
      enabled: '1',
    },
    {
      label: 'pythonPackages',
      cfg: { pythonPackages: ['rich'] },
      python: noPython,
      apt: `git ffmpeg ${PYTHON_APT_PACKAGES.join(' ')}`,
      enabled: '1',
    },
    {
      label: 'torch',
      cfg: {},
      python: {
        torch: { packages: ['torch==2.5.1'], indexUrl: 'https://download.pytorch.org/whl/cu124' },
        files: [],
      },
      apt: `git ffmpeg ${PYTHON_APT_PACKAGES.join(' ')}`,
      enabled: '1',
    },
  ])('APT_PACKAGES with $label', ({ cfg, python, apt, enabled }) => {
    const { buildArgs } = plan({ config: config({ aptPackages: ['git', 'ffmpeg'], ...cfg }), python }).shared;
    expect(buildArgs.APT_PACKAGES).toBe(apt);
    expect(buildArgs.PYTHON_ENABLED).toBe(enabled);
  });

  it('does not list a Python apt package twice', () => {
    const { buildArgs } = plan({
      config: config({ aptPackages: ['python3', 'git'], pythonPackages: ['rich'] }),
    }).shared;
    expect(buildArgs.APT_PACKAGES?.split(' ')).toEqual(['python3', 'git', 'python3-venv', 'python3-pip']);
  });

  it('carry torch, its index, the installer and the extra packages', () => {
    const { buildArgs } = plan({
      config: config({ installer: 'uv', pythonPackages: ['rich', 'numpy==2.1'] }),
      python: {
        torch: {
          packages: ['torch==2.5.1', 'torchvision'],
          indexUrl: 'https://download.pytorch.org/whl/cu124',
        },
        files: [],
      },
    }).shared;
    expect(buildArgs).toMatchObject({
      INSTALLER: 'uv',
      TORCH_PACKAGES: 'torch==2.5.1 torchvision',
      TORCH_INDEX_URL: 'https://download.pytorch.org/whl/cu124',
      PYTHON_PACKAGES: 'rich numpy==2.1',
    });
  });

  it('leave torch empty when there is none', () => {
    expect(plan().shared.buildArgs).toMatchObject({ TORCH_PACKAGES: '', TORCH_INDEX_URL: '' });
  });
});

describe('planBuild: files', () => {
  it('adds an empty python/requirements.txt to the shared layers when no Python files are given', () => {
    const { files } = plan().shared;
    expect(files.map((f) => f.path)).toEqual(['Dockerfile', 'setup-system.sh', 'python/requirements.txt']);
    expect(files[2]?.content).toHaveLength(0);
  });

  it("the user layer's context is the user recipe alone: no requirements, no shared scripts", () => {
    expect(plan({ python: requirements('numpy==2.1\n') }).files).toEqual(userRecipe());
  });

  it('keeps the given Python files and adds no placeholder', () => {
    const python: PythonInstall = {
      torch: null,
      files: [
        { path: 'python/requirements.txt', content: bytes('-r include-1.txt\n') },
        { path: 'python/include-1.txt', content: bytes('rich\n') },
      ],
    };
    const { files } = plan({ python }).shared;
    expect(files.map((f) => f.path)).toEqual([
      'Dockerfile',
      'setup-system.sh',
      'python/requirements.txt',
      'python/include-1.txt',
    ]);
    expect(Buffer.from(files[2]?.content ?? []).toString()).toBe('-r include-1.txt\n');
  });
});

describe('planBuild: hash and labels', () => {
  const reference = plan({ python: requirements('numpy==2.1\n') });

  it('is the same when nothing changes', () => {
    const again = plan({ python: requirements('numpy==2.1\n') });
    expect(again.hash).toBe(reference.hash);
    expect(again.shared.hash).toBe(reference.shared.hash);
  });

  it('ignores what only the container gets: env, mounts, network, shm, gpus, entrypoint', () => {
    const cfg = config({
      env: { HF_TOKEN: 'hf_secret' },
      mounts: [{ source: 'data', target: '/data' }],
      network: 'bridge',
      shmSize: '16g',
      gpus: 'none',
      entrypoint: 'base',
    });
    expect(plan({ config: cfg, python: requirements('numpy==2.1\n') }).hash).toBe(reference.hash);
  });

  it("the shared layers are the same for two users and two envs with the same inputs: nobody's name, UID or env is in them", () => {
    const bobs = plan({
      identity: envIdentity('train', bob, '/home/bob/train'),
      user: bob,
      config: config({ shell: '/bin/zsh' }),
      python: requirements('numpy==2.1\n'),
    });
    expect(bobs.shared).toEqual(reference.shared);
    expect(bobs.shared.imageRef).toBe(sharedImageRef(reference.shared.hash));
    // The env's image is each user's own.
    expect(bobs.hash).not.toBe(reference.hash);
    expect(bobs.imageRef).toBe('devenv-train-bob:latest');
    expect(bobs.buildArgs.SHARED_IMAGE).toBe(reference.buildArgs.SHARED_IMAGE);
  });

  it.each([
    {
      label: 'one byte of the shared recipe',
      input: { recipe: recipe({ shared: sharedRecipe('ARG BASE_IMAGE\nFROM $BASE_IMAGE \n') }) },
    },
    {
      label: 'a shared recipe file mode',
      input: { recipe: recipe({ shared: sharedRecipe().map((f) => ({ ...f, mode: 0o700 })) }) },
    },
    {
      label: 'a shared recipe file added',
      input: { recipe: recipe({ shared: [...sharedRecipe(), { path: 'extra.sh', content: bytes('') }] }) },
    },
    { label: 'the base image', input: { baseImage: 'ubuntu:22.04' } },
    { label: 'the timezone', input: { config: config({ timezone: 'Asia/Taipei' }) } },
    {
      label: 'the apt packages',
      input: { config: config({ aptPackages: [...config().aptPackages, 'ffmpeg'] }) },
    },
    { label: 'the locales', input: { config: config({ locales: ['en_US.UTF-8', 'zh_TW.UTF-8'] }) } },
    { label: 'the installer', input: { config: config({ installer: 'uv' }) } },
    { label: 'pythonPackages', input: { config: config({ pythonPackages: ['rich'] }) } },
    { label: 'the requirements file', input: { python: requirements('numpy==2.2\n') } },
    {
      label: 'a file a requirements file names',
      input: {
        python: {
          torch: null,
          files: [
            ...requirements('numpy==2.1\n').files,
            { path: 'python/local-1/pkg/a.py', content: bytes('x') },
          ],
        },
      },
    },
    {
      label: 'torch',
      input: { python: { ...requirements('numpy==2.1\n'), torch: { packages: ['torch'], indexUrl: null } } },
    },
    {
      label: "torch's index",
      input: {
        python: {
          ...requirements('numpy==2.1\n'),
          torch: { packages: ['torch'], indexUrl: 'https://download.pytorch.org/whl/cu124' },
        },
      },
    },
  ])('the shared layers, their tag and the env image change with $label', ({ input }) => {
    const changed = plan({ python: requirements('numpy==2.1\n'), ...input });
    expect(changed.shared.hash).not.toBe(reference.shared.hash);
    expect(changed.shared.imageRef).not.toBe(reference.shared.imageRef);
    expect(changed.buildArgs.SHARED_IMAGE).toBe(changed.shared.imageRef);
    expect(changed.hash).not.toBe(reference.hash);
  });

  it.each([
    { label: 'the user uid', input: { user: { ...alice, uid: 1235 } } },
    { label: 'the user gid', input: { user: { ...alice, gid: 1 } } },
    { label: 'the user name', input: { user: { ...alice, name: 'alicia' } } },
    { label: 'the shell', input: { config: config({ shell: '/bin/zsh' }) } },
    {
      label: 'one byte of the user recipe',
      input: { recipe: recipe({ user: userRecipe('ARG SHARED_IMAGE\nFROM $SHARED_IMAGE \n') }) },
    },
    {
      label: 'a user recipe file mode',
      input: { recipe: recipe({ user: userRecipe().map((f) => ({ ...f, mode: 0o700 })) }) },
    },
  ])('the env image changes with $label, the shared layers do not', ({ input }) => {
    const changed = plan({ python: requirements('numpy==2.1\n'), ...input });
    expect(changed.hash).not.toBe(reference.hash);
    expect(changed.shared).toEqual(reference.shared);
  });

  it('labels the env image with its owner, layer env and the build hash; the shared image with devenv, layer shared and its hash, and no owner', () => {
    expect(reference.labels).toEqual({
      ...ownerLabels(identity),
      [LABELS.layer]: 'env',
      [LABELS.buildHash]: reference.hash,
    });
    expect(reference.imageRef).toBe('devenv-podcastllm-alice:latest');
    expect(reference.baseImage).toBe('ubuntu:24.04');
    expect(reference.shared.labels).toEqual({
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.layer]: 'shared',
      [LABELS.sharedHash]: reference.shared.hash,
    });
    expect(reference.shared.imageRef).toBe(`devenv-shared:${reference.shared.hash}`);
  });
});

describe('contextWithLabels', () => {
  const dockerfileOf = (files: ContextFile[]) =>
    Buffer.from(files.find((f) => f.path === 'Dockerfile')?.content ?? []).toString('utf8');
  const labelsOn = (line: string | undefined) =>
    Object.fromEntries([...(line ?? '').matchAll(/([\w.-]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
  const userFile = 'ARG SHARED_IMAGE\nFROM $SHARED_IMAGE\nUSER root\nRUN sh setup-user.sh\n';
  const sharedFile = 'ARG BASE_IMAGE\nFROM $BASE_IMAGE\nUSER root\nRUN sh setup-system.sh\n';
  const built = plan({ recipe: recipe({ shared: sharedRecipe(sharedFile), user: userRecipe(userFile) }) });
  const OWNER_KEYS = [LABELS.env, LABELS.user, LABELS.uid, LABELS.root];

  it("labels the user layer's first step after FROM with the owner and layer env, so every image of the build is the env's", () => {
    const lines = dockerfileOf(contextWithLabels(built)).split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'ARG SHARED_IMAGE',
      'FROM $SHARED_IMAGE',
      expect.stringMatching(/^LABEL /),
    ]);
    expect(labelsOn(lines[2])).toEqual({ ...ownerLabels(identity), [LABELS.layer]: 'env' });
    expect(lines.slice(3, 5)).toEqual(['USER root', 'RUN sh setup-user.sh']);
  });

  it('puts the build hash on the last step of the user layer only, so only the finished image claims the inputs', () => {
    const lines = dockerfileOf(contextWithLabels(built)).trimEnd().split('\n');
    expect(labelsOn(lines.at(-1))).toEqual({ [LABELS.buildHash]: built.hash });
    expect(lines.filter((line) => line.includes(LABELS.buildHash))).toHaveLength(1);
    // The shared hash it builds on is inherited from the shared image, not written again.
    expect(lines.filter((line) => line.includes(LABELS.sharedHash))).toEqual([]);
  });

  it("labels the shared layers' first step after FROM as devenv's and shared, and never with a user's labels", () => {
    const sent = dockerfileOf(contextWithLabels(built.shared));
    const lines = sent.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'ARG BASE_IMAGE',
      'FROM $BASE_IMAGE',
      expect.stringMatching(/^LABEL /),
    ]);
    expect(labelsOn(lines[2])).toEqual(SHARED_LAYER_LABELS);
    expect(lines.slice(3, 5)).toEqual(['USER root', 'RUN sh setup-system.sh']);
    for (const key of OWNER_KEYS) expect(sent).not.toContain(key);
    expect(sent).not.toContain(LABELS.buildHash);
  });

  it('puts the shared hash on the last step of the shared layers only', () => {
    const lines = dockerfileOf(contextWithLabels(built.shared)).trimEnd().split('\n');
    expect(labelsOn(lines.at(-1))).toEqual({ [LABELS.sharedHash]: built.shared.hash });
    expect(lines.filter((line) => line.includes(LABELS.sharedHash))).toHaveLength(1);
  });

  it('leaves the other files and the hashed recipe as they were', () => {
    for (const build of [built, built.shared]) {
      const sent = contextWithLabels(build);
      expect(sent.filter((f) => f.path !== 'Dockerfile')).toEqual(
        build.files.filter((f) => f.path !== 'Dockerfile'),
      );
    }
    expect(dockerfileOf(built.files)).toBe(userFile);
    expect(dockerfileOf(built.shared.files)).toBe(sharedFile);
  });

  it('quotes values so a root with spaces, quotes or $ stays one literal label', () => {
    const odd = envIdentity('podcastllm', alice, '/srv/my envs/"q"/$HOME');
    const sent = contextWithLabels({ ...built, labels: ownerLabels(odd) });
    const line = dockerfileOf(sent).split('\n')[2];
    expect(line).toContain(`${LABELS.root}="/srv/my envs/\\"q\\"/\\$HOME"`);
    expect(dockerfileOf(sent)).not.toContain(LABELS.buildHash);
  });

  it('refuses a recipe without FROM', () => {
    expect(() => contextWithLabels(plan({ recipe: recipe({ user: userRecipe('RUN true\n') }) }))).toThrow(
      /no FROM/,
    );
    expect(() =>
      contextWithLabels(plan({ recipe: recipe({ shared: sharedRecipe('RUN true\n') }) }).shared),
    ).toThrow(/no FROM/);
  });
});

const IMAGES = fileURLToPath(new URL('../../../images/', import.meta.url));
const SHARED_DIR = path.join(IMAGES, 'shared');
const USER_DIR = path.join(IMAGES, 'user');
const shipped = readFileSync(path.join(SHARED_DIR, 'Dockerfile'), 'utf8');
const shippedUser = readFileSync(path.join(USER_DIR, 'Dockerfile'), 'utf8');

/** The build args a Dockerfile declares (ARG lines, several to a line; values without spaces). */
function declaredArgs(dockerfile: string): string[] {
  return dockerfile
    .split('\n')
    .flatMap((line) => /^\s*ARG\s+(.+)$/i.exec(line)?.[1]?.trim().split(/\s+/) ?? [])
    .map((part) => part.split('=')[0] ?? '');
}

describe('the recipe devenv ships (images/shared, images/user)', () => {
  const USER_ARG = /\$\{?USER_/;

  it('the shared Dockerfile declares and uses no USER_ argument; the user Dockerfile builds FROM the shared image', () => {
    expect(declaredArgs(shipped).filter((name) => name.startsWith('USER_'))).toEqual([]);
    expect(shipped).not.toMatch(USER_ARG);
    expect(declaredArgs(shippedUser)).toEqual(
      expect.arrayContaining(['SHARED_IMAGE', 'USER_NAME', 'USER_UID']),
    );
    expect(shippedUser.split('\n').filter((line) => /^\s*FROM\s/i.test(line))).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ${SHARED_IMAGE}.
      'FROM ${SHARED_IMAGE}',
    ]);
  });

  it("the shared layers' scripts read no USER_ variable: nothing of a user reaches them", () => {
    for (const file of readdirSync(SHARED_DIR))
      expect(readFileSync(path.join(SHARED_DIR, file), 'utf8'), file).not.toMatch(USER_ARG);
  });

  it('each layer is sent exactly the build args its Dockerfile declares', () => {
    const built = plan({
      recipe: {
        shared: [{ path: 'Dockerfile', content: bytes(shipped) }],
        user: [{ path: 'Dockerfile', content: bytes(shippedUser) }],
      },
    });
    expect(Object.keys(built.shared.buildArgs).sort()).toEqual([...declaredArgs(shipped)].sort());
    expect(Object.keys(built.buildArgs).sort()).toEqual([...declaredArgs(shippedUser)].sort());
  });

  it('the venv line is in the shared Dockerfile exactly once, and not in the user one', () => {
    expect(shipped.split('\n').filter((line) => line.trim() === VENV_ENV_LINE)).toHaveLength(1);
    expect(shippedUser).not.toContain(VENV_ENV_LINE);
    expect(shippedUser).not.toMatch(/VIRTUAL_ENV/);
  });
});

describe("the venv's VIRTUAL_ENV and PATH entry: only in an image that has the venv", () => {
  const dockerfileOf = (files: ContextFile[]) =>
    Buffer.from(files.find((f) => f.path === 'Dockerfile')?.content ?? []).toString('utf8');

  it('the recipe names the venv once, in the line right before the step that makes it', () => {
    const lines = shipped.split('\n');
    expect(lines.filter((line) => /VIRTUAL_ENV|\/opt\/devenv\/venv/.test(line))).toEqual([VENV_ENV_LINE]);
    expect(lines[lines.indexOf(VENV_ENV_LINE) + 1]).toBe('RUN sh /opt/devenv/setup-python.sh venv');
  });

  it('withoutVenv: the same shared build without that line, the rest of the recipe and the hash as they were', () => {
    const built = plan({ recipe: recipe({ shared: sharedRecipe(shipped) }) }).shared;
    const bare = withoutVenv(built);
    expect(dockerfileOf(bare.files)).toBe(shipped.replace(`${VENV_ENV_LINE}\n`, ''));
    expect(dockerfileOf(bare.files)).not.toMatch(/VIRTUAL_ENV|\/opt\/devenv\/venv/);
    expect(bare.files.filter((f) => f.path !== 'Dockerfile')).toEqual(
      built.files.filter((f) => f.path !== 'Dockerfile'),
    );
    expect({ ...bare, files: [] }).toEqual({ ...built, files: [] });
    // What is sent still gets the labels.
    expect(dockerfileOf(contextWithLabels(bare))).toContain(built.hash);
  });

  it('withoutVenv refuses a recipe without the line (it would build an image whose ENV names no venv)', () => {
    expect(() => withoutVenv(plan().shared)).toThrow(/no single venv ENV line/);
  });

  describe('setup-python.sh venv, with no Python settings', () => {
    // A PATH with no python3 on it (the recipe's own folder): an image without Python.
    const noPython = SHARED_DIR;
    const venvStep = (env: Record<string, string>) =>
      spawnSync('/bin/sh', [path.join(SHARED_DIR, 'setup-python.sh'), 'venv'], {
        env: { PATH: noPython, PYTHON_ENABLED: '0', ...env },
        encoding: 'utf8',
      });

    it(`fails with ${NO_PYTHON_FOR_VENV} when the ENV names a venv and there is no python3 to make it`, () => {
      const result = venvStep({ VIRTUAL_ENV: '/opt/devenv/venv' });
      expect(result.status).toBe(NO_PYTHON_FOR_VENV);
      expect(result.stderr).toMatch(/^devenv: no python3 in the image/);
    });

    it('makes nothing when the ENV names no venv (the build without the line)', () => {
      const result = venvStep({});
      expect(result.status).toBe(0);
      expect(result.stderr).toBe('');
    });
  });
});
