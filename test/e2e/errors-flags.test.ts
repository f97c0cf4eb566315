import { afterAll, beforeAll, describe, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { type DirSnapshot, expectNothingCreated, expectOneLineError, snapshot } from './errors-kit.js';
import { devenv, makeEnvDir, quickRc, removeEnvObjects, TEST_USER } from './harness.js';

/**
 * Catalogue cases F01–F06 (docs/errors.md): bad command lines. commander's own errors must come
 * out as one `devenv: …` line with exit 2, before any config or engine work.
 */
describe('bad flags and commands: one line, exit 2, nothing created', () => {
  let dir: string;
  let before: DirSnapshot;
  const run = (args: string[]) => devenv(TEST_USER, dir, args);

  beforeAll(() => {
    dir = makeEnvDir('errflags', TEST_USER, quickRc('errflags'));
    before = snapshot(dir);
  });
  afterAll(() => removeEnvObjects(dir));

  it('F01 an unknown option', () => {
    expectOneLineError(
      run(['start', '--bogus']),
      ExitCode.usage,
      /unknown option '--bogus' \(see `devenv --help`\)/,
    );
    expectNothingCreated(dir, before);
  });

  it('F02 an unknown command suggests the nearest one, on the same line', () => {
    expectOneLineError(
      run(['strat']),
      ExitCode.usage,
      /unknown command 'strat' \(Did you mean start\?\) \(see `devenv --help`\)/,
    );
    expectNothingCreated(dir, before);
  });

  it('F03 exec with no command', () => {
    expectOneLineError(run(['exec']), ExitCode.usage, /missing required argument 'command'/);
    expectOneLineError(run(['exec', '--']), ExitCode.usage, /missing required argument 'command'/);
    expectNothingCreated(dir, before);
  });

  it('F04 prune --yes with an unknown option removes nothing', () => {
    expectOneLineError(run(['prune', '--yes', '--no-such']), ExitCode.usage, /unknown option '--no-such'/);
    expectNothingCreated(dir, before);
  });

  it('F05 an argument a command does not take', () => {
    expectOneLineError(run(['status', 'extra']), ExitCode.usage, /too many arguments for 'status'/);
    expectNothingCreated(dir, before);
  });

  it('F06 an option missing its value', () => {
    expectOneLineError(run(['--config']), ExitCode.usage, /option '-c, --config <path>' argument missing/);
    expectNothingCreated(dir, before);
  });
});
