import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  parseCudaVersion,
  parseDriverVersion,
  parseQueryGpuCsv,
} from '../../../../src/core/gpu/nvidia-smi-parse.js';
import { chooseTorchIndex, TORCH_WHEEL_INDEXES, torchPipArgs } from '../../../../src/core/gpu/torch-index.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/nvidia-smi/', import.meta.url));
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

/** What detection would hand chooseTorchIndex on a captured machine. */
function capturedHost(machine: string) {
  const table = fixture(`${machine}_table.txt`);
  const csvName = readdirSync(FIXTURES).find(
    (name) => name.startsWith(`${machine}_query-gpu`) || name === `derived_${machine}_query-gpu.csv`,
  );
  const gpus = csvName === undefined ? [] : parseQueryGpuCsv(fixture(csvName));
  return {
    cudaVersion: parseCudaVersion(table),
    driverVersion: parseDriverVersion(table),
    // -q captures carry no compute capability: those machines pass "unknown", no constraint.
    computeCaps: gpus.map((gpu) => gpu.computeCap ?? 'unknown'),
  };
}

describe('chooseTorchIndex on captured machines', () => {
  it.each([
    { machine: 'utkuozdemir_rtx-2080-super_610.57.04', caps: ['7.5'], index: 'cu132' },
    { machine: 'utkuozdemir_l40s_595.80', caps: ['8.9'], index: 'cu132' },
    { machine: 'utkuozdemir_rtx-4080-super_595.71.05', caps: ['8.9'], index: 'cu132' },
    { machine: 'utkuozdemir_h100-80gb-hbm3_590.48.01', caps: ['9.0'], index: 'cu130' },
    { machine: 'thamada_h100-80gb-hbm3-x8_565.57.01', caps: Array(8).fill('unknown'), index: 'cu126' },
    { machine: 'thamada_rtx-3090_560.35.03', caps: ['unknown', 'unknown'], index: 'cu126' },
    { machine: 'thamada_a100-sxm4-80gb-x4_555.42.02', caps: Array(4).fill('unknown'), index: 'cu124' },
    { machine: 'thamada_rtx-4090_550.127.05', caps: Array(8).fill('unknown'), index: 'cu124' },
  ])('$machine -> $index', ({ machine, caps, index }) => {
    const host = capturedHost(machine);
    expect(host.computeCaps).toEqual(caps);
    const choice = chooseTorchIndex(host);
    expect(choice.index).toBe(index);
    expect(choice.reason).toContain(`CUDA ${host.cudaVersion}`);
  });

  it.each([
    { file: 'gpud_h100-80gb-hbm3-x8_550.90.07_table.txt', index: 'cu124' },
    { file: 'gpud_geforce-ERR-fan_525.125.06_table.txt', index: 'cu118' },
  ])('$file (table only) -> $index', ({ file, index }) => {
    const table = fixture(file);
    const choice = chooseTorchIndex({
      cudaVersion: parseCudaVersion(table),
      driverVersion: parseDriverVersion(table),
      computeCaps: ['unknown'],
    });
    expect(choice.index).toBe(index);
  });

  it('A10 on 535.129.03 (CUDA 12.2, from -q) -> cu121, the newest build at or below 12.2', () => {
    expect(
      chooseTorchIndex({ cudaVersion: '12.2', driverVersion: '535.129.03', computeCaps: ['8.6'] }),
    ).toEqual({
      index: 'cu121',
      reason: 'driver 535.129.03 supports CUDA 12.2; cu121 carries torch 2.1–2.5',
    });
  });

  it('driver 610 (CUDA UMD 13.3) with a Turing card keeps CUDA 13 wheels: Turing is 7.5', () => {
    const choice = chooseTorchIndex(capturedHost('utkuozdemir_rtx-2080-super_610.57.04'));
    expect(choice).toEqual({
      index: 'cu132',
      reason: 'driver 610.57.04 supports CUDA 13.3; cu132 carries torch 2.12 and later',
    });
  });
});

