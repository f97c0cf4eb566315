import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  clusterGpus,
  envOfJob,
  type GpuJob,
  gresGpuCount,
  parseGpuJobs,
  parseNodes,
  type SlurmNode,
} from '../../../../src/core/slurm/cluster-gpus.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/slurm');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

type QueueJob = Record<string, unknown>;
/** The captured jobs: the running devenv one, the foreign one, the waiting one. */
const capturedJobs = () =>
  (JSON.parse(fixture('squeue.json')) as { jobs: [QueueJob, QueueJob, QueueJob] }).jobs;
/** The captured squeue.json with its jobs changed or others added. */
const queueWith = (jobs: QueueJob[]) => JSON.stringify({ ...JSON.parse(fixture('squeue.json')), jobs });

describe('parseNodes', () => {
  it('reads the captured `scontrol show node -d -o` of the test cluster', () => {
    expect(parseNodes(fixture('scontrol-show-node.txt'))).toEqual([
      { name: 'nodeA', gpus: 8, state: 'MIXED', partitions: ['gpu'] },
      { name: 'nodeB', gpus: 2, state: 'MIXED', partitions: ['gpu'] },
    ]);
  });

  it('reads a node without GPUs, several partitions and a drained state; skips other lines', () => {
    const text = [
      'NodeName=cpu1 Arch=x86_64 Gres=(null) State=IDLE+DRAIN Partitions=cpu,debug RealMemory=1000',
      'scontrol: error: something',
      '',
    ].join('\n');
    expect(parseNodes(text)).toEqual([
      { name: 'cpu1', gpus: 0, state: 'IDLE+DRAIN', partitions: ['cpu', 'debug'] },
    ]);
  });
});

describe('gresGpuCount', () => {
  it.each([
    ['gpu:8', 8],
    ['gpu:2(S:0)', 2],
    ['gpu:a100:4(S:0-1)', 4],
    ['gpu:a100:4(S:0-1),gpu:h100:2', 6],
    ['gpu:2080:4', 4],
    ['gpu:1g.10gb:7', 7],
    ['gpu:4,mps:400', 4],
    ['mps:400,gpu:2', 2],
    ['shard:8', 0],
    ['(null)', 0],
    ['', 0],
  ])('%j: %i', (gres, count) => {
    expect(gresGpuCount(gres)).toBe(count);
  });
});

describe('parseGpuJobs', () => {
  it('keeps the running jobs with GPUs of the captured squeue.json, not the waiting one', () => {
    expect(parseGpuJobs(fixture('squeue.json'))).toEqual([
      // An unlimited job has an end_time in squeue.json all the same: it is no limit.
      { id: '1', name: 'devenv-test', user: 'devtest', node: 'nodeB', gpuIndices: [0, 1], endsAt: null },
      { id: '2', name: 'foreign', user: 'root', node: 'nodeA', gpuIndices: [0, 1, 2], endsAt: 1796610401 },
    ]);
  });

  it('drops finished jobs: Slurm 22.05 lists them whatever filter was asked', () => {
    const [running, foreign] = capturedJobs();
    const jobs = [
      running,
      { ...foreign, job_id: 5, job_state: 'COMPLETED' },
      { ...foreign, job_id: 6, job_state: 'CANCELLED' },
      { ...foreign, job_id: 7, job_state: 'TIMEOUT' },
      { ...foreign, job_id: 8, job_state: 'FAILED' },
      { ...foreign, job_id: 9, job_state: 'NODE_FAIL' },
    ];
    expect(parseGpuJobs(queueWith(jobs)).map((j) => j.id)).toEqual(['1']);
  });

  it('keeps jobs that still hold their GPUs: completing, suspended, configuring', () => {
    const [running, foreign] = capturedJobs();
    const jobs = [
      { ...running, job_state: 'COMPLETING' },
      { ...foreign, job_id: 5, job_state: 'SUSPENDED' },
      { ...foreign, job_id: 6, job_state: 'CONFIGURING' },
      { ...foreign, job_id: 7, job_state: 'PENDING' },
    ];
    expect(parseGpuJobs(queueWith(jobs)).map((j) => j.id)).toEqual(['1', '5', '6']);
  });

  it('drops running jobs without GPUs', () => {
    const [running] = capturedJobs();
    expect(parseGpuJobs(queueWith([{ ...running, gres_detail: [] }]))).toEqual([]);
  });

  it('places each node of a multi-node job on its own node, with the GPUs it holds there', () => {
    const [, foreign] = capturedJobs();
    const twoNodes = {
      ...foreign,
      job_id: 11,
      nodes: 'nodeA,nodeB',
      node_count: 2,
      gres_detail: ['gpu:2(IDX:3-4)', 'gpu:1(IDX:1)'],
      job_resources: {
        nodes: 'nodeA,nodeB',
        allocated_nodes: [{ nodename: 'nodeA' }, { nodename: 'nodeB' }],
      },
    };
    const jobs = parseGpuJobs(queueWith([twoNodes]));
    expect(jobs.map((j) => [j.id, j.node, j.gpuIndices])).toEqual([
      ['11', 'nodeA', [3, 4]],
      ['11', 'nodeB', [1]],
    ]);
  });

  it('reads an empty queue', () => {
    expect(parseGpuJobs('{"jobs": []}')).toEqual([]);
    expect(parseGpuJobs('{}')).toEqual([]);
  });
});

