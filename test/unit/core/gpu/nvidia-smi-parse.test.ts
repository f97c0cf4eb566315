import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  parseComputeAppsCsv,
  parseCudaVersion,
  parseDriverVersion,
  parseQueryGpuCsv,
  parseQueryText,
  parseUsageCsv,
} from '../../../../src/core/gpu/nvidia-smi-parse.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/nvidia-smi/', import.meta.url));
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const fixtureNames = readdirSync(FIXTURES);

// File names are <origin>_<gpu>_<driver>_<kind>: the driver segment is a fact about the capture.
const driverInName = (name: string) => /_(\d+\.\d+(?:\.\d+)?)_[a-z-]+\.(?:txt|csv)$/.exec(name)?.[1];

describe('parseQueryText (nvidia-smi -q captures)', () => {
  const cases = [
    {
      file: 'gpud_a10_535.129.03_q.txt',
      count: 1,
      name: 'NVIDIA A10',
      cuda: '12.2',
      uuid: 'GPU-73d12ef7-f589-f867-4259-c7090ab44736',
      bus: '00000000:07:00.0',
      mib: 23028,
    },
    {
      file: 'gpud_h100-80gb-hbm3-x8_535.161.08_q.txt',
      count: 8,
      name: 'NVIDIA H100 80GB HBM3',
      cuda: '12.2',
      uuid: 'GPU-ee7954ec-da95-fd7a-ddfd-c6b32cc2f8aa',
      bus: '00000000:19:00.0',
      mib: 81559,
    },
    {
      file: 'gpud_rtx-4090-x8_535.154.05_q.txt',
      count: 8,
      name: 'NVIDIA GeForce RTX 4090',
      cuda: '12.2',
      uuid: 'GPU-313bbff0-b0a0-fd26-4820-0578bdef3a12',
      bus: '00000000:01:00.0',
      mib: 24564,
    },
    {
      file: 'thamada_a100-sxm4-80gb-x4_555.42.02_q.txt',
      count: 4,
      name: 'NVIDIA A100-SXM4-80GB',
      cuda: '12.5',
      uuid: 'GPU-31515c3d-1414-7c2c-004a-f86a898946ac',
      bus: '00000000:68:00.0',
      mib: 81920,
    },
    {
      file: 'thamada_h100-80gb-hbm3-x8_565.57.01_q.txt',
      count: 8,
      name: 'NVIDIA H100 80GB HBM3',
      cuda: '12.7',
      uuid: 'GPU-b42dd28e-ffdd-8720-1df0-98bd8cdc05b1',
      bus: '00000000:18:00.0',
      mib: 81559,
    },
    {
      file: 'thamada_rtx-3090_560.35.03_q.txt',
      count: 2,
      name: 'NVIDIA GeForce RTX 3090',
      cuda: '12.6',
      uuid: 'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281b0746',
      bus: '00000000:41:00.0',
      mib: 24576,
    },
    {
      file: 'thamada_rtx-4090_550.127.05_q.txt',
      count: 8,
      name: 'NVIDIA GeForce RTX 4090',
      cuda: '12.4',
      uuid: 'GPU-8ee5f1e0-e705-aac5-6d6e-b97ad59601ef',
      bus: '00000000:01:00.0',
      mib: 24564,
    },
    {
      file: 'utkuozdemir_h100-80gb-hbm3_590.48.01_q.txt',
      count: 1,
      name: 'NVIDIA H100 80GB HBM3',
      cuda: '13.1',
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      bus: '00000000:00:09.0',
      mib: 81559,
    },
    {
      file: 'utkuozdemir_l40s_595.80_q.txt',
      count: 1,
      name: 'NVIDIA L40S',
      cuda: '13.2',
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      bus: '00000000:01:00.0',
      mib: 46068,
    },
    {
      file: 'utkuozdemir_rtx-2080-super_610.57.04_q.txt',
      count: 1,
      name: 'NVIDIA GeForce RTX 2080 SUPER',
      cuda: '13.3',
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      bus: '00000000:0C:00.0',
      mib: 8192,
    },
    {
      file: 'utkuozdemir_rtx-4080-super_595.71.05_q.txt',
      count: 1,
      name: 'NVIDIA GeForce RTX 4080 SUPER',
      cuda: '13.2',
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      bus: '00000000:01:00.0',
      mib: 16376,
    },
  ];

  it('covers every -q capture', () => {
    expect(cases.map((c) => c.file).sort()).toEqual(
      fixtureNames.filter((name) => name.endsWith('_q.txt')).sort(),
    );
  });

  it.each(cases)('$file: $count x $name, CUDA $cuda', ({ file, count, name, cuda, uuid, bus, mib }) => {
    const result = parseQueryText(fixture(file));
    const driver = driverInName(file);
    expect(result.driverVersion).toBe(driver);
    expect(result.cudaVersion).toBe(cuda);
    expect(result.gpus).toHaveLength(count);
    expect(result.gpus.map((gpu) => gpu.index)).toEqual([...Array(count).keys()]);
    expect(new Set(result.gpus.map((gpu) => gpu.name))).toEqual(new Set([name]));
    expect(result.gpus[0]).toEqual({
      index: 0,
      uuid,
      name,
      pciBusId: bus,
      memoryMiB: mib,
      driverVersion: driver,
      computeCap: null,
    });
    expect(result.gpus.every((gpu) => gpu.driverVersion === driver && gpu.computeCap === null)).toBe(true);
  });

  it('multi-GPU captures have distinct UUIDs and bus ids', () => {
    const { gpus } = parseQueryText(fixture('thamada_rtx-4090_550.127.05_q.txt'));
    expect(new Set(gpus.map((gpu) => gpu.uuid)).size).toBe(8);
    expect(gpus.map((gpu) => gpu.pciBusId)).toEqual([
      '00000000:01:00.0',
      '00000000:25:00.0',
      '00000000:41:00.0',
      '00000000:61:00.0',
      '00000000:81:00.0',
      '00000000:A1:00.0',
      '00000000:C1:00.0',
      '00000000:E1:00.0',
    ]);
  });

  it('reads driver 610, whose -q marks "Driver Version" and "CUDA Version" deprecated', () => {
    const text = fixture('utkuozdemir_rtx-2080-super_610.57.04_q.txt');
    expect(text).toContain('Driver Version                                         : 610.57.04 [Deprecated;');
    expect(text).toContain('CUDA UMD Version                                       : 13.3');
    expect(parseQueryText(text)).toMatchObject({ driverVersion: '610.57.04', cudaVersion: '13.3' });
  });
});

