import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CUDA_BASE_IMAGES, chooseBaseImage } from '../../../../src/core/gpu/base-image.js';
import { parseCudaVersion } from '../../../../src/core/gpu/nvidia-smi-parse.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/nvidia-smi/', import.meta.url));
const tables = readdirSync(FIXTURES).filter((name) => name.endsWith('_table.txt'));
const cudaOf = (file: string) => parseCudaVersion(readFileSync(join(FIXTURES, file), 'utf8'));

function imageCuda(image: string): number {
  const match = /^nvidia\/cuda:(\d+)\.(\d+)\.\d+-base-ubuntu\d\d\.04$/.exec(image);
  if (match === null) throw new Error(`not a CUDA base image: ${image}`);
  return Number(match[1]) * 100 + Number(match[2]);
}

describe('chooseBaseImage on captured drivers', () => {
  it.each([
    { file: 'utkuozdemir_rtx-2080-super_610.57.04_table.txt', image: 'nvidia/cuda:13.0.2-base-ubuntu24.04' },
    { file: 'utkuozdemir_l40s_595.80_table.txt', image: 'nvidia/cuda:13.0.2-base-ubuntu24.04' },
    { file: 'utkuozdemir_rtx-4080-super_595.71.05_table.txt', image: 'nvidia/cuda:13.0.2-base-ubuntu24.04' },
    { file: 'utkuozdemir_h100-80gb-hbm3_590.48.01_table.txt', image: 'nvidia/cuda:13.0.2-base-ubuntu24.04' },
    { file: 'thamada_h100-80gb-hbm3-x8_565.57.01_table.txt', image: 'nvidia/cuda:12.6.3-base-ubuntu24.04' },
    { file: 'thamada_rtx-3090_560.35.03_table.txt', image: 'nvidia/cuda:12.6.3-base-ubuntu24.04' },
    { file: 'thamada_a100-sxm4-80gb-x4_555.42.02_table.txt', image: 'nvidia/cuda:12.5.1-base-ubuntu24.04' },
    { file: 'thamada_rtx-4090_550.127.05_table.txt', image: 'nvidia/cuda:12.4.1-base-ubuntu22.04' },
    { file: 'gpud_h100-80gb-hbm3-x8_550.90.07_table.txt', image: 'nvidia/cuda:12.4.1-base-ubuntu22.04' },
    { file: 'gpud_geforce-ERR-fan_525.125.06_table.txt', image: 'nvidia/cuda:11.8.0-base-ubuntu22.04' },
  ])('$file -> $image', ({ file, image }) => {
    const cudaVersion = cudaOf(file);
    const choice = chooseBaseImage({ gpusWired: true, cudaVersion });
    expect(choice.image).toBe(image);
    expect(choice.reason).toContain(`CUDA ${cudaVersion}`);
  });

  it.each(tables)('%s: the image CUDA is never newer than the driver CUDA', (file) => {
    const cudaVersion = cudaOf(file);
    const [major, minor] = (cudaVersion ?? '').split('.').map(Number) as [number, number];
    expect(imageCuda(chooseBaseImage({ gpusWired: true, cudaVersion }).image)).toBeLessThanOrEqual(
      major * 100 + minor,
    );
  });
});

describe('chooseBaseImage rules', () => {
  it.each([
    { label: 'no GPUs wired in', gpusWired: false, cuda: '13.2', image: 'ubuntu:24.04' },
    { label: 'no GPUs and no driver', gpusWired: false, cuda: null, image: 'ubuntu:24.04' },
    { label: 'GPUs but no CUDA version', gpusWired: true, cuda: null, image: 'ubuntu:24.04' },
    { label: 'driver older than every image', gpusWired: true, cuda: '11.4', image: 'ubuntu:24.04' },
    { label: 'CUDA 11.8', gpusWired: true, cuda: '11.8', image: 'nvidia/cuda:11.8.0-base-ubuntu22.04' },
    { label: 'CUDA 12.2', gpusWired: true, cuda: '12.2', image: 'nvidia/cuda:12.2.2-base-ubuntu22.04' },
    { label: 'CUDA 12.3', gpusWired: true, cuda: '12.3', image: 'nvidia/cuda:12.2.2-base-ubuntu22.04' },
    { label: 'CUDA 12.8', gpusWired: true, cuda: '12.8', image: 'nvidia/cuda:12.8.1-base-ubuntu24.04' },
    { label: 'CUDA 12.9', gpusWired: true, cuda: '12.9', image: 'nvidia/cuda:12.9.1-base-ubuntu24.04' },
    { label: 'CUDA 13.0', gpusWired: true, cuda: '13.0', image: 'nvidia/cuda:13.0.2-base-ubuntu24.04' },
  ])('$label -> $image', ({ gpusWired, cuda, image }) => {
    expect(chooseBaseImage({ gpusWired, cudaVersion: cuda }).image).toBe(image);
  });

  it('explains a plain image with GPUs wired in', () => {
    expect(chooseBaseImage({ gpusWired: true, cudaVersion: '11.4' }).reason).toMatch(
      /CUDA 11\.4 is older than every CUDA image.*toolkit still mounts the driver/,
    );
  });

  it('lists its tags newest first, so the first fit is the newest', () => {
    const versions = CUDA_BASE_IMAGES.map((entry) => imageCuda(entry.tag));
    expect(versions).toEqual([...versions].sort((a, b) => b - a));
  });
});
