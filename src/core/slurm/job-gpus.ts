import type { HostGpu } from '../gpu/nvidia-smi-parse.js';

/**
 * Which of the GPUs nvidia-smi lists inside the job are the job's, from the indices Slurm gave it
 * on its node (its GRES IDX). Where Slurm confines a job to its devices (ConstrainDevices),
 * nvidia-smi inside it lists only those, renumbered from 0: then they are all the job's. Where it
 * does not, nvidia-smi lists the whole node and the GRES indices pick from it. The job's
 * CUDA_VISIBLE_DEVICES numbers are never used: they are renumbered in the first case.
 * Null when neither holds: devenv cannot tell which GPUs are the job's.
 */
export function jobGpus(listed: HostGpu[], gresIndices: number[]): HostGpu[] | null {
  if (gresIndices.length === 0) return [];
  if (listed.length === gresIndices.length) return listed;
  const picked = gresIndices.map((index) => listed.find((gpu) => gpu.index === index));
  return picked.every((gpu): gpu is HostGpu => gpu !== undefined) ? picked : null;
}
