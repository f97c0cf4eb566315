import { existsSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  docker,
  SLURM_DEBUG_PARTITION,
  SLURM_NODES,
  type SlurmNode,
  slurmAdmin,
  slurmNodeDocker,
  slurmRun,
  TEST_USER,
} from './harness.js';

const submitted: string[] = [];

/** Submits `sleep` as devtest with these sbatch arguments; the job is cancelled after the test. */
function sleepJob(args: string): string {
  const result = slurmRun(
    TEST_USER,
    `sbatch --parsable -J slurm-ground -o /dev/null ${args} --wrap 'sleep 120'`,
  );
  expect(result.code, result.stderr).toBe(0);
  const job = result.stdout.trim();
  submitted.push(job);
  return job;
}

/** `scontrol show job -d -o J` as a map of its KEY=value fields (GRES IDX and reason included). */
function jobFields(job: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const field of slurmAdmin('scontrol', ['show', 'job', '-d', '-o', job]).split(/\s+/)) {
    const at = field.indexOf('=');
    if (at > 0) fields.set(field.slice(0, at), field.slice(at + 1));
  }
  return fields;
}

/** Polls the job until `done` says yes: what it says then (a pending job's reason comes a moment later). */
async function waitForJob(
  job: string,
  done: (fields: Map<string, string>) => boolean,
  what: string,
): Promise<Map<string, string>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const fields = jobFields(job);
    if (done(fields)) return fields;
    if (Date.now() > deadline)
      throw new Error(`job ${job} is ${fields.get('JobState')} (${fields.get('Reason')}), not ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const running = (job: string) => waitForJob(job, (fields) => fields.get('JobState') === 'RUNNING', 'RUNNING');

/** The GPU indices of a running job's `GRES=gpu:3(IDX:0-1,4)`. */
function gresIndices(fields: Map<string, string>): number[] {
  const idx = /\(IDX:([^)]*)\)/.exec(fields.get('GRES') ?? '')?.[1];
  if (idx === undefined) throw new Error(`no GRES IDX in ${fields.get('GRES')}`);
  return idx.split(',').flatMap((range) => {
    const [from, to] = range.split('-').map(Number) as [number, number?];
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

afterEach(() => {
  if (submitted.length > 0) slurmAdmin('scancel', submitted.splice(0));
});

/** The test ground of issue 19 (`.ci/slurm-cluster.sh`): a Slurm cluster of two GPU nodes on this machine. */
describe('Slurm test cluster', () => {
  it("a job step as devtest runs on its node: that node's own engine and GPUs, the host's users and home", () => {
    const uuids = new Map<SlurmNode['name'], string[]>();
    for (const node of Object.values(SLURM_NODES)) {
      const mark = `/home/${TEST_USER.name}/.slurm-ground-${node.name}-${process.pid}`;
      const step = slurmRun(
        TEST_USER,
        `srun -w ${node.name} -N1 -n1 --gres=gpu:1 bash -c 'echo "$SLURMD_NODENAME $(id -u) $HOME"; touch ${mark}; docker info --format "{{.ID}} {{.DockerRootDir}}"; nvidia-smi --query-gpu=uuid --format=csv,noheader'`,
      );
      expect(step.code, step.stderr).toBe(0);
      const [who, engine, ...gpus] = step.stdout.trim().split('\n');
      expect(who).toBe(`${node.name} ${TEST_USER.uid} /home/${TEST_USER.name}`);
      expect(existsSync(mark)).toBe(true);
      rmSync(mark);
      expect(engine).toBe(slurmNodeDocker(node, ['info', '--format', '{{.ID}} {{.DockerRootDir}}']));
      expect(gpus).toHaveLength(node.gpus);
      expect(new Set(gpus).size).toBe(node.gpus);
      uuids.set(node.name, gpus);
    }
    // Two machines: each engine has an ID of its own, and no GPU is on both.
    const engines = Object.values(SLURM_NODES).map((node) =>
      slurmNodeDocker(node, ['info', '--format', '{{.ID}}']),
    );
    expect(new Set([...engines, docker(['info', '--format', '{{.ID}}'])]).size).toBe(3);
    const onBoth = uuids.get('nodeA')?.filter((uuid) => uuids.get('nodeB')?.includes(uuid));
    expect(onBoth).toEqual([]);
  });

  it('concurrent jobs on a node get disjoint GPU indices; one that does not fit now pends on Resources', async () => {
    const first = gresIndices(await running(sleepJob('-w nodeA --gres=gpu:3')));
    const second = gresIndices(await running(sleepJob('-w nodeA --gres=gpu:3')));
    expect(first).toHaveLength(3);
    expect(second).toHaveLength(3);
    expect(first.filter((index) => second.includes(index))).toEqual([]);
    const third = await waitForJob(
      sleepJob('-w nodeA --gres=gpu:3'),
      (fields) => fields.get('Reason') !== 'None',
      'given a reason',
    );
    expect(third.get('JobState')).toBe('PENDING');
    expect(third.get('Reason')).toBe('Resources');
  });

  it("a running job's node engine answers through a step of that job (docker system dial-stdio)", async () => {
    const job = sleepJob(`-p ${SLURM_DEBUG_PARTITION} --gres=gpu:1`);
    expect((await running(job)).get('NodeList')).toBe('nodeB');
    const ping = slurmRun(
      TEST_USER,
      `printf 'GET /_ping HTTP/1.0\\r\\n\\r\\n' | srun --jobid ${job} --overlap -N1 -n1 docker system dial-stdio`,
    );
    expect(ping.code, ping.stderr).toBe(0);
    expect(ping.stdout).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
    expect(ping.stdout).toMatch(/\r\n\r\nOK$/);
  });

  it('a request no node can ever satisfy is refused at submit, and leaves no job', () => {
    for (const args of ['--gres=gpu:9', `-p ${SLURM_DEBUG_PARTITION} --gres=gpu:5`]) {
      const result = slurmRun(
        TEST_USER,
        `sbatch --parsable -J slurm-ground-never -o /dev/null ${args} --wrap true`,
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/Requested node configuration is not available/);
    }
    expect(slurmAdmin('squeue', ['-h', '-n', 'slurm-ground-never', '-o', '%i'])).toBe('');
  });
});
