import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type EngineGpuSupport, type GpuRequest, planGpus } from '../../../../src/core/gpu/gpu-plan.js';
import { parseQueryGpuCsv, parseQueryText } from '../../../../src/core/gpu/nvidia-smi-parse.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/nvidia-smi/', import.meta.url));
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

// Real hosts: 8x RTX 4090 (thamada, real UUIDs) and one RTX 2080 SUPER on driver 610.
const rtx4090x8 = parseQueryText(fixture('thamada_rtx-4090_550.127.05_q.txt')).gpus;
const rtx2080 = parseQueryGpuCsv(fixture('utkuozdemir_rtx-2080-super_610.57.04_query-gpu-all-fields.csv'));
const UUID_0 = 'GPU-8ee5f1e0-e705-aac5-6d6e-b97ad59601ef';
const UUID_3 = 'GPU-28895719-adab-e2f7-9416-5b9321ff04aa';

const noSupport: EngineGpuSupport = { nvidiaRuntime: false, cdiDevices: [], hookOnPath: false };
const hook: EngineGpuSupport = { nvidiaRuntime: false, cdiDevices: [], hookOnPath: true };
const runtime: EngineGpuSupport = { nvidiaRuntime: true, cdiDevices: [], hookOnPath: false };
const cdiAll: EngineGpuSupport = {
  nvidiaRuntime: false,
  cdiDevices: ['nvidia.com/gpu=0', 'nvidia.com/gpu=1', `nvidia.com/gpu=${UUID_0}`, 'nvidia.com/gpu=all'],
  hookOnPath: false,
};
const GPUS_ALL = { Driver: '', Count: -1, Capabilities: [['gpu']] };
const NO_DRIVER =
  'an NVIDIA GPU is on the PCI bus but nvidia-smi was not found: the NVIDIA driver is missing';

function plan(request: GpuRequest, hostGpus = rtx4090x8, engine = hook, driverProblem: string | null = null) {
  return planGpus({ request, hostGpus, engine, driverProblem });
}

