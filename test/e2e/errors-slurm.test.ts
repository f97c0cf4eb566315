import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { expectOneLineError, snapshot } from './errors-kit.js';
import {
  BIN,
  E2E_ROOT,
  makeEnvDir,
  NODOCKER_USER,
  OTHER_USER,
  quickRc,
  REPO_ROOT,
  SLURM_CONF,
  SLURM_DEBUG_PARTITION,
  SLURM_NODES,
  type SlurmNode,
  slurmAdmin,
  spawnDevenv,
  TEST_USER,
  type TestUser,
  writeRc,
} from './harness.js';
import {
  cancelJobsNamed,
  containerOf,
  devenvOn,
  foreignJob,
  jobsNamed,
  liveJobsNamed,
  nodeContainer,
  nodeEnvImages,
  removeSlurmEnv,
  until,
} from './slurm-kit.js';
import { TmuxSession } from './tmux.js';

/**
 * Issue 19: what devenv says when Slurm or a node is in the way, on the Slurm test cluster of
 * `.ci/slurm-cluster.sh` (nodeA: 8 GPUs; nodeB: 4, alone in partition debug). Each case is one
 * line on stderr (with -q where a start gets past a progress line) with its documented exit code,
 * and leaves no job and nothing on the nodes. The groups run at once, on envs of their own; the
 * node whose engine is stopped comes last, alone.
 */
const { nodeA, nodeB } = SLURM_NODES;

/** Every env this file made, for the clean-up: its folder, container name and user. */
const made: Array<{ dir: string; container: string; user: TestUser }> = [];
function envDir(name: string, rc: Record<string, unknown>, user: TestUser = TEST_USER): string {
  const container = containerOf(name, user);
  cancelJobsNamed([container]);
  const dir = makeEnvDir(name, user, quickRc(name, rc));
  made.push({ dir, container, user });
  return dir;
}

/** Nothing of env `name` anywhere: no job, no container or image on either node, no folder made. */
function expectNothingLeft(name: string, dir: string, before: ReturnType<typeof snapshot>, user = TEST_USER) {
  const container = containerOf(name, user);
  expect(liveJobsNamed(container)).toEqual([]);
  for (const node of Object.values(SLURM_NODES)) {
    expect(nodeContainer(node, container)).toBeNull();
    expect(nodeEnvImages(node, name, user)).toEqual([]);
  }
  expect(snapshot(dir)).toEqual(before);
}

afterAll(() => {
  for (const { dir, container, user } of made) removeSlurmEnv(dir, container, user);
});

