import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterGpus, parseGpuJobs, parseNodes } from '../../src/core/slurm/cluster-gpus.js';
import { jobGpuIndices, jobMemoryMiB, scontrolFields } from '../../src/core/slurm/job.js';
import { detectHostGpus } from '../../src/host/gpu.js';
import { exited, FakeHost } from './host.js';
import { machineGpus } from './nvidia-smi.js';
import { confinedNvidiaSmi, FakeSlurm } from './slurm.js';

/** The fake must answer as src/host/slurm.ts does over Slurm 22.05, or the app tests lie. */
describe('FakeSlurm', () => {
  let dir: string;
  let script: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-fake-slurm-'));
    script = path.join(dir, 'job.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const argv = (...more: string[]) => ['sbatch', '--parsable', '--job-name=devenv-p-me', ...more];

  it('takes a submitted job through its queue one poll at a time, and keeps the script it was given', async () => {
    const slurm = new FakeSlurm([{ name: 'nodeB', gpus: 2 }]);
    slurm.queue = [
      { state: 'PENDING', reason: 'Resources' },
      { state: 'RUNNING', reason: null, node: 'nodeB' },
    ];

    const submitted = await slurm.submit(argv('--gres=gpu:2', '--time=8:00:00'), script);

    expect(submitted).toEqual({ ok: true, id: '4242' });
    expect(slurm.submissions[0]?.script).toBe('#!/bin/sh\necho hi\n');
    expect(await slurm.job('4242')).toMatchObject({ state: 'PENDING', reason: 'Resources', node: null });
    expect(await slurm.job('4242')).toMatchObject({ state: 'RUNNING', node: 'nodeB', timeLimit: '8:00:00' });
    expect(await slurm.job('4242')).toMatchObject({ state: 'RUNNING' });
    expect(jobGpuIndices(await slurm.jobDetail('4242'))).toEqual([0, 1]);
  });

  it('refuses as sbatch does when told to: stderr, no job', async () => {
    const slurm = new FakeSlurm();
    slurm.refusal = 'sbatch: error: Batch job submission failed: Invalid qos specification\n';

    expect(await slurm.submit(argv(), script)).toEqual({ ok: false, stderr: slurm.refusal });
    expect(slurm.submissions).toEqual([]);
    expect(await slurm.jobsNamed('devenv-p-me', 'me')).toEqual([]);
  });

  it("lists a user's unfinished jobs of a name, as squeue does by default, and forgets finished ones later", async () => {
    const slurm = new FakeSlurm();
    const running = slurm.addJob({ name: 'devenv-p-me', state: 'RUNNING', node: 'nodeA' });
    const completing = slurm.addJob({ name: 'devenv-p-me', state: 'COMPLETING', node: 'nodeA' });
    const done = slurm.addJob({ name: 'devenv-p-me', state: 'TIMEOUT', node: 'nodeA' });
    slurm.addJob({ name: 'devenv-p-me', user: 'bob', state: 'RUNNING', node: 'nodeA' });

    expect((await slurm.jobsNamed('devenv-p-me', 'me')).map((j) => j.id)).toEqual([running, completing]);
    expect((await slurm.jobsOf('me')).map((j) => j.id)).toEqual([running, completing]);
    expect(await slurm.jobsOf(null)).toHaveLength(3);
    expect((await slurm.job(done))?.state).toBe('TIMEOUT');
    slurm.forget(done);
    expect(await slurm.job(done)).toBeNull();
  });

  it('cancels a live job, and leaves an ended one as it ended', async () => {
    const slurm = new FakeSlurm();
    const live = slurm.addJob({ name: 'a', state: 'PENDING' }, [{ state: 'RUNNING', node: 'nodeA' }]);
    const ended = slurm.addJob({ name: 'b', state: 'TIMEOUT' });

    await slurm.cancel(live);
    await slurm.cancel(ended);

    expect(slurm.cancelled).toEqual([live, ended]);
    expect((await slurm.job(live))?.state).toBe('CANCELLED');
    expect((await slurm.job(ended))?.state).toBe('TIMEOUT');
  });

  it("runs a step on the machine of the job's node, as srun does", async () => {
    const slurm = new FakeSlurm([
      { name: 'nodeA', gpus: 8, host: new FakeHost().script('hostname', () => exited('nodeA\n')) },
    ]);
    const id = slurm.addJob({ name: 'a', state: 'RUNNING', node: 'nodeA' });
    const waiting = slurm.addJob({ name: 'b', state: 'PENDING' });

    expect(await slurm.step(id, ['hostname'])).toEqual(exited('nodeA\n'));
    // slurmstepd cannot exec a program the node lacks: srun exits 2, not "command not found".
    expect(await slurm.step(id, ['nvidia-smi'])).toMatchObject({ outcome: 'exited', code: 2 });
    expect(await slurm.step(waiting, ['hostname'])).toMatchObject({ outcome: 'exited', code: 1 });
    expect(slurm.steps.map((s) => s.argv[0])).toEqual(['hostname', 'nvidia-smi', 'hostname']);
    // Every node has `test`, over the files put on its host.
    slurm.node('nodeA').host.putFile('/home/me/proj/.devenvrc', '{}');
    expect(await slurm.step(id, ['test', '-e', '/home/me/proj/.devenvrc'])).toMatchObject({ code: 0 });
    expect(await slurm.step(id, ['test', '-e', '/home/me/other'])).toMatchObject({ code: 1 });
  });

  it('writes scontrol records the real parsers read: GRES indices and allocated memory of a running job', async () => {
    const slurm = new FakeSlurm();
    const id = slurm.addJob({
      name: 'devenv-p-me',
      state: 'RUNNING',
      node: 'nodeA',
      cpus: 4,
      gpuIndices: [0, 2, 3],
      allocatedMiB: 12000,
    });
    const pending = slurm.addJob({ name: 'x', state: 'PENDING', gpuIndices: [0] });

    const line = await slurm.jobDetail(id);
    expect(jobGpuIndices(line)).toEqual([0, 2, 3]);
    expect(jobMemoryMiB(line)).toBe(12000);
    expect(scontrolFields(line).get('GRES')).toBe('gpu:3(IDX:0,2-3)');
    expect(jobGpuIndices(await slurm.jobDetail(pending))).toEqual([]);
  });

  it('answers `scontrol show node` and `squeue --json` so that the cluster map reads them, finished jobs included', async () => {
    const slurm = new FakeSlurm([
      { name: 'nodeA', gpus: 8 },
      { name: 'nodeB', gpus: 2 },
      { name: 'cpu1', gpus: 0, partitions: ['cpu'] },
    ]);
    slurm.addJob({
      name: 'train',
      user: 'bob',
      state: 'RUNNING',
      node: 'nodeA',
      gpuIndices: [1],
      secondsLeft: 60,
    });
    slurm.addJob({ name: 'old', user: 'bob', state: 'COMPLETED', node: 'nodeB', gpuIndices: [0] });

    const nodes = parseNodes(await slurm.nodes());
    expect(nodes.map((n) => [n.name, n.gpus, n.partitions])).toEqual([
      ['nodeA', 8, ['gpu']],
      ['nodeB', 2, ['gpu']],
      ['cpu1', 0, ['cpu']],
    ]);
    const json = await slurm.queueJson();
    expect(JSON.parse(json).jobs).toHaveLength(2);
    const rows = clusterGpus({ nodes, jobs: parseGpuJobs(json), uuids: new Map(), now: 0 });
    expect(rows.filter((r) => r.job).map((r) => `${r.node}/${r.index} ${r.job?.user}`)).toEqual([
      'nodeA/1 bob',
    ]);
  });

  it('confinedNvidiaSmi lists only the given GPUs of the machine, numbered from 0', async () => {
    const all = machineGpus();
    const host = new FakeHost().script('nvidia-smi', confinedNvidiaSmi([4, 5]));

    const detection = await detectHostGpus({ env: {}, host });

    expect(detection.problem).toBeNull();
    expect(detection.gpus.map((g) => [g.index, g.uuid])).toEqual([
      [0, all[4]?.uuid],
      [1, all[5]?.uuid],
    ]);
  });
});
