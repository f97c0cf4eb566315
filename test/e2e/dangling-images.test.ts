import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeImageTree } from './errors-kit.js';
import {
  BASE_READY,
  devenv,
  docker,
  dockerOk,
  makeEnvDir,
  OTHER_USER,
  quickRc,
  removeEnvObjects,
  TEST_USER,
  type TestUser,
  writeRc,
} from './harness.js';

/**
 * A test-only base (the ready base with a label of its own, so a new image ID): every image a
 * build here makes descends from it, so what builds leave behind is found whatever else runs on
 * the engine. Removed again in afterAll.
 */
const BASE = 'devenv-test-dangling-base:latest';

/** Every image on the engine that builds on `tag` (`docker images -a` and each one's parent). */
function imagesBuiltOn(tag: string): Set<string> {
  const root = docker(['image', 'inspect', '--format', '{{.Id}}', tag]);
  const ids = [...new Set(docker(['images', '-aq', '--no-trunc']).split('\n').filter(Boolean))];
  // Other tests may remove images meanwhile: read what inspect could answer.
  const inspected = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}} {{.Parent}}', ...ids], {
    encoding: 'utf8',
  });
  const parentOf = new Map(
    inspected.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  );
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [id, parent] of parentOf)
      if (!tree.has(id) && tree.has(parent)) {
        tree.add(id);
        grew = true;
      }
  }
  tree.delete(root);
  return tree;
}

function labelsOf(id: string): Record<string, string> {
  return JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', id])) ?? {};
}

/** Images (intermediate ones too) carrying the labels of the env whose root is `dir`. */
function envImages(dir: string): string[] {
  return docker(['images', '-aq', '--filter', `label=dev.devenv.root=${dir}`])
    .split('\n')
    .filter(Boolean);
}

describe('what failed builds leave behind', () => {
  const dirs: string[] = [];
  const envDir = (label: string, user: TestUser, rc: Record<string, unknown>) => {
    const dir = makeEnvDir(label, user, rc);
    dirs.push(dir);
    return dir;
  };
  const start = (user: TestUser, dir: string) => devenv(user, dir, ['start', '--detach']);

  beforeAll(() => {
    docker(['build', '-t', BASE, '-'], `FROM ${BASE_READY}\nLABEL devenv-test=dangling-images\n`);
  });
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir);
    removeImageTree(BASE);
  });

  it("are this env's images, and prune removes all of them and nothing of another env or user", () => {
    // First the others: an env of the same user that built, one whose build failed (its leftovers
    // must stay), and another user's env of the same name.
    const sibling = envDir('dangling-sibling', TEST_USER, quickRc('dangling-sibling', { baseImage: BASE }));
    expect(start(TEST_USER, sibling).code).toBe(0);
    const siblingFailed = envDir(
      'dangling-sibling-failed',
      TEST_USER,
      quickRc('dangling-sibling-failed', { baseImage: BASE, pythonPackages: ['/nonexistent/a.whl'] }),
    );
    expect(start(TEST_USER, siblingFailed).code).toBe(5);
    const theirs = envDir('dangling-theirs', OTHER_USER, quickRc('dangling', { baseImage: BASE }));
    expect(start(OTHER_USER, theirs).code).toBe(0);
    const others = imagesBuiltOn(BASE);
    expect(envImages(siblingFailed).length).toBeGreaterThan(0);

    // This env: three failed builds, failing at different steps (apt, then the Python packages twice).
    const dir = envDir('dangling', TEST_USER, quickRc('dangling', { baseImage: BASE }));
    for (const rc of [
      { aptPackages: ['devenv-no-such-package'] },
      { pythonPackages: ['/nonexistent/a.whl'] },
      { pythonPackages: ['/nonexistent/b.whl'] },
    ]) {
      writeRc(dir, TEST_USER, quickRc('dangling', { baseImage: BASE, ...rc }));
      const result = start(TEST_USER, dir);
      expect(result.code, result.stderr).toBe(5);
    }
    const leftovers = [...imagesBuiltOn(BASE)].filter((id) => !others.has(id));
    expect(leftovers.length).toBeGreaterThan(0);
    // Every one of them, from the first step on, says whose it is.
    for (const id of leftovers)
      expect(labelsOf(id), id).toMatchObject({
        'dev.devenv.managed-by': 'devenv',
        'dev.devenv.env': 'dangling',
        'dev.devenv.user': TEST_USER.name,
        'dev.devenv.uid': String(TEST_USER.uid),
        'dev.devenv.root': dir,
      });
    // The engine finds them by the env's labels as dangling images.
    expect(
      docker([
        'images',
        '-q',
        '--filter',
        'dangling=true',
        '--filter',
        'label=dev.devenv.env=dangling',
        '--filter',
        `label=dev.devenv.user=${TEST_USER.name}`,
      ]),
    ).not.toBe('');

    const pruned = devenv(TEST_USER, dir, ['prune', '--yes']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(envImages(dir)).toEqual([]);
    // Nothing new is left on the base, and everything the other envs had is still there.
    expect(imagesBuiltOn(BASE)).toEqual(others);
    for (const ref of ['devenv-dangling-sibling-devtest:latest', 'devenv-dangling-devother:latest'])
      expect(dockerOk(['image', 'inspect', ref]), ref).toBe(true);
  });

  it("a successful build removes the env's earlier failed builds' leftovers, and keeps its image's layers", () => {
    const dir = envDir('dangling-fixed', TEST_USER, quickRc('dangling-fixed', { baseImage: BASE }));
    const dangling = () =>
      docker(['images', '-q', '--filter', 'dangling=true', '--filter', `label=dev.devenv.root=${dir}`])
        .split('\n')
        .filter(Boolean);
    writeRc(
      dir,
      TEST_USER,
      quickRc('dangling-fixed', { baseImage: BASE, pythonPackages: ['/nonexistent/a.whl'] }),
    );
    expect(start(TEST_USER, dir).code).toBe(5);
    expect(dangling()).not.toEqual([]);

    writeRc(dir, TEST_USER, quickRc('dangling-fixed', { baseImage: BASE }));
    const fixed = start(TEST_USER, dir);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(dangling()).toEqual([]);
    // Left: the env's image and the layers it builds on, nothing else.
    const image = docker(['image', 'inspect', '--format', '{{.Id}}', 'devenv-dangling-fixed-devtest:latest']);
    const layers = new Set(
      docker(['history', '-q', '--no-trunc', image])
        .split('\n')
        .filter((id) => id.startsWith('sha256:')),
    );
    for (const id of envImages(dir))
      expect(layers.has(docker(['image', 'inspect', '--format', '{{.Id}}', id])), id).toBe(true);
  });
});
