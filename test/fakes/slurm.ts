import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { HostRunResult } from '../../src/core/host.js';
import { isLive, parseSlurmTime, type SlurmJob } from '../../src/core/slurm/job.js';
import type { SlurmCommands } from '../../src/host/slurm.js';
import { exited, FakeHost, type RunScript } from './host.js';
import { nvidiaSmi, SERVER } from './nvidia-smi.js';

/** A compute node of the fake cluster: its GPUs as Slurm counts them, and the machine its job steps run on. */
export interface FakeNode {
  name: string;
  gpus: number;
  partitions: string[];
  /** What runs there (nvidia-smi, docker…): a job step runs its argv on this host. */
  host: FakeHost;
}

/** A job of the fake cluster: what squeue says of it, and what only scontrol says (GPU indices, memory). */
export interface FakeJob extends SlurmJob {
  /** Its GPU indices on its node (scontrol's GRES IDX); [] without GPUs. */
  gpuIndices: number[];
  /** The memory allocated to it on its node (scontrol's TRES mem=), in MiB; null when Slurm tracks none. */
  allocatedMiB: number | null;
}

/** A job's state at one poll: a running one names its node. */
export type JobStage = Partial<Omit<FakeJob, 'id' | 'name' | 'user'>> & { state: string };

/**
 * The SlurmCommands port (src/host/slurm.ts) as an in-memory cluster: nodes whose machines are
 * FakeHosts, jobs as squeue lists them, and a record of every command devenv ran. A submitted job
 * goes through `queue` one stage per poll of `job(id)` (it stays at the last), so a test says
 * "pending twice for Resources, then running on nodeB" and no clock is involved. sbatch answers
 * with `refusal` when it is set, as it does on a real cluster: stderr and no job.
 */
export class FakeSlurm implements SlurmCommands {
  /** Every command devenv ran, as its program and first arguments (`squeue --name=…`), in order. */
  readonly commands: string[] = [];
  /** Every sbatch that made a job: its argv and the batch script it was given. */
  readonly submissions: Array<{ id: string; argv: string[]; script: string }> = [];
  /** Every job step, with the job it ran in. */
  readonly steps: Array<{ id: string; argv: string[] }> = [];
  readonly cancelled: string[] = [];
  /** When set, sbatch refuses every job with this stderr. */
  refusal: string | null = null;
  /** The stages a submitted job goes through, one per poll; the default starts it on the first node at once. */
  queue: JobStage[];
  /** Who submits (squeue's user of the jobs sbatch makes). */
  user = 'me';

  readonly computeNodes: FakeNode[];
  private readonly jobs = new Map<string, FakeJob>();
  private readonly stages = new Map<string, JobStage[]>();
  private nextId = 4242;

  constructor(nodes: Array<Partial<FakeNode> & { name: string }> = [{ name: 'nodeA', gpus: 8 }]) {
    this.computeNodes = nodes.map((n) => ({
      gpus: 0,
      partitions: ['gpu'],
      host: new FakeHost({ name: n.name, remote: true }),
      ...n,
    }));
    // `test -e PATH` on a node answers from its files (put there what it shares with the login node).
    for (const { host } of this.computeNodes)
      host.script('test', (argv) =>
        argv[1] === '-e' && host.kind(argv[2] ?? '') !== null ? exited('') : exited('', 1),
      );
    this.queue = [{ state: 'RUNNING', reason: null, node: this.computeNodes[0]?.name ?? null }];
  }

  // --- what a test puts there, and reads back ---

  /** A job already in the queue (an earlier `devenv start`, or anyone else's), with the stages it goes through; its ID. */
  addJob(job: Partial<FakeJob> & { name: string }, stages: JobStage[] = []): string {
    const id = job.id ?? String(this.nextId++);
    this.jobs.set(id, { ...jobDefaults(id, this.user), ...job, id });
    this.stages.set(id, [...stages]);
    return id;
  }

  /** A job as the fake holds it now, or undefined once forgotten. */
  peek(id: string): FakeJob | undefined {
    return this.jobs.get(id);
  }

