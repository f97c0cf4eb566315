import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cdiGpuDeviceNames,
  detectEngineGpuSupport,
  detectHostGpus,
  NO_DRIVER_PROBLEM,
  readGpuUsage,
} from '../../../src/host/gpu.js';
import { localHost } from '../../../src/host/local-host.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/nvidia-smi', import.meta.url));
const FAKE_DIR = fileURLToPath(new URL('../../fixtures/fake-nvidia-smi', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'devenv-host-gpu-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function dirWith(name: string, executables: Record<string, string>): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, script] of Object.entries(executables)) {
    writeFileSync(join(dir, file), script);
    chmodSync(join(dir, file), 0o755);
  }
  return dir;
}

// The fake is a bash script: keep the system dirs on PATH for bash itself.
function fakeEnv(machine: string): NodeJS.ProcessEnv {
  return {
    PATH: `${FAKE_DIR}:/usr/bin:/bin`,
    FAKE_NVIDIA_SMI_DIR: FIXTURES,
    FAKE_NVIDIA_SMI_MACHINE: machine,
  };
}

describe('detectHostGpus with the fake nvidia-smi replaying real captures', () => {
  it('driver 610 (KMD / CUDA UMD spelling), RTX 2080 SUPER', async () => {
    expect(await detectHostGpus({ env: fakeEnv('utkuozdemir_rtx-2080-super_610.57.04') })).toEqual({
      gpus: [
        {
          index: 0,
          uuid: 'GPU-00000000-0000-0000-0000-000000000000',
          name: 'NVIDIA GeForce RTX 2080 SUPER',
          pciBusId: '00000000:0C:00.0',
          memoryMiB: 8192,
          driverVersion: '610.57.04',
          computeCap: '7.5',
        },
      ],
      driverVersion: '610.57.04',
      cudaVersion: '13.3',
      problem: null,
    });
  });

  it('H100 on driver 590.48.01', async () => {
    const result = await detectHostGpus({ env: fakeEnv('utkuozdemir_h100-80gb-hbm3_590.48.01') });
    expect(result).toMatchObject({ driverVersion: '590.48.01', cudaVersion: '13.1', problem: null });
    expect(result.gpus).toMatchObject([
      { index: 0, name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, computeCap: '9.0' },
    ]);
  });

  it('8x RTX 4090 on driver 550.127.05 (query answered from the derived CSV: no compute capability)', async () => {
    const result = await detectHostGpus({ env: fakeEnv('thamada_rtx-4090_550.127.05') });
    expect(result).toMatchObject({ driverVersion: '550.127.05', cudaVersion: '12.4', problem: null });
    expect(result.gpus).toHaveLength(8);
    expect(result.gpus[7]).toEqual({
      index: 7,
      uuid: 'GPU-78ae265e-d539-389c-f1b8-41b35aa0adb6',
      name: 'NVIDIA GeForce RTX 4090',
      pciBusId: '00000000:E1:00.0',
      memoryMiB: 24564,
      driverVersion: '550.127.05',
      computeCap: null,
    });
  });

  it('4x A100 on driver 555.42.02', async () => {
    const result = await detectHostGpus({ env: fakeEnv('thamada_a100-sxm4-80gb-x4_555.42.02') });
    expect(result).toMatchObject({ driverVersion: '555.42.02', cudaVersion: '12.5', problem: null });
    expect(result.gpus.map((gpu) => gpu.name)).toEqual(Array(4).fill('NVIDIA A100-SXM4-80GB'));
  });

  it('a driver that does not answer -> no GPUs and the first line nvidia-smi printed', async () => {
    expect(await detectHostGpus({ env: fakeEnv('no-such-machine') })).toEqual({
      gpus: [],
      driverVersion: null,
      cudaVersion: null,
      problem:
        "nvidia-smi failed (exit 9): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. " +
        'Make sure that the latest NVIDIA driver is installed and running.',
    });
  });
});

