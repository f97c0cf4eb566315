import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagesBuiltOn, removeImagesBuiltOn } from './errors-kit.js';
import {
  BASE_READY,
  containerId,
  devenv,
  docker,
  dockerOk,
  ensureTestImage,
  makeEnvDir,
  quickRc,
  removeEnvObjects,
  spawnDevenv,
  TEST_USER,
} from './harness.js';

/**
 * A base whose apt-get takes a few seconds, so a signal can land inside the build of the shared
 * layers. Those layers are kept on the engine for any user with the same inputs, so what this
 * file built on it goes before and after: otherwise a start would reuse them and not build.
 */
const SLOW_APT = 'devenv-test-base:slowapt';

describe('interruption: Ctrl-C, SIGTERM and SIGHUP at each phase leave nothing half-made', () => {
  const dirs: string[] = [];
  const envDir = (label: string, rc: Record<string, unknown>) => {
    const dir = makeEnvDir(label, TEST_USER, rc);
    dirs.push(dir);
    return dir;
  };
  beforeAll(() => {
    ensureTestImage(
      SLOW_APT,
      `FROM ${BASE_READY}\nRUN printf '#!/bin/sh\\necho "slow apt-get $*"\\nsleep 4\\nexit 0\\n' > /usr/local/bin/apt-get && chmod +x /usr/local/bin/apt-get`,
    );
    removeImagesBuiltOn(SLOW_APT);
  });
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir);
    removeImagesBuiltOn(SLOW_APT);
  });

  it('SIGINT during the image build: build aborted, no tagged image, no container, exit 130; the next start succeeds', async () => {
    const dir = envDir('intbuild', quickRc('intbuild', { baseImage: SLOW_APT, aptPackages: ['cowsay'] }));
    const run = spawnDevenv(TEST_USER, dir, ['start', '--detach']);
    await run.waitForStderr(/building shared layers/);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    process.kill(run.pid(), 'SIGINT');
    const { code } = await run.done;
    expect(code, run.stderr()).toBe(130);
    expect(run.stderr()).toMatch(/interrupted by SIGINT/);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(dockerOk(['image', 'inspect', 'devenv-intbuild-devtest:latest'])).toBe(false);
    // Nor shared layers claiming to be finished: nothing built on the base has a tag.
    for (const id of imagesBuiltOn(SLOW_APT))
      expect(docker(['image', 'inspect', '--format', '{{json .RepoTags}}', id]), id).toBe('[]');
    expect(containerId('devenv-intbuild-devtest')).toBeNull();
    // The engine cancelled the build and removed its intermediate container.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const buildSteps = docker(['ps', '-a', '--no-trunc', '--format', '{{.Command}}']).split('\n');
    expect(buildSteps.filter((command) => command.includes('setup-system.sh'))).toEqual([]);

    const again = devenv(TEST_USER, dir, ['start', '--detach']);
    expect(again.code, again.stderr).toBe(0);
    expect(containerId('devenv-intbuild-devtest')).not.toBeNull();
  });

  it('SIGTERM during the clone: git stopped, no partial folder, exit 143', async () => {
    const dir = envDir('intclone', quickRc('intclone', { repo: 'ssh://git.invalid/team/model.git' }));
    // ssh replaced by a sleep: the clone hangs without sending anything anywhere.
    const run = spawnDevenv(TEST_USER, dir, ['start', '--detach'], { GIT_SSH_COMMAND: 'sleep 30 #' });
    await run.waitForStderr(/cloning/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    process.kill(run.pid(), 'SIGTERM');
    const { code } = await run.done;
    expect(code, run.stderr()).toBe(143);
    expect(existsSync(path.join(dir, 'projects'))).toBe(false);
    expect(containerId('devenv-intclone-devtest')).toBeNull();
  });

  it('SIGHUP (a dropped SSH session) while waiting for the lock: exit 129, the lock holder unaffected', async () => {
    // Not intbuild's packages: its shared layers are built by now, and reusing them takes seconds.
    const dir = envDir('inthup', quickRc('inthup', { baseImage: SLOW_APT, aptPackages: ['sl'] }));
    const first = spawnDevenv(TEST_USER, dir, ['start', '--detach']);
    await first.waitForStderr(/building shared layers/);
    const second = spawnDevenv(TEST_USER, dir, ['start', '--detach']);
    await second.waitForStderr(/waiting for another devenv/);
    process.kill(second.pid(), 'SIGHUP');
    expect((await second.done).code).toBe(129);
    expect((await first.done).code, first.stderr()).toBe(0);
    expect(containerId('devenv-inthup-devtest')).not.toBeNull();
  });
});
