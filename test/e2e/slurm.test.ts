import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { expectOneLineError } from './errors-kit.js';
import {
  BIN,
  containerId,
  E2E_ROOT,
  makeEnvDir,
  OTHER_USER,
  quickRc,
  SLURM_CONF,
  SLURM_DEBUG_PARTITION,
  SLURM_NODES,
  slurmAdmin,
  slurmNodeDocker,
  TEST_USER,
} from './harness.js';
import {
  cancelJobsNamed,
  containerOf,
  devenvOn,
  foreignJob,
  gresIndices,
  jobFields,
  jobOutput,
  jobsNamed,
  liveJobsNamed,
  nodeContainer,
  nodeEnvImages,
  nodeGpuUuids,
  removeSlurmEnv,
  until,
} from './slurm-kit.js';
import { TmuxSession } from './tmux.js';

/**
 * Issue 19: devenv on the Slurm test cluster of `.ci/slurm-cluster.sh` (nodeA: 8 GPUs, nodeB: 4,
 * partition debug = nodeB), run as devtest on the "login node" (this machine). Each node has its
 * own engine, reached from here only through a step of the env's job; the checks read the nodes'
 * engines from outside (root, through their sockets) and Slurm as its admin. The four groups
 * below run at once, each with envs and jobs of its own: nodeA holds the main env beside another
 * user's job, nodeB the cases that end a job.
 */
const { nodeA, nodeB } = SLURM_NODES;

/** `devenv: done: job 42 runs on nodeA` → the job's ID. */
function runningJob(stderr: string, node: string): string {
  const id = new RegExp(`job (\\d+) runs on ${node}\\b`).exec(stderr)?.[1];
  if (id === undefined) throw new Error(`no "job N runs on ${node}" in:\n${stderr}`);
  return id;
}

