import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { imagesBuiltOn, removeImageTree } from './errors-kit.js';
import {
  agentEnv,
  BASE_READY,
  devenv,
  docker,
  E2E_ROOT,
  GPU_ENGINE,
  makeEnvDir,
  makeWheel,
  OTHER_USER,
  quickRc,
  REGISTRY_AUTH,
  REGISTRY_OPEN,
  REGISTRY_PASSWORD,
  REGISTRY_USER,
  REMOTES,
  type RemoteServer,
  type RunResult,
  removeEnvObjects,
  removeRemoteEnv,
  TEST_USER,
  type TestUser,
  userEnv,
} from './harness.js';

/**
 * Issue 20: one build for the whole team. An env's image is a thin user layer on a shared image
 * (devenv-shared:HASH of the inputs that do not depend on the user), built once per engine and
 * reused by every user and env; a "registry" carries images between hosts, and without one a
 * start may copy them from another of the env's "hosts".
 * Every test makes inputs of its own (a requirements file whose comment names this run), so its
 * shared layers and registry repositories are new: nothing left by an earlier run or another file
 * is reused. The clean-up removes the containers, images and registry repositories this file
 * made (the registries' blobs stay until their garbage collection; most are the ready base's).
 */
const RUN = `${Date.now().toString(36)}${process.pid.toString(36)}`;
const { r1, r2 } = REMOTES;

const warnings = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('devenv: warning:'));

/** The image's id on that engine; '' when it lacks it. */
function imageIdOn(dockerHost: string | undefined, ref: string): string {
  return spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], {
    encoding: 'utf8',
    env: dockerHost ? { ...process.env, DOCKER_HOST: dockerHost } : process.env,
  }).stdout.trim();
}

/** The shared image an env image on the default engine builds on (its inherited label), as devenv tags it. */
function sharedRefOf(ref: string): string {
  const hash = docker([
    'image',
    'inspect',
    '--format',
    '{{index .Config.Labels "dev.devenv.shared-hash"}}',
    ref,
  ]);
  expect(hash, `${ref} names no shared layers`).toMatch(/^[0-9a-f]{16}$/);
  return `devenv-shared:${hash}`;
}

function layersOf(ref: string): string[] {
  return JSON.parse(docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref])) as string[];
}

function labelsOf(id: string): Record<string, string> {
  return JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', id])) ?? {};
}

/** Removes images by name on each engine that has them, when nothing uses them (test clean-up). */
function removeImages(refs: string[], dockerHosts: Array<string | undefined>): void {
  for (const dockerHost of dockerHosts)
    for (const ref of refs)
      spawnSync('docker', ['rmi', ref], {
        stdio: 'ignore',
        env: dockerHost ? { ...process.env, DOCKER_HOST: dockerHost } : process.env,
      });
}

/**
 * Containers and images of `user`'s env `name` on the default engine, whatever their root: an
 * earlier run that stopped half-way may have left them, and a start would find its image.
 */
function removeEnvByName(name: string, user: TestUser): void {
  const filters = [
    '--filter',
    `label=dev.devenv.env=${name}`,
    '--filter',
    `label=dev.devenv.user=${user.name}`,
  ];
  const containers = docker(['ps', '-aq', ...filters]);
  if (containers !== '') docker(['rm', '-f', ...containers.split('\n')]);
  const images = docker(['images', '-aq', ...filters]);
  if (images !== '') spawnSync('docker', ['rmi', '-f', ...new Set(images.split('\n'))], { stdio: 'ignore' });
}

/** A requirements file no other test or run has: a comment naming this run, then `lines`. */
function requirementsText(tag: string, lines: string[] = []): string {
  return [`# devenv e2e team-images ${RUN} ${tag}`, ...lines, ''].join('\n');
}

function writeOwned(file: string, text: string, user: TestUser): void {
  writeFileSync(file, text, { mode: 0o644 });
  chownSync(file, user.uid, user.gid);
}

/** `text` as a regular expression that matches it literally. */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The env root devenv uses on a remote server (~/devenv/<name>), made as that server's account, with `files`. */
function remoteEnvRoot(server: RemoteServer, name: string, files: Record<string, string>): void {
  const uid = server.uid(TEST_USER);
  const root = `${server.home(TEST_USER)}/devenv/${name}`;
  mkdirSync(root, { recursive: true });
  chownSync(`${server.home(TEST_USER)}/devenv`, uid, uid);
  chownSync(root, uid, uid);
  for (const [file, text] of Object.entries(files)) {
    writeFileSync(path.join(root, file), text, { mode: 0o644 });
    chownSync(path.join(root, file), uid, uid);
  }
}

