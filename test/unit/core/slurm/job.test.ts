import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  formatTimeLeft,
  gresGpuIndices,
  isLive,
  jobGpuIndices,
  jobMemoryMiB,
  parseIndexList,
  parseMemoryMiB,
  parseSlurmTime,
  parseSqueue,
  scontrolFields,
} from '../../../../src/core/slurm/job.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/slurm');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

describe('parseSqueue', () => {
  it('reads the lines squeue printed on the 22.05 test cluster (SQUEUE_FORMAT, --noheader)', () => {
    // Captured: a running env job, one waiting for room, and a held job with --mem-per-cpu.
    const text = [
      '1|devenv-test|devtest|RUNNING|None|nodeB|UNLIMITED|1|0|UNLIMITED',
      '3|devenv-devtest-big|root|PENDING|Resources||10:00|1|0|10:00',
      '10|slurm-unit-probe|root|PENDING|JobHeldUser||29:00|4|3000M|29:00',
      '',
    ].join('\n');

    expect(parseSqueue(text)).toEqual([
      {
        id: '1',
        name: 'devenv-test',
        user: 'devtest',
        state: 'RUNNING',
        reason: null,
        node: 'nodeB',
        secondsLeft: null,
        timeLimit: 'UNLIMITED',
        cpus: 1,
        memoryMiB: null,
      },
      {
        id: '3',
        name: 'devenv-devtest-big',
        user: 'root',
        state: 'PENDING',
        reason: 'Resources',
        node: null,
        // %L of a waiting job is its whole limit, not time left.
        secondsLeft: null,
        timeLimit: '10:00',
        cpus: 1,
        memoryMiB: null,
      },
      {
        id: '10',
        name: 'slurm-unit-probe',
        user: 'root',
        state: 'PENDING',
        reason: 'JobHeldUser',
        node: null,
        secondsLeft: null,
        timeLimit: '29:00',
        cpus: 4,
        memoryMiB: 3000,
      },
    ]);
  });

  it('reads the time left of a running job ("29:52" is minutes and seconds)', () => {
    const [job] = parseSqueue('7|devenv-proj-me|me|RUNNING|None|nodeA|29:52|8|64G|8:00:00\n');
    expect(job).toMatchObject({ secondsLeft: 29 * 60 + 52, cpus: 8, memoryMiB: 65536, node: 'nodeA' });
  });

  it('skips what is not a job line (a message, a name holding "|") and trims the rest', () => {
    const text = [
      'squeue: error: Invalid user: nobody2',
      '8|a|b|name|me|RUNNING|None|nodeA|1:00|1|0|1:00',
      '  9|devenv-x-me|me|COMPLETING|None|nodeA|0:00|2|0|5:00  ',
    ].join('\n');
    const jobs = parseSqueue(text);
    expect(jobs.map((j) => j.id)).toEqual(['9']);
    expect(jobs[0]).toMatchObject({
      state: 'COMPLETING',
      secondsLeft: null,
      node: 'nodeA',
      timeLimit: '5:00',
    });
  });

  it('says no node for "(null)" and no reason for an empty one', () => {
    const [job] = parseSqueue('5|j|me|PENDING||(null)|1:00|1|0|1:00');
    expect(job).toMatchObject({ node: null, reason: null });
  });
});

describe('isLive', () => {
  it.each([
    ['PENDING', true],
    ['RUNNING', true],
    ['CONFIGURING', true],
    ['COMPLETING', false],
    ['COMPLETED', false],
    ['CANCELLED', false],
    ['TIMEOUT', false],
    ['FAILED', false],
    ['NODE_FAIL', false],
  ])('%s: %s', (state, live) => {
    expect(isLive({ state })).toBe(live);
  });
});

describe('parseSlurmTime', () => {
  it.each([
    // sbatch --time: a bare number is minutes.
    ['90', 90 * 60],
    ['0', 0],
    // squeue %L under an hour: minutes and seconds.
    ['29:52', 29 * 60 + 52],
    ['0:45', 45],
    ['5:00', 300],
    ['1:02:03', 3723],
    ['8:00:00', 8 * 3600],
    ['100:00:00', 100 * 3600],
    // days-hours, days-hours:minutes, days-hours:minutes:seconds
    ['2-03', 2 * 86400 + 3 * 3600],
    ['2-03:04', 2 * 86400 + 3 * 3600 + 4 * 60],
    ['1-02:03:04', 86400 + 2 * 3600 + 3 * 60 + 4],
    ['0-00:00:30', 30],
    [' 10:00 ', 600],
  ])('%j is %i s', (text, seconds) => {
    expect(parseSlurmTime(text)).toBe(seconds);
  });

  it.each(['UNLIMITED', 'NOT_SET', 'INVALID', 'N/A', '', '1:2:3:4', '-5', '1-', 'abc'])(
    '%j is no time',
    (text) => {
      expect(parseSlurmTime(text)).toBeNull();
    },
  );
});

describe('formatTimeLeft', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [60, '1m'],
    [250, '4m 10s'],
    [599, '9m 59s'],
    // From ten minutes on, seconds are noise.
    [605, '10m'],
    [3600, '1h 0m'],
    [28740, '7h 59m'],
    [86400, '1d 0h'],
    [93784, '1d 2h'],
  ])('%i s: %s', (seconds, text) => {
    expect(formatTimeLeft(seconds)).toBe(text);
  });

  it('round-trips what squeue says', () => {
    expect(formatTimeLeft(parseSlurmTime('7:59:00') as number)).toBe('7h 59m');
    expect(formatTimeLeft(parseSlurmTime('4:10') as number)).toBe('4m 10s');
  });
});

