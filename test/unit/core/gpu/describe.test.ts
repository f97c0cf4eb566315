import { describe, expect, it } from 'vitest';
import { describeGpus, gib } from '../../../../src/core/gpu/describe.js';

describe("describeGpus: one line for a host's GPUs, in status, doctor and GPU refusals", () => {
  const H100 = { name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559 };
  const RTX = { name: 'NVIDIA GeForce RTX 4090', memoryMiB: 24564 };
  it.each([
    { label: 'one card', gpus: [RTX], text: 'NVIDIA GeForce RTX 4090 (24 GiB)' },
    { label: 'identical cards counted', gpus: [H100, H100, H100], text: '3x NVIDIA H100 80GB HBM3 (80 GiB)' },
    {
      label: 'kinds in the order first seen',
      gpus: [RTX, H100, RTX],
      text: '2x NVIDIA GeForce RTX 4090 (24 GiB), NVIDIA H100 80GB HBM3 (80 GiB)',
    },
    {
      label: 'no memory from nvidia-smi: the name alone',
      gpus: [
        { name: 'Tesla T4', memoryMiB: null },
        { name: 'Tesla T4', memoryMiB: null },
      ],
      text: '2x Tesla T4',
    },
    { label: 'none', gpus: [], text: '' },
  ])('$label', ({ gpus, text }) => {
    expect(describeGpus(gpus)).toBe(text);
  });

  it('gib: whole GiB from 10 up, one decimal below', () => {
    expect([gib(81559), gib(15360), gib(1536), gib(300)]).toEqual(['80 GiB', '15 GiB', '1.5 GiB', '0.3 GiB']);
  });
});