describe('parseCudaVersion / parseDriverVersion (table header)', () => {
  const cases = [
    { file: 'gpud_geforce-ERR-fan_525.125.06_table.txt', cuda: '12.0', gpus: 1 },
    { file: 'gpud_h100-80gb-hbm3-x8_550.90.07_table.txt', cuda: '12.4', gpus: 8 },
    { file: 'thamada_a100-sxm4-80gb-x4_555.42.02_table.txt', cuda: '12.5', gpus: 4 },
    { file: 'thamada_h100-80gb-hbm3-x8_565.57.01_table.txt', cuda: '12.7', gpus: 8 },
    { file: 'thamada_rtx-3090_560.35.03_table.txt', cuda: '12.6', gpus: 2 },
    { file: 'thamada_rtx-4090_550.127.05_table.txt', cuda: '12.4', gpus: 8 },
    { file: 'utkuozdemir_h100-80gb-hbm3_590.48.01_table.txt', cuda: '13.1', gpus: 1 },
    { file: 'utkuozdemir_l40s_595.80_table.txt', cuda: '13.2', gpus: 1 },
    { file: 'utkuozdemir_rtx-2080-super_610.57.04_table.txt', cuda: '13.3', gpus: 1 },
    { file: 'utkuozdemir_rtx-4080-super_595.71.05_table.txt', cuda: '13.2', gpus: 1 },
    { file: 'derived-server_h100-80gb-hbm3-x8_565.57.01_table.txt', cuda: '12.7', gpus: 8 },
  ];

  it('covers every table capture', () => {
    expect(cases.map((c) => c.file).sort()).toEqual(
      fixtureNames.filter((name) => name.endsWith('_table.txt')).sort(),
    );
  });

  it.each(cases)('$file: CUDA $cuda', ({ file, cuda }) => {
    const text = fixture(file);
    expect(parseCudaVersion(text)).toBe(cuda);
    expect(parseDriverVersion(text)).toBe(driverInName(file));
  });

  it('reads the driver 610 header, which says "KMD Version" and "CUDA UMD Version"', () => {
    const text = fixture('utkuozdemir_rtx-2080-super_610.57.04_table.txt');
    expect(text).toContain('KMD Version: 610.57.04     CUDA UMD Version: 13.3');
    expect(text).not.toContain('Driver Version');
    expect(parseDriverVersion(text)).toBe('610.57.04');
    expect(parseCudaVersion(text)).toBe('13.3');
  });

  it.each(cases)('$file: the table lists the same GPUs as -q of the same capture', ({ file, gpus }) => {
    const tableBusIds = [
      ...fixture(file).matchAll(/^\|\s+\d+\s+.+?\|\s+([0-9A-F]{8}:[0-9A-F]{2}:[0-9A-F]{2}\.\d)/gm),
    ].map((match) => match[1]);
    expect(tableBusIds).toHaveLength(gpus);
    const q = file.replace(/_table\.txt$/, '_q.txt');
    if (fixtureNames.includes(q)) {
      expect(tableBusIds).toEqual(parseQueryText(fixture(q)).gpus.map((gpu) => gpu.pciBusId));
      expect(parseCudaVersion(fixture(file))).toBe(parseQueryText(fixture(q)).cudaVersion);
    }
  });
});

