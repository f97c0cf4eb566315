import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BASE_COLLIDE,
  BIG_USER,
  devenv,
  docker,
  makeEnvDir,
  quickRc,
  removeEnvObjects,
  TEST_USER,
  type TestUser,
} from './harness.js';

const ROOT: TestUser = { name: 'root', uid: 0, gid: 0 };

/** The container user matches the host user whatever the base image already holds. */
describe('user matching over awkward base images', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir);
  });
  const envFor = (label: string, user: TestUser, rc: Record<string, unknown>) => {
    const dir = makeEnvDir(label, user, rc);
    dirs.push(dir);
    return dir;
  };
  const whoami =
    'id -un; id -u; id -g; echo $HOME; sudo -n true && echo sudo-ok; getent passwd ubuntu | cut -d: -f1; touch ~/projects/owned';

  it('renames the image user that holds our UID (like ubuntu at 1000 in Ubuntu 24.04 images)', () => {
    const dir = envFor('collide', TEST_USER, quickRc('collide', { baseImage: BASE_COLLIDE }));
    expect(devenv(TEST_USER, dir, ['start', '--detach']).code).toBe(0);
    const result = devenv(TEST_USER, dir, ['exec', '--', 'sh', '-c', whoami]);
    expect(result.stdout.trim().split('\n')).toEqual(['devtest', '4242', '4242', '/home/devtest', 'sudo-ok']);
    expect(statSync(path.join(dir, 'projects', 'owned')).uid).toBe(TEST_USER.uid);
  });

  it('moves an existing same-named user to a large directory-service UID (above 65535)', () => {
    const dir = envFor('bigid', BIG_USER, quickRc('bigid', { baseImage: BASE_COLLIDE }));
    const started = devenv(BIG_USER, dir, ['start', '--detach']);
    expect(started.code, started.stderr).toBe(0);
    const result = devenv(BIG_USER, dir, ['exec', '--', 'sh', '-c', whoami]);
    expect(result.stdout.trim().split('\n')).toEqual([
      'devbig',
      '200000',
      '200000',
      '/home/devbig',
      'sudo-ok',
      'ubuntu',
    ]);
    const stat = statSync(path.join(dir, 'projects', 'owned'));
    expect([stat.uid, stat.gid]).toEqual([BIG_USER.uid, BIG_USER.gid]);
    // useradd -l: no giant sparse lastlog for a large UID.
    const image = 'devenv-bigid-devbig:latest';
    expect(Number(docker(['image', 'inspect', '--format', '{{.Size}}', image]))).toBeLessThan(2 * 1024 ** 3);
  });

  it('a root host user gets root in the container, with ~/projects at /root/projects', () => {
    const dir = envFor('rootuser', ROOT, quickRc('rootuser'));
    expect(devenv(ROOT, dir, ['start', '--detach'], { env: { HOME: '/root' } }).code).toBe(0);
    const result = devenv(ROOT, dir, ['exec', '--', 'sh', '-c', 'id -u; pwd'], { env: { HOME: '/root' } });
    expect(result.stdout.trim().split('\n')).toEqual(['0', '/root/projects']);
  });
});