/** "12.3kB", "0B", "1.04GB" (as `docker system df` prints sizes: decimal units) in bytes. */
function bytesOf(size: string): number {
  const match = /^([\d.]+)\s*(B|kB|KB|MB|GB|TB)$/.exec(size.trim());
  if (!match) throw new Error(`not a size: ${JSON.stringify(size)}`);
  const unit = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 }[match[2] as 'B'];
  return Number(match[1]) * unit;
}

interface DfImage {
  Repository: string;
  Tag: string;
  Size: string;
  SharedSize: string;
  UniqueSize: string;
}

/** `docker system df -v`'s images, by repository:tag. */
function diskUsage(): Map<string, DfImage> {
  const images = JSON.parse(docker(['system', 'df', '-v', '--format', '{{json .Images}}'])) as DfImage[];
  return new Map(images.map((image) => [`${image.Repository}:${image.Tag}`, image]));
}

/** The repositories a test registry lists (with the auth registry's credentials when `auth`). */
function catalog(registry: string, auth = false): string[] {
  const args = ['-fsS', ...(auth ? ['-u', `${REGISTRY_USER}:${REGISTRY_PASSWORD}`] : [])];
  const out = execFileSync('curl', [...args, `http://${registry}/v2/_catalog?n=1000`], { encoding: 'utf8' });
  return (JSON.parse(out) as { repositories: string[] }).repositories;
}

