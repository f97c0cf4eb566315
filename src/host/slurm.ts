/**
 * Slurm's client commands on this (login) node: the one way devenv talks to the scheduler, and,
 * through job steps (`srun --jobid J --overlap`), to the job's node. Steps reach the node the way
 * the job does, so devenv needs no SSH to compute nodes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { DevenvError } from '../core/errors.js';
import { firstLine } from '../core/first-line.js';
import type { HostRunResult } from '../core/host.js';
import { parseSqueue, type SlurmJob, SQUEUE_FORMAT } from '../core/slurm/job.js';
import { runLocal } from './local-host.js';

export interface SlurmCommands {
  /** Submits the batch script at `scriptFile` with sbatch `argv`; the job's ID, or what sbatch said. */
  submit(
    argv: string[],
    scriptFile: string,
  ): Promise<{ ok: true; id: string } | { ok: false; stderr: string }>;
  /** The user's live jobs of that name (one squeue). */
  jobsNamed(name: string, user: string): Promise<SlurmJob[]>;
  /** Every live job of `user` (of every user with null), for `ls` on a cluster. */
  jobsOf(user: string | null): Promise<SlurmJob[]>;
  /** One job by ID, in any state Slurm still remembers; null once it has forgotten it. */
  job(id: string): Promise<SlurmJob | null>;
  /** `scontrol show job -d -o ID`: the one record that says which GPU indices the job got. */
  jobDetail(id: string): Promise<string>;
  cancel(id: string): Promise<void>;
  /** Runs `argv` as a step of the job, on its node (sharing the job's resources). */
  step(id: string, argv: string[], options?: { timeoutMs?: number }): Promise<HostRunResult>;
  /** The same, with its stdin and stdout as pipes (the engine's API). */
  spawnStep(id: string, argv: string[]): ChildProcess;
  /** `scontrol show node -d -o` and `squeue --json`: the cluster's GPUs and who holds them. */
  nodes(): Promise<string>;
  queueJson(): Promise<string>;
}

/**
 * The argv of a step of job `id` that shares its allocation and says nothing of its own.
 * `stream`: its output is passed on as it comes; srun otherwise holds it until a newline, which
 * would keep a shell's prompt, and an engine answer not ending in one, from arriving.
 */
export function stepArgv(id: string, argv: string[], options: { stream?: boolean } = {}): string[] {
  return [
    'srun',
    `--jobid=${id}`,
    '--overlap',
    '--nodes=1',
    '--ntasks=1',
    '--quiet',
    ...(options.stream ? ['--unbuffered'] : []),
    ...argv,
  ];
}

export function slurmCommands(env: NodeJS.ProcessEnv): SlurmCommands {
  const run = async (argv: string[], timeoutMs = 30_000) => {
    const result = await runLocal(argv, env, timeoutMs);
    if (result.outcome === 'missing') throw slurmMissing(argv[0] ?? 'sbatch');
    if (result.outcome === 'timeout')
      throw new DevenvError(
        `${argv[0]} did not answer within ${timeoutMs / 1000}s: the Slurm controller may be down`,
        {
          hint: 'check `scontrol ping`; try again when the cluster answers',
          code: 'scheduler',
        },
      );
    return result;
  };
  const answer = async (argv: string[]): Promise<string> => {
    const result = await run(argv);
    if (result.outcome !== 'exited') return '';
    if (result.code !== 0) throw slurmFailed(argv[0] ?? 'squeue', result.stderr);
    return result.stdout;
  };
  return {
    submit: async (argv, scriptFile) => {
      const result = await run([...argv, scriptFile], 60_000);
      if (result.outcome !== 'exited' || result.code !== 0)
        return { ok: false, stderr: result.outcome === 'exited' ? result.stderr : '' };
      // --parsable prints "ID" or "ID;cluster".
      return { ok: true, id: result.stdout.trim().split(';')[0] ?? '' };
    },
    jobsNamed: async (name, user) =>
      parseSqueue(
        await answer([
          'squeue',
          '--noheader',
          `--name=${name}`,
          `--user=${user}`,
          `--format=${SQUEUE_FORMAT}`,
        ]),
      ),
    jobsOf: async (user) =>
      parseSqueue(
        await answer([
          'squeue',
          '--noheader',
          ...(user ? [`--user=${user}`] : []),
          `--format=${SQUEUE_FORMAT}`,
        ]),
      ),
    job: async (id) => {
      const result = await run([
        'squeue',
        '--noheader',
        `--jobs=${id}`,
        '--states=all',
        `--format=${SQUEUE_FORMAT}`,
      ]);
      if (result.outcome !== 'exited') return null;
      // A job the controller has forgotten: "Invalid job id specified".
      if (result.code !== 0) {
        if (/invalid job id/i.test(result.stderr)) return null;
        throw slurmFailed('squeue', result.stderr);
      }
      return parseSqueue(result.stdout)[0] ?? null;
    },
    jobDetail: (id) => answer(['scontrol', 'show', 'job', '-d', '-o', id]),
    cancel: async (id) => {
      await answer(['scancel', id]);
    },
    step: (id, argv, options) => runLocal(stepArgv(id, argv), env, options?.timeoutMs ?? 30_000),
    spawnStep: (id, argv) => {
      const [program, ...args] = stepArgv(id, argv, { stream: true });
      return spawn(program as string, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    },
    nodes: () => answer(['scontrol', 'show', 'node', '-d', '-o']),
    queueJson: () => answer(['squeue', '--json']),
  };
}

export function slurmMissing(command: string): DevenvError {
  return new DevenvError(`this env has a "slurm" key, but Slurm's ${command} is not on PATH`, {
    hint: 'run devenv on a login node of the cluster (where sbatch, squeue, srun and scancel work), or load Slurm first (e.g. `module load slurm`)',
    code: 'host',
  });
}

function slurmFailed(command: string, stderr: string): DevenvError {
  const said = firstLine(stderr.replace(/^\w+: error: /gm, '')) ?? 'no reason given';
  return new DevenvError(`${command} failed: ${said}`, {
    hint: 'check `scontrol ping` and SLURM_CONF; try again when the cluster answers',
    code: 'scheduler',
  });
}