describe('parseCudaVersion / parseDriverVersion (nvidia-smi --version)', () => {
  const cases = [
    { file: 'utkuozdemir_h100-80gb-hbm3_590.48.01_version.txt', cuda: '13.1' },
    { file: 'utkuozdemir_l40s_595.80_version.txt', cuda: '13.2' },
    { file: 'utkuozdemir_rtx-2080-super_610.57.04_version.txt', cuda: '13.3' },
    { file: 'utkuozdemir_rtx-4080-super_595.71.05_version.txt', cuda: '13.2' },
  ];

  it.each(cases)('$file: CUDA $cuda', ({ file, cuda }) => {
    expect(parseCudaVersion(fixture(file))).toBe(cuda);
    expect(parseDriverVersion(fixture(file))).toBe(driverInName(file));
  });

  it('driver 610 says "Deprecated" where the numbers used to be: the real numbers are returned', () => {
    const text = fixture('utkuozdemir_rtx-2080-super_610.57.04_version.txt');
    expect(text).toContain('CUDA version        : Deprecated, see "CUDA UMD version" instead');
    expect(text).toContain('DRIVER version      : Deprecated, see "KMD version" instead');
    expect(parseCudaVersion(text)).toBe('13.3');
    expect(parseDriverVersion(text)).toBe('610.57.04');
  });

  it.each([
    ['empty text', ''],
    ['only deprecation notes', 'CUDA version        : Deprecated, see "CUDA UMD version" instead\n'],
    [
      'an nvidia-smi failure',
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    ],
  ])('returns null for %s', (_label, text) => {
    expect(parseCudaVersion(text)).toBeNull();
    expect(parseDriverVersion(text)).toBeNull();
  });
});

