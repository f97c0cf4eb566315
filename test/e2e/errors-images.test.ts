import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import {
  type DirSnapshot,
  expectNothingCreated,
  expectOneLineError,
  removeImageTree,
  snapshot,
} from './errors-kit.js';
import {
  BASE_READY,
  containerId,
  devenv,
  docker,
  dockerOk,
  makeEnvDir,
  quickRc,
  removeEnvObjects,
  TEST_USER,
} from './harness.js';

/** Test-only base images, removed again in afterAll. */
const NO_APT = 'devenv-test-err-noapt:latest';
const DISK_FULL = 'devenv-test-err-diskfull:latest';

/**
 * Catalogue cases I01–I04 and K01–K02 (docs/errors.md): builds that fail, and names that are
 * taken by objects devenv did not make. Build cases run with -q, so stderr holds only the error.
 */
describe('image problems: one line with the cause, the log path, exit 5', () => {
  const dirs: string[] = [];

  beforeAll(() => {
    docker(
      ['build', '--network', 'host', '-t', NO_APT, '-'],
      `FROM ${BASE_READY}\nRUN rm -f /usr/bin/apt-get\n`,
    );
    // An apt-get that fails the way a full disk makes it fail.
    docker(
      ['build', '--network', 'host', '-t', DISK_FULL, '-'],
      `FROM ${BASE_READY}
RUN printf '#!/bin/sh\\necho "E: Write error - write (28: No space left on device)" >&2\\nexit 100\\n' > /usr/bin/apt-get && chmod 0755 /usr/bin/apt-get`,
    );
  });
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir);
    removeImageTree(NO_APT);
    removeImageTree(DISK_FULL);
  });

  function envDir(label: string, extra: Record<string, unknown>): { dir: string; before: DirSnapshot } {
    const dir = makeEnvDir(label, TEST_USER, quickRc(label, extra));
    dirs.push(dir);
    return { dir, before: snapshot(dir) };
  }
  const start = (dir: string) => devenv(TEST_USER, dir, ['-q', 'start', '--detach']);

  /** The build log the hint names: it must exist and hold the build output. */
  function logFrom(line: string): string {
    const file = /build log: (\S+)$/.exec(line)?.[1] ?? '';
    expect(file).toMatch(/^\/home\/devtest\/\.local\/state\/devenv\/logs\/devenv-err.*-build\.log$/);
    expect(existsSync(file)).toBe(true);
    return readFileSync(file, 'utf8');
  }

  it('I01 a base image without apt-get: the recipe says so, with the log path', () => {
    const { dir, before } = envDir('errnoapt', { baseImage: NO_APT });
    const line = expectOneLineError(
      start(dir),
      ExitCode.image,
      /image build failed: the base image has no apt-get; devenv needs a Debian- or Ubuntu-based image — full build log: \//,
    );
    const log = logFrom(line);
    expect(log).toMatch(/^Step 1\/\d+ : ARG BASE_IMAGE/m);
    expect(log).toContain('devenv: the base image has no apt-get');
    expectNothingCreated(dir, before, { buildLeftovers: true });
  });

  it('I02 a full disk during the build says which disk and how to free it', () => {
    const { dir, before } = envDir('errdisk', { baseImage: DISK_FULL, aptPackages: ['cowsay'] });
    const line = expectOneLineError(
      start(dir),
      ExitCode.image,
      /image build failed: the disk where Docker keeps its images is full \(No space left on device\) — .*`docker system df`.*`devenv prune`/,
    );
    expect(logFrom(line)).toContain('No space left on device');
    expectNothingCreated(dir, before, { buildLeftovers: true });
  });

  it('I03 a base image that is missing and cannot be pulled is named, with why', () => {
    const { dir, before } = envDir('errnobase', { baseImage: 'devenv-no-such-image:1' });
    expectOneLineError(
      start(dir),
      ExitCode.image,
      /base image devenv-no-such-image:1 is not on this engine and cannot be pulled: \S.* — check the name in baseImage/,
    );
    expectNothingCreated(dir, before);
  });

  it('I04 an apt package that does not exist is named, with the log path', () => {
    const { dir, before } = envDir('errapt', { aptPackages: ['devenv-no-such-pkg'] });
    const line = expectOneLineError(
      start(dir),
      ExitCode.image,
      /image build failed: apt has no package devenv-no-such-pkg .*"aptPackages".* build log: \//,
    );
    expect(logFrom(line)).toContain('Unable to locate package devenv-no-such-pkg');
    expectNothingCreated(dir, before, { buildLeftovers: true });
  });
});

describe('names taken by objects devenv did not make: exit 7, and they stay untouched', () => {
  const dirs: string[] = [];
  const takenContainer = 'devenv-errctr-devtest';
  const takenImage = 'devenv-errimg-devtest:latest';

  beforeAll(() => {
    dockerOk(['rm', '-f', takenContainer]);
    docker(['create', '--name', takenContainer, BASE_READY, 'true']);
    docker(['tag', BASE_READY, takenImage]);
  });
  afterAll(() => {
    dockerOk(['rm', '-f', takenContainer]);
    dockerOk(['rmi', takenImage]);
    for (const dir of dirs) removeEnvObjects(dir);
  });

  const inspect = (name: string) => docker(['inspect', '--format', '{{.Id}} {{json .Config.Labels}}', name]);

  it('K01 an unlabelled container with the env name is left alone by start, stop and prune', () => {
    const dir = makeEnvDir('errctr', TEST_USER, quickRc('errctr'));
    dirs.push(dir);
    const before = snapshot(dir);
    const original = inspect(takenContainer);
    const pattern =
      /a container named devenv-errctr-devtest exists but devenv did not create it .*docker rm devenv-errctr-devtest/;
    // -q: stop prints "stopping …" before it looks; the error must still be the only complaint.
    for (const args of [
      ['start', '--detach'],
      ['-q', 'stop'],
      ['-q', 'prune', '--yes'],
    ]) {
      expectOneLineError(devenv(TEST_USER, dir, args), ExitCode.conflict, pattern);
    }
    expect(inspect(takenContainer)).toBe(original);
    expect(docker(['inspect', '--format', '{{.State.Status}}', takenContainer])).toBe('created');
    expectNothingCreated(dir, before);
  });

  it('K02 an unlabelled image with the env image ref is not used, replaced or removed', () => {
    const dir = makeEnvDir('errimg', TEST_USER, quickRc('errimg'));
    dirs.push(dir);
    const before = snapshot(dir);
    const original = inspect(takenImage);
    expectOneLineError(
      devenv(TEST_USER, dir, ['start', '--detach']),
      ExitCode.conflict,
      /image devenv-errimg-devtest:latest exists but was not made by devenv — remove or retag it yourself/,
    );
    expect(inspect(takenImage)).toBe(original);
    expect(containerId('devenv-errimg-devtest')).toBeNull();
    expectNothingCreated(dir, before);
  });
});
