import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Env, envOn } from '../../../src/app/env.js';
import type { Site } from '../../../src/app/site.js';
import type { SiteJob } from '../../../src/app/site-job.js';
import { openSlurmSite } from '../../../src/app/slurm-site.js';
import { DevenvError, ExitCode } from '../../../src/core/errors.js';
import { dockerSafe } from '../../../src/core/identity.js';
import { NO_CACHES } from '../../../src/host/caches.js';
import { stateDir } from '../../../src/host/fs-ops.js';
import { currentHostUser } from '../../../src/host/user.js';
import { checkedConfig, ENV_ROOT } from '../../fakes/env-context.js';
import { exited } from '../../fakes/host.js';
import { type FakeIo, fakeIo } from '../../fakes/io.js';
import { machineGpus, nvidiaSmi } from '../../fakes/nvidia-smi.js';
import { FakeSlurm } from '../../fakes/slurm.js';
import { RecordingUi } from '../../fakes/ui.js';

/** The Slurm site runs as whoever runs devenv: the job's user and name are this process's. */
const USER = currentHostUser({}).name;
const JOB_NAME = `devenv-proj-${dockerSafe(USER)}`;
const CONFIG = { name: 'proj', gpus: 2, slurm: { partition: 'gpu', time: '1:00:00' } };
const GPUS = machineGpus();

let io: FakeIo;
let ui: RecordingUi;

beforeEach(() => {
  io = fakeIo();
  ui = new RecordingUi();
});
afterEach(() => {
  io.controller.abort();
  vi.useRealTimers();
  io.cleanup();
});

/** Two nodes that see the env's folder on the home they share with the login node, unless `shared` is false. */
function cluster(options: { shared?: boolean } = {}): FakeSlurm {
  const slurm = new FakeSlurm([
    { name: 'nodeA', gpus: 8 },
    { name: 'nodeB', gpus: 2 },
  ]);
  slurm.user = USER;
  if (options.shared ?? true)
    for (const node of slurm.computeNodes) node.host.putFile(`${ENV_ROOT}/.devenvrc`, JSON.stringify(CONFIG));
  return slurm;
}

function open(
  slurm: FakeSlurm,
  config: Record<string, unknown> = CONFIG,
): { site: Site; job: SiteJob; env: Env } {
  const checked = checkedConfig(config);
  const site = openSlurmSite(io, ui, checked, NO_CACHES, slurm);
  return { site, job: site.job as SiteJob, env: envOn(site.host, checked) };
}

/** A running job of the env, as an earlier `devenv start` left it. */
function runningJob(
  slurm: FakeSlurm,
  node = 'nodeA',
  more: Parameters<FakeSlurm['addJob']>[0] | object = {},
) {
  return slurm.addJob({
    name: JOB_NAME,
    state: 'RUNNING',
    reason: null,
    node,
    secondsLeft: 3000,
    cpus: 4,
    gpuIndices: [2, 5],
    ...more,
  });
}

/**
 * Waits for `work` with the clock faked, running the queue's polls as they fall due; `during`
 * runs once some time has passed (Ctrl-C, say). Resolves to its error or null.
 */
async function withFakeClock(work: () => Promise<unknown>, during?: () => void): Promise<unknown> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  let settled = false;
  const outcome = work().then(
    () => null,
    (error: unknown) => error,
  );
  void outcome.finally(() => {
    settled = true;
  });
  for (let step = 0; !settled && step < 600; step++) {
    // A real turn of the event loop for what is not a timer (the script file's writing).
    await new Promise((resolve) => setImmediate(resolve));
    await vi.advanceTimersByTimeAsync(250);
    if (step === 20) during?.();
  }
  expect(settled, 'it settled').toBe(true);
  return outcome;
}

async function failure(work: Promise<unknown>): Promise<DevenvError> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DevenvError);
  return error as DevenvError;
}