describe('planGpus: the fixtures behind the tables', () => {
  it('8x RTX 4090 with indexes 0-7; one RTX 2080 SUPER', () => {
    expect(rtx4090x8.map((gpu) => gpu.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(rtx4090x8[0]?.uuid).toBe(UUID_0);
    expect(rtx4090x8[3]?.uuid).toBe(UUID_3);
    expect(rtx2080.map((gpu) => gpu.name)).toEqual(['NVIDIA GeForce RTX 2080 SUPER']);
  });
});

describe('planGpus: gpu plans', () => {
  it.each([
    { label: 'auto, hook on PATH', request: 'auto' as const, engine: hook, requests: [GPUS_ALL] },
    {
      label: 'auto, nvidia runtime registered',
      request: 'auto' as const,
      engine: runtime,
      requests: [GPUS_ALL],
    },
    { label: 'all, hook on PATH', request: 'all' as const, engine: hook, requests: [GPUS_ALL] },
    {
      label: 'all, CDI only: the "all" device',
      request: 'all' as const,
      engine: cdiAll,
      requests: [{ Driver: 'cdi', DeviceIDs: ['nvidia.com/gpu=all'], Capabilities: [] }],
    },
    {
      label: 'hook and CDI: --gpus style wins',
      request: 'all' as const,
      engine: { ...cdiAll, hookOnPath: true },
      requests: [GPUS_ALL],
    },
    // A count or its object form is planned as "all": the lease picks which, then plans them as a list.
    { label: 'a count, hook on PATH', request: 2, engine: hook, requests: [GPUS_ALL] },
    {
      label: 'a count with minMemoryGiB, nvidia runtime',
      request: { count: 1, minMemoryGiB: 20 },
      engine: runtime,
      requests: [GPUS_ALL],
    },
    {
      label: 'a count, CDI only: the "all" device',
      request: 3,
      engine: cdiAll,
      requests: [{ Driver: 'cdi', DeviceIDs: ['nvidia.com/gpu=all'], Capabilities: [] }],
    },
    {
      label: 'list of an index (number) and a UUID, hook',
      request: [0, UUID_3],
      engine: hook,
      requests: [{ Driver: '', DeviceIDs: ['0', UUID_3], Capabilities: [['gpu']] }],
    },
    {
      label: 'list with "1" as text and GPU 0 again as "0" and by upper-case UUID, hook',
      request: ['1', 0, '0', UUID_0.toUpperCase()],
      engine: hook,
      requests: [{ Driver: '', DeviceIDs: ['1', '0'], Capabilities: [['gpu']] }],
    },
    {
      label: 'list, CDI: fully qualified names, by index where the spec has it',
      request: [1, UUID_0],
      engine: cdiAll,
      requests: [{ Driver: 'cdi', DeviceIDs: ['nvidia.com/gpu=1', 'nvidia.com/gpu=0'], Capabilities: [] }],
    },
  ])('$label', ({ request, engine, requests }) => {
    expect(plan(request, rtx4090x8, engine)).toEqual({
      kind: 'gpu',
      deviceRequests: requests,
      runtime: null,
      notice: null,
      error: null,
    });
  });

  it("CDI spec naming a GPU by its UUID in another case: the spec's own name", () => {
    const engine = { ...noSupport, cdiDevices: [`nvidia.com/gpu=${UUID_3.toUpperCase()}`] };
    expect(plan([UUID_3], rtx4090x8, engine).deviceRequests).toEqual([
      { Driver: 'cdi', DeviceIDs: [`nvidia.com/gpu=${UUID_3.toUpperCase()}`], Capabilities: [] },
    ]);
  });

  it('CDI specs without an "all" device: every GPU by name', () => {
    const engine = { ...noSupport, cdiDevices: ['nvidia.com/gpu=0'] };
    expect(plan('auto', rtx2080, engine).deviceRequests).toEqual([
      { Driver: 'cdi', DeviceIDs: ['nvidia.com/gpu=0'], Capabilities: [] },
    ]);
  });
});

describe('planGpus: cpu plans', () => {
  it.each([
    { label: 'none', request: 'none' as GpuRequest, hostGpus: rtx4090x8, engine: hook, problem: null },
    { label: 'an empty list', request: [] as GpuRequest, hostGpus: rtx4090x8, engine: hook, problem: null },
    { label: 'auto, no GPU', request: 'auto' as GpuRequest, hostGpus: [], engine: hook, problem: null },
    {
      label: 'none, even with a driver problem',
      request: 'none' as GpuRequest,
      hostGpus: [],
      engine: noSupport,
      problem: NO_DRIVER,
    },
  ])('$label -> cpu, silently', ({ request, hostGpus, engine, problem }) => {
    expect(plan(request, hostGpus, engine, problem)).toEqual({
      kind: 'cpu',
      deviceRequests: [],
      runtime: null,
      notice: null,
      error: null,
    });
  });

  it('auto, GPUs but no engine support -> cpu with a notice saying why and how to fix', () => {
    const result = plan('auto', rtx4090x8, noSupport);
    expect(result).toMatchObject({ kind: 'cpu', deviceRequests: [], error: null });
    expect(result.notice).toBe(
      'found 8 NVIDIA GPUs (8x NVIDIA GeForce RTX 4090), but the Docker engine has no NVIDIA support ' +
        '(no nvidia runtime, no nvidia-container-runtime-hook on PATH, no CDI specs for nvidia.com/gpu), ' +
        'so the env starts without GPUs. To use them, install the NVIDIA Container Toolkit, then either run ' +
        '`sudo nvidia-ctk runtime configure --runtime=docker` and `sudo systemctl restart docker`, ' +
        'or generate CDI specs with `sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`.',
    );
  });

  it('auto, one GPU, CDI specs that do not name it -> cpu with a notice about the specs', () => {
    const engine = { ...noSupport, cdiDevices: ['nvidia.com/gpu=5'] };
    const result = plan('auto', rtx2080, engine);
    expect(result.kind).toBe('cpu');
    expect(result.notice).toMatch(
      /^found an NVIDIA GPU \(NVIDIA GeForce RTX 2080 SUPER\), but the CDI specs \(nvidia.com\/gpu=5\)/,
    );
  });

  it('auto, card on the bus but no driver -> cpu with a notice saying so', () => {
    expect(plan('auto', [], noSupport, NO_DRIVER)).toMatchObject({
      kind: 'cpu',
      notice: `${NO_DRIVER}; starting without GPUs`,
      error: null,
    });
  });
});

describe('planGpus: errors, never a device request', () => {
  it.each([
    {
      label: 'all without engine support',
      request: 'all' as GpuRequest,
      hostGpus: rtx4090x8,
      engine: noSupport,
      problem: null,
      message: /^gpus: all requested, but the Docker engine has no NVIDIA support/,
      hint: /nvidia-ctk runtime configure --runtime=docker.*nvidia-ctk cdi generate.*gpus: auto/,
    },
    {
      label: 'a list without engine support',
      request: [0, 1] as GpuRequest,
      hostGpus: rtx4090x8,
      engine: noSupport,
      problem: null,
      message: /^gpus: 0, 1 requested, but the Docker engine has no NVIDIA support/,
      hint: /nvidia-ctk runtime configure/,
    },
    {
      label: 'all without GPUs',
      request: 'all' as GpuRequest,
      hostGpus: [],
      engine: hook,
      problem: null,
      message: /^gpus: all requested, but nvidia-smi lists no NVIDIA GPU on this host$/,
      hint: /gpus: auto/,
    },
    {
      label: 'all with a driver problem',
      request: 'all' as GpuRequest,
      hostGpus: [],
      engine: hook,
      problem: NO_DRIVER,
      message: new RegExp(`^gpus: all requested, but ${NO_DRIVER}$`),
      hint: /NVIDIA driver/,
    },
    {
      label: 'a list without GPUs',
      request: ['0'] as GpuRequest,
      hostGpus: [],
      engine: hook,
      problem: null,
      message: /^gpus: 0 requested, but nvidia-smi lists no NVIDIA GPU/,
      hint: /gpus: none/,
    },
    {
      label: 'a count without engine support: insists, as all does',
      request: 2 as GpuRequest,
      hostGpus: rtx4090x8,
      engine: noSupport,
      problem: null,
      message: /^gpus: 2 GPUs requested, but the Docker engine has no NVIDIA support/,
      hint: /nvidia-ctk runtime configure/,
    },
    {
      label: 'one GPU of some size, without GPUs',
      request: { count: 1, minMemoryGiB: 40 } as GpuRequest,
      hostGpus: [],
      engine: hook,
      problem: null,
      message: /^gpus: 1 GPU of at least 40 GiB requested, but nvidia-smi lists no NVIDIA GPU on this host$/,
      hint: /gpus: auto/,
    },
    {
      label: 'a count with a driver problem',
      request: { count: 2 } as GpuRequest,
      hostGpus: [],
      engine: hook,
      problem: NO_DRIVER,
      message: new RegExp(`^gpus: 2 GPUs requested, but ${NO_DRIVER}$`),
      hint: /NVIDIA driver/,
    },
    {
      label: 'a list naming GPUs that do not exist',
      request: [0, 8, 'GPU-does-not-exist'] as GpuRequest,
      hostGpus: rtx4090x8,
      engine: hook,
      problem: null,
      message: /^gpus: no GPU 8, GPU-does-not-exist on this host$/,
      hint: new RegExp(
        `^use an index or UUID of: 0 \\(NVIDIA GeForce RTX 4090, ${UUID_0}\\);.*; 7 \\(NVIDIA GeForce RTX 4090, GPU-`,
      ),
    },
    {
      label: 'unknown GPUs are reported before missing engine support',
      request: [3, 9] as GpuRequest,
      hostGpus: rtx4090x8,
      engine: noSupport,
      problem: null,
      message: /^gpus: no GPU 9 on this host$/,
      hint: /^use an index or UUID of: 0 /,
    },
    {
      label: 'a list CDI specs do not cover',
      request: [0, 7] as GpuRequest,
      hostGpus: rtx4090x8,
      engine: cdiAll,
      problem: null,
      message: /^gpus: the CDI specs have no device for GPU 7$/,
      hint: /nvidia-ctk cdi generate/,
    },
  ])('$label', ({ request, hostGpus, engine, problem, message, hint }) => {
    const result = plan(request, hostGpus, engine, problem);
    expect(result).toMatchObject({ kind: 'cpu', deviceRequests: [], runtime: null, notice: null });
    expect(result.error?.message).toMatch(message);
    expect(result.error?.hint).toMatch(hint);
  });
});