/** Seconds in scontrol's RunTime ("00:01:05", "1-00:00:00"). */
function slurmSeconds(text: string): number {
  const match = /^(?:(\d+)-)?(\d+):(\d+):(\d+)$/.exec(text);
  if (!match) throw new Error(`not a Slurm run time: "${text}"`);
  const [days, hours, minutes, seconds] = match.slice(1).map((n) => Number(n ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  return ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
}

/** NVIDIA_VISIBLE_DEVICES as the engine gave it to the container (PID 1's environment only). */
function visibleDevices(container: string): string | undefined {
  return slurmNodeDocker(nodeA, ['exec', container, 'cat', '/proc/1/environ'])
    .split('\0')
    .find((v) => v.startsWith('NVIDIA_VISIBLE_DEVICES='))
    ?.slice('NVIDIA_VISIBLE_DEVICES='.length);
}

interface ClusterGpuJson {
  node: string;
  index: number;
  uuid: string | null;
  job: { id: string; user: string; env: string | null; secondsLeft: number | null } | null;
}

describe.concurrent('devenv on a Slurm cluster (issue 19)', () => {
  describe("an env on nodeA beside another user's job that holds GPUs there", () => {
    const NAME = 'slurm-main';
    const CONTAINER = containerOf(NAME, TEST_USER);
    const FOREIGN = 'slurm-e2e-foreign-a';
    let dir: string;
    let foreign: string;
    let job: string;
    let mine: number[];

    beforeAll(async () => {
      cancelJobsNamed([CONTAINER, FOREIGN]);
      dir = makeEnvDir(
        NAME,
        TEST_USER,
        quickRc(NAME, {
          gpus: 2,
          // Two CPUs, so the container's limits show they are the job's (DefMemPerCPU=1000: 2000 MiB).
          slurm: { time: '20', sbatchArgs: ['--nodelist=nodeA', '--cpus-per-task=2'] },
        }),
      );
      // Not devenv's: a plain batch job of devother holding 3 of nodeA's GPUs (the first 3 when
      // nodeA is idle, so the env's are not the first of the node), submitted before the env's.
      foreign = await foreignJob(OTHER_USER, FOREIGN, '-w nodeA --gres=gpu:3');
    });
    afterAll(() => {
      cancelJobsNamed([FOREIGN]);
      removeSlurmEnv(dir, CONTAINER, TEST_USER);
    });

    it.sequential(
      "start submits one job and runs the env on nodeA's engine with exactly the job's GPUs, by UUID, and its CPUs and memory",
      async () => {
        const started = await devenvOn(TEST_USER, dir, ['start', '--detach']);
        expect(started.code, started.stderr).toBe(0);
        job = runningJob(started.stderr, 'nodeA');
        expect(jobsNamed(CONTAINER)).toEqual([
          { id: job, user: TEST_USER.name, state: 'RUNNING', node: 'nodeA', reason: 'None' },
        ]);

        mine = gresIndices(job);
        const theirs = gresIndices(foreign);
        expect(mine).toHaveLength(2);
        expect(mine.filter((index) => theirs.includes(index))).toEqual([]);
        // The UUIDs nvidia-smi on nodeA lists at the job's GRES indices, and no other GPU.
        const uuids = nodeGpuUuids(nodeA);
        const expected = mine.map((index) => uuids[index] as string);
        expect(started.stderr).toContain(
          `Slurm job ${job} has GPUs ${mine.join(',')} on nodeA (${expected.join(', ')})`,
        );
        const [requests, nanoCpus, memory] = JSON.parse(
          slurmNodeDocker(nodeA, [
            'inspect',
            '--format',
            '[{{json .HostConfig.DeviceRequests}}, {{.HostConfig.NanoCpus}}, {{.HostConfig.Memory}}]',
            CONTAINER,
          ]),
        ) as [Array<{ DeviceIDs: string[] }>, number, number];
        expect(requests.map((r) => r.DeviceIDs)).toEqual([expected]);
        expect(visibleDevices(CONTAINER)).toBe(expected.join(','));
        // The job's share of the node, as Slurm allocated it: cpu=2,mem=2000M.
        const tres = /(?:^|,)cpu=(\d+),mem=(\d+)M(?:,|$)/.exec(
          slurmAdmin('scontrol', ['show', 'job', '-o', job]).match(/\bTRES=(\S+)/)?.[1] ?? '',
        );
        expect(tres?.slice(1)).toEqual(['2', '2000']);
        expect(nanoCpus).toBe(2e9);
        expect(memory).toBe(2000 * 1024 * 1024);

        // On nodeA's engine only: not this machine's, not nodeB's.
        expect(containerId(CONTAINER)).toBeNull();
        expect(nodeContainer(nodeB, CONTAINER)).toBeNull();
        expect(jobOutput(TEST_USER, CONTAINER, job)).toContain(
          `devenv: job ${job} holds env ${NAME} on nodeA`,
        );
      },
    );

    it.sequential(
      'exec, logs and status go through the job: the user inside, files in projects/ stay theirs, the job and its time left',
      async () => {
        const inside = await devenvOn(TEST_USER, dir, [
          'exec',
          '--',
          'sh',
          '-c',
          'echo "$(id -un) $(id -u) $(id -g) $(pwd)"; touch made-on-the-node',
        ]);
        expect(inside.code, inside.stderr).toBe(0);
        expect(inside.stdout.trim()).toBe(
          `${TEST_USER.name} ${TEST_USER.uid} ${TEST_USER.gid} /home/${TEST_USER.name}/projects`,
        );
        const made = statSync(path.join(dir, 'projects', 'made-on-the-node'));
        expect(`${made.uid}:${made.gid}`).toBe(`${TEST_USER.uid}:${TEST_USER.gid}`);

        const logs = await devenvOn(TEST_USER, dir, ['logs']);
        expect(logs.code, logs.stderr).toBe(0);

        const uuids = nodeGpuUuids(nodeA);
        const status = await devenvOn(TEST_USER, dir, ['status']);
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).toMatch(
          new RegExp(`^job: +${job} on nodeA, running, 1\\dm(?: \\d+s)? left \\(limit 20:00\\)$`, 'm'),
        );
        expect(status.stdout).toContain(
          `container: ${CONTAINER} (running, GPUs ${mine.map((i) => `${i} (${uuids[i]})`).join(', ')})`,
        );
        const json = await devenvOn(TEST_USER, dir, ['status', '--json']);
        expect(json.code, json.stderr).toBe(0);
        const parsed = JSON.parse(json.stdout) as {
          job: { id: string; node: string; state: string; secondsLeft: number; timeLimit: string };
          container: { state: string; lease: Array<{ index: number; uuid: string }> };
        };
        expect(parsed.job).toMatchObject({ id: job, node: 'nodeA', state: 'RUNNING', timeLimit: '20:00' });
        expect(parsed.job.secondsLeft).toBeGreaterThan(15 * 60);
        expect(parsed.job.secondsLeft).toBeLessThanOrEqual(20 * 60);
        expect(parsed.container.lease).toEqual(mine.map((index) => ({ index, uuid: uuids[index] })));
      },
    );

    it.sequential('a second start finds the running job: no new job, nothing built or made', async () => {
      const again = await devenvOn(TEST_USER, dir, ['start', '--detach']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(`devenv: env ${NAME} is running`);
      expect(again.stderr).not.toMatch(/queued|runs on|building|creating/);
      expect(liveJobsNamed(CONTAINER).map((j) => j.id)).toEqual([job]);
    });

    it.sequential(
      'ls lists the env by its job, doctor checks the job and the shared folder from inside it, code says how VS Code reaches it',
      async () => {
        const ls = await devenvOn(TEST_USER, dir, ['ls']);
        expect(ls.code, ls.stderr).toBe(0);
        expect(ls.stdout).toMatch(new RegExp(`^${NAME} +devtest +${job} +nodeA +running +1\\dm`, 'm'));
        const listed = await devenvOn(TEST_USER, dir, ['ls', '--json']);
        expect(listed.code, listed.stderr).toBe(0);
        expect(
          (JSON.parse(listed.stdout) as Array<{ env: string }>).find((e) => e.env === NAME),
        ).toMatchObject({
          user: TEST_USER.name,
          job,
          node: 'nodeA',
          state: 'RUNNING',
        });

        const doctor = await devenvOn(TEST_USER, dir, ['doctor']);
        expect(doctor.code, `${doctor.stdout}${doctor.stderr}`).toBe(0);
        expect(doctor.stdout).toMatch(new RegExp(`^ok +slurm +job ${job} runs on nodeA$`, 'm'));
        expect(doctor.stdout).toMatch(new RegExp(`^ok +shared folder +nodeA sees ${dir}$`, 'm'));
        expect(doctor.stdout).toMatch(/^ok +gpus +8x NVIDIA H100/m);

        const code = await devenvOn(TEST_USER, dir, ['code']);
        expect(code.code, code.stderr).toBe(0);
        expect(code.stderr).toMatch(
          new RegExp(
            `Remote-SSH to nodeA \\(the cluster lets you while job ${job} runs there\\).*${CONTAINER}`,
          ),
        );
        expect(code.stdout).toMatch(
          /^code --folder-uri vscode-remote:\/\/attached-container\+[0-9a-f]+@ssh-remote\+devtest@nodeA\/home\/devtest\/projects$/m,
        );
        expect(liveJobsNamed(CONTAINER).map((j) => j.id)).toEqual([job]);
      },
    );

    it.sequential(
      "devenv gpus shows every node's GPUs with the job holding each, devenv's or not, and nodeA's UUIDs",
      async () => {
        const uuids = nodeGpuUuids(nodeA);
        const theirs = gresIndices(foreign);
        const read = async (user: typeof TEST_USER, cwd: string, args: string[]) => {
          const result = await devenvOn(user, cwd, args);
          expect(result.code, result.stderr).toBe(0);
          return (JSON.parse(result.stdout) as { gpus: ClusterGpuJson[] }).gpus;
        };
        // Where .devenvrc has "slurm", gpus is the cluster's; anywhere, --slurm asks for it.
        const gpus = await read(TEST_USER, dir, ['gpus', '--json']);
        expect(gpus.map((g) => `${g.node}:${g.index}`)).toEqual([
          ...Array.from({ length: nodeA.gpus }, (_, i) => `nodeA:${i}`),
          ...Array.from({ length: nodeB.gpus }, (_, i) => `nodeB:${i}`),
        ]);
        for (const gpu of gpus.filter((g) => g.node === 'nodeA')) {
          // devenv saw nodeA's GPUs when the env started there.
          expect(gpu.uuid).toBe(uuids[gpu.index]);
          if (mine.includes(gpu.index)) {
            expect(gpu.job).toMatchObject({ id: job, user: TEST_USER.name, env: NAME });
            expect(gpu.job?.secondsLeft).toBeGreaterThan(15 * 60);
            expect(gpu.job?.secondsLeft).toBeLessThanOrEqual(20 * 60);
          } else if (theirs.includes(gpu.index)) {
            expect(gpu.job).toMatchObject({ id: foreign, user: OTHER_USER.name, env: null });
          }
        }
        const seenByOther = await read(OTHER_USER, E2E_ROOT, ['gpus', '--slurm', '--json']);
        const holders = (list: ClusterGpuJson[]) =>
          list
            .filter((g) => g.node === 'nodeA')
            .map((g) => (g.job ? `${g.index}:${g.job.id}:${g.job.env}` : null));
        expect(holders(seenByOther)).toEqual(holders(gpus));

        const text = await devenvOn(TEST_USER, dir, ['gpus']);
        expect(text.code, text.stderr).toBe(0);
        for (const index of mine)
          expect(text.stdout).toMatch(
            new RegExp(
              `^nodeA +${index} +${uuids[index]} +job ${job} of devtest \\(env ${NAME}\\), 1\\dm(?: \\d+s)? left$`,
              'm',
            ),
          );
        expect(text.stdout).toMatch(
          new RegExp(`^nodeA +${theirs[0]} +\\S+ +job ${foreign} of devother(,|$)`, 'm'),
        );
      },
    );

    it.sequential(
      'rebuild builds again on nodeA and recreates the container in the same job, with the same GPUs',
      async () => {
        const before = nodeContainer(nodeA, CONTAINER);
        const rebuilt = await devenvOn(TEST_USER, dir, ['rebuild', '--detach']);
        expect(rebuilt.code, rebuilt.stderr).toBe(0);
        expect(rebuilt.stderr).toContain(`built image ${CONTAINER}:latest`);
        expect(rebuilt.stderr).not.toMatch(/runs on|queued/);
        const after = nodeContainer(nodeA, CONTAINER);
        expect(after).not.toBeNull();
        expect(after).not.toBe(before);
        expect(liveJobsNamed(CONTAINER).map((j) => j.id)).toEqual([job]);
        const uuids = nodeGpuUuids(nodeA);
        expect(
          slurmNodeDocker(nodeA, [
            'inspect',
            '--format',
            '{{index .Config.Labels "dev.devenv.gpus"}}',
            CONTAINER,
          ]),
        ).toBe(mine.map((i) => uuids[i]).join(','));
      },
    );

    it.sequential(
      'stop removes the container and ends the job: its GPUs are free at once; exec then says nothing runs',
      async () => {
        const stopped = await devenvOn(TEST_USER, dir, ['stop']);
        expect(stopped.code, stopped.stderr).toBe(0);
        expect(stopped.stderr).toContain(`ended Slurm job ${job} on nodeA: its GPUs are free`);
        expect(nodeContainer(nodeA, CONTAINER)).toBeNull();
        expect(liveJobsNamed(CONTAINER)).toEqual([]);
        // Others' jobs may take nodeA's GPUs at any time; none is this job's any more.
        const gpus = await devenvOn(TEST_USER, dir, ['gpus', '--json']);
        expect(gpus.code, gpus.stderr).toBe(0);
        const nodeAGpus = (JSON.parse(gpus.stdout) as { gpus: ClusterGpuJson[] }).gpus.filter(
          (g) => g.node === 'nodeA',
        );
        expect(nodeAGpus.filter((g) => g.job?.id === job)).toEqual([]);
        expect(nodeAGpus.filter((g) => g.job?.id === foreign).map((g) => g.index)).toEqual(
          gresIndices(foreign),
        );
        await until(`job ${job} to leave squeue`, () => jobsNamed(CONTAINER).length === 0, 20_000);

        const status = await devenvOn(TEST_USER, dir, ['status']);
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).toMatch(/^job: +none \(`devenv start` submits one\)$/m);
        expect(status.stdout).toMatch(new RegExp(`^container: ${CONTAINER} \\(absent\\)$`, 'm'));
        expectOneLineError(
          await devenvOn(TEST_USER, dir, ['exec', '--', 'true']),
          ExitCode.notFound,
          /env slurm-main has no Slurm job: nothing runs — start it with `devenv start`/,
        );
      },
    );

    it.sequential(
      "start after the job ended submits a new one; prune --yes removes the container and the env's images on nodeA and ends it",
      async () => {
        const started = await devenvOn(TEST_USER, dir, ['start', '--detach']);
        expect(started.code, started.stderr).toBe(0);
        const second = runningJob(started.stderr, 'nodeA');
        expect(second).not.toBe(job);
        // nodeA has the env's image already.
        expect(started.stderr).not.toMatch(/building image/);
        expect(nodeEnvImages(nodeA, NAME, TEST_USER)).not.toEqual([]);

        const pruned = await devenvOn(TEST_USER, dir, ['prune', '--yes']);
        expect(pruned.code, pruned.stderr).toBe(0);
        expect(pruned.stderr).toContain(`ended Slurm job ${second} on nodeA: its GPUs are free`);
        expect(nodeContainer(nodeA, CONTAINER)).toBeNull();
        expect(nodeEnvImages(nodeA, NAME, TEST_USER)).toEqual([]);
        expect(liveJobsNamed(CONTAINER)).toEqual([]);
      },
    );
  });

  describe('scancel from outside', () => {
    const NAME = 'slurm-cancel';
    const CONTAINER = containerOf(NAME, TEST_USER);
    let dir: string;
    beforeAll(() => {
      cancelJobsNamed([CONTAINER]);
      dir = makeEnvDir(
        NAME,
        TEST_USER,
        quickRc(NAME, { gpus: 1, slurm: { partition: SLURM_DEBUG_PARTITION } }),
      );
    });
    afterAll(() => removeSlurmEnv(dir, CONTAINER, TEST_USER));

    it('the job, ending, takes the container down on its node within seconds; status then says no job', async () => {
      const started = await devenvOn(TEST_USER, dir, ['start', '--detach']);
      expect(started.code, started.stderr).toBe(0);
      // Partition debug is nodeB alone: its GPUs, by UUID.
      const job = runningJob(started.stderr, 'nodeB');
      const [index] = gresIndices(job) as [number];
      expect(started.stderr).toContain(
        `Slurm job ${job} has GPUs ${index} on nodeB (${nodeGpuUuids(nodeB)[index]})`,
      );
      expect(nodeContainer(nodeB, CONTAINER)).not.toBeNull();

      const cancelledAt = Date.now();
      slurmAdmin('scancel', [job]);
      await until(`${CONTAINER} to leave nodeB`, () => nodeContainer(nodeB, CONTAINER) === null, 15_000);
      expect(Date.now() - cancelledAt).toBeLessThan(15_000);
      // The job's own batch script removed it (devenv was not running).
      await until(`job ${job}'s output to say so`, () =>
        jobOutput(TEST_USER, CONTAINER, job).includes(
          `devenv: job ${job} ended; container ${CONTAINER} removed`,
        ),
      );

      const status = await devenvOn(TEST_USER, dir, ['status']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^job: +none /m);
      const exec = await devenvOn(TEST_USER, dir, ['exec', '--', 'true']);
      expect(exec.code, exec.stderr).toBe(ExitCode.notFound);
    });
  });

  describe('the time limit', () => {
    const NAME = 'slurm-limit';
    const CONTAINER = containerOf(NAME, TEST_USER);
    let dir: string;
    const terms: TmuxSession[] = [];
    beforeAll(() => {
      cancelJobsNamed([CONTAINER]);
      dir = makeEnvDir(
        NAME,
        TEST_USER,
        quickRc(NAME, { gpus: 1, slurm: { partition: SLURM_DEBUG_PARTITION, time: '10' } }),
      );
    });
    afterAll(() => {
      for (const term of terms) term.kill();
      removeSlurmEnv(dir, CONTAINER, TEST_USER);
    });

    /** A terminal at a host shell as devtest in the env's folder, with the cluster's SLURM_CONF. */
    const terminal = async (name: string) => {
      const term = TmuxSession.hostShell(name, TEST_USER);
      terms.push(term);
      await term.waitFor(/HOST\$\s*$/m);
      term.type(`cd ${dir} && export SLURM_CONF=${SLURM_CONF}`);
      return term;
    };

    it('warns every shell of the env in its terminal some minutes before, then the container goes with the job', async () => {
      // `start` opens a shell in the env once its job runs; `shell` opens another.
      const started = await terminal('devenv-e2e-slurm-limit');
      started.type(`${process.execPath} ${BIN} start`);
      started.type('echo "inside as $(id -un)"');
      await started.waitFor(/^inside as devtest$/m, 120_000);
      const second = await terminal('devenv-e2e-slurm-limit-2');
      second.type(`${process.execPath} ${BIN} shell`);
      second.type('echo "also inside as $(id -un)"');
      await second.waitFor(/^also inside as devtest$/m, 60_000);
      const [job] = liveJobsNamed(CONTAINER);
      expect(job?.node).toBe('nodeB');
      const status = await devenvOn(TEST_USER, dir, ['status']);
      expect(status.stdout).toMatch(
        new RegExp(`^job: +${job?.id} on nodeB, running, \\d+m(?: \\d+s)? left \\(limit 10:00\\)$`, 'm'),
      );

      // Slurm signals the job --signal's 300 s before its limit, and ends it at the limit; it
      // looks at limits every 30 s. A 1-minute "time" would signal at once, maybe before a shell
      // is attached: the cluster's admin shortens the running job's limit instead, as they may,
      // to the first whole minute at least 40 s away, so one look signals before the end.
      const ranFor = slurmSeconds(jobFields(job?.id as string).get('RunTime') ?? '');
      const minutes = Math.ceil((ranFor + 40) / 60);
      slurmAdmin('scontrol', ['update', `JobId=${job?.id}`, `TimeLimit=${minutes}`]);
      const warning =
        /devenv: the Slurm job of env slurm-limit ends in about 5 minutes; save your work \(then `devenv start` again for a new job\)/;
      await started.waitFor(warning, 45_000);
      await second.waitFor(warning, 5_000);
      expect(nodeContainer(nodeB, CONTAINER)).not.toBeNull();
      // Warned, the job need not wait out its minutes here: a 1-minute limit (past, or at most
      // a minute away) ends it at Slurm's next look after it.
      slurmAdmin('scontrol', ['update', `JobId=${job?.id}`, 'TimeLimit=1']);
      await until(
        `${CONTAINER} to leave nodeB`,
        () => nodeContainer(nodeB, CONTAINER) === null,
        100_000,
        1000,
      );
      const output = jobOutput(TEST_USER, CONTAINER, job?.id as string);
      expect(output).toMatch(/DUE TO TIME LIMIT/);
      expect(output).toContain(`container ${CONTAINER} removed`);
      // The shells in it ended: the terminals are the host's again.
      for (const term of [started, second]) await term.waitFor(/HOST\$\s*$/, 30_000);
    });
  });

  describe('a job whose container stopped', () => {
    const NAME = 'slurm-idle';
    const CONTAINER = containerOf(NAME, TEST_USER);
    let dir: string;
    beforeAll(() => {
      cancelJobsNamed([CONTAINER]);
      dir = makeEnvDir(NAME, TEST_USER, quickRc(NAME, { slurm: { partition: SLURM_DEBUG_PARTITION } }));
    });
    afterAll(() => removeSlurmEnv(dir, CONTAINER, TEST_USER));

    it('ends itself a minute after, even when it stopped at once, so it holds nothing for nobody', async () => {
      const started = await devenvOn(TEST_USER, dir, ['start', '--detach']);
      expect(started.code, started.stderr).toBe(0);
      const job = runningJob(started.stderr, 'nodeB');
      // Stopped without devenv, before the job's watch (every 5 s) may have seen it run: a crash
      // at once, or `docker stop` on the node.
      slurmNodeDocker(nodeB, ['stop', '-t', '1', CONTAINER]);
      const stoppedAt = Date.now();
      await until(`job ${job} to end`, () => liveJobsNamed(CONTAINER).length === 0, 90_000, 1000);
      expect(Date.now() - stoppedAt).toBeGreaterThan(50_000);
      expect(jobOutput(TEST_USER, CONTAINER, job)).toContain(
        `devenv: container ${CONTAINER} is not running; ending job ${job}`,
      );
      // Ending, the job removed the stopped container.
      expect(nodeContainer(nodeB, CONTAINER)).toBeNull();
    });
  });
});
