import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  containerId,
  devenv,
  docker,
  makeEnvDir,
  quickRc,
  removeEnvObjects,
  spawnDevenv,
  TEST_USER,
} from './harness.js';

describe('concurrency: two terminals at once', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir);
  });

  it('two simultaneous starts of one env: one image build, one container, both succeed', async () => {
    const dir = makeEnvDir('race', TEST_USER, quickRc('race'));
    dirs.push(dir);
    const a = spawnDevenv(TEST_USER, dir, ['start', '--detach']);
    const b = spawnDevenv(TEST_USER, dir, ['start', '--detach']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, a.stderr()).toBe(0);
    expect(rb.code, b.stderr()).toBe(0);
    const builds = [a.stderr(), b.stderr()].filter((s) => /built image/.test(s));
    expect(builds).toHaveLength(1);
    expect(
      docker(['ps', '-aq', '--filter', 'label=dev.devenv.env=race']).split('\n').filter(Boolean),
    ).toHaveLength(1);
    expect(
      docker(['images', '-q', '--filter', 'label=dev.devenv.env=race']).split('\n').filter(Boolean),
    ).toHaveLength(1);
  });

  it('prune racing a start ends consistent: either a running env with its image, or nothing', async () => {
    const dir = dirs[0] as string;
    const start = spawnDevenv(TEST_USER, dir, ['rebuild', '--detach']);
    const prune = spawnDevenv(TEST_USER, dir, ['prune', '--yes']);
    const [rs, rp] = await Promise.all([start.done, prune.done]);
    expect(rs.code, start.stderr()).toBe(0);
    expect(rp.code, prune.stderr()).toBe(0);
    const container = containerId('devenv-race-devtest');
    const images = docker(['images', '-q', '--filter', 'label=dev.devenv.env=race'])
      .split('\n')
      .filter(Boolean);
    if (container) {
      expect(docker(['inspect', '--format', '{{.State.Running}}', container])).toBe('true');
      expect(images).toHaveLength(1);
    } else {
      expect(images).toHaveLength(0);
    }
    expect(devenv(TEST_USER, dir, ['start', '--detach']).code).toBe(0);
  });

  it('a lock left by a crashed devenv (dead pid) does not block the next start', () => {
    const dir = makeEnvDir('stale', TEST_USER, quickRc('stale'));
    dirs.push(dir);
    const locks = `/home/${TEST_USER.name}/.local/state/devenv/locks`;
    mkdirSync(locks, { recursive: true });
    for (const d of [
      `/home/${TEST_USER.name}/.local`,
      `/home/${TEST_USER.name}/.local/state`,
      `/home/${TEST_USER.name}/.local/state/devenv`,
      locks,
    ]) {
      chownSync(d, TEST_USER.uid, TEST_USER.gid);
    }
    const lock = path.join(locks, 'devenv-stale-devtest.lock');
    writeFileSync(lock, `999999 ${hostname()}\n`);
    chownSync(lock, TEST_USER.uid, TEST_USER.gid);
    const result = devenv(TEST_USER, dir, ['start', '--detach'], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(containerId('devenv-stale-devtest')).not.toBeNull();
  });
});
