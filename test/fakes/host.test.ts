import { describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/core/errors.js';
import { detectHostGpus, readGpuUsage } from '../../src/host/gpu.js';
import { FakeHost } from './host.js';
import { machineGpus, nvidiaSmi, SERVER } from './nvidia-smi.js';

/** The fake must answer as src/host/local-host.ts and ssh-host.ts do, or the app tests lie. */
describe('FakeHost', () => {
  it('makes folders, refuses one where a file is (exit 11), and removes only empty ones', async () => {
    const host = new FakeHost();
    host.putFile('/home/me/proj/data', 'x');

    await host.makeDirs(['/home/me/proj/projects/a']);
    const error = await host.makeDirs(['/home/me/proj/data/sub']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(11);
    expect(await host.kinds(['/home/me/proj/projects', '/home/me/proj/data', '/nope'])).toEqual([
      'dir',
      'file',
      null,
    ]);

    await host.removeEmptyDir('/home/me/proj/projects');
    expect(host.kind('/home/me/proj/projects')).toBe('dir');
    await host.removeEmptyDir('/home/me/proj/projects/a');
    expect(host.kind('/home/me/proj/projects/a')).toBeNull();
    expect(await host.listDir('/home/me/proj')).toEqual(['data', 'projects']);
  });

  it('clones into a missing or empty folder only', async () => {
    const host = new FakeHost();
    const request = {
      repo: 'https://example.com/r.git',
      branch: null,
      dest: '/home/me/p/r',
      root: '/home/me/p',
    };

    expect(await host.cloneRepo(request)).toBe('cloned');
    expect(await host.cloneRepo(request)).toBe('present');
    host.putFile('/home/me/p/s/notes.txt', 'mine');
    expect(await host.cloneRepo({ ...request, dest: '/home/me/p/s' })).toBe('not-git');
    expect(host.clones).toHaveLength(3);
  });

  it('runs only scripted programs: anything else is missing', async () => {
    const host = new FakeHost();
    expect(await host.run(['lspci', '-n'])).toEqual({ outcome: 'missing' });
    expect(await host.hasCommand('nvidia-smi')).toBe(false);
    host.script('nvidia-smi', nvidiaSmi());
    expect(await host.hasCommand('nvidia-smi')).toBe(true);
    expect(host.runs).toEqual([['lspci', '-n']]);
  });

  it("scripted nvidia-smi gives the real detection the captured server's GPUs and the live usage", async () => {
    const gpus = machineGpus(SERVER);
    const host = new FakeHost().script(
      'nvidia-smi',
      nvidiaSmi(SERVER, () => ({
        usage: [{ uuid: gpus[3]?.uuid as string, memoryUsedMiB: 4096, utilizationPct: 50 }],
        processes: [{ pid: 42, gpuUuid: gpus[3]?.uuid as string, usedMemoryMiB: 4000 }],
      })),
    );

    const detection = await detectHostGpus({ env: {}, host });
    expect(detection).toMatchObject({ driverVersion: '565.57.01', cudaVersion: '12.7', problem: null });
    expect(detection.gpus.map((g) => [g.index, g.computeCap])).toEqual(gpus.map((g) => [g.index, '9.0']));
    const usage = await readGpuUsage(host);
    expect(usage.usage[3]).toEqual({ uuid: gpus[3]?.uuid, memoryUsedMiB: 4096, utilizationPct: 50 });
    expect(usage.processes).toEqual([{ pid: 42, gpuUuid: gpus[3]?.uuid, usedMemoryMiB: 4000 }]);
  });
});
