import { describe, expect, it } from 'vitest';
import type { HostGpu } from '../../../../src/core/gpu/nvidia-smi-parse.js';
import { jobGpus } from '../../../../src/core/slurm/job-gpus.js';
import { machineGpus } from '../../../fakes/nvidia-smi.js';

/** The eight H100s of the captured server, as nvidia-smi lists them on a node that does not confine jobs. */
const NODE = machineGpus();
const gpu = (index: number) => NODE[index] as HostGpu;
/** nvidia-smi inside a job confined to its devices (ConstrainDevices): only its GPUs, numbered from 0. */
const confinedTo = (indices: number[]): HostGpu[] => indices.map((index, i) => ({ ...gpu(index), index: i }));

describe('jobGpus', () => {
  it('takes every GPU nvidia-smi lists in a confined job: they are its own, whatever their new numbers', () => {
    const listed = confinedTo([4, 5]);
    const gpus = jobGpus(listed, [4, 5]);
    expect(gpus?.map((g) => g.uuid)).toEqual([gpu(4).uuid, gpu(5).uuid]);
  });

  it("picks the job's GRES indices out of a whole node's list, never the numbers the job sees", () => {
    const gpus = jobGpus(NODE, [2, 5]);
    expect(gpus?.map((g) => [g.index, g.uuid])).toEqual([
      [2, gpu(2).uuid],
      [5, gpu(5).uuid],
    ]);
  });

  it('takes a whole node held by one job', () => {
    expect(jobGpus(NODE, [0, 1, 2, 3, 4, 5, 6, 7])).toEqual(NODE);
  });

  it.each([
    ['a confined job seeing fewer GPUs than Slurm gave it', confinedTo([4]), [4, 5]],
    ['indices the node does not list', NODE, [8, 9]],
    ['a node listing more GPUs but not those', confinedTo([0, 1, 2]), [4, 5]],
    ['no nvidia-smi answer in a job with GPUs', [], [0]],
  ])('cannot tell with %s: null', (_, listed, indices) => {
    expect(jobGpus(listed, indices)).toBeNull();
  });

  it('gives none to a job without GPUs, whatever the node lists', () => {
    expect(jobGpus(NODE, [])).toEqual([]);
    expect(jobGpus([], [])).toEqual([]);
  });
});