describe('detectHostGpus without nvidia-smi', () => {
  const empty = dirWith('empty', {});

  it('no nvidia-smi and no lspci -> no GPU, no problem, fast, without asking systeminformation', async () => {
    let asked = false;
    const started = performance.now();
    const result = await detectHostGpus({
      env: { PATH: empty },
      nvidiaOnPciBus: async () => {
        asked = true;
        return true;
      },
    });
    const elapsedMs = performance.now() - started;
    expect(result).toEqual({ gpus: [], driverVersion: null, cudaVersion: null, problem: null });
    expect(asked).toBe(false);
    expect(elapsedMs).toBeLessThan(150);
  });

  it('an empty PATH, and the default probe -> no GPU, no problem', async () => {
    expect(await detectHostGpus({ env: { PATH: '' } })).toEqual({
      gpus: [],
      driverVersion: null,
      cudaVersion: null,
      problem: null,
    });
  });

  const withLspci = dirWith('with-lspci', { lspci: '#!/bin/sh\nexit 0\n' });

  it.each([
    { onBus: true, problem: NO_DRIVER_PROBLEM },
    { onBus: false, problem: null },
  ])('lspci present, NVIDIA card on the bus: $onBus -> problem $problem', async ({ onBus, problem }) => {
    const result = await detectHostGpus({ env: { PATH: withLspci }, nvidiaOnPciBus: async () => onBus });
    expect(result).toEqual({ gpus: [], driverVersion: null, cudaVersion: null, problem });
  });

  it.each([
    { label: 'rejects', probe: () => Promise.reject(new Error('lspci exploded')) },
    {
      label: 'throws',
      probe: (): Promise<boolean> => {
        throw new Error('lspci exploded');
      },
    },
  ])('a probe that $label is not a detection failure', async ({ probe }) => {
    const result = await detectHostGpus({ env: { PATH: withLspci }, nvidiaOnPciBus: probe });
    expect(result.problem).toBeNull();
  });

  it('an env nvidia-smi cannot be started with is a problem, not an exception', async () => {
    const result = await detectHostGpus({ env: { PATH: empty, BROKEN: 'a\0b' } });
    expect(result.gpus).toEqual([]);
    expect(result.problem).toMatch(/^nvidia-smi could not be started: .*null bytes/);
  });
});

describe('detectHostGpus on a driver older than the compute_cap field (< 510)', () => {
  // The query answer is the RTX 2080 row of the driver 440.64 thread (its bus id from the thread's
  // `-i 0a:00.0`), in devenv's field order without compute_cap; the rejection text is nvidia-smi's.
  // No table was captured for that machine, so the fake prints none.
  const old = dirWith('old-driver', {
    'nvidia-smi': `#!/bin/sh
case "$1" in
  *compute_cap*) printf 'Field "compute_cap" is not a valid field to query.\\n\\n'; exit 2 ;;
  --query-gpu=*) echo '0, GPU-22b2c6ac-2d49-4863-197c-9c469071178a, GeForce RTX 2080, 00000000:0A:00.0, 7979, 440.64' ;;
esac
`,
  });

  it('asks again without compute_cap', async () => {
    expect(await detectHostGpus({ env: { PATH: `${old}:/usr/bin:/bin` } })).toEqual({
      gpus: [
        {
          index: 0,
          uuid: 'GPU-22b2c6ac-2d49-4863-197c-9c469071178a',
          name: 'GeForce RTX 2080',
          pciBusId: '00000000:0A:00.0',
          memoryMiB: 7979,
          driverVersion: '440.64',
          computeCap: null,
        },
      ],
      driverVersion: '440.64',
      cudaVersion: null,
      problem: null,
    });
  });
});

describe('detectHostGpus when nvidia-smi hangs', () => {
  const hung = dirWith('hung', { 'nvidia-smi': '#!/bin/sh\nexec sleep 30\n' });

  it('gives up after timeoutMs and says so', async () => {
    const started = performance.now();
    const result = await detectHostGpus({ env: { PATH: `${hung}:/usr/bin:/bin` }, timeoutMs: 200 });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result).toEqual({
      gpus: [],
      driverVersion: null,
      cudaVersion: null,
      problem: 'nvidia-smi did not answer within 200 ms: the NVIDIA driver may be hung',
    });
  });
});

// What `nvidia-ctk cdi generate` writes (4-space YAML, quoted index names), trimmed to the keys.
const NVIDIA_CTK_YAML = `---
cdiVersion: 0.5.0
containerEdits:
    deviceNodes:
        - path: /dev/nvidiactl
    hooks:
        - hookName: createContainer
          path: /usr/bin/nvidia-cdi-hook
          args:
            - nvidia-cdi-hook
            - create-symlinks
devices:
    - containerEdits:
        deviceNodes:
            - path: /dev/nvidia0
      name: "0"
    - name: GPU-8ee5f1e0-e705-aac5-6d6e-b97ad59601ef
      containerEdits:
        deviceNodes:
            - path: /dev/nvidia0
    - name: all  # every GPU
      containerEdits:
        deviceNodes:
            - path: /dev/nvidia0
kind: nvidia.com/gpu
`;

