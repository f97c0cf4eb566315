import { describe, expect, it } from 'vitest';
import type { Env } from '../../../src/app/env.js';
import { slurmAllocator } from '../../../src/app/slurm-allocator.js';
import { DevenvError, ExitCode } from '../../../src/core/errors.js';
import type { SlurmJob } from '../../../src/core/slurm/job.js';
import { detectHostGpus } from '../../../src/host/gpu.js';
import type { NodeGpuStore } from '../../../src/host/node-gpu-store.js';
import { exited, FakeHost, type RunScript } from '../../fakes/host.js';
import { machineGpus, nvidiaSmi } from '../../fakes/nvidia-smi.js';
import { confinedNvidiaSmi, type FakeJob, FakeSlurm } from '../../fakes/slurm.js';

const GPUS = machineGpus();
const uuid = (index: number) => GPUS[index]?.uuid as string;
const TWO = { kind: 'count' as const, count: 2, minMemoryGiB: null };
/** The allocator reads nothing of the env: Slurm chose the GPUs when it started the job. */
const ENV = {} as Env;

/** A memory of node GPUs that keeps what it was told. */
function memory(): NodeGpuStore & { kept: Map<string, Array<{ index: number; uuid: string | null }>> } {
  const kept = new Map<string, Array<{ index: number; uuid: string | null }>>();
  return {
    kept,
    read: () =>
      new Map([...kept].map(([node, gpus]) => [node, new Map(gpus.map((g) => [g.index, g.uuid ?? '']))])),
    remember: (node, gpus) => {
      kept.set(
        node,
        gpus.map((g) => ({ index: g.index, uuid: g.uuid })),
      );
    },
  };
}

/** The allocator of a running job on nodeA, holding `gpuIndices` there, with `nvidia` as nvidia-smi in the job. */
function allocatorFor(gpuIndices: number[], nvidia: RunScript) {
  const slurm = new FakeSlurm([
    { name: 'nodeA', gpus: 8, host: new FakeHost().script('nvidia-smi', nvidia) },
  ]);
  const id = slurm.addJob({
    name: 'devenv-proj-me',
    state: 'RUNNING',
    reason: null,
    node: 'nodeA',
    gpuIndices,
  });
  const nodeGpus = memory();
  const allocator = slurmAllocator({
    running: async () => (await slurm.job(id)) as SlurmJob & { node: string },
    hostGpus: () => detectHostGpus({ env: {}, host: slurm.node('nodeA').host }),
    jobGpuDetail: () => slurm.jobDetail(id),
    nodeGpus,
  });
  return { allocator, nodeGpus, slurm, id, job: slurm.peek(id) as FakeJob };
}

async function failure(work: Promise<unknown>): Promise<DevenvError> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DevenvError);
  return error as DevenvError;
}

