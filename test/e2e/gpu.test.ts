import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  containerId,
  devenv,
  dockerOk,
  makeEnvDir,
  quickRc,
  REPO_ROOT,
  removeEnvObjects,
  TEST_USER,
  writeRc,
} from './harness.js';

const FAKE_SMI = path.join(REPO_ROOT, 'test/fixtures/fake-nvidia-smi');
const FAKE_TOOLKIT = path.join(REPO_ROOT, 'test/fixtures/fake-nvidia-toolkit');
const gpuEnv = (machine: string, extraPath = '') => ({
  PATH: `${extraPath}${FAKE_SMI}:/usr/local/bin:/usr/bin:/bin`,
  FAKE_NVIDIA_SMI_DIR: path.join(REPO_ROOT, 'test/fixtures/nvidia-smi'),
  FAKE_NVIDIA_SMI_MACHINE: machine,
});

/** GPUs on a host whose Docker engine has no NVIDIA support (this one), with a fake nvidia-smi. */
describe('GPU wiring with a fake nvidia-smi on PATH', () => {
  let dir: string;
  const run = (args: string[], env: Record<string, string>) => devenv(TEST_USER, dir, args, { env });

  beforeAll(() => {
    dir = makeEnvDir('gpu', TEST_USER, quickRc('gpu', { gpus: 'auto' }));
  });
  afterAll(() => removeEnvObjects(dir));

  it('auto: GPUs on the host but no engine support -> starts on CPU and says why and how to fix', () => {
    const result = run(['start', '--detach'], gpuEnv('thamada_rtx-4090_550.127.05'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/NVIDIA Container Toolkit/);
    expect(result.stderr).toMatch(/nvidia-ctk/);
    const status = JSON.parse(run(['status', '--json'], gpuEnv('thamada_rtx-4090_550.127.05')).stdout);
    expect(status.gpus.host).toHaveLength(8);
    expect(status.gpus.host[7]).toMatchObject({
      index: 7,
      name: 'NVIDIA GeForce RTX 4090',
      memoryMiB: 24564,
    });
    expect(status.gpus.driver).toBe('550.127.05');
    expect(status.gpus.cuda).toBe('12.4');
    expect(status.container.gpus).toBe('none');
  });

  it('auto with no GPU at all is quiet', () => {
    const result = run(['status'], { PATH: '/usr/local/bin:/usr/bin:/bin' });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/gpus: +none/);
  });

  it('reads the driver 610 "CUDA UMD Version" spelling', () => {
    const status = JSON.parse(
      run(['status', '--json'], gpuEnv('utkuozdemir_rtx-2080-super_610.57.04')).stdout,
    );
    expect(status.gpus.cuda).toBe('13.3');
    expect(status.gpus.host[0].name).toMatch(/2080 SUPER/);
  });

  it('all / a list without engine support -> refuses before creating anything (exit 8)', () => {
    expect(run(['stop'], {}).code).toBe(0);
    for (const gpus of ['all', [0]]) {
      writeRc(dir, TEST_USER, quickRc('gpu', { gpus }));
      const result = run(['start', '--detach'], gpuEnv('thamada_a100-sxm4-80gb-x4_555.42.02'));
      expect(result.code).toBe(8);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^devenv: .*NVIDIA Container Toolkit|nvidia-ctk/);
      expect(containerId('devenv-gpu-devtest')).toBeNull();
    }
  });

  it('a GPU index the host does not have is named, with what exists', () => {
    writeRc(dir, TEST_USER, quickRc('gpu', { gpus: [9] }));
    const result = run(['start', '--detach'], gpuEnv('thamada_rtx-4090_550.127.05', `${FAKE_TOOLKIT}:`));
    expect(result.code).toBe(8);
    expect(result.stderr).toMatch(/\b9\b.*\b0\b/);
    expect(containerId('devenv-gpu-devtest')).toBeNull();
  });

  it('when the engine is believed to support GPUs but cannot give them, no half-made container is left', () => {
    writeRc(dir, TEST_USER, quickRc('gpu', { gpus: 'all' }));
    const env = gpuEnv('thamada_rtx-4090_550.127.05', `${FAKE_TOOLKIT}:`);
    const status = JSON.parse(run(['status', '--json'], env).stdout);
    expect(status.image.torchIndex).toBeNull();
    const result = run(['start', '--detach'], env);
    expect(result.code).toBe(8);
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((l) => !/^devenv: (building|done|creating|failed|leased)/.test(l)),
    ).toHaveLength(1);
    expect(containerId('devenv-gpu-devtest')).toBeNull();
    expect(dockerOk(['ps', '-a'])).toBe(true);
  });

  it('torch "auto" picks the wheel index from the driver and GPUs when GPUs are wired', () => {
    writeRc(dir, TEST_USER, quickRc('gpu', { gpus: 'all', torch: 'auto', baseImage: 'auto' }));
    const status = JSON.parse(
      run(['status', '--json'], gpuEnv('utkuozdemir_h100-80gb-hbm3_590.48.01', `${FAKE_TOOLKIT}:`)).stdout,
    );
    expect(status.image.torchIndex).toBe('https://download.pytorch.org/whl/cu130');
    expect(status.image.base).toMatch(/^nvidia\/cuda:13\.0\.\d+-base-ubuntu24\.04$/);
    const cpu = JSON.parse(run(['status', '--json'], { PATH: '/usr/local/bin:/usr/bin:/bin' }).stdout);
    expect(cpu.image.torchIndex).toBe('https://download.pytorch.org/whl/cpu');
    expect(cpu.image.base).toBe('ubuntu:24.04');
  });
});