  /** Changes a job from outside devenv (it starts, scancel by someone, the time limit…). */
  update(id: string, stage: Partial<FakeJob>): void {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`fake slurm: no job ${id}`);
    this.jobs.set(id, { ...job, ...stage });
  }

  /** The controller forgets a finished job (MinJobAge): squeue says "Invalid job id specified". */
  forget(id: string): void {
    this.jobs.delete(id);
  }

  node(name: string): FakeNode {
    const node = this.computeNodes.find((n) => n.name === name);
    if (!node) throw new Error(`fake slurm: no node ${name}`);
    return node;
  }

  // --- the SlurmCommands port ---

  async submit(argv: string[], scriptFile: string) {
    this.commands.push('sbatch');
    if (this.refusal !== null) return { ok: false as const, stderr: this.refusal };
    const option = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
    const id = String(this.nextId++);
    const gres = /^gpu:(\d+)$/.exec(option('gres') ?? '');
    this.jobs.set(id, {
      ...jobDefaults(id, this.user),
      name: option('job-name') ?? 'sbatch',
      timeLimit: option('time') ?? 'UNLIMITED',
      gpuIndices: gres ? Array.from({ length: Number(gres[1]) }, (_, i) => i) : [],
    });
    this.stages.set(id, [...this.queue]);
    this.submissions.push({ id, argv: [...argv], script: readFileSync(scriptFile, 'utf8') });
    return { ok: true as const, id };
  }

  async jobsNamed(name: string, user: string): Promise<SlurmJob[]> {
    this.commands.push(`squeue --name=${name} --user=${user}`);
    // squeue's default: every job not yet finished (pending, running, completing, suspended…).
    return [...this.jobs.values()]
      .filter((j) => j.name === name && j.user === user && !FINISHED.has(j.state))
      .map(squeued);
  }

  async jobsOf(user: string | null): Promise<SlurmJob[]> {
    this.commands.push(user === null ? 'squeue' : `squeue --user=${user}`);
    return [...this.jobs.values()]
      .filter((j) => (user === null || j.user === user) && !FINISHED.has(j.state))
      .map(squeued);
  }

  async job(id: string): Promise<SlurmJob | null> {
    this.commands.push(`squeue --jobs=${id}`);
    const stages = this.stages.get(id);
    const next = stages && stages.length > 1 ? stages.shift() : stages?.[0];
    // A job someone else ended stays ended: the queue plays only while it is live.
    if (next && this.jobs.get(id) && isLive(this.jobs.get(id) as FakeJob)) this.update(id, next);
    const job = this.jobs.get(id);
    return job ? squeued(job) : null;
  }

  async jobDetail(id: string): Promise<string> {
    this.commands.push(`scontrol show job ${id}`);
    const job = this.jobs.get(id);
    if (!job) throw new Error(`fake slurm: scontrol of job ${id}, which Slurm no longer knows`);
    return scontrolLine(job);
  }

  async cancel(id: string): Promise<void> {
    this.commands.push(`scancel ${id}`);
    this.cancelled.push(id);
    const job = this.jobs.get(id);
    if (job && isLive(job)) this.update(id, { state: 'CANCELLED', node: job.node, secondsLeft: null });
  }

  async step(id: string, argv: string[]): Promise<HostRunResult> {
    this.commands.push(`srun --jobid=${id} ${argv[0] ?? ''}`);
    this.steps.push({ id, argv: [...argv] });
    const job = this.jobs.get(id);
    // srun's own words for a step in a job that does not run (it still exits 1).
    if (!job || job.state !== 'RUNNING' || !job.node)
      return exited(
        '',
        1,
        `srun: error: Unable to confirm allocation for job ${id}: Invalid job id specified\n`,
      );
    const result = await this.node(job.node).host.run(argv);
    // A program the node lacks: slurmstepd cannot exec it, and srun exits 2.
    if (result.outcome === 'missing')
      return exited(
        '',
        2,
        `slurmstepd: error: execve(): ${argv[0]}: No such file or directory\nsrun: error: ${job.node}: task 0: Exited with exit code 2\n`,
      );
    return result;
  }

  spawnStep(): ChildProcess {
    throw new Error('fake slurm: the engine of a node is a FakeEngine, not a dial-stdio step');
  }

  async nodes(): Promise<string> {
    this.commands.push('scontrol show node');
    return this.computeNodes
      .map((node) => {
        const used = [...this.jobs.values()]
          .filter((j) => j.node === node.name && j.state === 'RUNNING')
          .reduce((n, j) => n + j.gpuIndices.length, 0);
        return `NodeName=${node.name} Arch=x86_64 CoresPerSocket=1 Gres=${node.gpus > 0 ? `gpu:${node.gpus}` : '(null)'} GresUsed=gpu:${used} NodeAddr=127.0.0.1 State=${used > 0 ? 'MIXED' : 'IDLE'} Partitions=${node.partitions.join(',')} RealMemory=16000`;
      })
      .join('\n');
  }

  async queueJson(): Promise<string> {
    this.commands.push('squeue --json');
    // As Slurm 22.05 does: every job it remembers, finished ones too, whatever was asked.
    return JSON.stringify({
      jobs: [...this.jobs.values()].map((j) => ({
        job_id: Number(j.id),
        name: j.name,
        user_name: j.user,
        job_state: j.state,
        state_reason: j.reason ?? 'None',
        nodes: j.node ?? '',
        gres_detail: j.state === 'PENDING' || j.gpuIndices.length === 0 ? [] : [gres(j.gpuIndices)],
        time_limit: j.timeLimit === 'UNLIMITED' ? null : Math.round((parseSlurmTime(j.timeLimit) ?? 0) / 60),
        end_time: j.secondsLeft === null ? 0 : Math.floor(Date.now() / 1000) + j.secondsLeft,
      })),
    });
  }
}