describe('slurmAllocator', () => {
  it("gives the job's GPUs by UUID where nvidia-smi lists the whole node, and remembers the node's GPUs", async () => {
    const { allocator, nodeGpus, id } = allocatorFor([2, 5], nvidiaSmi());

    const allocation = await allocator.allocate(ENV, TWO, { waitMs: null, exclude: [] });

    expect(allocation).toEqual({
      ok: true,
      uuids: [uuid(2), uuid(5)],
      indexes: [2, 5],
      explanation: `Slurm job ${id} has GPUs 2,5 on nodeA (${uuid(2)}, ${uuid(5)})`,
      notice: null,
    });
    // `devenv gpus` shows these UUIDs beside Slurm's indices.
    expect(nodeGpus.kept.get('nodeA')?.map((g) => [g.index, g.uuid])).toEqual(
      GPUS.map((g) => [g.index, g.uuid]),
    );
  });

  it('gives every GPU a confined job sees, whatever numbers it sees them under, and remembers no map from them', async () => {
    const { allocator, nodeGpus, id } = allocatorFor([4, 5], confinedNvidiaSmi([4, 5]));

    const allocation = await allocator.allocate(ENV, TWO, { waitMs: null, exclude: [] });

    expect(allocation.uuids).toEqual([uuid(4), uuid(5)]);
    expect(allocation.explanation).toBe(`Slurm job ${id} has GPUs 4,5 on nodeA (${uuid(4)}, ${uuid(5)})`);
    expect(nodeGpus.kept.size).toBe(0);
  });

  it('says so when the job has no GPUs', async () => {
    const { allocator, id } = allocatorFor([], nvidiaSmi());

    const allocation = await allocator.allocate(ENV, { kind: 'auto' }, { waitMs: null, exclude: [] });

    expect(allocation).toMatchObject({ ok: true, uuids: [], indexes: [] });
    expect(allocation.explanation).toBe(`Slurm job ${id} has no GPUs on nodeA`);
  });

  it("refuses with exit 8 when nvidia-smi in the job cannot be matched to the job's GRES", async () => {
    const { allocator, id } = allocatorFor([4, 5], confinedNvidiaSmi([4]));

    const error = await failure(allocator.allocate(ENV, TWO, { waitMs: null, exclude: [] }));

    expect(error.message).toBe(
      `cannot tell which GPUs on nodeA are job ${id}'s: Slurm gave it GPUs 4,5, nvidia-smi in the job lists 0`,
    );
    expect(error.exitCode).toBe(ExitCode.gpu);
    expect(error.hint).toMatch(/gres\.conf/);
  });

  it('says why when nvidia-smi fails in the job, rather than that it lists no GPU', async () => {
    const missing: RunScript = () =>
      exited(
        '',
        2,
        'slurmstepd: error: execve(): nvidia-smi: No such file or directory\nsrun: error: nodeA: task 0: Exited with exit code 2\n',
      );
    const { allocator, id } = allocatorFor([0, 1], missing);

    const error = await failure(allocator.allocate(ENV, TWO, { waitMs: null, exclude: [] }));

    expect(error.message).toBe(
      `cannot tell which GPUs on nodeA are job ${id}'s: Slurm gave it GPUs 0,1, but nvidia-smi failed (exit 2): slurmstepd: error: execve(): nvidia-smi: No such file or directory`,
    );
    expect(error.exitCode).toBe(ExitCode.gpu);
  });

  it('refuses with exit 8 GPUs nvidia-smi gives no UUID: devenv wires GPUs by UUID only', async () => {
    const noUuids: RunScript = async (argv) => {
      const result = await nvidiaSmi()(argv);
      return result.outcome === 'exited'
        ? { ...result, stdout: result.stdout.replace(/GPU-[0-9a-f-]+/g, 'N/A') }
        : result;
    };
    const { allocator, id } = allocatorFor([0], noUuids);

    const one = { kind: 'count' as const, count: 1, minMemoryGiB: null };
    const error = await failure(allocator.allocate(ENV, one, { waitMs: null, exclude: [] }));

    expect(error.message).toBe(`nvidia-smi on nodeA does not say the UUIDs of job ${id}'s GPUs`);
    expect(error.exitCode).toBe(ExitCode.gpu);
  });

  it('has nothing to confirm or remember: Slurm keeps jobs apart', async () => {
    const { allocator, slurm } = allocatorFor([0], nvidiaSmi());
    const before = slurm.commands.length;

    await expect(allocator.confirm(ENV, 'c1', [uuid(0)])).resolves.toBeUndefined();
    allocator.remember(ENV, [uuid(0)]);

    expect(slurm.commands.length).toBe(before);
  });

  it("shows the node's GPUs as the room and the ledger, with the job's as the choice", async () => {
    const { allocator } = allocatorFor([1], nvidiaSmi());

    const room = await allocator.room(ENV, TWO);
    expect(room.slots.map((s) => s.gpu.uuid)).toEqual(GPUS.map((g) => g.uuid));
    expect(room.choice).toMatchObject({ ok: true, uuids: [uuid(1)] });
    const ledger = await allocator.ledger(null);
    expect(ledger.slots).toHaveLength(8);
    expect(ledger.processes).toEqual([]);
  });
});