describe.concurrent('Slurm: what devenv says when the cluster is in the way (issue 19)', () => {
  describe('refused before a job runs', () => {
    it('L01 no Slurm commands on PATH (not on a login node)', async () => {
      const dir = envDir('slurm-nopath', { slurm: {} });
      const before = snapshot(dir);
      for (const verb of [['start', '--detach'], ['status']]) {
        const result = await devenvOn(TEST_USER, dir, verb, { PATH: '/usr/local/bin:/nowhere' });
        expectOneLineError(
          result,
          ExitCode.host,
          /this env has a "slurm" key, but Slurm's squeue is not on PATH — run devenv on a login node of the cluster/,
        );
      }
      expectNothingLeft('slurm-nopath', dir, before);
    });

    it('L02 a partition Slurm does not know', async () => {
      const dir = envDir('slurm-nopart', { gpus: 1, slurm: { partition: 'nope' } });
      const before = snapshot(dir);
      expectOneLineError(
        await devenvOn(TEST_USER, dir, ['start', '--detach']),
        ExitCode.config,
        /Slurm knows no partition nope: invalid partition specified: nope — fix "slurm"\.partition in \S*\.devenvrc/,
      );
      expectNothingLeft('slurm-nopart', dir, before);
    });

    it('L03 more GPUs than any node has ("gpus": 9; nodeA has 8): refused at submit, no job left', async () => {
      const dir = envDir('slurm-nine', { gpus: 9, slurm: {} });
      const before = snapshot(dir);
      expectOneLineError(
        await devenvOn(TEST_USER, dir, ['start', '--detach']),
        ExitCode.gpu,
        /no node can ever run this env's job: Slurm refused it \(Requested node configuration is not available\) — ask for fewer GPUs/,
      );
      expectNothingLeft('slurm-nine', dir, before);
    });

    it('L04 more GPUs than the nodes of its partition have ("gpus": 5 in debug, whose nodeB has 4)', async () => {
      const dir = envDir('slurm-five', { gpus: 5, slurm: { partition: SLURM_DEBUG_PARTITION } });
      const before = snapshot(dir);
      expectOneLineError(
        await devenvOn(TEST_USER, dir, ['start', '--detach']),
        ExitCode.gpu,
        /no node of partition debug can ever run this env's job: Slurm refused it/,
      );
      expectNothingLeft('slurm-five', dir, before);
    });

    it('L05 a constraint no node has', async () => {
      const dir = envDir('slurm-feature', { slurm: { constraint: 'h200' } });
      const before = snapshot(dir);
      expectOneLineError(
        await devenvOn(TEST_USER, dir, ['start', '--detach']),
        ExitCode.config,
        /Slurm knows no node feature in constraint h200: Invalid feature specification — fix "slurm"\.constraint/,
      );
      expectNothingLeft('slurm-feature', dir, before);
    });

    it('L06 an sbatch option sbatch does not know, in "sbatchArgs"', async () => {
      const dir = envDir('slurm-badarg', { slurm: { sbatchArgs: ['--gpu-please'] } });
      const before = snapshot(dir);
      expectOneLineError(
        await devenvOn(TEST_USER, dir, ['start', '--detach']),
        ExitCode.config,
        /sbatch refused an option: .*--gpu-please.* — fix "slurm"\.sbatchArgs/,
      );
      expectNothingLeft('slurm-badarg', dir, before);
    });

    it('L07 "gpus": "all" (particular GPUs cannot be asked of a scheduler)', async () => {
      const dir = envDir('slurm-allgpus', { gpus: 'all', slurm: {} });
      const before = snapshot(dir);
      expectOneLineError(
        await devenvOn(TEST_USER, dir, ['start', '--detach']),
        ExitCode.config,
        /"gpus": "all" cannot be asked of Slurm, which chooses the GPUs of a job — set "gpus" to a number/,
      );
      expectNothingLeft('slurm-allgpus', dir, before);
    });
    it('L12 the Slurm controller does not answer (SLURM_CONF names a port nothing listens on)', async () => {
      const dir = envDir('slurm-noctl', { slurm: {} });
      const before = snapshot(dir);
      const conf = path.join(mkdtempSync(path.join(E2E_ROOT, 'slurm-noctl-conf-')), 'slurm.conf');
      writeFileSync(
        conf,
        readFileSync(SLURM_CONF, 'utf8').replace(/^SlurmctldPort=.*$/m, 'SlurmctldPort=17899'),
        { mode: 0o644 },
      );
      chmodSync(path.dirname(conf), 0o755);
      expectOneLineError(
        await devenvOn(TEST_USER, dir, ['start', '--detach'], { SLURM_CONF: conf }),
        ExitCode.scheduler,
        /squeue failed: .*Unable to contact slurm controller.* — check `scontrol ping` and SLURM_CONF/,
      );
      expectNothingLeft('slurm-noctl', dir, before);
    });
  });

  // One after the other: the first job waiting for nodeB waits on Resources, a second on Priority.
  describe.sequential("in the queue: another user's job holds all of nodeB's GPUs", () => {
    const FOREIGN = 'slurm-e2e-foreign-b';
    beforeAll(async () => {
      cancelJobsNamed([FOREIGN]);
      await foreignJob(OTHER_USER, FOREIGN, `-p ${SLURM_DEBUG_PARTITION} --gres=gpu:${nodeB.gpus}`);
    });
    afterAll(() => cancelJobsNamed([FOREIGN]));

    it('Ctrl-C in a terminal while the job is queued cancels it: exit 130, no job, nothing made', async () => {
      const name = 'slurm-ctrlc';
      const dir = envDir(name, { gpus: 2, slurm: { partition: SLURM_DEBUG_PARTITION } });
      const before = snapshot(dir);
      const term = TmuxSession.hostShell('devenv-e2e-slurm-ctrlc', TEST_USER);
      try {
        await term.waitFor(/HOST\$\s*$/m);
        term.type(
          `cd ${dir} && export SLURM_CONF=${SLURM_CONF} && ${process.execPath} ${BIN} start --detach`,
        );
        // One progress line with the job and Slurm's reason.
        const [, job] = (await term.waitFor(/queued: job (\d+), Resources/, 60_000)) as [string, string];
        expect(jobsNamed(containerOf(name, TEST_USER))).toMatchObject([{ id: job, state: 'PENDING' }]);
        term.keys('C-c');
        await term.waitFor(/HOST\$\s*$/, 30_000);
        term.type('echo "start-exit=$?"');
        await term.waitFor(/^start-exit=130$/m, 10_000);
        expect(term.screen()).toMatch(new RegExp(`cancelled job ${job}`));
        expect(jobsNamed(containerOf(name, TEST_USER))).toEqual([]);
        expectNothingLeft(name, dir, before);
      } finally {
        term.kill();
      }
    });

    it('L08 the job is cancelled while it is queued (scancel from outside)', async () => {
      const name = 'slurm-gone';
      const container = containerOf(name, TEST_USER);
      const dir = envDir(name, { gpus: 2, slurm: { partition: SLURM_DEBUG_PARTITION } });
      const before = snapshot(dir);
      const run = spawnDevenv(TEST_USER, dir, ['start', '--detach', '-q'], { SLURM_CONF });
      const job = await until(`a queued job named ${container}`, () =>
        jobsNamed(container).find((j) => j.state === 'PENDING'),
      );
      slurmAdmin('scancel', [job.id]);
      const { code, signal } = await run.done;
      expectOneLineError(
        { code, signal, stdout: run.stdout(), stderr: run.stderr() },
        ExitCode.scheduler,
        new RegExp(
          // Slurm may still give the reason it was waiting for, "cancelled (Resources)", or none.
          `Slurm job ${job.id} ended before it ran: (cancelled( \\(\\w+\\))?|gone) — see \`scontrol show job ${job.id}\``,
        ),
      );
      expectNothingLeft(name, dir, before);
    });
  });

  describe('on the node', () => {
    let tmpfs: string | undefined;
    afterAll(() => {
      if (tmpfs) spawnSync('umount', ['-l', tmpfs]);
    });

    it("L09 the env's folder is not on a filesystem the node sees: the new job is ended", async () => {
      const name = 'slurm-unshared';
      const container = containerOf(name, TEST_USER);
      cancelJobsNamed([container]);
      // A tmpfs mounted here now: the nodes' mount namespaces were made before it and never see
      // it (their copy of this folder stays empty), as a compute node misses a login node's /scratch.
      tmpfs = mkdtempSync(path.join(E2E_ROOT, `${name}-`));
      const mounted = spawnSync('mount', [
        '-t',
        'tmpfs',
        '-o',
        'size=4m,mode=0755',
        'devenv-e2e-unshared',
        tmpfs,
      ]);
      expect(mounted.status, String(mounted.stderr)).toBe(0);
      chownSync(tmpfs, TEST_USER.uid, TEST_USER.gid);
      writeRc(tmpfs, TEST_USER, quickRc(name, { slurm: { sbatchArgs: ['--nodelist=nodeA'] } }));
      made.push({ dir: tmpfs, container, user: TEST_USER });
      const before = snapshot(tmpfs);
      const line = expectOneLineError(
        await devenvOn(TEST_USER, tmpfs, ['start', '--detach', '-q']),
        ExitCode.host,
        new RegExp(
          `the env's folder ${tmpfs} is not visible on nodeA \\(job \\d+, now ended\\): the container's folders would be missing there — keep the env in a folder the login and compute nodes share`,
        ),
      );
      expect(line).toMatch(/job \d+, now ended/);
      expectNothingLeft(name, tmpfs, before);
    });

    it('L10 the user may not use the engine on the node (not in its docker group)', async () => {
      const name = 'slurm-nodocker';
      const dir = envDir(name, { slurm: { sbatchArgs: ['--nodelist=nodeA'] } }, NODOCKER_USER);
      const before = snapshot(dir);
      expectOneLineError(
        await devenvOn(NODOCKER_USER, dir, ['start', '--detach', '-q']),
        ExitCode.engine,
        /you may not use the Docker engine on nodeA \(job \d+\) \(not in the docker group there\) — ask the cluster admins/,
      );
      expectNothingLeft(name, dir, before, NODOCKER_USER);
    });
  });
});

