import path from 'node:path';
import type { SlurmSettings } from '../core/config/schema.js';
import type { Engine } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import { leaseRequestOf } from '../core/gpu/lease.js';
import type { Host, HostRunResult } from '../core/host.js';
import type { Io } from '../core/io.js';
import type { Reporter } from '../core/ports.js';
import { isLive, jobMemoryMiB, type SlurmJob } from '../core/slurm/job.js';
import { batchScript, sbatchArgv, slurmGpuCount, submitFailure } from '../core/slurm/sbatch.js';
import type { EngineEndpoint } from '../docker/endpoint.js';
import type { Caches, CheckedConfig } from '../host/caches.js';
import { freeBytesByDf } from '../host/df.js';
import { stateDir } from '../host/fs-ops.js';
import { openLeaseStore } from '../host/lease-store.js';
import { localHost } from '../host/local-host.js';
import { openNodeGpuStore } from '../host/node-gpu-store.js';
import { type SlurmCommands, slurmCommands } from '../host/slurm.js';
import { type Env, envOn } from './env.js';
import { type Site, siteOf } from './site.js';
import type { ResourceLimits, SiteJob } from './site-job.js';
import { sleep } from './sleep.js';
import { slurmAllocator } from './slurm-allocator.js';

/** How often a queued job is asked about, and how long a job may hold a node with no container. */
const QUEUE_POLL_MS = 1000;
const IDLE_JOB_MINUTES = 60;

/**
 * The site of an env with a "slurm" key: the node of its job, reached through the job. The env's
 * folders are on the shared filesystem, as seen from this login node; commands (nvidia-smi) and
 * the engine's API run as steps of the job on its node. Slurm, not devenv, allocates its GPUs.
 */
export function openSlurmSite(
  io: Io,
  ui: Reporter,
  checked: CheckedConfig,
  caches: Caches,
  slurm: SlurmCommands = slurmCommands(io.env),
): Site {
  const settings = checked.loaded.config.slurm as SlurmSettings;
  const local = localHost(io.env);
  const self = envOn(local, checked);
  const jobName = self.identity.containerName;
  let found: Promise<SlurmJob | null> | undefined;
  const current = () => {
    found ??= slurm
      .jobsNamed(jobName, local.account.name)
      .then((jobs) => jobs.find((j) => j.state === 'RUNNING') ?? jobs.find(isLive) ?? null);
    return found;
  };
  const running = async (): Promise<SlurmJob & { node: string }> => {
    const job = await current();
    if (job?.state === 'RUNNING' && job.node) return job as SlurmJob & { node: string };
    throw new DevenvError(
      job
        ? `env ${self.loaded.config.name}'s Slurm job ${job.id} is ${job.state.toLowerCase()}${job.reason ? ` (${job.reason})` : ''}, not running yet`
        : `env ${self.loaded.config.name} has no Slurm job: nothing runs`,
      { hint: 'start it with `devenv start`', code: 'notFound' },
    );
  };
  const step = async (argv: string[], options?: { timeoutMs?: number }): Promise<HostRunResult> =>
    slurm.step((await running()).id, argv, options);
  // The job's scontrol record, asked once for its GPUs and its memory.
  let detail: { id: string; text: Promise<string> } | undefined;
  const jobDetail = async (): Promise<string> => {
    const { id } = await running();
    if (detail?.id !== id) detail = { id, text: slurm.jobDetail(id) };
    return detail.text;
  };

  let known: SlurmJob | null = null;
  const host = slurmHost(local, () => known, step);
  let engine: Promise<Engine> | undefined;
  const endpoint = (): EngineEndpoint => ({
    url: known?.node ? `slurm://${known.node}/job/${known.id}` : 'slurm://',
    source: '"slurm" in .devenvrc',
    remote: true,
    hostName: host.name,
    ssh: null,
    ...(known?.node ? { slurmJob: { id: known.id, node: known.node } } : {}),
    modemOptions: {},
  });
  const remembered = (job: SlurmJob | null) => {
    known = job;
    return job;
  };

  const job: SiteJob = {
    current: () => current().then(remembered),
    ensure: async (env, context) => {
      const live = remembered(await current());
      // Just asked: a start that finds its job running asks squeue once.
      if (live?.state === 'RUNNING' && live.node) return { job: live, submitted: false };
      let submitted = false;
      let id = live?.id;
      if (!live) {
        id = await submit(env, settings, slurm, io.env);
        submitted = true;
      }
      const started = await waitUntilRunning(slurm, id as string, context, submitted);
      found = Promise.resolve(started);
      remembered(started);
      if (submitted) await checkFoldersOnNode(env, started, slurm);
      return { job: started, submitted };
    },
    end: async () => {
      const live = await current();
      if (!live) return null;
      await slurm.cancel(live.id);
      found = Promise.resolve(null);
      return live;
    },
    limits: async (): Promise<ResourceLimits> => {
      const live = await running();
      // Not squeue's %m, which is per CPU for a job that asked memory per CPU.
      return { cpus: live.cpus > 0 ? live.cpus : null, memoryMiB: jobMemoryMiB(await jobDetail()) };
    },
  };

  const site = siteOf({
    host,
    endpoint: endpoint(),
    engine: () => {
      engine ??= running().then(async (live) => {
        remembered(live);
        // The first dial's step is set up while the engine's client loads.
        const { dialEarly } = await import('../docker/slurm-dial.js');
        dialEarly(live, io.env);
        const { connectEngine } = await import('../docker/engine.js');
        return caches.engine(await connectEngine(endpoint(), io.env));
      });
      return engine;
    },
    // Never read: Slurm is the authority over the GPUs of a cluster.
    leases: openLeaseStore(io.env, null),
    io,
    ui,
    gpus: slurmAllocator({
      running,
      hostGpus: () => site.hostGpus(),
      jobGpuDetail: jobDetail,
      nodeGpus: openNodeGpuStore(io.env),
    }),
  });
  // Which node (and so which engine) is known only once the job is found.
  return Object.defineProperties(site, {
    job: { value: job },
    name: { get: () => host.name },
    endpoint: { get: endpoint },
  });
}

