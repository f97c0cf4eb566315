import { DevenvError } from '../core/errors.js';
import type { LeaseRequest } from '../core/gpu/lease.js';
import { jobGpuIndices, type SlurmJob } from '../core/slurm/job.js';
import { jobGpus } from '../core/slurm/job-gpus.js';
import type { HostGpuDetection } from '../host/gpu.js';
import type { NodeGpuStore } from '../host/node-gpu-store.js';
import type { GpuAllocation, GpuAllocator } from './gpu-allocator.js';

/**
 * GPUs on a Slurm cluster: the scheduler allocated them to the env's job, and this only tells
 * which they are, by UUID, on the job's node. Nothing to confirm or remember: Slurm keeps
 * concurrent jobs' GPUs apart.
 */
export function slurmAllocator(parts: {
  running(): Promise<SlurmJob & { node: string }>;
  /** nvidia-smi inside the job. */
  hostGpus(): Promise<HostGpuDetection>;
  /** `scontrol show job -d -o` of the job. */
  jobGpuDetail(): Promise<string>;
  nodeGpus: NodeGpuStore;
}): GpuAllocator {
  const allocation = async (request: LeaseRequest): Promise<GpuAllocation> => {
    const [job, detection, detail] = await Promise.all([
      parts.running(),
      parts.hostGpus(),
      parts.jobGpuDetail(),
    ]);
    const indices = jobGpuIndices(detail);
    // A job's GPUs are fixed when Slurm starts it: another count needs another job.
    if (request.kind === 'count' && request.count !== indices.length)
      throw new DevenvError(
        `the env's Slurm job ${job.id} has ${indices.length} GPU${indices.length === 1 ? '' : 's'}, and this start asks for ${request.count}: a running job's GPUs cannot change`,
        {
          hint: '`devenv stop` ends the job; then `devenv start` asks Slurm for the new count',
          code: 'conflict',
        },
      );
    // nvidia-smi listing the whole node is the map of its GPUs that `devenv gpus` shows.
    if (detection.gpus.length > indices.length) parts.nodeGpus.remember(job.node, detection.gpus);
    const gpus = jobGpus(detection.gpus, indices);
    // A failing nvidia-smi lists none: say why it failed, not that the node lacks the job's GPUs.
    const seen =
      detection.problem && detection.gpus.length === 0
        ? `but ${detection.problem}`
        : `nvidia-smi in the job lists ${detection.gpus.map((g) => g.index).join(',') || 'none'}`;
    if (gpus === null)
      throw new DevenvError(
        `cannot tell which GPUs on ${job.node} are job ${job.id}'s: Slurm gave it GPUs ${indices.join(',')}, ${seen}`,
        {
          hint: "ask the cluster admins to check the node's gres.conf against nvidia-smi; `devenv stop` ends the job",
          code: 'gpu',
        },
      );
    const uuids = gpus.map((g) => g.uuid).filter((u): u is string => u !== null);
    if (uuids.length !== gpus.length)
      throw new DevenvError(`nvidia-smi on ${job.node} does not say the UUIDs of job ${job.id}'s GPUs`, {
        hint: 'devenv wires GPUs by UUID only; ask the cluster admins about the driver there',
        code: 'gpu',
      });
    return {
      ok: true,
      uuids,
      indexes: gpus.map((g) => g.index),
      explanation:
        gpus.length > 0
          ? `Slurm job ${job.id} has GPUs ${indices.join(',')} on ${job.node} (${uuids.join(', ')})`
          : `Slurm job ${job.id} has no GPUs on ${job.node}`,
      notice: null,
    };
  };
  const slotsOf = (detection: HostGpuDetection) =>
    detection.gpus.map((gpu) => ({ gpu, usage: null, heldBy: null, foreign: [], busy: null }));
  return {
    allocate: (_env, request) => allocation(request),
    confirm: async () => undefined,
    remember: () => undefined,
    room: async () => {
      const [choice, detection] = await Promise.all([allocation({ kind: 'auto' }), parts.hostGpus()]);
      return { slots: slotsOf(detection), choice };
    },
    ledger: async () => ({ slots: slotsOf(await parts.hostGpus()), processes: [] }),
  };
}