function tagsIn(registry: string, repo: string, auth = false): string[] {
  const args = ['-fsS', ...(auth ? ['-u', `${REGISTRY_USER}:${REGISTRY_PASSWORD}`] : [])];
  const out = execFileSync('curl', [...args, `http://${registry}/v2/${repo}/tags/list`], {
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { tags: string[] | null }).tags ?? [];
}

/**
 * Removes a path of repositories from a test registry's storage (.ci/registry.sh keeps them under
 * /srv/devenv-registry/<open|auth>/data): the registry keeps no cache of them, so they are gone.
 */
function dropRegistryPath(which: 'open' | 'auth', repoPath: string): void {
  rmSync(`/srv/devenv-registry/${which}/data/docker/registry/v2/repositories/${repoPath}`, {
    recursive: true,
    force: true,
  });
}

/** A loopback port nothing listens on: a registry that is down. */
async function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A DOCKER_CONFIG folder of the user's own (no credentials yet): docker login writes there, not in their home. */
function dockerConfigOf(user: TestUser, label: string): string {
  const dir = mkdtempSync(path.join(E2E_ROOT, `${label}-docker-`));
  chownSync(dir, user.uid, user.gid);
  writeOwned(path.join(dir, 'config.json'), '{}\n', user);
  return dir;
}

/** The docker CLI as `user`, with `env` (e.g. DOCKER_CONFIG). */
function dockerAsUser(user: TestUser, args: string[], env: Record<string, string>, input = ''): RunResult {
  const result = spawnSync(
    'runuser',
    ['-u', user.name, '--', 'env', '-i', ...userEnv(user, env), 'docker', ...args],
    {
      encoding: 'utf8',
      input,
    },
  );
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

describe('two users, one config: the shared layers are built and stored once, each user adds a thin layer', () => {
  const mine = { user: TEST_USER, name: 'teama', image: 'devenv-teama-devtest:latest', dir: '' };
  const theirs = { user: OTHER_USER, name: 'teamb', image: 'devenv-teamb-devother:latest', dir: '' };
  const both = [mine, theirs];
  const wheelNames = {
    v1: 'devenvteam-1.0-py3-none-any.whl',
    v2: 'devenvteam-2.0-py3-none-any.whl',
    extra: 'devenvteamextra-1.0-py3-none-any.whl',
  };
  let shared = '';
  let wheels: string;
  const run = (env: typeof mine, args: string[]) => devenv(env.user, env.dir, args);

  beforeAll(() => {
    for (const env of both) removeEnvByName(env.name, env.user);
    // The wheels are made once and copied: a zip records when it was made, and the shared
    // layers' inputs (the requirements and the wheels they name) must be the same bytes for both.
    wheels = mkdtempSync(path.join(E2E_ROOT, 'team-wheels-'));
    makeWheel(wheels, 'devenvteam', '1.0');
    makeWheel(wheels, 'devenvteam', '2.0');
    makeWheel(wheels, 'devenvteamextra', '1.0');
    for (const env of both) {
      env.dir = makeEnvDir(env.name, env.user, quickRc(env.name, { requirements: 'requirements.txt' }));
      const own = path.join(env.dir, 'projects', 'wheels');
      mkdirSync(own, { recursive: true });
      for (const file of Object.values(wheelNames))
        copyFileSync(path.join(wheels, file), path.join(own, file));
      for (const p of [
        path.join(env.dir, 'projects'),
        own,
        ...Object.values(wheelNames).map((f) => path.join(own, f)),
      ])
        chownSync(p, env.user.uid, env.user.gid);
      writeOwned(
        path.join(env.dir, 'requirements.txt'),
        requirementsText('users', [`./projects/wheels/${wheelNames.v1}`]),
        env.user,
      );
    }
  });
  afterAll(() => {
    for (const env of both) removeEnvObjects(env.dir);
    if (shared !== '') removeImages([shared], [undefined]);
    rmSync(wheels, { recursive: true, force: true });
  });

  it("the second user's start builds only their own layer, on the first one's shared layers (same layer IDs)", () => {
    const first = run(mine, ['start', '--detach']);
    expect(first.code, first.stderr).toBe(ExitCode.ok);
    expect(first.stderr).toMatch(/building shared layers devenv-shared:/);
    shared = sharedRefOf(mine.image);

    const second = run(theirs, ['start', '--detach']);
    expect(second.code, second.stderr).toBe(ExitCode.ok);
    expect(second.stderr).not.toMatch(/building shared layers/);
    expect(second.stderr).toMatch(/building image devenv-teamb-devother:latest/);
    expect(sharedRefOf(theirs.image)).toBe(shared);

    // Both images are the shared image's layers, in order, and then a layer or so of their own.
    const sharedLayers = layersOf(shared);
    for (const env of both) {
      const layers = layersOf(env.image);
      expect(layers.slice(0, sharedLayers.length), env.image).toEqual(sharedLayers);
      expect(layers.length, env.image).toBeGreaterThan(sharedLayers.length);
    }
    expect(layersOf(mine.image).slice(sharedLayers.length)).not.toEqual(
      layersOf(theirs.image).slice(sharedLayers.length),
    );
    const status = JSON.parse(run(theirs, ['status', '--json']).stdout);
    expect(status.image).toMatchObject({ present: true, origin: 'built here', shared });
  });

  it('docker system df: each user image adds a few kB of its own (< 1 MB), the shared layers are stored once', () => {
    const usage = diskUsage();
    const sharedRow = usage.get(shared);
    expect(sharedRow, `${shared} in docker system df -v`).toBeDefined();
    const sharedSize = bytesOf((sharedRow as DfImage).Size);
    for (const env of both) {
      const row = usage.get(env.image);
      expect(row, `${env.image} in docker system df -v`).toBeDefined();
      const unique = bytesOf((row as DfImage).UniqueSize);
      expect(unique, `${env.image} unique size ${(row as DfImage).UniqueSize}`).toBeLessThan(1e6);
      // All of the shared image is shared with it: its own layer is all it adds.
      expect(bytesOf((row as DfImage).SharedSize)).toBeGreaterThanOrEqual(sharedSize * 0.99);
      expect(unique * 100).toBeLessThan(sharedSize);
    }
  });

  it("pip as each user, no sudo: add, upgrade and remove packages of the shared layers; the files are the user's; the other env is untouched", () => {
    const pip = (env: typeof mine, script: string) => {
      const result = run(env, ['exec', '--', 'bash', '-c', `set -e; ${script}`]);
      expect(result.code, `${env.user.name}: ${result.stderr}`).toBe(0);
      return result.stdout.trim().split('\n');
    };
    const version = 'python -c "import devenvteam; print(devenvteam.VALUE)"';
    for (const env of both) {
      // A plain user (no sudo anywhere here), the venv's pip, and the requirements' package at 1.0.
      expect(pip(env, `id -u; command -v pip; ${version}`)).toEqual([
        String(env.user.uid),
        '/opt/devenv/venv/bin/pip',
        '1.0',
      ]);
    }
    // devtest adds a package and upgrades one the shared layers installed (root's files there).
    const wheelsIn = (env: typeof mine) => `/home/${env.user.name}/projects/wheels`;
    const mineOut = pip(
      mine,
      `touch /tmp/before-pip; sleep 1
pip install -q --no-index ${wheelsIn(mine)}/${wheelNames.extra} ${wheelsIn(mine)}/${wheelNames.v2}
python -c "import devenvteam, devenvteamextra; print(devenvteam.VALUE, devenvteamextra.VALUE)"
pip show devenvteam | sed -n 's/^Version: //p'
find /opt/devenv/venv -newer /tmp/before-pip ! -user "$(id -un)" | head -5
stat -c %U "$(python -c 'import devenvteam; print(devenvteam.__file__)')"`,
    );
    expect(mineOut).toEqual(['2.0 1.0', '2.0', 'devtest']);
    // devother removes it: they still had 1.0, from the shared layers, which devtest's upgrade did not touch.
    const theirsOut = pip(
      theirs,
      `${version}; touch /tmp/before-pip; sleep 1
pip uninstall -q -y devenvteam
python -c "import devenvteam" 2>/dev/null && echo still-there || echo gone
pip install -q --no-index ${wheelsIn(theirs)}/${wheelNames.extra}
python -c "import devenvteamextra; print(devenvteamextra.VALUE)"
find /opt/devenv/venv -newer /tmp/before-pip ! -user "$(id -un)" | head -5`,
    );
    expect(theirsOut).toEqual(['1.0', 'gone', '1.0']);
    expect(pip(mine, version)).toEqual(['2.0']);
  });

  it("a prune by one user leaves the other's env and the shared layers; the last user's prune removes them", () => {
    const ids = (env: typeof mine) => ({
      container: docker(['inspect', '--format', '{{.Id}}', `devenv-${env.name}-${env.user.name}`]),
      image: docker(['image', 'inspect', '--format', '{{.Id}}', env.image]),
    });
    const theirsBefore = ids(theirs);
    const sharedId = docker(['image', 'inspect', '--format', '{{.Id}}', shared]);

    const first = run(mine, ['prune', '--yes']);
    expect(first.code, first.stderr).toBe(ExitCode.ok);
    expect(imageIdOn(undefined, mine.image)).toBe('');
    expect(imageIdOn(undefined, shared)).toBe(sharedId);
    expect(ids(theirs)).toEqual(theirsBefore);
    const alive = run(theirs, ['exec', '--', 'true']);
    expect(alive.code, alive.stderr).toBe(ExitCode.ok);

    const last = run(theirs, ['prune', '--yes']);
    expect(last.code, last.stderr).toBe(ExitCode.ok);
    expect(imageIdOn(undefined, theirs.image)).toBe('');
    expect(imageIdOn(undefined, shared)).toBe('');
    expect(imageIdOn(undefined, sharedId)).toBe('');
  });
});

describe('a failed build of the shared layers', () => {
  /**
   * A base of this file's own (a new image ID). Every shared build on one base shares its first
   * steps (devenv's labels, the setup script) until the apt step, which is where this one fails:
   * on a base another build used, those steps are cached and the failure leaves nothing new. On a
   * new base they are new, and stay as the failed build's leftovers.
   */
  const BASE = 'devenv-test-team-base:latest';
  const dirs: string[] = [];
  const envDir = (name: string, user: TestUser, rc: Record<string, unknown>) => {
    const dir = makeEnvDir(name, user, rc);
    dirs.push(dir);
    return dir;
  };
  let theirShared = '';

  beforeAll(() => {
    removeEnvByName('teamfail', TEST_USER);
    removeEnvByName('teamok', OTHER_USER);
    removeImageTree(BASE);
    docker(['build', '-t', BASE, '-'], `FROM ${BASE_READY}\nLABEL devenv-test=team-images-${RUN}\n`);
  });
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir);
    if (theirShared !== '') removeImages([theirShared], [undefined]);
    removeImageTree(BASE);
  });

  it("leaves nobody's dangling shared-layer steps, which a prune removes; no image with a user's label stays; the other user's env is untouched", () => {
    // Another user's env, running on shared layers of its own.
    const theirs = envDir('teamok', OTHER_USER, quickRc('teamok', { requirements: 'requirements.txt' }));
    writeOwned(path.join(theirs, 'requirements.txt'), requirementsText('failed-other'), OTHER_USER);
    const ok = devenv(OTHER_USER, theirs, ['start', '--detach']);
    expect(ok.code, ok.stderr).toBe(ExitCode.ok);
    theirShared = sharedRefOf('devenv-teamok-devother:latest');
    const theirIds = () => [
      docker(['inspect', '--format', '{{.Id}}', 'devenv-teamok-devother']),
      imageIdOn(undefined, 'devenv-teamok-devother:latest'),
      imageIdOn(undefined, theirShared),
    ];
    const theirsBefore = theirIds();

    const dir = envDir(
      'teamfail',
      TEST_USER,
      quickRc('teamfail', { baseImage: BASE, aptPackages: ['devenv-no-such-package'] }),
    );
    const failed = devenv(TEST_USER, dir, ['start', '--detach']);
    expect(failed.code, failed.stderr).toBe(ExitCode.image);
    expect(failed.stderr).toMatch(/building shared layers/);
    expect(failed.stderr).not.toMatch(/building image/);
    const leftovers = [...imagesBuiltOn(BASE)];
    expect(leftovers.length).toBeGreaterThan(0);
    // Each is a shared layer: devenv's, and nobody's (no user's or env's label).
    const userLabels = ['dev.devenv.user', 'dev.devenv.uid', 'dev.devenv.env', 'dev.devenv.root'];
    for (const id of leftovers) {
      const labels = labelsOf(id);
      expect(labels, id).toMatchObject({ 'dev.devenv.managed-by': 'devenv', 'dev.devenv.layer': 'shared' });
      for (const key of userLabels) expect(labels[key], `${id} ${key}`).toBeUndefined();
    }
    const danglingShared = docker([
      'images',
      '-q',
      '--no-trunc',
      '--filter',
      'dangling=true',
      '--filter',
      'label=dev.devenv.layer=shared',
    ]).split('\n');
    expect(leftovers.some((id) => danglingShared.includes(id))).toBe(true);

    // The env has nothing else (no container, no image): prune still names and removes them.
    const pruned = devenv(TEST_USER, dir, ['prune', '--yes']);
    expect(pruned.code, pruned.stderr).toBe(ExitCode.ok);
    expect(pruned.stderr).toMatch(/removed \d+ image\(s\) left by failed shared-layer builds/);
    expect(imagesBuiltOn(BASE)).toEqual(new Set());
    expect(
      docker(['images', '-aq', '--filter', 'dangling=true', '--filter', `label=dev.devenv.root=${dir}`]),
    ).toBe('');
    // The other user's container, image and shared layers are the same objects, and work.
    expect(theirIds()).toEqual(theirsBefore);
    const alive = devenv(OTHER_USER, theirs, ['exec', '--', 'true']);
    expect(alive.code, alive.stderr).toBe(ExitCode.ok);
  });
});