/**
 * The login node's view of the shared filesystem, with commands run on the job's node. Ports
 * cannot be probed there from here, and the user's SSH agent is a socket on this node.
 */
function slurmHost(
  local: Host,
  job: () => SlurmJob | null,
  step: (argv: string[], options?: { timeoutMs?: number }) => Promise<HostRunResult>,
): Host {
  return {
    ...local,
    get name() {
      const known = job();
      return known?.node ? `${known.node} (job ${known.id})` : 'the Slurm cluster';
    },
    run: async (argv, options) => {
      const result = await step(argv, options);
      // slurmstepd could not exec it (ENOENT, exit 2): the node lacks the program, as "missing" says of a local one.
      const lacked = `execve(): ${argv[0]}: No such file or directory`;
      return result.outcome === 'exited' && result.code === 2 && result.stderr.includes(lacked)
        ? { outcome: 'missing' }
        : result;
    },
    // The engine's data root is on the node, which the login node may not see.
    freeBytes: (dir) => freeBytesByDf(step, dir),
    hasCommand: async (name) => {
      const result = await step(['sh', '-c', 'command -v "$1"', 'sh', name]);
      return result.outcome === 'exited' && result.code === 0;
    },
    portHolder: async () => null,
    agentLink: () => ({
      problem:
        'the SSH agent is not forwarded into an env on a Slurm node (its socket is on the login node); "sshAgent" is ignored there',
    }),
  };
}

/** sbatch of the env's job, with its batch script kept on the shared home (Slurm copies it at submit). */
async function submit(
  env: Env,
  settings: SlurmSettings,
  slurm: SlurmCommands,
  processEnv: NodeJS.ProcessEnv,
): Promise<string> {
  const { config, file } = env.loaded;
  const configFile = file ?? '.devenvrc';
  const gpus = slurmGpuCount(leaseRequestOf(config.gpus), configFile);
  const dir = path.join(stateDir(processEnv), 'slurm');
  const scriptFile = path.join(dir, `${env.identity.containerName}.sh`);
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    scriptFile,
    batchScript({
      container: env.identity.containerName,
      envName: config.name,
      idleMinutes: IDLE_JOB_MINUTES,
    }),
    { mode: 0o755 },
  );
  const argv = sbatchArgv({
    name: env.identity.containerName,
    gpus,
    settings,
    output: path.join(dir, `${env.identity.containerName}-%j.out`),
    workdir: env.hostRoot,
  });
  const result = await slurm.submit(argv, scriptFile);
  if (!result.ok) throw submitFailure(result.stderr, configFile, settings);
  return result.id;
}

/**
 * The env's folders must be on the filesystem the node shares with this login node: the
 * container's mounts are made there. Asked once per new job; a job on a node that does not see
 * them is ended at once.
 */
async function checkFoldersOnNode(env: Env, job: SlurmJob, slurm: SlurmCommands): Promise<void> {
  const marker = env.loaded.file ?? env.hostRoot;
  const result = await slurm.step(job.id, ['test', '-e', marker]);
  if (result.outcome === 'exited' && result.code === 0) return;
  await slurm.cancel(job.id).catch(() => undefined);
  throw new DevenvError(
    `the env's folder ${env.hostRoot} is not visible on ${job.node} (job ${job.id}, now ended): the container's folders would be missing there`,
    {
      hint: 'keep the env in a folder the login and compute nodes share (usually under your home), then `devenv start` again',
      code: 'host',
    },
  );
}

/**
 * Waits while the job is queued, saying Slurm's reason; Ctrl-C cancels it. A job just submitted
 * is said to run, and where, even when it ran at once.
 */
async function waitUntilRunning(
  slurm: SlurmCommands,
  id: string,
  context: { ui: Reporter; signal: AbortSignal },
  submitted: boolean,
): Promise<SlurmJob> {
  let progress: ReturnType<Reporter['progress']> | null = null;
  let said = '';
  try {
    for (;;) {
      const job = await slurm.job(id);
      if (job?.state === 'RUNNING' && job.node) {
        if (progress) progress.succeed(`job ${id} runs on ${job.node}`);
        else if (submitted) context.ui.info(`job ${id} runs on ${job.node}`);
        return job;
      }
      if (!job || !isLive(job)) {
        const how = job ? `${job.state.toLowerCase()}${job.reason ? ` (${job.reason})` : ''}` : 'gone';
        throw new DevenvError(`Slurm job ${id} ended before it ran: ${how}`, {
          hint: `see \`scontrol show job ${id}\` while Slurm remembers it, then \`devenv start\` again`,
          code: 'scheduler',
        });
      }
      const line = `queued: job ${id}${job.reason ? `, ${job.reason}` : ''}`;
      if (line !== said) {
        if (progress) progress.update(line);
        else progress = context.ui.progress(line);
        said = line;
      }
      await sleep(QUEUE_POLL_MS, context.signal);
    }
  } catch (error) {
    if (context.signal.aborted) {
      // Ctrl-C in the queue: the job must not start later and hold GPUs for nobody.
      await slurm.cancel(id).catch(() => undefined);
      progress?.fail(`cancelled job ${id}`);
    } else progress?.fail();
    throw error;
  }
}
