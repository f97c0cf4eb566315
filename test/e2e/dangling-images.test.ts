import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagesBuiltOn, removeImageTree } from './errors-kit.js';
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
 * the engine. Removed again in afterAll. Its useradd refuses FAILING_SHELL, so an env whose
 * "shell" is that fails in its user layer (images/user), after the shared layers (images/shared).
 */
const BASE = 'devenv-test-dangling-base:latest';
const FAILING_SHELL = '/bin/devenv-test-refused-shell';

const ENV_LABELS = ['dev.devenv.env', 'dev.devenv.user', 'dev.devenv.uid', 'dev.devenv.root'];

function labelsOf(id: string): Record<string, string> {
  return JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', id])) ?? {};
}

/** Images (intermediate ones too) carrying the labels of the env whose root is `dir`. */
function envImages(dir: string): string[] {
  return docker(['images', '-aq', '--filter', `label=dev.devenv.root=${dir}`])
    .split('\n')
    .filter(Boolean);
}

/** True for a leftover of a shared-layers build: devenv's, shared, and nobody's. */
function isSharedLeftover(labels: Record<string, string>): boolean {
  return (
    labels['dev.devenv.managed-by'] === 'devenv' &&
    labels['dev.devenv.layer'] === 'shared' &&
    ENV_LABELS.every((key) => labels[key] === undefined)
  );
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
    const refuse = `#!/bin/sh\\ncase " $* " in *" ${FAILING_SHELL} "*) echo "$0: test shell refused" >&2; exit 3;; esac\\nexec /usr/sbin/$(basename "$0") "$@"\\n`;
    docker(
      ['build', '-t', BASE, '-'],
      `FROM ${BASE_READY}\nLABEL devenv-test=dangling-images\n` +
        `RUN for tool in useradd usermod; do printf '${refuse}' > /usr/local/sbin/$tool && chmod 755 /usr/local/sbin/$tool; done\n`,
    );
  });
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir);
    removeImageTree(BASE);
  });

  it("a failed user layer leaves the env's images, a failed shared build nobody's; prune removes both, nothing another env or user uses", () => {
    // First the others: an env of the same user that built, one whose user layer failed (its
    // leftovers are its own and must stay), and another user's env of the same name, which
    // builds on the same shared layers as the first.
    const sibling = envDir('dangling-sibling', TEST_USER, quickRc('dangling-sibling', { baseImage: BASE }));
    expect(start(TEST_USER, sibling).code).toBe(0);
    const siblingFailed = envDir(
      'dangling-sibling-failed',
      TEST_USER,
      quickRc('dangling-sibling-failed', { baseImage: BASE, shell: FAILING_SHELL }),
    );
    expect(start(TEST_USER, siblingFailed).code).toBe(5);
    const theirs = envDir('dangling-theirs', OTHER_USER, quickRc('dangling', { baseImage: BASE }));
    expect(start(OTHER_USER, theirs).code).toBe(0);
    const others = imagesBuiltOn(BASE);
    expect(envImages(siblingFailed).length).toBeGreaterThan(0);
    const sharedImage = labelsOf('devenv-dangling-sibling-devtest:latest')['dev.devenv.shared-hash'];
    expect(labelsOf('devenv-dangling-devother:latest')['dev.devenv.shared-hash']).toBe(sharedImage);

    // This env: four failed builds, failing at different steps: apt and the Python packages
    // twice (the shared layers), then its user layer.
    const dir = envDir('dangling', TEST_USER, quickRc('dangling', { baseImage: BASE }));
    for (const rc of [
      { aptPackages: ['devenv-no-such-package'] },
      { pythonPackages: ['/nonexistent/a.whl'] },
      { pythonPackages: ['/nonexistent/b.whl'] },
      { shell: FAILING_SHELL },
    ]) {
      writeRc(dir, TEST_USER, quickRc('dangling', { baseImage: BASE, ...rc }));
      const result = start(TEST_USER, dir);
      expect(result.code, result.stderr).toBe(5);
    }
    const leftovers = [...imagesBuiltOn(BASE)].filter((id) => !others.has(id));
    // Every one of them, from the first step on, says whose it is: this env's (its user layer),
    // or nobody's, a shared layer (which carries no user's labels at all).
    const shared = leftovers.filter((id) => isSharedLeftover(labelsOf(id)));
    const mine = leftovers.filter((id) => !shared.includes(id));
    expect(shared.length).toBeGreaterThan(0);
    expect(mine.length).toBeGreaterThan(0);
    for (const id of mine)
      expect(labelsOf(id), id).toMatchObject({
        'dev.devenv.managed-by': 'devenv',
        'dev.devenv.env': 'dangling',
        'dev.devenv.user': TEST_USER.name,
        'dev.devenv.uid': String(TEST_USER.uid),
        'dev.devenv.root': dir,
      });
    // The engine finds them by the env's labels, and the shared ones by theirs, as dangling images.
    const danglingWith = (...labels: string[]) =>
      docker([
        'images',
        '-q',
        '--filter',
        'dangling=true',
        ...labels.flatMap((l) => ['--filter', `label=${l}`]),
      ]);
    expect(danglingWith('dev.devenv.env=dangling', `dev.devenv.user=${TEST_USER.name}`)).not.toBe('');
    expect(danglingWith('dev.devenv.managed-by=devenv', 'dev.devenv.layer=shared')).not.toBe('');

    const pruned = devenv(TEST_USER, dir, ['prune', '--yes']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(envImages(dir)).toEqual([]);
    // Nothing new is left on the base, and everything the other envs had is still there: the
    // shared layers both others build on, and the failed sibling's own leftovers.
    expect(imagesBuiltOn(BASE)).toEqual(others);
    for (const ref of [
      'devenv-dangling-sibling-devtest:latest',
      'devenv-dangling-devother:latest',
      `devenv-shared:${sharedImage}`,
    ])
      expect(dockerOk(['image', 'inspect', ref]), ref).toBe(true);
  });

  it("a successful build removes the env's earlier failed builds' leftovers, and keeps its image's layers", () => {
    const dir = envDir('dangling-fixed', TEST_USER, quickRc('dangling-fixed', { baseImage: BASE }));
    const dangling = () =>
      docker(['images', '-q', '--filter', 'dangling=true', '--filter', `label=dev.devenv.root=${dir}`])
        .split('\n')
        .filter(Boolean);
    writeRc(dir, TEST_USER, quickRc('dangling-fixed', { baseImage: BASE, shell: FAILING_SHELL }));
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
