import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  containerId,
  devenv,
  docker,
  makeEnvDir,
  quickRc,
  removeEnvObjects,
  TEST_USER,
  writeRc,
} from './harness.js';

describe('lifecycle as a non-root host user (uid 4242)', () => {
  const rc = quickRc('life', { env: { SECRET_TOKEN: 'from-devenvrc' } });
  let dir: string;
  const run = (args: string[], input?: string) => devenv(TEST_USER, dir, args, { input });
  const container = 'devenv-life-devtest';
  const image = 'devenv-life-devtest:latest';

  beforeAll(() => {
    dir = makeEnvDir('life', TEST_USER, rc);
  });
  afterAll(() => removeEnvObjects(dir));

  it('start --detach builds the image, creates the mounts as the user and runs the container', () => {
    const result = run(['start', '--detach']);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(result.code).toBe(0);
    expect(containerId(container)).not.toBeNull();
    for (const sub of ['projects', 'temp/.vscode-server']) {
      const stat = statSync(path.join(dir, sub));
      expect([stat.uid, stat.gid]).toEqual([TEST_USER.uid, TEST_USER.gid]);
    }
    const labels = JSON.parse(docker(['inspect', '--format', '{{json .Config.Labels}}', container]));
    expect(labels).toMatchObject({
      'dev.devenv.managed-by': 'devenv',
      'dev.devenv.env': 'life',
      'dev.devenv.user': 'devtest',
      'dev.devenv.root': dir,
    });
    expect(labels['dev.devenv.build-hash']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the container user is the host user: same name, UID, GID, home, passwordless sudo', () => {
    const result = run([
      'exec',
      '--',
      'sh',
      '-c',
      'id -u; id -g; id -un; echo $HOME; pwd; sudo -n id -u; getent passwd devtest | cut -d: -f7',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      '4242',
      '4242',
      'devtest',
      '/home/devtest',
      '/home/devtest/projects',
      '0',
      '/bin/bash',
    ]);
  });

  it('files written in ~/projects belong to the user on the host', () => {
    expect(run(['exec', '--', 'sh', '-c', 'echo hi > ~/projects/made-inside.txt']).code).toBe(0);
    const stat = statSync(path.join(dir, 'projects', 'made-inside.txt'));
    expect([stat.uid, stat.gid]).toEqual([TEST_USER.uid, TEST_USER.gid]);
  });

  it('has a large /dev/shm, the locale, the timezone and an init process', () => {
    const result = run([
      'exec',
      '--',
      'sh',
      '-c',
      'df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2; echo $LANG; cat /etc/timezone; cat /proc/1/comm; echo $SECRET_TOKEN',
    ]);
    const [shmKb, lang, tz, init, secret] = result.stdout.trim().split('\n');
    expect(Number(shmKb)).toBe(8 * 1024 * 1024);
    expect(lang).toBe('en_US.UTF-8');
    expect(tz).toBe('Etc/UTC');
    expect(init).toMatch(/docker-init|tini/);
    expect(secret).toBe('from-devenvrc');
  });

  it('keeps .devenvrc env values out of the image', () => {
    const history = docker(['history', '--no-trunc', image]);
    const config = docker(['image', 'inspect', image]);
    expect(history).not.toContain('from-devenvrc');
    expect(config).not.toContain('from-devenvrc');
  });

  it('exec forwards stdin, keeps stdout and stderr apart and returns the exit code', () => {
    const result = run(['exec', '--', 'sh', '-c', 'cat; echo to-stderr >&2; exit 5'], 'piped-in\n');
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('piped-in\n');
    expect(result.stderr).toBe('to-stderr\n');
  });

  it('status --json reports the running env and a fresh image', () => {
    const result = run(['status', '--json']);
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status.container).toMatchObject({ name: container, state: 'running' });
    expect(status.image).toMatchObject({ ref: image, present: true, fresh: true });
    expect(status.user).toEqual({ name: 'devtest', uid: 4242, gid: 4242 });
    expect(status.mounts.map((m: { target: string }) => m.target)).toEqual([
      '/home/devtest/projects',
      '/home/devtest/.vscode-server',
    ]);
  });

  it('start on a running env builds nothing and keeps the same container', () => {
    const before = containerId(container);
    const imageBefore = docker(['image', 'inspect', '--format', '{{.Id}}', image]);
    expect(run(['start', '--detach']).code).toBe(0);
    expect(containerId(container)).toBe(before);
    expect(docker(['image', 'inspect', '--format', '{{.Id}}', image])).toBe(imageBefore);
  });

  it('a changed recipe input makes start say the image is stale, without building', () => {
    expect(run(['stop']).code).toBe(0);
    const imageBefore = docker(['image', 'inspect', '--format', '{{.Id}}', image]);
    writeRc(dir, TEST_USER, { ...rc, locales: ['en_US.UTF-8', 'de_DE.UTF-8'] });
    const result = run(['start', '--detach']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/stale.*devenv rebuild/);
    expect(docker(['image', 'inspect', '--format', '{{.Id}}', image])).toBe(imageBefore);
    expect(JSON.parse(run(['status', '--json']).stdout).image.fresh).toBe(false);
  });

  it('rebuild builds a new image, recreates the container, and the image is fresh again', () => {
    const imageBefore = docker(['image', 'inspect', '--format', '{{.Id}}', image]);
    const containerBefore = containerId(container);
    const result = run(['rebuild', '--detach']);
    expect(result.code).toBe(0);
    expect(docker(['image', 'inspect', '--format', '{{.Id}}', image])).not.toBe(imageBefore);
    expect(containerId(container)).not.toBe(containerBefore);
    expect(run(['exec', '--', 'locale', '-a']).stdout).toMatch(/de_DE\.utf8/);
    expect(JSON.parse(run(['status', '--json']).stdout).image.fresh).toBe(true);
    // The replaced image goes once the old container is gone: a rebuild leaves no dangling copy.
    // (Without -a: the build's intermediate layers carry the env's labels too, as parents of it.)
    expect(
      docker(['images', '-q', '--filter', `label=dev.devenv.root=${dir}`])
        .split('\n')
        .filter(Boolean),
    ).toHaveLength(1);
  });

  it('stop removes the container and leaves projects/ alone; the run.sh spelling works', () => {
    const result = run(['--stop']);
    expect(result.code).toBe(0);
    expect(containerId(container)).toBeNull();
    expect(readFileSync(path.join(dir, 'projects', 'made-inside.txt'), 'utf8')).toBe('hi\n');
    expect(run(['stop']).code).toBe(0);
  });

  it('exec on a stopped env says to start it', () => {
    const result = run(['exec', '--', 'true']);
    expect(result.code).toBe(6);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/devenv start/);
  });

  it('prune refuses without a terminal or --yes, then removes container and image but no files', () => {
    writeFileSync(path.join(dir, 'temp', '.vscode-server', 'cache-file'), 'keep');
    expect(run(['start', '--detach']).code).toBe(0);
    const refused = run(['prune']);
    expect(refused.code).toBe(10);
    expect(refused.stderr).toMatch(/--yes/);
    expect(containerId(container)).not.toBeNull();

    const result = run(['prune', '--yes']);
    expect(result.code).toBe(0);
    expect(containerId(container)).toBeNull();
    expect(docker(['images', '-q', '--filter', `label=dev.devenv.root=${dir}`])).toBe('');
    expect(readFileSync(path.join(dir, 'projects', 'made-inside.txt'), 'utf8')).toBe('hi\n');
    expect(readFileSync(path.join(dir, 'temp', '.vscode-server', 'cache-file'), 'utf8')).toBe('keep');
  });
});
