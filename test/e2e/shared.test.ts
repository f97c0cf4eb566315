import { chmodSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  containerId,
  devenv,
  docker,
  makeEnvDir,
  OTHER_USER,
  quickRc,
  removeEnvObjects,
  TEST_USER,
} from './harness.js';

/** Two users on one server with the same env name: each sees and touches only their own. */
describe('shared servers and security', () => {
  let mine: string;
  let theirs: string;
  beforeAll(() => {
    mine = makeEnvDir('shared-a', TEST_USER, quickRc('shared'));
    theirs = makeEnvDir('shared-b', OTHER_USER, quickRc('shared'));
    expect(devenv(TEST_USER, mine, ['start', '--detach']).code).toBe(0);
    expect(devenv(OTHER_USER, theirs, ['start', '--detach']).code).toBe(0);
  });
  afterAll(() => {
    removeEnvObjects(mine);
    removeEnvObjects(theirs);
  });

  it('the same env name gives each user their own container and image', () => {
    expect(containerId('devenv-shared-devtest')).not.toBeNull();
    expect(containerId('devenv-shared-devother')).not.toBeNull();
    expect(devenv(OTHER_USER, theirs, ['exec', '--', 'id', '-un']).stdout.trim()).toBe('devother');
  });

  it('no socket mount, no privileged mode, no added capabilities', () => {
    const inspect = JSON.parse(docker(['inspect', 'devenv-shared-devtest']))[0];
    expect(inspect.HostConfig.Privileged).toBe(false);
    expect(inspect.HostConfig.CapAdd ?? []).toEqual([]);
    expect(inspect.HostConfig.SecurityOpt ?? []).toEqual([]);
    const sources = inspect.Mounts.map((m: { Source: string }) => m.Source);
    expect(sources.some((s: string) => s.includes('docker.sock'))).toBe(false);
    expect(sources).toEqual(expect.arrayContaining([`${mine}/projects`, `${mine}/temp/.vscode-server`]));
  });

  it("one user's stop and prune never touch the other's env", () => {
    expect(devenv(TEST_USER, mine, ['stop']).code).toBe(0);
    expect(docker(['inspect', '--format', '{{.State.Running}}', 'devenv-shared-devother'])).toBe('true');
    expect(devenv(TEST_USER, mine, ['prune', '--yes']).code).toBe(0);
    expect(containerId('devenv-shared-devother')).not.toBeNull();
    expect(docker(['images', '-q', 'devenv-shared-devother'])).not.toBe('');
    expect(docker(['images', '-q', 'devenv-shared-devtest'])).toBe('');
  });

  it("another user's .devenvrc is refused: it decides what gets mounted", () => {
    chmodSync(theirs, 0o755);
    const result = devenv(TEST_USER, theirs, ['exec', '--', 'id', '-un']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/belongs to another user \(uid 4343\)/);
    expect(docker(['inspect', '--format', '{{.State.Running}}', 'devenv-shared-devother'])).toBe('true');
  });

  it('prune warns about changes outside the mounts that it would lose', () => {
    expect(
      devenv(OTHER_USER, theirs, [
        'exec',
        '--',
        'sh',
        '-c',
        'sudo -n touch /opt/notes-outside-mounts && echo hi > ~/projects/kept',
      ]).code,
    ).toBe(0);
    const result = devenv(OTHER_USER, theirs, ['prune', '--yes']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: .*change.*outside its mounts.*\/opt\/notes-outside-mounts/);
    expect(result.stderr).not.toMatch(/kept/);
  });
});
