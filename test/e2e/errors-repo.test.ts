import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { expectNothingCreated, expectOneLineError, snapshot } from './errors-kit.js';
import { containerId, devenv, makeEnvDir, quickRc, removeEnvObjects, TEST_USER } from './harness.js';

/**
 * Catalogue cases R01–R02 (docs/errors.md): the configured repo. A clone that cannot happen is
 * one line with exit 9; a plain folder already at the clone target is a warning, never a failure.
 */
describe('the repo: not found is exit 9; a non-git folder at the target is a warning', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir);
  });

  it('R01 a repo that does not exist: one line, nothing cloned or built', () => {
    rmSync('/tmp/does-not-exist.git', { recursive: true, force: true });
    const dir = makeEnvDir('errrepo', TEST_USER, quickRc('errrepo', { repo: '/tmp/does-not-exist.git' }));
    dirs.push(dir);
    const before = snapshot(dir);
    expectOneLineError(
      devenv(TEST_USER, dir, ['-q', 'start', '--detach']),
      ExitCode.git,
      /cannot clone \/tmp\/does-not-exist\.git: repository not found — check the "repo" URL or path/,
    );
    // No half clone, and not even the projects folder the clone was to go into.
    expectNothingCreated(dir, before);
  });

  it('R02 an existing non-git folder at the clone target: a warning, the folder untouched, the env starts', () => {
    const dir = makeEnvDir(
      'errnotgit',
      TEST_USER,
      quickRc('errnotgit', { repo: '/tmp/devenv-err-nowhere/myrepo.git' }),
    );
    dirs.push(dir);
    const target = path.join(dir, 'projects', 'myrepo');
    mkdirSync(target, { recursive: true });
    writeFileSync(path.join(target, 'notes.txt'), 'mine\n');
    for (const p of [path.dirname(target), target, path.join(target, 'notes.txt')])
      chownSync(p, TEST_USER.uid, TEST_USER.gid);
    // Not -q: a warning is not an error, and --quiet silences it. Progress lines come and go;
    // the warning must be there once, whole, and nothing may look like a failure.
    const result = devenv(TEST_USER, dir, ['start', '--detach']);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(result.stderr).not.toMatch(/^\s+at |unexpected error|failed/im);
    const warnings = result.stderr.split('\n').filter((line) => line.startsWith('devenv: warning:'));
    expect(warnings, result.stderr).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^devenv: warning: \S+\/projects\/myrepo exists but is not a git repository; devenv leaves it as it is$/,
    );
    expect(readdirSync(target)).toEqual(['notes.txt']);
    expect(readFileSync(path.join(target, 'notes.txt'), 'utf8')).toBe('mine\n');
    expect(containerId('devenv-errnotgit-devtest')).not.toBeNull();
    expect(devenv(TEST_USER, dir, ['stop']).code).toBe(ExitCode.ok);
  });
});