describe('the Slurm site before its job is known', () => {
  it('is "the Slurm cluster", with no node and no engine address yet', () => {
    const { site } = open(cluster());
    expect(site.name).toBe('the Slurm cluster');
    expect(site.host.name).toBe('the Slurm cluster');
    expect(site.endpoint.url).toBe('slurm://');
    expect(site.endpoint.slurmJob).toBeUndefined();
    expect(site.endpoint.remote).toBe(true);
  });

  it('becomes the node of the job once the job is found', async () => {
    const slurm = cluster();
    const id = runningJob(slurm, 'nodeB');
    const { site, job } = open(slurm);

    expect((await job.current())?.id).toBe(id);

    expect(site.name).toBe(`nodeB (job ${id})`);
    expect(site.host.name).toBe(`nodeB (job ${id})`);
    expect(site.endpoint).toMatchObject({ url: `slurm://nodeB/job/${id}`, slurmJob: { id, node: 'nodeB' } });
  });

  it('stays the cluster while the job waits', async () => {
    const slurm = cluster();
    slurm.addJob({ name: JOB_NAME, state: 'PENDING', reason: 'Resources' });
    const { site, job } = open(slurm);

    expect((await job.current())?.state).toBe('PENDING');
    expect(site.name).toBe('the Slurm cluster');
    expect(site.endpoint.slurmJob).toBeUndefined();
  });

  it("asks squeue once per command for the user's job of the env's name, and ignores others and ended ones", async () => {
    const slurm = cluster();
    slurm.addJob({ name: JOB_NAME, state: 'CANCELLED', node: 'nodeA' });
    slurm.addJob({ name: JOB_NAME, user: 'bob', state: 'RUNNING', node: 'nodeA' });
    slurm.addJob({ name: 'devenv-other-me', state: 'RUNNING', node: 'nodeA' });
    const { job } = open(slurm);

    expect(await job.current()).toBeNull();
    expect(await job.current()).toBeNull();
    expect(slurm.commands).toEqual([`squeue --name=${JOB_NAME} --user=${USER}`]);
  });
});