/** The pid of a node's own dockerd, from the pid file `.ci/slurm-cluster.sh` has it write. */
function nodeDockerdPid(node: SlurmNode): number | null {
  const file = `/srv/devenv-slurm/nodes/${node.name}/run/docker.pid`;
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return pid > 0 && existsSync(`/proc/${pid}`) ? pid : null;
}

const engineAnswers = (node: SlurmNode) =>
  spawnSync('docker', ['info'], { stdio: 'ignore', env: { ...process.env, DOCKER_HOST: node.socket } })
    .status === 0;

describe("Slurm: a node whose engine does not answer (nodeB's, stopped for this case alone)", () => {
  afterAll(() => {
    // `up` starts what of the cluster is not running (the node's dockerd, in its namespace) and
    // checks every node as devtest sees it from a job.
    if (!engineAnswers(nodeB) || nodeDockerdPid(nodeB) === null) {
      const up = spawnSync('bash', [path.join(REPO_ROOT, '.ci/slurm-cluster.sh'), 'up'], {
        encoding: 'utf8',
      });
      if (up.status !== 0) throw new Error(`.ci/slurm-cluster.sh up failed:\n${up.stderr}`);
    }
    expect(engineAnswers(nodeB)).toBe(true);
  });

  it("L11 the job's node has no engine answering: the job is ended", async () => {
    const name = 'slurm-noengine';
    const dir = envDir(name, { gpus: 1, slurm: { partition: SLURM_DEBUG_PARTITION } });
    const before = snapshot(dir);
    const pid = nodeDockerdPid(nodeB);
    expect(pid).not.toBeNull();
    process.kill(pid as number, 'SIGTERM');
    await until("nodeB's dockerd to stop", () => !existsSync(`/proc/${pid}`), 30_000);
    expectOneLineError(
      await devenvOn(TEST_USER, dir, ['start', '--detach', '-q']),
      ExitCode.engine,
      /no Docker engine answers on nodeB \(job \d+\): .*\/var\/run\/docker\.sock.* — ask the cluster admins whether Docker runs on that node/,
    );
    expect(liveJobsNamed(containerOf(name, TEST_USER))).toEqual([]);
    expect(snapshot(dir)).toEqual(before);
    // nodeA is not nodeB.
    expect(nodeContainer(nodeA, containerOf(name, TEST_USER))).toBeNull();
  });
});