describe('cdiGpuDeviceNames', () => {
  it.each([
    {
      label: 'nvidia-ctk YAML',
      text: NVIDIA_CTK_YAML,
      names: [
        'nvidia.com/gpu=0',
        'nvidia.com/gpu=GPU-8ee5f1e0-e705-aac5-6d6e-b97ad59601ef',
        'nvidia.com/gpu=all',
      ],
    },
    {
      label: 'YAML with list items at the key indent',
      text: 'cdiVersion: "0.6.0"\nkind: "nvidia.com/gpu"\ndevices:\n- name: all\n  containerEdits:\n    env:\n    - name: NOT_A_DEVICE\n',
      names: ['nvidia.com/gpu=all'],
    },
    {
      label: 'JSON',
      text: JSON.stringify({
        cdiVersion: '0.5.0',
        kind: 'nvidia.com/gpu',
        devices: [{ name: '0' }, { name: 'all' }],
      }),
      names: ['nvidia.com/gpu=0', 'nvidia.com/gpu=all'],
    },
    {
      label: 'another vendor',
      text: 'cdiVersion: 0.5.0\nkind: vendor.com/device\ndevices:\n  - name: all\n',
      names: [],
    },
    { label: 'broken JSON', text: '{"kind": "nvidia.com/gpu", ', names: [] },
    { label: 'no devices', text: 'kind: nvidia.com/gpu\n', names: [] },
  ])('$label', ({ text, names }) => {
    expect(cdiGpuDeviceNames(text)).toEqual(names);
  });
});

describe('detectEngineGpuSupport', () => {
  const specs = join(scratch, 'cdi');
  mkdirSync(specs, { recursive: true });
  writeFileSync(join(specs, 'nvidia.yaml'), NVIDIA_CTK_YAML);
  writeFileSync(
    join(specs, 'other.json'),
    JSON.stringify({ kind: 'vendor.com/device', devices: [{ name: 'x' }] }),
  );
  writeFileSync(join(specs, 'notes.txt'), 'kind: nvidia.com/gpu\ndevices:\n  - name: ignored\n');
  const hookDir = dirWith('hook', { 'nvidia-container-runtime-hook': '#!/bin/sh\n' });
  const toolkitDir = dirWith('toolkit', { 'nvidia-container-toolkit': '#!/bin/sh\n' });
  const empty = dirWith('empty', {});

  it('docker 20.10 style info (no CDISpecDirs), no hook: nothing', async () => {
    expect(
      await detectEngineGpuSupport(
        { Runtimes: { runc: {}, 'io.containerd.runc.v2': {} } },
        localHost({ PATH: empty }),
      ),
    ).toEqual({
      nvidiaRuntime: false,
      cdiDevices: [],
      hookOnPath: false,
    });
  });

  it('an nvidia runtime, the hook on PATH and NVIDIA CDI specs', async () => {
    const info = {
      Runtimes: { nvidia: { path: 'nvidia-container-runtime' }, runc: {} },
      CDISpecDirs: [specs, join(scratch, 'missing')],
    };
    expect(await detectEngineGpuSupport(info, localHost({ PATH: `${empty}:${hookDir}` }))).toEqual({
      nvidiaRuntime: true,
      cdiDevices: [
        'nvidia.com/gpu=0',
        'nvidia.com/gpu=GPU-8ee5f1e0-e705-aac5-6d6e-b97ad59601ef',
        'nvidia.com/gpu=all',
      ],
      hookOnPath: true,
    });
  });

  it('the legacy nvidia-container-toolkit hook name counts too', async () => {
    expect((await detectEngineGpuSupport({}, localHost({ PATH: toolkitDir }))).hookOnPath).toBe(true);
  });
});