describe('a registry: a build pushes, a start elsewhere pulls instead of building', () => {
  const name = 'teamreg';
  const image = `devenv-${name}-devtest:latest`;
  const repoPath = `e2e-team-${RUN}`;
  const registry = `${REGISTRY_OPEN}/${repoPath}`;
  const requirements = requirementsText('registry');
  const agent = agentEnv(TEST_USER);
  let dir: string;
  let shared = '';
  const run = (args: string[], env: Record<string, string> = {}) =>
    devenv(TEST_USER, dir, args, { env: { ...agent, ...env } });

  beforeAll(() => {
    removeEnvByName(name, TEST_USER);
    removeRemoteEnv(r1, name);
    dir = makeEnvDir(name, TEST_USER, quickRc(name, { registry, requirements: 'requirements.txt' }));
    writeOwned(path.join(dir, 'requirements.txt'), requirements, TEST_USER);
    // On r1 the env's root is ~/devenv/<name> there: the same requirements, so the same shared layers.
    remoteEnvRoot(r1, name, { 'requirements.txt': requirements });
  });
  afterAll(() => {
    removeEnvObjects(dir);
    removeEnvObjects(dir, GPU_ENGINE);
    removeRemoteEnv(r1, name);
    if (shared !== '') removeImages([shared], [undefined, GPU_ENGINE, String(r1.socket)]);
    dropRegistryPath('open', repoPath);
  });

  it('a start on the default engine builds and pushes the shared layers and the image, tagged with their hashes', () => {
    const result = run(['start', '--detach']);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(warnings(result.stderr)).toEqual([]);
    expect(result.stderr).toMatch(/building shared layers/);
    expect(result.stderr).toMatch(
      new RegExp(`pushed ${literally(image)} and its shared layers to ${literally(registry)}`),
    );
    shared = sharedRefOf(image);
    const repos = catalog(REGISTRY_OPEN);
    expect(repos).toEqual(
      expect.arrayContaining([`${repoPath}/devenv-shared`, `${repoPath}/devenv-${name}-devtest`]),
    );
    expect(tagsIn(REGISTRY_OPEN, `${repoPath}/devenv-shared`)).toEqual([shared.split(':')[1]]);
    const buildHash = docker([
      'image',
      'inspect',
      '--format',
      '{{index .Config.Labels "dev.devenv.build-hash"}}',
      image,
    ]);
    expect(tagsIn(REGISTRY_OPEN, `${repoPath}/devenv-${name}-devtest`)).toEqual([buildHash]);
  });

  it('the same user on another engine (GPU_ENGINE, same UID) pulls the image: no build step; status says pulled there, built here', () => {
    expect(imageIdOn(GPU_ENGINE, image)).toBe('');
    const result = run(['start', '--detach'], { DOCKER_HOST: GPU_ENGINE });
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(warnings(result.stderr)).toEqual([]);
    expect(result.stderr).toMatch(new RegExp(`pulled image ${literally(image)} from ${literally(registry)}`));
    expect(result.stderr).not.toMatch(/building/);
    // The very image built on the default engine (an image's id is its config's digest).
    expect(imageIdOn(GPU_ENGINE, image)).toBe(imageIdOn(undefined, image));
    expect(run(['exec', '--', 'id', '-u'], { DOCKER_HOST: GPU_ENGINE }).stdout.trim()).toBe(
      String(TEST_USER.uid),
    );

    const there = run(['status'], { DOCKER_HOST: GPU_ENGINE });
    expect(there.code, there.stderr).toBe(ExitCode.ok);
    expect(there.stdout).toMatch(new RegExp(`^image: .*pulled from ${literally(registry)}`, 'm'));
    const here = run(['status']);
    expect(here.stdout).toMatch(new RegExp(`^image: .*built here.*on ${literally(shared)}`, 'm'));
  });

  it('a start on r1 (another UID there) pulls the shared layers and builds only its own layer', () => {
    const result = run(['start', '--detach'], { DOCKER_HOST: r1.url(TEST_USER) });
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(warnings(result.stderr)).toEqual([]);
    expect(result.stderr).toMatch(
      new RegExp(`pulled shared layers ${literally(shared)} from ${literally(registry)}`),
    );
    expect(result.stderr).not.toMatch(/building shared layers/);
    expect(result.stderr).toMatch(/building image/);
    expect(imageIdOn(String(r1.socket), shared)).toBe(imageIdOn(undefined, shared));
    const id = run(['exec', '--', 'id', '-u'], { DOCKER_HOST: r1.url(TEST_USER) });
    expect(id.stdout.trim()).toBe(String(r1.uid(TEST_USER)));
    const status = run(['status'], { DOCKER_HOST: r1.url(TEST_USER) });
    expect(status.stdout).toMatch(
      new RegExp(
        `^image: .*built here on shared layers pulled from ${literally(registry)}.*on ${literally(shared)}`,
        'm',
      ),
    );
  });
});