const FINISHED = new Set([
  'COMPLETED',
  'CANCELLED',
  'FAILED',
  'TIMEOUT',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'OUT_OF_MEMORY',
]);

function jobDefaults(id: string, user: string): FakeJob {
  return {
    id,
    name: 'job',
    user,
    state: 'PENDING',
    reason: 'Priority',
    node: null,
    secondsLeft: null,
    timeLimit: '1:00:00',
    cpus: 1,
    memoryMiB: null,
    gpuIndices: [],
    allocatedMiB: null,
  };
}

/** What squeue tells of a job: no GPU indices, no allocation. */
function squeued(job: FakeJob): SlurmJob {
  const { gpuIndices: _, allocatedMiB: __, ...seen } = job;
  return { ...seen };
}

/** `gpu:2(IDX:0-1)` for [0, 1]; ranges as Slurm writes them. */
function gres(indices: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indices.length; i++) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === (indices[j] as number) + 1) j++;
    parts.push(j === i ? `${indices[i]}` : `${indices[i]}-${indices[j]}`);
    i = j;
  }
  return `gpu:${indices.length}(IDX:${parts.join(',')})`;
}

/** `scontrol show job -d -o` of a job, in the shape of test/fixtures/slurm/scontrol-show-job-*.txt. */
function scontrolLine(job: FakeJob): string {
  const running = job.state === 'RUNNING' && job.node !== null;
  const tres = `cpu=${job.cpus}${job.allocatedMiB ? `,mem=${job.allocatedMiB}M` : ''},node=1,billing=${job.cpus}`;
  const detail =
    running && job.gpuIndices.length > 0
      ? ` JOB_GRES=gpu:${job.gpuIndices.length}   Nodes=${job.node} CPU_IDs=0-${job.cpus - 1} Mem=${job.allocatedMiB ?? 0} GRES=${gres(job.gpuIndices)}`
      : running
        ? ` JOB_GRES=(null)   Nodes=${job.node} CPU_IDs=0-${job.cpus - 1} Mem=${job.allocatedMiB ?? 0} GRES=`
        : '';
  return `JobId=${job.id} JobName=${job.name} UserId=${job.user}(1000) GroupId=${job.user}(1000) JobState=${job.state} Reason=${job.reason ?? 'None'} TimeLimit=${job.timeLimit} Partition=gpu NodeList=${job.node ?? ''} NumNodes=1 NumCPUs=${job.cpus} NumTasks=1 TRES=${tres}${detail} Features=(null) Command=(null) WorkDir=/tmp TresPerNode=${job.gpuIndices.length > 0 ? `gres:gpu:${job.gpuIndices.length}` : '(null)'}\n`;
}

/**
 * nvidia-smi in a job on a node that confines jobs to their devices (ConstrainDevices): of the
 * captured machine's GPUs it lists only those at the node's `indices`, renumbered from 0, as the
 * driver shows them inside the job's cgroup.
 */
export function confinedNvidiaSmi(indices: number[], machine = SERVER): RunScript {
  const whole = nvidiaSmi(machine);
  return async (argv) => {
    const result = await whole(argv);
    if (result.outcome !== 'exited' || !argv.some((a) => a.startsWith('--query-gpu=index,'))) return result;
    const rows = result.stdout.split('\n').flatMap((line) => {
      const index = /^(\d+),/.exec(line)?.[1];
      if (index === undefined) return line.trim() === '' ? [] : [line];
      const at = indices.indexOf(Number(index));
      return at < 0 ? [] : [line.replace(/^\d+,/, `${at},`)];
    });
    return { ...result, stdout: `${rows.join('\n')}\n` };
  };
}