describe('SiteJob.ensure (devenv start)', () => {
  it('submits the env job when it has none, says why it waits, and returns once it runs', async () => {
    const slurm = cluster();
    slurm.queue = [
      { state: 'PENDING', reason: 'Priority' },
      { state: 'PENDING', reason: 'Priority' },
      { state: 'PENDING', reason: 'Resources' },
      { state: 'RUNNING', reason: null, node: 'nodeB', secondsLeft: 3600, cpus: 2 },
    ];
    const { site, job, env } = open(slurm);

    let result: Awaited<ReturnType<SiteJob['ensure']>> | undefined;
    const error = await withFakeClock(async () => {
      result = await job.ensure(env, { ui, signal: io.signal });
    });

    expect(error).toBeNull();
    expect(result?.submitted).toBe(true);
    expect(result?.job).toMatchObject({ id: '4242', state: 'RUNNING', node: 'nodeB', name: JOB_NAME });
    expect(ui.events).toEqual([
      { kind: 'progress', text: 'queued: job 4242, Priority' },
      { kind: 'update', text: 'queued: job 4242, Resources', step: 'queued: job 4242, Priority' },
      { kind: 'succeed', text: 'job 4242 runs on nodeB', step: 'queued: job 4242, Priority' },
    ]);
    expect(site.name).toBe('nodeB (job 4242)');
    expect(slurm.commands).toEqual([
      `squeue --name=${JOB_NAME} --user=${USER}`,
      'sbatch',
      ...Array(4).fill('squeue --jobs=4242'),
      // A new job's node must see the env's folder.
      'srun --jobid=4242 test',
    ]);
    expect(slurm.steps).toEqual([{ id: '4242', argv: ['test', '-e', `${ENV_ROOT}/.devenvrc`] }]);
  });

  it('says where a new job runs when it runs at once, with no queued line before', async () => {
    const slurm = cluster();
    const { job, env } = open(slurm);

    expect(await withFakeClock(() => job.ensure(env, { ui, signal: io.signal }))).toBeNull();

    expect(ui.events).toEqual([{ kind: 'info', text: 'job 4242 runs on nodeA' }]);
  });

  it("ends a new job whose node does not see the env's folder (exit 11)", async () => {
    const slurm = cluster({ shared: false });
    const { job, env } = open(slurm);

    const error = (await withFakeClock(() => job.ensure(env, { ui, signal: io.signal }))) as DevenvError;

    expect(error).toBeInstanceOf(DevenvError);
    expect(error.message).toBe(
      `the env's folder ${ENV_ROOT} is not visible on nodeA (job 4242, now ended): the container's folders would be missing there`,
    );
    expect(error.exitCode).toBe(ExitCode.host);
    expect(slurm.cancelled).toEqual(['4242']);
  });

  it("submits with the key's settings and the env's GPUs, its script and output kept on the shared home", async () => {
    const slurm = cluster();
    const { job, env } = open(slurm);

    expect(await withFakeClock(() => job.ensure(env, { ui, signal: io.signal }))).toBeNull();

    const dir = path.join(stateDir(io.env), 'slurm');
    const [submission] = slurm.submissions;
    expect(submission?.argv).toEqual([
      'sbatch',
      '--parsable',
      `--job-name=${JOB_NAME}`,
      `--output=${dir}/${JOB_NAME}-%j.out`,
      '--chdir=/home/me/proj',
      '--nodes=1',
      '--ntasks=1',
      '--gres=gpu:2',
      '--partition=gpu',
      '--time=1:00:00',
      '--signal=B:USR1@300',
    ]);
    expect(existsSync(path.join(dir, `${JOB_NAME}.sh`))).toBe(true);
    expect(submission?.script).toContain(`container='${JOB_NAME}'`);
    expect(submission?.script).toMatch(/^#!\/bin\/sh\n/);
  });

  it('finds the running job of an earlier start: no sbatch, and no squeue beyond the one that found it', async () => {
    const slurm = cluster();
    const id = runningJob(slurm);
    const { job, env, site } = open(slurm);

    const result = await job.ensure(env, { ui, signal: io.signal });

    expect(result).toMatchObject({ submitted: false, job: { id, state: 'RUNNING', node: 'nodeA' } });
    expect(slurm.submissions).toEqual([]);
    expect(slurm.commands).toEqual([`squeue --name=${JOB_NAME} --user=${USER}`]);
    expect(ui.events).toEqual([]);
    expect(site.name).toBe(`nodeA (job ${id})`);
  });

  it('waits for the queued job of an earlier start instead of submitting another', async () => {
    const slurm = cluster();
    const id = slurm.addJob({ name: JOB_NAME, state: 'PENDING', reason: 'Resources' }, [
      { state: 'PENDING', reason: 'Resources' },
      { state: 'RUNNING', reason: null, node: 'nodeA' },
    ]);
    const { job, env } = open(slurm);

    let submitted: boolean | undefined;
    await withFakeClock(async () => {
      submitted = (await job.ensure(env, { ui, signal: io.signal })).submitted;
    });

    expect(submitted).toBe(false);
    expect(slurm.submissions).toEqual([]);
    expect(ui.said('progress')).toEqual([`queued: job ${id}, Resources`]);
    expect(ui.said('succeed')).toEqual([`job ${id} runs on nodeA`]);
  });

  it.each([
    [
      'cancelled from outside',
      { state: 'CANCELLED', reason: null },
      'Slurm job 4242 ended before it ran: cancelled',
    ],
    [
      'failed at its start',
      { state: 'FAILED', reason: 'NonZeroExitCode' },
      'Slurm job 4242 ended before it ran: failed (NonZeroExitCode)',
    ],
  ])('fails with exit 13 when the job ends while queued (%s)', async (_, end, message) => {
    const slurm = cluster();
    slurm.queue = [{ state: 'PENDING', reason: 'Resources' }, end];
    const { job, env } = open(slurm);

    const error = (await withFakeClock(() => job.ensure(env, { ui, signal: io.signal }))) as DevenvError;

    expect(error).toBeInstanceOf(DevenvError);
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(ExitCode.scheduler);
    expect(error.hint).toContain('scontrol show job 4242');
    expect(ui.failedSteps).toEqual(['queued: job 4242, Resources']);
    expect(slurm.cancelled).toEqual([]);
  });

  it('fails with exit 13 when Slurm has forgotten the job', async () => {
    const slurm = cluster();
    slurm.queue = [{ state: 'PENDING', reason: 'Resources' }];
    const { job, env } = open(slurm);

    const error = (await withFakeClock(
      () => job.ensure(env, { ui, signal: io.signal }),
      () => slurm.forget('4242'),
    )) as DevenvError;

    expect(error.message).toBe('Slurm job 4242 ended before it ran: gone');
    expect(error.exitCode).toBe(ExitCode.scheduler);
  });

  it('cancels the queued job at Ctrl-C, and rethrows the abort', async () => {
    const slurm = cluster();
    slurm.queue = [{ state: 'PENDING', reason: 'Resources' }];
    const { job, env } = open(slurm);

    const error = await withFakeClock(
      () => job.ensure(env, { ui, signal: io.signal }),
      () => io.controller.abort(),
    );

    expect(error).toBe(io.signal.reason);
    expect(slurm.cancelled).toEqual(['4242']);
    expect(slurm.peek('4242')?.state).toBe('CANCELLED');
    expect(ui.events.at(-1)).toEqual({
      kind: 'fail',
      text: 'cancelled job 4242',
      step: 'queued: job 4242, Resources',
    });
  });

  it("says sbatch's refusal as one line with its exit code, and leaves no job", async () => {
    const slurm = cluster();
    slurm.refusal =
      'sbatch: error: Batch job submission failed: Requested node configuration is not available\n';
    const { job, env } = open(slurm, { ...CONFIG, gpus: 16 });

    const error = await failure(job.ensure(env, { ui, signal: io.signal }));

    expect(error.message).toBe(
      "no node of partition gpu can ever run this env's job: Slurm refused it (Requested node configuration is not available)",
    );
    expect(error.exitCode).toBe(ExitCode.gpu);
    expect(error.hint).toContain('/home/me/proj/.devenvrc');
    expect(slurm.commands).toEqual([`squeue --name=${JOB_NAME} --user=${USER}`, 'sbatch']);
  });

  it('refuses "gpus": "all" before asking sbatch (exit 3)', async () => {
    const slurm = cluster();
    const { job, env } = open(slurm, { ...CONFIG, gpus: 'all' });

    const error = await failure(job.ensure(env, { ui, signal: io.signal }));

    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.message).toMatch(/cannot be asked of Slurm/);
    expect(slurm.commands).not.toContain('sbatch');
  });

  it('asks for no GPUs with "gpus": "none"', async () => {
    const slurm = cluster();
    const { job, env } = open(slurm, { ...CONFIG, gpus: 'none' });

    expect(await withFakeClock(() => job.ensure(env, { ui, signal: io.signal }))).toBeNull();

    expect(slurm.submissions[0]?.argv.some((a) => a.startsWith('--gres'))).toBe(false);
  });
});