describe('chooseTorchIndex rules (synthetic hosts)', () => {
  it.each([
    { label: 'no GPU', cuda: '12.4', driver: '550.54.15', caps: [], index: 'cpu' },
    { label: 'no CUDA version', cuda: null, driver: null, caps: ['8.9'], index: 'cpu' },
    {
      label: 'driver older than every build (CUDA 11.4)',
      cuda: '11.4',
      driver: '470.82.01',
      caps: ['8.6'],
      index: 'cpu',
    },
    { label: 'CUDA 11.8 driver', cuda: '11.8', driver: '520.61.05', caps: ['8.6'], index: 'cu118' },
    { label: 'CUDA 12.1', cuda: '12.1', driver: '530.30.02', caps: ['8.6'], index: 'cu121' },
    {
      label: 'CUDA 12.9 gets cu128, not the 2.8-only cu129',
      cuda: '12.9',
      driver: '575.51.03',
      caps: ['8.9'],
      index: 'cu128',
    },
    { label: 'Blackwell on CUDA 12.8', cuda: '12.8', driver: '570.86.10', caps: ['12.0'], index: 'cu128' },
    { label: 'Blackwell on CUDA 13.0', cuda: '13.0', driver: '580.65.06', caps: ['12.0'], index: 'cu130' },
    {
      label: 'Volta on CUDA 13.0 (CUDA 13 and 2.11 cu128 drop sm_70)',
      cuda: '13.0',
      driver: '580.65.06',
      caps: ['7.0'],
      index: 'cu126',
    },
    { label: 'Pascal on CUDA 13.2', cuda: '13.2', driver: '595.80', caps: ['6.1'], index: 'cu126' },
    {
      label: 'Turing + Pascal mixed on CUDA 13.2',
      cuda: '13.2',
      driver: '595.80',
      caps: ['7.5', '6.1'],
      index: 'cu126',
    },
    {
      label: 'Pascal + Blackwell: no build has both',
      cuda: '12.8',
      driver: '570.86.10',
      caps: ['6.1', '12.0'],
      index: 'cpu',
    },
    { label: 'Kepler', cuda: '12.2', driver: '535.129.03', caps: ['3.7'], index: 'cpu' },
    {
      label: 'CUDA 13 reported by a pre-580 driver is not trusted for cu13x',
      cuda: '13.0',
      driver: '575.51.03',
      caps: ['8.9'],
      index: 'cu128',
    },
    {
      label: 'unknown capabilities impose no constraint',
      cuda: '13.1',
      driver: '590.48.01',
      caps: ['unknown'],
      index: 'cu130',
    },
  ])('$label -> $index', ({ cuda, driver, caps, index }) => {
    expect(chooseTorchIndex({ cudaVersion: cuda, driverVersion: driver, computeCaps: caps }).index).toBe(
      index,
    );
  });

  it('says why newer builds were skipped and which torch versions the index carries', () => {
    const choice = chooseTorchIndex({
      cudaVersion: '13.2',
      driverVersion: '595.80',
      computeCaps: ['6.1', '6.1'],
    });
    expect(choice.reason).toBe(
      'driver 595.80 supports CUDA 13.2; builds newer than cu126 do not support compute capability 6.1; cu126 carries torch 2.6–2.14',
    );
  });

  it('explains a CPU fallback', () => {
    expect(
      chooseTorchIndex({ cudaVersion: '12.8', driverVersion: null, computeCaps: ['6.1', '12.0'] }).reason,
    ).toBe(
      'no PyTorch CUDA build the driver can run supports compute capability 6.1, 12.0: CPU-only PyTorch wheels',
    );
    expect(
      chooseTorchIndex({ cudaVersion: '11.4', driverVersion: null, computeCaps: ['8.6'] }).reason,
    ).toMatch(/CUDA 11\.4 is older than every PyTorch CUDA build/);
  });

  it('never picks a build newer than the driver CUDA version', () => {
    for (const cuda of [
      '11.8',
      '12.0',
      '12.2',
      '12.4',
      '12.5',
      '12.6',
      '12.7',
      '12.8',
      '12.9',
      '13.0',
      '13.1',
      '13.2',
      '13.3',
    ]) {
      const { index } = chooseTorchIndex({ cudaVersion: cuda, driverVersion: null, computeCaps: ['8.0'] });
      const wheel = TORCH_WHEEL_INDEXES.find((candidate) => candidate.index === index);
      expect(wheel, `${cuda} -> ${index}`).toBeDefined();
      const [major, minor] = cuda.split('.').map(Number) as [number, number];
      const wheelCuda = (wheel?.cuda[0] ?? 99) * 100 + (wheel?.cuda[1] ?? 0);
      expect(wheelCuda).toBeLessThanOrEqual(major * 100 + minor);
    }
  });
});

describe('torchPipArgs', () => {
  const TORCH = ['torch', 'torchvision', 'torchaudio'];

  it.each([
    { torch: 'none', chosen: 'cu126', expected: null },
    {
      torch: 'auto',
      chosen: 'cu126',
      expected: { packages: TORCH, indexUrl: 'https://download.pytorch.org/whl/cu126' },
    },
    {
      torch: 'auto',
      chosen: 'cpu',
      expected: { packages: TORCH, indexUrl: 'https://download.pytorch.org/whl/cpu' },
    },
    {
      torch: 'cpu',
      chosen: 'cu130',
      expected: { packages: TORCH, indexUrl: 'https://download.pytorch.org/whl/cpu' },
    },
    {
      torch: 'cu118',
      chosen: 'cu130',
      expected: { packages: TORCH, indexUrl: 'https://download.pytorch.org/whl/cu118' },
    },
    { torch: 'torch==2.5.1', chosen: 'cu124', expected: { packages: ['torch==2.5.1'], indexUrl: null } },
    {
      torch: 'torch>=2.4,<2.6',
      chosen: 'cu124',
      expected: { packages: ['torch>=2.4,<2.6'], indexUrl: null },
    },
  ])('$torch (chosen $chosen)', ({ torch, chosen, expected }) => {
    expect(torchPipArgs(torch, chosen)).toEqual(expected);
  });
});