describe('a registry that cannot help is one warning, and devenv builds', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir);
    dropRegistryPath('auth', `e2e-team-auth-${RUN}`);
  });

  it('a registry that is down (nothing listens on its port): one warning naming it, then the build, exit 0', async () => {
    const registry = `127.0.0.1:${await unusedPort()}/e2e-team`;
    removeEnvByName('teamdown', TEST_USER);
    const dir = makeEnvDir(
      'teamdown',
      TEST_USER,
      quickRc('teamdown', { registry, requirements: 'requirements.txt' }),
    );
    dirs.push(dir);
    writeOwned(path.join(dir, 'requirements.txt'), requirementsText('down'), TEST_USER);
    const result = devenv(TEST_USER, dir, ['start', '--detach']);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(warnings(result.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^devenv: warning: registry ${literally(registry)} cannot be reached .*; building here instead$`,
        ),
      ),
    ]);
    expect(result.stderr).toMatch(/building shared layers/);
    expect(result.stderr).toMatch(/built image devenv-teamdown-devtest:latest/);
    expect(imageIdOn(undefined, 'devenv-teamdown-devtest:latest')).not.toBe('');
    const shared = sharedRefOf('devenv-teamdown-devtest:latest');
    removeEnvObjects(dir);
    removeImages([shared], [undefined]);
  });

  it('a registry that wants a login: refused (one warning, the image stays), doctor warns; after docker login doctor is ok and the push goes', () => {
    const repoPath = `e2e-team-auth-${RUN}`;
    const registry = `${REGISTRY_AUTH}/${repoPath}`;
    const name = 'teamauth';
    removeEnvByName(name, TEST_USER);
    const dir = makeEnvDir(name, TEST_USER, quickRc(name, { registry, requirements: 'requirements.txt' }));
    dirs.push(dir);
    writeOwned(path.join(dir, 'requirements.txt'), requirementsText('auth'), TEST_USER);
    const config = dockerConfigOf(TEST_USER, name);
    const env = { DOCKER_CONFIG: config };
    const run = (args: string[]) => devenv(TEST_USER, dir, args, { env });
    const registryCheck = () => {
      const doctor = run(['doctor', '--json']);
      const checks = JSON.parse(doctor.stdout).checks as Array<{
        name: string;
        status: string;
        detail: string;
      }>;
      return checks.find((check) => check.name === 'registry');
    };
    let shared = '';
    try {
      const refused = run(['start', '--detach']);
      expect(refused.code, refused.stderr).toBe(ExitCode.ok);
      expect(warnings(refused.stderr)).toEqual([
        expect.stringMatching(
          new RegExp(`^devenv: warning: registry ${literally(registry)} refuses devenv .*docker login`),
        ),
      ]);
      expect(refused.stderr).toMatch(/built image devenv-teamauth-devtest:latest/);
      expect(refused.stderr).not.toMatch(/pushed/);
      expect(imageIdOn(undefined, `devenv-${name}-devtest:latest`)).not.toBe('');
      shared = sharedRefOf(`devenv-${name}-devtest:latest`);
      expect(catalog(REGISTRY_AUTH, true).filter((repo) => repo.startsWith(`${repoPath}/`))).toEqual([]);
      expect(registryCheck()).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(/refuses the engine without credentials/),
      });

      const login = dockerAsUser(
        TEST_USER,
        ['login', REGISTRY_AUTH, '-u', REGISTRY_USER, '--password-stdin'],
        env,
        REGISTRY_PASSWORD,
      );
      expect(login.code, login.stderr).toBe(0);
      expect(registryCheck()).toMatchObject({
        status: 'ok',
        detail: expect.stringMatching(/answers the engine \(with your Docker credentials\)/),
      });
      const rebuilt = run(['rebuild', '--detach']);
      expect(rebuilt.code, rebuilt.stderr).toBe(ExitCode.ok);
      expect(warnings(rebuilt.stderr)).toEqual([]);
      expect(rebuilt.stderr).toMatch(
        new RegExp(`pushed devenv-${name}-devtest:latest and its shared layers to ${literally(registry)}`),
      );
      expect(catalog(REGISTRY_AUTH, true)).toEqual(
        expect.arrayContaining([`${repoPath}/devenv-shared`, `${repoPath}/devenv-${name}-devtest`]),
      );
    } finally {
      dockerAsUser(TEST_USER, ['logout', REGISTRY_AUTH], env);
      rmSync(config, { recursive: true, force: true });
      removeEnvObjects(dir);
      if (shared !== '') removeImages([shared], [undefined]);
    }
  });
});

describe('no registry: a start on a host that lacks the layers copies them from another of the env\'s "hosts"', () => {
  const agent = agentEnv(TEST_USER);
  /** The one warning a start --on elsewhere gives: the env was on `host`, where it may still run. */
  const movedWarning = (host: string) =>
    expect.stringMatching(
      new RegExp(`^devenv: warning: the env was on ${literally(host)}; if it still runs there`),
    );

  it('shared layers on r1, not on r2: start --on r2 copies them from r1 and builds only its own layer there', () => {
    const name = 'teamcopy';
    const hosts = [r1.url(TEST_USER), r2.url(TEST_USER)];
    const requirements = requirementsText('copy');
    for (const server of [r1, r2]) removeRemoteEnv(server, name);
    const dir = makeEnvDir(name, TEST_USER, quickRc(name, { hosts, requirements: 'requirements.txt' }));
    for (const server of [r1, r2]) remoteEnvRoot(server, name, { 'requirements.txt': requirements });
    const run = (args: string[]) => devenv(TEST_USER, dir, args, { env: agent });
    let shared = '';
    try {
      const first = run(['start', '--detach', '--on', r1.url(TEST_USER)]);
      expect(first.code, first.stderr).toBe(ExitCode.ok);
      expect(first.stderr).toMatch(/building shared layers/);
      shared = JSON.parse(run(['status', '--json']).stdout).image.shared;
      expect(shared).toMatch(/^devenv-shared:[0-9a-f]{16}$/);
      expect(imageIdOn(String(r1.socket), shared)).not.toBe('');
      expect(run(['stop']).code).toBe(ExitCode.ok);
      expect(imageIdOn(String(r2.socket), shared)).toBe('');

      const second = run(['start', '--detach', '--on', r2.url(TEST_USER)]);
      expect(second.code, second.stderr).toBe(ExitCode.ok);
      expect(warnings(second.stderr)).toEqual([movedWarning(r1.url(TEST_USER))]);
      expect(second.stderr).toMatch(
        new RegExp(`copied shared layers ${literally(shared)} from ${literally(r1.url(TEST_USER))}`),
      );
      expect(second.stderr).not.toMatch(/building shared layers/);
      expect(second.stderr).toMatch(/building image/);
      expect(imageIdOn(String(r2.socket), shared)).toBe(imageIdOn(String(r1.socket), shared));
      expect(run(['exec', '--', 'id', '-u']).stdout.trim()).toBe(String(r2.uid(TEST_USER)));
      const status = run(['status']);
      expect(status.stdout).toMatch(/^host: +devtest@127\.0\.0\.1:2202 /m);
      expect(status.stdout).toMatch(
        new RegExp(
          `^image: .*built here on shared layers copied from ${literally(r1.url(TEST_USER))}.*on ${literally(shared)}`,
          'm',
        ),
      );
    } finally {
      for (const server of [r1, r2]) {
        removeRemoteEnv(server, name);
        if (shared !== '') removeImages([shared], [String(server.socket)]);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the same UID on both engines (contexts "default" and the GPU engine): the whole image is copied, and status says so', () => {
    const name = 'teamctx';
    const image = `devenv-${name}-devtest:latest`;
    removeEnvByName(name, TEST_USER);
    spawnSync('docker', ['rm', '-f', `devenv-${name}-devtest`], {
      stdio: 'ignore',
      env: { ...process.env, DOCKER_HOST: GPU_ENGINE },
    });
    spawnSync('docker', ['rmi', image], {
      stdio: 'ignore',
      env: { ...process.env, DOCKER_HOST: GPU_ENGINE },
    });
    // A context for the GPU engine, in a DOCKER_CONFIG of this test's own.
    const config = dockerConfigOf(TEST_USER, name);
    const meta = path.join(config, 'contexts', 'meta', createHash('sha256').update('teamgpu').digest('hex'));
    mkdirSync(meta, { recursive: true });
    writeFileSync(
      path.join(meta, 'meta.json'),
      JSON.stringify({
        Name: 'teamgpu',
        Metadata: {},
        Endpoints: { docker: { Host: GPU_ENGINE, SkipTLSVerify: false } },
      }),
    );
    spawnSync('chown', ['-R', `${TEST_USER.uid}:${TEST_USER.gid}`, config]);
    const dir = makeEnvDir(
      name,
      TEST_USER,
      quickRc(name, { hosts: ['default', 'teamgpu'], requirements: 'requirements.txt' }),
    );
    writeOwned(path.join(dir, 'requirements.txt'), requirementsText('contexts'), TEST_USER);
    const run = (args: string[]) => devenv(TEST_USER, dir, args, { env: { DOCKER_CONFIG: config } });
    let shared = '';
    try {
      const first = run(['start', '--detach', '--on', 'default']);
      expect(first.code, first.stderr).toBe(ExitCode.ok);
      shared = sharedRefOf(image);
      expect(run(['stop']).code).toBe(ExitCode.ok);
      expect(imageIdOn(GPU_ENGINE, shared)).toBe('');

      const second = run(['start', '--detach', '--on', 'teamgpu']);
      expect(second.code, second.stderr).toBe(ExitCode.ok);
      expect(warnings(second.stderr)).toEqual([movedWarning('default')]);
      expect(second.stderr).toMatch(new RegExp(`copied image ${literally(image)} from default`));
      expect(second.stderr).not.toMatch(/building/);
      expect(imageIdOn(GPU_ENGINE, image)).toBe(imageIdOn(undefined, image));
      expect(imageIdOn(GPU_ENGINE, shared)).toBe(imageIdOn(undefined, shared));
      const status = run(['status']);
      expect(status.stdout).toMatch(
        new RegExp(`^image: .*copied from default.*on ${literally(shared)}`, 'm'),
      );
    } finally {
      removeEnvObjects(dir);
      removeEnvObjects(dir, GPU_ENGINE);
      if (shared !== '') removeImages([shared], [undefined, GPU_ENGINE]);
      rmSync(config, { recursive: true, force: true });
    }
  });
});