describe('SiteJob.end (devenv stop, prune)', () => {
  it('cancels the live job and says which it was; then there is none', async () => {
    const slurm = cluster();
    const id = runningJob(slurm);
    const { job } = open(slurm);

    expect((await job.end())?.id).toBe(id);
    expect(slurm.cancelled).toEqual([id]);
    expect(await job.end()).toBeNull();
    expect(await job.current()).toBeNull();
    expect(slurm.cancelled).toEqual([id]);
  });

  it('cancels a job that still waits', async () => {
    const slurm = cluster();
    const id = slurm.addJob({ name: JOB_NAME, state: 'PENDING', reason: 'Priority' });
    const { job } = open(slurm);

    expect((await job.end())?.state).toBe('PENDING');
    expect(slurm.cancelled).toEqual([id]);
  });

  it('does nothing without a job', async () => {
    const slurm = cluster();
    const { job } = open(slurm);

    expect(await job.end()).toBeNull();
    expect(slurm.cancelled).toEqual([]);
  });
});

describe('SiteJob.limits', () => {
  it("gives the container the job's CPUs and the memory Slurm allocated it", async () => {
    const slurm = cluster();
    // --mem-per-cpu=3000M on 4 CPUs: squeue's %m says 3000M, the job has 12000M.
    runningJob(slurm, 'nodeA', { cpus: 4, memoryMiB: 3000, allocatedMiB: 12000 });
    const { job } = open(slurm);

    expect(await job.limits()).toEqual({ cpus: 4, memoryMiB: 12000 });
  });

  it('sets no memory limit where Slurm does not allocate memory (the job asked some all the same)', async () => {
    const slurm = cluster();
    runningJob(slurm, 'nodeA', { cpus: 1, memoryMiB: 16000, allocatedMiB: null });
    const { job } = open(slurm);

    expect(await job.limits()).toEqual({ cpus: 1, memoryMiB: null });
  });

  it('fails with exit 6 when the job does not run', async () => {
    const slurm = cluster();
    const id = slurm.addJob({ name: JOB_NAME, state: 'PENDING', reason: 'Resources' });
    const { job } = open(slurm);

    const error = await failure(job.limits());
    expect(error.message).toBe(`env proj's Slurm job ${id} is pending (Resources), not running yet`);
    expect(error.exitCode).toBe(ExitCode.notFound);
  });
});

