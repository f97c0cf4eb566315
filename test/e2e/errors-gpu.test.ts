import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { expectOneLineError, snapshot } from './errors-kit.js';
import {
  clearGpuLedger,
  devenv,
  GPU_ENGINE,
  gpuDocker,
  gpuServerEnv,
  makeEnvDir,
  OTHER_USER,
  quickRc,
  removeEnvObjects,
  TEST_USER,
} from './harness.js';

/**
 * GPU requests a shared server cannot serve: one line, exit 8 (or 2 for a bad flag), and
 * nothing made: no container on the engine, no folder in the env root. devother's env holds
 * GPUs 0 and 1 throughout.
 */
describe('GPU requests that cannot be served: exit 8, nothing created', () => {
  const dirs: string[] = [];
  let holder: string;
  const start = (gpus: unknown, args: string[] = []) => {
    const dir = makeEnvDir('errgpu', TEST_USER, quickRc('errgpu', { gpus }));
    dirs.push(dir);
    const before = snapshot(dir);
    const result = devenv(TEST_USER, dir, ['start', '--detach', ...args], { env: gpuServerEnv() });
    return { result, nothingMade: () => expectNothingMade(dir, before.entries) };
  };
  const expectNothingMade = (dir: string, entries: string[]) => {
    expect(gpuDocker(['ps', '-aq', '--filter', 'name=^devenv-errgpu-devtest$'])).toBe('');
    expect(snapshot(dir).entries).toEqual(entries);
  };

  beforeAll(() => {
    clearGpuLedger();
    holder = makeEnvDir('errgpu-holder', OTHER_USER, quickRc('errgpuheld', { gpus: 2 }));
    const held = devenv(OTHER_USER, holder, ['start', '--detach'], { env: gpuServerEnv() });
    expect(held.code, held.stderr).toBe(0);
  });
  afterAll(() => {
    for (const dir of [holder, ...dirs]) removeEnvObjects(dir, GPU_ENGINE);
  });

  it('G01 more GPUs than are free: how many are free, who holds the others, and --wait', () => {
    const { result, nothingMade } = start(7);
    expectOneLineError(
      result,
      ExitCode.gpu,
      /gpus: 7 GPUs requested, but only 6 of the 8 GPUs are free: .*devother.*errgpuheld.* — .*devenv start --wait/,
    );
    nothingMade();
  });

  it('G02 a GPU list that names a GPU another env holds: the holder is named', () => {
    const { result, nothingMade } = start([1]);
    expectOneLineError(result, ExitCode.gpu, /GPU 1 .*devother.*errgpuheld/);
    nothingMade();
  });

  it('G03 more GPUs than the host has: waiting cannot help, so --wait fails at once too', () => {
    const { result, nothingMade } = start(9, ['--wait']);
    expectOneLineError(result, ExitCode.gpu, /gpus: 9 GPUs requested, but this host has only 8 GPUs/);
    nothingMade();
  });

  it('G04 a --gpus that is not a number of GPUs', () => {
    const { result, nothingMade } = start(1, ['--gpus', '0']);
    expectOneLineError(result, ExitCode.usage, /--gpus takes a number of GPUs, 1 or more \(got "0"\)/);
    nothingMade();
  });

  it('G05 a --wait that is not a duration', () => {
    const { result, nothingMade } = start(1, ['--wait=soon']);
    expectOneLineError(
      result,
      ExitCode.usage,
      /--wait takes a duration such as 30s, 10m or 2h \(got "soon"\)/,
    );
    nothingMade();
  });
});
