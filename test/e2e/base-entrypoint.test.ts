import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_READY,
  devenv,
  docker,
  ensureTestImage,
  makeEnvDir,
  quickRc,
  removeEnvObjects,
  TEST_USER,
} from './harness.js';

/** Like Runpod's images: the base's own entrypoint starts services (seed 000, option 1). */
const SERVICES = 'devenv-test-base:services';

describe('entrypoint "base" keeps the base image entrypoint and services', () => {
  let dir: string;
  beforeAll(() => {
    ensureTestImage(
      SERVICES,
      `FROM ${BASE_READY}\nRUN printf '#!/bin/sh\\necho "service up as $(id -un)" > /tmp/service.log\\nexec "$@"\\n' > /start.sh && chmod +x /start.sh\nENTRYPOINT ["/start.sh"]\nCMD ["sleep", "infinity"]`,
    );
    dir = makeEnvDir(
      'baseentry',
      TEST_USER,
      quickRc('baseentry', { baseImage: SERVICES, entrypoint: 'base' }),
    );
  });
  afterAll(() => removeEnvObjects(dir));

  it("runs the base's entrypoint (as the image's user) while exec and shells are still you", () => {
    const started = devenv(TEST_USER, dir, ['start', '--detach']);
    expect(started.code, started.stderr).toBe(0);
    const result = devenv(TEST_USER, dir, ['exec', '--', 'sh', '-c', 'cat /tmp/service.log; id -un; pwd']);
    expect(result.stdout.trim().split('\n')).toEqual([
      'service up as root',
      'devtest',
      '/home/devtest/projects',
    ]);
    const config = JSON.parse(
      docker(['inspect', '--format', '{{json .Config}}', 'devenv-baseentry-devtest']),
    );
    expect(config.Entrypoint).toEqual(['/start.sh']);
  });

  it('devenv mode replaces it with its own keep-alive under an init', () => {
    const other = makeEnvDir('ownentry', TEST_USER, quickRc('ownentry', { baseImage: SERVICES }));
    try {
      expect(devenv(TEST_USER, other, ['start', '--detach']).code).toBe(0);
      const config = JSON.parse(
        docker(['inspect', '--format', '{{json .Config}}', 'devenv-ownentry-devtest']),
      );
      expect(config.Entrypoint).toEqual(['/usr/local/bin/devenv-entry']);
      expect(config.User).toBe('4242:4242');
    } finally {
      removeEnvObjects(other);
    }
  });
});