describe('readGpuUsage with the fake nvidia-smi on the 8-GPU server', () => {
  const SERVER = 'derived-server_h100-80gb-hbm3-x8_565.57.01';
  const UUIDS = [
    'GPU-b42dd28e-ffdd-8720-1df0-98bd8cdc05b1',
    'GPU-7c3cadbd-17e5-0913-f69b-c618122ea0cd',
    'GPU-2d50cdf6-dd67-9f2e-855e-0d4d6d395a2f',
    'GPU-d1838e76-90e6-4408-711d-aeeaa2e1fd14',
    'GPU-72be6e5d-3c1b-0d37-98ac-d3ef159f2589',
    'GPU-52378fbc-3124-3895-13b6-1dd179563e0f',
    'GPU-83a5aebb-b71c-c570-aa83-185e1233fe97',
    'GPU-33135771-a848-ece1-b61e-489e221d663c',
  ];
  const withState = (text: string): NodeJS.ProcessEnv => {
    const file = join(mkdtempSync(join(scratch, 'state-')), 'state');
    writeFileSync(file, text);
    return { ...fakeEnv(SERVER), FAKE_NVIDIA_SMI_STATE: file };
  };

  it('without a state file every GPU is idle and nothing runs', async () => {
    expect(await readGpuUsage(localHost(fakeEnv(SERVER)))).toEqual({
      usage: UUIDS.map((uuid) => ({ uuid, memoryUsedMiB: 0, utilizationPct: 0 })),
      processes: [],
    });
  });

  it('the state file says what runs where; N/A is null; a GPU without a gpu line adds up its apps', async () => {
    const env = withState(
      [
        '# GPU 1 busy, GPU 2 with two small processes, GPU 3 without figures',
        `gpu ${UUIDS[1]} 30000 85`,
        `app 12345 ${UUIDS[1]} 29000`,
        `app 23456 ${UUIDS[2]} 500`,
        `app 23457 ${UUIDS[2]} 700   # a trailing comment`,
        `app 34567 ${UUIDS[2]} N/A`,
        `gpu ${UUIDS[3]} N/A N/A`,
        '',
      ].join('\n'),
    );
    const { usage, processes } = await readGpuUsage(localHost(env));
    expect(usage.slice(0, 4)).toEqual([
      { uuid: UUIDS[0], memoryUsedMiB: 0, utilizationPct: 0 },
      { uuid: UUIDS[1], memoryUsedMiB: 30000, utilizationPct: 85 },
      { uuid: UUIDS[2], memoryUsedMiB: 1200, utilizationPct: 0 },
      { uuid: UUIDS[3], memoryUsedMiB: null, utilizationPct: null },
    ]);
    expect(usage).toHaveLength(8);
    expect(processes).toEqual([
      { pid: 12345, gpuUuid: UUIDS[1], usedMemoryMiB: 29000 },
      { pid: 23456, gpuUuid: UUIDS[2], usedMemoryMiB: 500 },
      { pid: 23457, gpuUuid: UUIDS[2], usedMemoryMiB: 700 },
      { pid: 34567, gpuUuid: UUIDS[2], usedMemoryMiB: null },
    ]);
  });

  it('a state file naming a GPU the machine does not have fails the fake, so the typo shows', async () => {
    const env = withState(`app 1 GPU-00000000-0000-0000-0000-000000000000 10\n`);
    expect(await readGpuUsage(localHost(env))).toEqual({ usage: [], processes: [] });
  });

  it('machines answered from captures get live usage from the state too', async () => {
    const result = await readGpuUsage(localHost(fakeEnv('utkuozdemir_l40s_595.80')));
    // The capture was taken at 100 %; live usage is the state's, idle by default.
    expect(result).toEqual({
      usage: [{ uuid: 'GPU-00000000-0000-0000-0000-000000000000', memoryUsedMiB: 0, utilizationPct: 0 }],
      processes: [],
    });
  });
});

describe('readGpuUsage without a working nvidia-smi', () => {
  it.each([
    { label: 'no nvidia-smi', env: { PATH: dirWith('usage-empty', {}) } },
    { label: 'a driver that does not answer', env: fakeEnv('no-such-machine') },
  ])('$label -> no usage, no processes', async ({ env }) => {
    expect(await readGpuUsage(localHost(env))).toEqual({ usage: [], processes: [] });
  });
});

describe('readGpuUsage asks nvidia-smi twice', () => {
  it('at the same time', async () => {
    // Each call waits for the other to have started: run one after the other, both give up.
    const meet = mkdtempSync(join(scratch, 'meet-'));
    const rendezvous = dirWith('rendezvous', {
      'nvidia-smi': `#!/bin/sh
touch "${meet}/$$"
for i in $(seq 1 40); do
  [ "$(ls "${meet}" | wc -l)" -ge 2 ] && break
  sleep 0.05
done
[ "$(ls "${meet}" | wc -l)" -ge 2 ] || exit 1
case "$1" in
  --query-gpu=*) echo 'GPU-a, 1, 2' ;;
  --query-compute-apps=*) echo '7, GPU-a, 1' ;;
esac
`,
    });
    expect(await readGpuUsage(localHost({ PATH: `${rendezvous}:/usr/bin:/bin` }))).toEqual({
      usage: [{ uuid: 'GPU-a', memoryUsedMiB: 1, utilizationPct: 2 }],
      processes: [{ pid: 7, gpuUuid: 'GPU-a', usedMemoryMiB: 1 }],
    });
  });
});
