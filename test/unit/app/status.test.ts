import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectStatus } from '../../../src/app/status.js';
import { upEnv } from '../../../src/app/up.js';
import { ENV_ROOT, envContext } from '../../fakes/env-context.js';
import { FakeHost } from '../../fakes/host.js';
import { type FakeIo, fakeIo } from '../../fakes/io.js';
import { machineGpus, nvidiaSmi } from '../../fakes/nvidia-smi.js';
import { type FakeSite, fakeSite } from '../../fakes/site.js';
import { RecordingUi } from '../../fakes/ui.js';

let io: FakeIo;
let ui: RecordingUi;

beforeEach(() => {
  io = fakeIo();
  ui = new RecordingUi();
});
afterEach(() => io.cleanup());

function gpuSite(): FakeSite {
  const host = new FakeHost().script('nvidia-smi', nvidiaSmi());
  host.commands.add('nvidia-container-runtime-hook');
  return fakeSite({ io, ui, host });
}

describe('collectStatus', () => {
  it('an env never started: no image, no container, folders missing, the configured ports', async () => {
    const site = fakeSite({ io, ui });
    const ctx = envContext({
      io,
      ui,
      site,
      config: { gpus: 'none', network: 'bridge', ports: ['8888:8888'] },
    });

    const status = await collectStatus(ctx);

    expect(status).toMatchObject({
      env: 'proj',
      envRoot: ENV_ROOT,
      configFile: `${ENV_ROOT}/.devenvrc`,
      user: { name: 'me', uid: 1000, gid: 1000 },
      engine: { url: 'unix:///var/run/docker.sock', remote: false },
      host: 'this machine',
      hostRoot: ENV_ROOT,
      image: { ref: 'devenv-proj-me:latest', present: false, fresh: null, base: 'ubuntu:24.04' },
      container: { name: 'devenv-proj-me', state: 'absent', created: null, gpus: null, lease: [] },
      health: null,
      ports: [{ hostIp: null, hostPort: 8888, containerPort: 8888, protocol: 'tcp' }],
      gpus: null,
    });
    expect(status.mounts.map((m) => [m.source, m.exists])).toEqual([
      [`${ENV_ROOT}/projects`, false],
      [`${ENV_ROOT}/temp/.vscode-server`, false],
    ]);
    expect(site.fakeEngine.changes()).toEqual([]);
  });

  it('a started env: running, its image fresh, its folders there; after a recipe change, stale', async () => {
    const site = fakeSite({ io, ui });
    await upEnv(envContext({ io, ui, site, config: { gpus: 'none' } }), {});

    const running = await collectStatus(envContext({ io, ui, site, config: { gpus: 'none' } }));
    expect(running.container.state).toBe('running');
    expect(running.container.created).not.toBeNull();
    expect(running.image).toMatchObject({ present: true, fresh: true });
    expect(running.mounts.every((m) => m.exists)).toBe(true);

    const changed = await collectStatus(
      envContext({ io, ui, site, config: { gpus: 'none', aptPackages: ['git', 'ffmpeg'] } }),
    );
    expect(changed.image).toMatchObject({ present: true, fresh: false });
  });

  it("a GPU env: the host's GPUs and driver, the GPUs its running container leases, none once stopped", async () => {
    const site = gpuSite();
    const gpus = machineGpus();
    await upEnv(envContext({ io, ui, site, config: { gpus: 2 } }), {});

    const status = await collectStatus(envContext({ io, ui, site, config: { gpus: 2 } }));

    expect(status.container.lease).toEqual([
      { index: 0, uuid: gpus[0]?.uuid },
      { index: 1, uuid: gpus[1]?.uuid },
    ]);
    expect(status.gpus?.host).toHaveLength(8);
    expect(status.gpus?.host[0]).toEqual({ index: 0, name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559 });
    expect(status.gpus).toMatchObject({ driver: '565.57.01', cuda: '12.7', notice: null });
    expect(status.image.base).toMatch(/^nvidia\/cuda:/);

    await site.fakeEngine.stopContainer('devenv-proj-me');
    const stopped = await collectStatus(envContext({ io, ui, site, config: { gpus: 2 } }));
    expect(stopped.container.state).toBe('stopped');
    expect(stopped.container.lease).toEqual([]);
  });

  it('on a remote host: names the host and the folders there', async () => {
    const site = fakeSite({ io, ui, host: new FakeHost({ remote: true, name: 'me@gpu1' }) });

    const status = await collectStatus(envContext({ io, ui, site, config: { gpus: 'none' } }));

    expect(status).toMatchObject({
      host: 'me@gpu1',
      hostRoot: '/home/me/devenv/proj',
      engine: { url: 'ssh://me@gpu1', remote: true },
    });
    expect(status.mounts[0]?.source).toBe('/home/me/devenv/proj/projects');
  });
});