describe('parseMemoryMiB', () => {
  it.each([
    ['16000M', 16000],
    ['16000', 16000],
    ['64G', 65536],
    ['1.5G', 1536],
    ['2T', 2 * 1024 * 1024],
    ['2048K', 2],
  ])('%s is %i MiB', (text, mib) => {
    expect(parseMemoryMiB(text)).toBe(mib);
  });

  it.each(['0', '0M', '', 'N/A', '16000Mc', '-1'])('%j is none', (text) => {
    expect(parseMemoryMiB(text)).toBeNull();
  });
});

describe('scontrolFields', () => {
  it("reads a captured job record; the per-node detail of -d does not override the job's own fields", () => {
    const fields = scontrolFields(fixture('scontrol-show-job-running.txt'));
    expect(fields.get('JobId')).toBe('2');
    expect(fields.get('JobName')).toBe('foreign');
    expect(fields.get('JobState')).toBe('RUNNING');
    expect(fields.get('NodeList')).toBe('nodeA');
    expect(fields.get('TRES')).toBe('cpu=1,node=1,billing=1');
    expect(fields.get('JOB_GRES')).toBe('gpu:3');
    expect(fields.get('GRES')).toBe('gpu:3(IDX:0-2)');
    expect(fields.get('AllocNode:Sid')).toBe('localhost:9336');
    expect(fields.get('CPUs/Task')).toBe('1');
    expect(fields.get('Power')).toBe('');
  });

  it('reads the fields after a free-text value with spaces (Command= is not last in 22.05)', () => {
    const line = fixture('scontrol-show-job-running.txt').replace(
      'Command=(null)',
      'Command=/home/me/my jobs/run.sh',
    );
    const fields = scontrolFields(line);
    expect(fields.get('Command')).toBe('/home/me/my');
    expect(fields.get('WorkDir')).toBe('/tmp');
    expect(fields.get('TresPerNode')).toBe('gres:gpu:3');
  });

  it('reads empty values as empty without eating the next field', () => {
    const fields = scontrolFields(fixture('scontrol-show-job-pending.txt'));
    expect(fields.get('NodeList')).toBe('');
    expect(fields.get('NumNodes')).toBe('1');
    expect(fields.get('Reason')).toBe('Resources');
    expect(fields.get('TRES')).toBe('cpu=1,mem=16000M,node=1,billing=1');
  });
});

describe('parseIndexList', () => {
  it.each([
    ['0', [0]],
    ['0-1', [0, 1]],
    ['0,2-3', [0, 2, 3]],
    ['4-5,7', [4, 5, 7]],
    ['', []],
  ])('%j', (text, indices) => {
    expect(parseIndexList(text)).toEqual(indices);
  });
});

describe('gresGpuIndices', () => {
  it.each([
    [['gpu:2(IDX:0-1)'], [0, 1]],
    [['gpu:a100:2(IDX:4-5)'], [4, 5]],
    [['gpu:3(IDX:0,2-3)'], [0, 2, 3]],
    [['gpu:nvidia_a100-sxm4-80gb:1(IDX:7)'], [7]],
    [['gpu:a100:1(IDX:0),gpu:v100:2(IDX:4-5)'], [0, 4, 5]],
    [['gpu:2(IDX:0-1),mps:100(0/100,0/100)'], [0, 1]],
    [
      ['gpu:2(IDX:0-1)', 'gpu:1(IDX:3)'],
      [0, 1, 3],
    ],
    [[], []],
    [[''], []],
    [['mps:100(0/100)'], []],
  ])('%j', (details, indices) => {
    expect(gresGpuIndices(details)).toEqual(indices);
  });
});

describe('jobGpuIndices', () => {
  it("reads the running job's GRES IDX, not its JOB_GRES count", () => {
    expect(jobGpuIndices(fixture('scontrol-show-job-running.txt'))).toEqual([0, 1, 2]);
  });

  it('says none for a job still waiting: its TresPerNode is a request, not GPUs', () => {
    expect(jobGpuIndices(fixture('scontrol-show-job-pending.txt'))).toEqual([]);
  });

  it('reads typed GRES', () => {
    const line = fixture('scontrol-show-job-running.txt').replace(
      'JOB_GRES=gpu:3   Nodes=nodeA CPU_IDs=0 Mem=0 GRES=gpu:3(IDX:0-2)',
      'JOB_GRES=gpu:a100:2   Nodes=nodeA CPU_IDs=0 Mem=0 GRES=gpu:a100:2(IDX:4-5)',
    );
    expect(jobGpuIndices(line)).toEqual([4, 5]);
  });
});

describe('jobMemoryMiB', () => {
  it('reads the memory allocated to a running job from its TRES', () => {
    const line = fixture('scontrol-show-job-running.txt').replace(
      'TRES=cpu=1,node=1,billing=1',
      'TRES=cpu=4,mem=12000M,node=1,billing=4',
    );
    expect(jobMemoryMiB(line)).toBe(12000);
    expect(jobMemoryMiB(line.replace('mem=12000M', 'mem=64G'))).toBe(65536);
  });

  it('says none where Slurm allocates no memory (the captured cluster: CR_Core)', () => {
    expect(jobMemoryMiB(fixture('scontrol-show-job-running.txt'))).toBeNull();
    expect(jobMemoryMiB('')).toBeNull();
  });

  it('does not take MinMemoryCPU, the per-CPU request squeue shows', () => {
    const line = 'JobId=10 JobState=RUNNING MinMemoryCPU=3000M TRES=cpu=4,mem=12000M,node=1,billing=4';
    expect(jobMemoryMiB(line)).toBe(12000);
  });
});