describe('the engine and commands on the node', () => {
  it('has no engine without a running job (exit 6)', async () => {
    const { site } = open(cluster());

    const error = await failure(site.engine());

    expect(error.message).toBe('env proj has no Slurm job: nothing runs');
    expect(error.hint).toBe('start it with `devenv start`');
    expect(error.exitCode).toBe(ExitCode.notFound);
  });

  it('runs commands as steps of the job on its node', async () => {
    const slurm = cluster();
    const id = runningJob(slurm, 'nodeB');
    slurm.node('nodeB').host.script('uname', () => exited('Linux\n'));
    const { site } = open(slurm);

    expect(await site.host.run(['uname', '-s'])).toEqual(exited('Linux\n'));
    expect(slurm.steps).toEqual([{ id, argv: ['uname', '-s'] }]);
  });

  it('says a program the node lacks is missing, as of a local one: nvidia-smi there means no GPUs, not a driver problem', async () => {
    const slurm = cluster();
    runningJob(slurm, 'nodeB', { gpuIndices: [] });
    const { site } = open(slurm);

    expect(await site.host.run(['nvidia-smi', '-L'])).toEqual({ outcome: 'missing' });
    expect(await site.hostGpus()).toEqual({
      gpus: [],
      driverVersion: null,
      cudaVersion: null,
      problem: null,
    });
  });

  it('passes on what a program that ran said, failure or not', async () => {
    const slurm = cluster();
    runningJob(slurm, 'nodeB');
    slurm.node('nodeB').host.script('false', () => exited('', 2, 'false: No such file or directory\n'));
    const { site } = open(slurm);

    expect(await site.host.run(['false'])).toEqual(exited('', 2, 'false: No such file or directory\n'));
  });

  it('finds a command on the node with `command -v` in a step', async () => {
    const slurm = cluster();
    const id = runningJob(slurm, 'nodeB');
    const node = slurm.node('nodeB').host;
    node.script('sh', (argv) => (argv[4] === 'docker' ? exited('/usr/bin/docker\n') : exited('', 1)));
    const { site } = open(slurm);

    expect(await site.host.hasCommand('docker')).toBe(true);
    expect(await site.host.hasCommand('nvidia-smi')).toBe(false);
    expect(slurm.steps[0]).toEqual({ id, argv: ['sh', '-c', 'command -v "$1"', 'sh', 'docker'] });
  });

  it('probes no port and forwards no SSH agent there', async () => {
    const { site } = open(cluster());
    expect(
      await site.host.portHolder({
        hostIp: '127.0.0.1',
        hostPort: 8888,
        protocol: 'tcp',
        containerPort: 8888,
      }),
    ).toBeNull();
    expect(site.host.agentLink()).toHaveProperty(
      'problem',
      expect.stringMatching(/not forwarded into an env on a Slurm node/),
    );
  });

  it("reads the job's GPUs by UUID with nvidia-smi in the job, from its GRES indices", async () => {
    const slurm = cluster();
    const id = runningJob(slurm, 'nodeA', { gpuIndices: [2, 5] });
    slurm.node('nodeA').host.script('nvidia-smi', nvidiaSmi());
    const { site, env } = open(slurm);

    const allocation = await site.gpus.allocate(
      env,
      { kind: 'count', count: 2, minMemoryGiB: null },
      {
        waitMs: null,
        exclude: [],
      },
    );

    expect(allocation.uuids).toEqual([GPUS[2]?.uuid, GPUS[5]?.uuid]);
    expect(allocation.indexes).toEqual([2, 5]);
    expect(slurm.steps.every((s) => s.id === id && s.argv[0] === 'nvidia-smi')).toBe(true);
    // The limits read the same scontrol record: one per start.
    await site.job?.limits();
    expect(slurm.commands.filter((c) => c.startsWith('scontrol'))).toEqual([`scontrol show job ${id}`]);
  });
});