describe('envOfJob', () => {
  it.each([
    ['devenv-proj-me', 'me', 'proj'],
    ['devenv-my-env-me', 'me', 'my-env'],
    // The container name, and so the job's, has the user as Docker allows it.
    ['devenv-proj-john.doe', 'John.Doe', 'proj'],
    ['devenv-proj-jdoe-example.com', 'jdoe@example.com', 'proj'],
    ['devenv-test', 'devtest', null],
    ['devenv-devtest-big', 'root', null],
    ['devenv--me', 'me', null],
    ['foreign', 'root', null],
    ['devenv-proj-me', 'bob', null],
  ])('%s of %s: %s', (name, user, env) => {
    expect(envOfJob(name, user)).toBe(env);
  });
});

describe('clusterGpus', () => {
  const nodes: SlurmNode[] = [
    { name: 'nodeA', gpus: 3, state: 'MIXED', partitions: ['gpu'] },
    { name: 'nodeB', gpus: 2, state: 'IDLE', partitions: ['gpu'] },
  ];
  const now = 1_800_000_000;

  it('lists every GPU of every node with the job holding it, devenv env or not, and its time left', () => {
    const jobs: GpuJob[] = [
      { id: '7', name: 'devenv-proj-me', user: 'me', node: 'nodeA', gpuIndices: [1, 2], endsAt: now + 600 },
      { id: '8', name: 'train', user: 'bob', node: 'nodeB', gpuIndices: [0], endsAt: null },
      // A job on a node Slurm no longer lists holds nothing shown.
      { id: '9', name: 'gone', user: 'bob', node: 'nodeZ', gpuIndices: [0], endsAt: null },
    ];
    const uuids = new Map([
      [
        'nodeA',
        new Map([
          [0, 'GPU-a0'],
          [2, 'GPU-a2'],
        ]),
      ],
    ]);

    expect(clusterGpus({ nodes, jobs, uuids, now })).toEqual([
      { node: 'nodeA', index: 0, uuid: 'GPU-a0', job: null },
      { node: 'nodeA', index: 1, uuid: null, job: { id: '7', user: 'me', env: 'proj', secondsLeft: 600 } },
      {
        node: 'nodeA',
        index: 2,
        uuid: 'GPU-a2',
        job: { id: '7', user: 'me', env: 'proj', secondsLeft: 600 },
      },
      { node: 'nodeB', index: 0, uuid: null, job: { id: '8', user: 'bob', env: null, secondsLeft: null } },
      { node: 'nodeB', index: 1, uuid: null, job: null },
    ]);
  });

  it('says no time left, never a negative one, for a job past its end', () => {
    const jobs: GpuJob[] = [
      { id: '7', name: 'x', user: 'me', node: 'nodeB', gpuIndices: [1], endsAt: now - 30 },
    ];
    const rows = clusterGpus({ nodes, jobs, uuids: new Map(), now });
    expect(rows.find((r) => r.node === 'nodeB' && r.index === 1)?.job?.secondsLeft).toBe(0);
  });

  it('maps the captured cluster: the foreign job on nodeA, the devenv one on nodeB', () => {
    const rows = clusterGpus({
      nodes: parseNodes(fixture('scontrol-show-node.txt')),
      jobs: parseGpuJobs(fixture('squeue.json')),
      uuids: new Map(),
      now: 1796610101,
    });
    expect(rows).toHaveLength(10);
    expect(
      rows.filter((r) => r.job).map((r) => `${r.node}/${r.index}:${r.job?.id}:${r.job?.secondsLeft}`),
    ).toEqual(['nodeA/0:2:300', 'nodeA/1:2:300', 'nodeA/2:2:300', 'nodeB/0:1:null', 'nodeB/1:1:null']);
  });
});
