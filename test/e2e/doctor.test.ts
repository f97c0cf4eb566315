import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devenv, makeEnvDir, quickRc, REPO_ROOT, removeEnvObjects, TEST_USER } from './harness.js';

describe('devenv doctor', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeEnvDir('doctor', TEST_USER, quickRc('doctor', { gpus: 'auto' }));
  });
  afterAll(() => removeEnvObjects(dir));

  it('reports every check as ok/warn/fail, and exits 0 when nothing blocks start', () => {
    const env = {
      PATH: `${path.join(REPO_ROOT, 'test/fixtures/fake-nvidia-smi')}:/usr/local/bin:/usr/bin:/bin`,
      FAKE_NVIDIA_SMI_DIR: path.join(REPO_ROOT, 'test/fixtures/nvidia-smi'),
      FAKE_NVIDIA_SMI_MACHINE: 'utkuozdemir_l40s_595.80',
    };
    const result = devenv(TEST_USER, dir, ['doctor', '--json'], { env });
    expect(result.code, result.stdout).toBe(0);
    const report = JSON.parse(result.stdout);
    const byName = Object.fromEntries(report.checks.map((c: { name: string }) => [c.name, c]));
    expect(byName.config.status).toBe('ok');
    expect(byName.docker).toMatchObject({ status: 'ok', detail: expect.stringMatching(/API 1\.\d+/) });
    expect(byName.gpus.detail).toMatch(/L40S.*driver 595\.80, CUDA 13\.\d/);
    expect(byName['gpu engine']).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/NVIDIA Container Toolkit/),
    });
    expect(byName.env.detail).toMatch(/not created, image not built yet/);
    expect(byName.git.status).toBe('ok');
  });

  it('keeps going past a broken config and an unreachable engine, and exits with the first blocker', () => {
    const broken = makeEnvDir('doctor-broken', TEST_USER);
    writeFileSync(path.join(broken, '.devenvrc'), '{"gpus": "some"}', { mode: 0o644 });
    const result = devenv(TEST_USER, broken, ['doctor'], {
      env: { DOCKER_HOST: 'unix:///tmp/devenv-no-engine.sock' },
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^fail +config +.*"gpus"/m);
    expect(result.stdout).toMatch(/^ok +git/m);
    const noEngine = devenv(TEST_USER, dir, ['doctor'], {
      env: { DOCKER_HOST: 'unix:///tmp/devenv-no-engine.sock' },
    });
    expect(noEngine.code).toBe(4);
    expect(noEngine.stdout).toMatch(
      /^fail +docker +cannot reach the Docker engine at unix:\/\/\/tmp\/devenv-no-engine\.sock/m,
    );
  });
});