describe('parseQueryGpuCsv', () => {
  describe('--format=csv captures of every field (header row, units)', () => {
    const cases = [
      {
        machine: 'utkuozdemir_h100-80gb-hbm3_590.48.01',
        name: 'NVIDIA H100 80GB HBM3',
        bus: '00000000:00:09.0',
        mib: 81559,
        cap: '9.0',
      },
      {
        machine: 'utkuozdemir_l40s_595.80',
        name: 'NVIDIA L40S',
        bus: '00000000:01:00.0',
        mib: 46068,
        cap: '8.9',
      },
      {
        machine: 'utkuozdemir_rtx-2080-super_610.57.04',
        name: 'NVIDIA GeForce RTX 2080 SUPER',
        bus: '00000000:0C:00.0',
        mib: 8192,
        cap: '7.5',
      },
      {
        machine: 'utkuozdemir_rtx-4080-super_595.71.05',
        name: 'NVIDIA GeForce RTX 4080 SUPER',
        bus: '00000000:01:00.0',
        mib: 16376,
        cap: '8.9',
      },
    ];

    it.each(cases)('$machine: $name, compute capability $cap', ({ machine, name, bus, mib, cap }) => {
      const text = fixture(`${machine}_query-gpu-all-fields.csv`);
      expect(text).toContain(`${mib} MiB`);
      expect(parseQueryGpuCsv(text)).toEqual([
        {
          index: 0,
          uuid: 'GPU-00000000-0000-0000-0000-000000000000',
          name,
          pciBusId: bus,
          memoryMiB: mib,
          driverVersion: driverInName(`${machine}_q.txt`),
          computeCap: cap,
        },
      ]);
    });

    it.each(cases)('$machine: agrees with the -q capture of the same machine', ({ machine }) => {
      const fromCsv = parseQueryGpuCsv(fixture(`${machine}_query-gpu-all-fields.csv`));
      const fromQ = parseQueryText(fixture(`${machine}_q.txt`)).gpus;
      expect(fromCsv.map(({ computeCap: _, ...rest }) => rest)).toEqual(
        fromQ.map(({ computeCap: _, ...rest }) => rest),
      );
    });
  });

  describe('VirtualClient --format=csv,nounits examples (numbers edited by their authors; format real)', () => {
    it('8xH100: 8 GPUs, indexes 0-7; rows 4-7 repeat the bus ids of rows 0-3 (hand-padded)', () => {
      const gpus = parseQueryGpuCsv(fixture('virtualclient_query-gpu-8xH100.csv'));
      expect(gpus.map((gpu) => gpu.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(gpus.map((gpu) => gpu.pciBusId).slice(4)).toEqual(gpus.map((gpu) => gpu.pciBusId).slice(0, 4));
      expect(gpus[0]).toEqual({
        index: 0,
        uuid: null,
        name: 'NVIDIA H100 80GB HBM3',
        pciBusId: '00000000:0A:00.0',
        memoryMiB: 81559,
        driverVersion: '535.161.07',
        computeCap: null,
      });
    });

    it('1xT4: a row with N/A and [N/A] cells still gives the fields that are there', () => {
      const text = fixture('virtualclient_query-gpu-1xT4-NA.csv');
      expect(text).toContain(', N/A, [N/A], ');
      expect(parseQueryGpuCsv(text)).toEqual([
        {
          index: 0,
          uuid: null,
          name: 'Tesla T4',
          pciBusId: '00000001:01:00.0',
          memoryMiB: 15360,
          driverVersion: '550.54.15',
          computeCap: null,
        },
      ]);
    });

    it('1xH100', () => {
      expect(parseQueryGpuCsv(fixture('virtualclient_query-gpu-1xH100.csv'))).toMatchObject([
        { index: 0, name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, driverVersion: '535.161.07' },
      ]);
    });
  });

  describe('noheader captures from GitHub threads, with their own field lists', () => {
    it('RTX 2080 on driver 440.64 (noheader,nounits; N/A in temperature.memory)', () => {
      const fields = [
        'power.limit',
        'power.min_limit',
        'power.max_limit',
        'memory.total',
        'vbios_version',
        'driver_version',
        'name',
        'gpu_uuid',
        'power.draw',
        'temperature.gpu',
        'temperature.memory',
        'clocks.current.graphics',
        'clocks.sm',
        'clocks.mem',
        'utilization.gpu',
        'utilization.memory',
        'fan.speed',
        'pcie.link.width.current',
        'pstate',
      ];
      const text = fixture('issue_ricks-lab-gpu-utils-83_rtx-2080_440.64_query-gpu-noheader-nounits.csv');
      expect(parseQueryGpuCsv(text, fields)).toEqual([
        {
          index: 0,
          uuid: 'GPU-22b2c6ac-2d49-4863-197c-9c469071178a',
          name: 'GeForce RTX 2080',
          pciBusId: null,
          memoryMiB: 7979,
          driverVersion: '440.64',
          computeCap: null,
        },
      ]);
    });

    it('H100 NVL (noheader, name and pci.device_id)', () => {
      const text = fixture('issue_akash-provider-configs-pr91_h100-nvl_query-gpu-noheader.csv');
      expect(parseQueryGpuCsv(text, ['name', 'pci.device_id'])).toMatchObject([
        { index: 0, name: 'NVIDIA H100 NVL' },
      ]);
    });
  });

  describe('derived CSVs (written once by parseQueryText from -q; see DERIVED.md)', () => {
    const derived = fixtureNames.filter((name) => name.startsWith('derived_'));

    it('exist for every machine with -q but no query-gpu capture', () => {
      const machinesWithQOnly = fixtureNames
        .filter((name) => name.endsWith('_q.txt'))
        .map((name) => name.replace(/_q\.txt$/, ''))
        .filter((machine) => !fixtureNames.some((name) => name.startsWith(`${machine}_query-gpu`)));
      expect(derived.sort()).toEqual(
        machinesWithQOnly.map((machine) => `derived_${machine}_query-gpu.csv`).sort(),
      );
    });

    it.each(derived)('%s parses to what -q says', (name) => {
      const machine = name.replace(/^derived_/, '').replace(/_query-gpu\.csv$/, '');
      expect(parseQueryGpuCsv(fixture(name))).toEqual(parseQueryText(fixture(`${machine}_q.txt`)).gpus);
    });
  });

  // Small hand-written inputs for the edges the captures do not show in devenv's own columns.
  describe('edge cases (synthetic)', () => {
    it.each([
      {
        label: 'noheader,nounits in devenv order',
        text: '0, GPU-a, NVIDIA L4, 00000000:01:00.0, 23034, 550.54.15, 8.9\n',
        expected: [
          {
            index: 0,
            uuid: 'GPU-a',
            name: 'NVIDIA L4',
            pciBusId: '00000000:01:00.0',
            memoryMiB: 23034,
            driverVersion: '550.54.15',
            computeCap: '8.9',
          },
        ],
      },
      {
        label: 'N/A and [N/A] values, blank lines, surrounding spaces, CRLF',
        text: '\r\n  0 ,  [N/A] , Tesla T4 , N/A , [N/A] , 550.54.15 , [N/A]  \r\n\r\n',
        expected: [
          {
            index: 0,
            uuid: null,
            name: 'Tesla T4',
            pciBusId: null,
            memoryMiB: null,
            driverVersion: '550.54.15',
            computeCap: null,
          },
        ],
      },
      {
        label: 'a header row and MiB units (nounits not honoured)',
        text: 'index, uuid, name, pci.bus_id, memory.total [MiB], driver_version, compute_cap\n1, GPU-b, NVIDIA A10, 00000000:07:00.0, 23028 MiB, 535.129.03, 8.6\n',
        expected: [
          {
            index: 1,
            uuid: 'GPU-b',
            name: 'NVIDIA A10',
            pciBusId: '00000000:07:00.0',
            memoryMiB: 23028,
            driverVersion: '535.129.03',
            computeCap: '8.6',
          },
        ],
      },
      {
        label: '[Not Supported] and an unknown name',
        text: '0, GPU-c, [N/A], 00000000:01:00.0, [Not Supported], 535.129.03, 7.5\n',
        expected: [
          {
            index: 0,
            uuid: 'GPU-c',
            name: 'unknown NVIDIA GPU',
            pciBusId: '00000000:01:00.0',
            memoryMiB: null,
            driverVersion: '535.129.03',
            computeCap: '7.5',
          },
        ],
      },
    ])('$label', ({ text, expected }) => {
      expect(parseQueryGpuCsv(text)).toEqual(expected);
    });

    it.each([
      ['empty output', ''],
      ['"No devices were found"', 'No devices were found\n'],
    ])('%s -> no GPUs', (_label, text) => {
      expect(parseQueryGpuCsv(text)).toEqual([]);
    });
  });
});

describe('the 8-GPU server derived-server_h100-80gb-hbm3-x8_565.57.01 (see DERIVED.md)', () => {
  const machine = 'derived-server_h100-80gb-hbm3-x8_565.57.01';
  const gpus = parseQueryGpuCsv(fixture(`${machine}_query-gpu.csv`));

  it('its table is the capture of the same machine, byte for byte', () => {
    expect(fixture(`${machine}_table.txt`)).toBe(fixture('thamada_h100-80gb-hbm3-x8_565.57.01_table.txt'));
  });

  it("its GPUs are what that machine's -q says, with the compute capability of the model's real capture", () => {
    const [sameModel] = parseQueryGpuCsv(
      fixture('utkuozdemir_h100-80gb-hbm3_590.48.01_query-gpu-all-fields.csv'),
    );
    const fromQ = parseQueryText(fixture('thamada_h100-80gb-hbm3-x8_565.57.01_q.txt')).gpus;
    expect(sameModel).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', computeCap: '9.0' });
    expect(gpus).toEqual(fromQ.map((gpu) => ({ ...gpu, computeCap: sameModel?.computeCap })));
  });

  it('has 8 GPUs with distinct UUIDs and PCI bus IDs', () => {
    expect(gpus.map((gpu) => gpu.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(gpus.map((gpu) => gpu.uuid)).size).toBe(8);
    expect(new Set(gpus.map((gpu) => gpu.pciBusId)).size).toBe(8);
    for (const gpu of gpus) expect(gpu.uuid).toMatch(/^GPU-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/);
  });
});

describe('parseUsageCsv (--query-gpu=uuid,memory.used,utilization.gpu)', () => {
  it.each([
    { machine: 'utkuozdemir_h100-80gb-hbm3_590.48.01', memoryUsedMiB: 0, utilizationPct: 0 },
    { machine: 'utkuozdemir_l40s_595.80', memoryUsedMiB: 0, utilizationPct: 100 },
  ])('$machine: a --format=csv capture of every field', ({ machine, memoryUsedMiB, utilizationPct }) => {
    expect(parseUsageCsv(fixture(`${machine}_query-gpu-all-fields.csv`))).toEqual([
      { uuid: 'GPU-00000000-0000-0000-0000-000000000000', memoryUsedMiB, utilizationPct },
    ]);
  });

  it('a capture without UUIDs says nothing usable about a GPU', () => {
    expect(parseUsageCsv(fixture('virtualclient_query-gpu-8xH100.csv'))).toEqual([]);
  });

  it.each([
    {
      label: 'noheader,nounits in devenv order',
      text: 'GPU-a, 30000, 85\nGPU-b, 0, 0\n',
      expected: [
        { uuid: 'GPU-a', memoryUsedMiB: 30000, utilizationPct: 85 },
        { uuid: 'GPU-b', memoryUsedMiB: 0, utilizationPct: 0 },
      ],
    },
    {
      label: 'units kept (nounits not honoured)',
      text: 'GPU-a, 30000 MiB, 85 %\n',
      expected: [{ uuid: 'GPU-a', memoryUsedMiB: 30000, utilizationPct: 85 }],
    },
    {
      label: 'a header row in another order',
      text: 'utilization.gpu [%], uuid, memory.used [MiB]\n7 %, GPU-a, 120 MiB\n',
      expected: [{ uuid: 'GPU-a', memoryUsedMiB: 120, utilizationPct: 7 }],
    },
    {
      label: '[N/A], N/A and [Not Supported] -> null; CRLF and blank lines',
      text: '\r\nGPU-a, [N/A], [N/A]\r\nGPU-b, N/A, [Not Supported]\r\n\r\n',
      expected: [
        { uuid: 'GPU-a', memoryUsedMiB: null, utilizationPct: null },
        { uuid: 'GPU-b', memoryUsedMiB: null, utilizationPct: null },
      ],
    },
    {
      label: 'a row without a UUID is dropped',
      text: '[N/A], 10, 10\nGPU-b, 1, 2\n',
      expected: [{ uuid: 'GPU-b', memoryUsedMiB: 1, utilizationPct: 2 }],
    },
    { label: 'empty output', text: '', expected: [] },
    { label: '"No devices were found"', text: 'No devices were found\n', expected: [] },
  ])('$label', ({ text, expected }) => {
    expect(parseUsageCsv(text)).toEqual(expected);
  });
});

// Formats from real output quoted in public threads: header `pid, gpu_uuid, used_gpu_memory [MiB]`,
// rows `12345, GPU-…, 29000 MiB`; noheader with no processes prints nothing.
describe('parseComputeAppsCsv (--query-compute-apps=pid,gpu_uuid,used_memory)', () => {
  it.each([
    {
      label: 'noheader,nounits in devenv order',
      text: '12345, GPU-a, 29000\n23456, GPU-b, 500\n',
      expected: [
        { pid: 12345, gpuUuid: 'GPU-a', usedMemoryMiB: 29000 },
        { pid: 23456, gpuUuid: 'GPU-b', usedMemoryMiB: 500 },
      ],
    },
    {
      label: 'the header nvidia-smi prints, with units',
      text: 'pid, gpu_uuid, used_gpu_memory [MiB]\n12345, GPU-a, 29000 MiB\n',
      expected: [{ pid: 12345, gpuUuid: 'GPU-a', usedMemoryMiB: 29000 }],
    },
    {
      label: 'a header in another order',
      text: 'gpu_uuid, used_gpu_memory [MiB], pid\nGPU-a, 7 MiB, 99\n',
      expected: [{ pid: 99, gpuUuid: 'GPU-a', usedMemoryMiB: 7 }],
    },
    {
      label: 'memory nvidia-smi cannot tell -> null',
      text: '12345, GPU-a, [N/A]\n23456, GPU-a, N/A\n',
      expected: [
        { pid: 12345, gpuUuid: 'GPU-a', usedMemoryMiB: null },
        { pid: 23456, gpuUuid: 'GPU-a', usedMemoryMiB: null },
      ],
    },
    { label: 'no processes, noheader: nothing at all', text: '', expected: [] },
    { label: 'no processes, with a header', text: 'pid, gpu_uuid, used_gpu_memory [MiB]\n', expected: [] },
    { label: 'a message instead of processes', text: 'No running processes found\n', expected: [] },
  ])('$label', ({ text, expected }) => {
    expect(parseComputeAppsCsv(text)).toEqual(expected);
  });

  it('columns follow the fields asked for when there is no header', () => {
    expect(parseComputeAppsCsv('GPU-a, 12345, 10\n', ['gpu_uuid', 'pid', 'used_memory'])).toEqual([
      { pid: 12345, gpuUuid: 'GPU-a', usedMemoryMiB: 10 },
    ]);
  });
});
