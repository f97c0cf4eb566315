import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from './daily-kit.js';
import {
  BASE_READY,
  devenv,
  docker,
  makeEnvDir,
  quickRc,
  removeEnvObjects,
  spawnDevenv,
  TEST_USER,
  writeRc,
} from './harness.js';

/** `devenv logs [-f]` and `devenv ls [--all] [--json]` against the real engine. */
describe('devenv logs and devenv ls', () => {
  const container = 'devenv-dailylogs-devtest';
  const rc = quickRc('dailylogs');
  let dir: string;
  const run = (args: string[]) => devenv(TEST_USER, dir, args);
  /** Writes to the container's own stdout/stderr (PID 1's), which is what the engine logs. */
  const say = (out: string, err?: string) =>
    docker([
      'exec',
      container,
      'sh',
      '-c',
      `echo ${out} > /proc/1/fd/1${err ? `; echo ${err} > /proc/1/fd/2` : ''}`,
    ]);

  beforeAll(() => {
    dir = makeEnvDir('dailylogs', TEST_USER, rc);
  });
  afterAll(() => {
    removeEnvObjects(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs without a container says to start the env (exit 6, one line)', () => {
    const result = run(['logs']);
    expect(result.code).toBe(6);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/devenv start/);
  });

  it("logs prints the container's stdout on stdout and its stderr on stderr", () => {
    expect(run(['start', '--detach']).code).toBe(0);
    say('out-line', 'err-line');
    const result = run(['logs']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('out-line\n');
    expect(result.stderr).toBe('err-line\n');
  });

  it('logs -f keeps printing new output until Ctrl-C (exit 130)', async () => {
    const follow = spawnDevenv(TEST_USER, dir, ['logs', '-f']);
    await waitUntil('the old output', () => follow.stdout().includes('out-line'));
    say('later-line', 'later-err');
    await waitUntil('the new output', () => follow.stdout().includes('later-line'));
    await waitUntil('the new error output', () => follow.stderr().includes('later-err'));
    process.kill(follow.pid(), 'SIGINT');
    const { code } = await follow.done;
    expect(code, follow.stderr()).toBe(130);
    expect(follow.stdout()).toBe('out-line\nlater-line\n');
    expect(follow.stderr()).toBe('err-line\nlater-err\n');
  });

  it('logs -f ends by itself when the env stops', async () => {
    const follow = spawnDevenv(TEST_USER, dir, ['logs', '--follow']);
    await waitUntil('the output so far', () => follow.stdout().includes('later-line'));
    expect(run(['stop']).code).toBe(0);
    const { code } = await follow.done;
    expect(code, follow.stderr()).toBe(0);
  });

  it('ls lists the env: running, fresh image, its root; --json has the same', () => {
    expect(run(['start', '--detach']).code).toBe(0);
    const result = run(['ls']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const [header, ...rows] = result.stdout.trim().split('\n');
    expect(header).toMatch(/^ENV\s+USER\s+STATE\s+IMAGE FRESH\s+GPUS\s+ROOT$/);
    expect(rows).toContainEqual(
      expect.stringMatching(new RegExp(`^dailylogs\\s+devtest\\s+running\\s+yes\\s+-\\s+${dir}$`)),
    );
    for (const row of rows) expect(row).toMatch(/\sdevtest\s/);

    const listed = JSON.parse(run(['ls', '--json']).stdout) as Array<Record<string, unknown>>;
    expect(listed.find((r) => r.root === dir)).toEqual({
      env: 'dailylogs',
      user: 'devtest',
      uid: 4242,
      root: dir,
      container: { name: container, state: 'running' },
      image: 'fresh',
      gpus: [],
    });
  });

  it('ls says when the image is stale, and when there is no container', () => {
    expect(run(['stop']).code).toBe(0);
    writeRc(dir, TEST_USER, { ...rc, locales: ['en_US.UTF-8', 'de_DE.UTF-8'] });
    try {
      const row = run(['ls'])
        .stdout.split('\n')
        .find((line) => line.endsWith(dir));
      expect(row).toMatch(/^dailylogs\s+devtest\s+no container\s+no \(stale\)\s/);
    } finally {
      writeRc(dir, TEST_USER, rc);
    }
  });

  it("ls shows only the user's envs; --all shows every user's", () => {
    // Another user's env, as its labels say (made directly: no need to build for it).
    docker([
      'create',
      '--name',
      'devenv-dailyother-devother',
      ...['managed-by=devenv', 'env=dailyother', 'user=devother', 'uid=4343', `root=${dir}/other`].flatMap(
        (label) => ['--label', `dev.devenv.${label}`],
      ),
      BASE_READY,
      'true',
    ]);
    const mine = run(['ls', '--json']);
    expect(JSON.parse(mine.stdout).map((r: { user: string }) => r.user)).not.toContain('devother');
    const all = JSON.parse(run(['ls', '--all', '--json']).stdout) as Array<Record<string, unknown>>;
    expect(all.find((r) => r.env === 'dailyother')).toEqual({
      env: 'dailyother',
      user: 'devother',
      uid: 4343,
      root: `${dir}/other`,
      container: { name: 'devenv-dailyother-devother', state: 'stopped' },
      image: 'absent',
      gpus: [],
    });
    expect(all.find((r) => r.root === dir)).toMatchObject({ env: 'dailylogs', user: 'devtest' });
  });
});
