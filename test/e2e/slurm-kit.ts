import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  type RunResult,
  removeEnvObjects,
  SLURM_CONF,
  SLURM_NODES,
  type SlurmNode,
  slurmAdmin,
  slurmNodeDocker,
  slurmRun,
  spawnDevenv,
  type TestUser,
  vscodeNameConfig,
} from './harness.js';

/**
 * What the Slurm e2e files (issue 19) share: devenv run as a user on the "login node" without
 * blocking the other cases of the file, the cluster as its admin sees it, and the clean-up of this
 * file's jobs and node objects. Other e2e files may use the engines meanwhile: everything here is
 * about the envs and jobs named by the caller.
 */

/**
 * The real bin/devenv as `user` with the cluster's SLURM_CONF, without blocking the event loop:
 * cases of one file run at once (a start waits on Slurm and a node's build for seconds).
 */
export async function devenvOn(
  user: TestUser,
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const run = spawnDevenv(user, cwd, args, { SLURM_CONF, ...env });
  const { code, signal } = await run.done;
  return { code, signal, stdout: run.stdout(), stderr: run.stderr() };
}

export const containerOf = (env: string, user: TestUser) => `devenv-${env}-${user.name}`;

/** Where devenv keeps an env's batch script and its job's output (`<container>-<job>.out`). */
export const slurmStateDir = (user: TestUser) => `/home/${user.name}/.local/state/devenv/slurm`;

export function jobOutput(user: TestUser, container: string, job: string): string {
  return execFileSync('cat', [path.join(slurmStateDir(user), `${container}-${job}.out`)], {
    encoding: 'utf8',
  });
}

export interface QueuedJob {
  id: string;
  user: string;
  state: string;
  node: string;
  reason: string;
}

/** The jobs named `name` that Slurm still holds (queued, running or completing), anyone's. */
export function jobsNamed(name: string): QueuedJob[] {
  return slurmAdmin('squeue', ['-h', '-n', name, '-t', 'PD,CF,R,CG', '-o', '%i|%u|%T|%N|%r'])
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, user, state, node, reason] = line.split('|') as [string, string, string, string, string];
      return { id, user, state, node, reason };
    });
}

/** A job that holds its allocation (queued or running): what `squeue` lists until it ends. */
export function liveJobsNamed(name: string): QueuedJob[] {
  return jobsNamed(name).filter((job) => job.state !== 'COMPLETING');
}

/** `scontrol show job -d -o J` as a map of its KEY=value fields. */
export function jobFields(job: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const field of slurmAdmin('scontrol', ['show', 'job', '-d', '-o', job]).split(/\s+/)) {
    const at = field.indexOf('=');
    if (at > 0 && !fields.has(field.slice(0, at))) fields.set(field.slice(0, at), field.slice(at + 1));
  }
  return fields;
}

/** The GPU indices Slurm gave a running job on its node (`GRES=gpu:3(IDX:0-1,4)`). */
export function gresIndices(job: string): number[] {
  const gres = jobFields(job).get('GRES') ?? '';
  const idx = /\(IDX:([^)]*)\)/.exec(gres)?.[1];
  if (idx === undefined) throw new Error(`job ${job} has no GRES IDX in "${gres}"`);
  return idx.split(',').flatMap((range) => {
    const [from, to] = range.split('-').map(Number) as [number, number?];
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

/** The node's own nvidia-smi (the one its jobs see), run from outside: UUID by GPU index. */
export function nodeGpuUuids(node: SlurmNode): string[] {
  const listed = execFileSync(
    `/srv/devenv-slurm/nodes/${node.name}/bin/nvidia-smi`,
    ['--query-gpu=index,uuid', '--format=csv,noheader'],
    { encoding: 'utf8' },
  );
  const uuids: string[] = [];
  for (const line of listed.trim().split('\n')) {
    const [index, uuid] = line.split(',').map((s) => s.trim()) as [string, string];
    uuids[Number(index)] = uuid;
  }
  return uuids;
}

/** Polls `probe` until it gives something (not null, undefined or false), or fails saying `what`. */
export async function until<T>(
  what: string,
  probe: () => T | null | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A job that is not devenv's: `sleep` submitted by `user` with these sbatch arguments, running. */
export async function foreignJob(user: TestUser, name: string, args: string): Promise<string> {
  const submitted = slurmRun(user, `sbatch --parsable -J ${name} -o /dev/null ${args} --wrap 'sleep 900'`);
  if (submitted.code !== 0) throw new Error(`sbatch as ${user.name} failed: ${submitted.stderr}`);
  const id = submitted.stdout.trim();
  await until(`job ${id} of ${user.name} to run`, () =>
    jobsNamed(name).find((j) => j.id === id && j.state === 'RUNNING'),
  );
  return id;
}

/** Cancels every job of these names, anyone's (the cluster's admin). */
export function cancelJobsNamed(names: string[]): void {
  for (const name of names) spawnSync('scancel', ['-n', name], { env: { ...process.env, SLURM_CONF } });
}

/** The containers of `container`'s name on a node's engine (running or not): its ID, or null. */
export function nodeContainer(node: SlurmNode, container: string): string | null {
  const id = slurmNodeDocker(node, ['ps', '-aq', '--filter', `name=^${container}$`]);
  return id === '' ? null : id;
}

/** The images of env `env` of `user` on a node's engine, by their labels. */
export function nodeEnvImages(node: SlurmNode, env: string, user: TestUser): string[] {
  return slurmNodeDocker(node, [
    'images',
    '-aq',
    '--filter',
    `label=dev.devenv.env=${env}`,
    '--filter',
    `label=dev.devenv.user=${user.name}`,
  ])
    .split('\n')
    .filter(Boolean);
}

/** What one env left: its jobs, its objects on every node, its job files and VS Code attach file. */
export function removeSlurmEnv(dir: string, container: string, user: TestUser): void {
  cancelJobsNamed([container]);
  for (const node of Object.values(SLURM_NODES)) removeEnvObjects(dir, node.socket);
  rmSync(vscodeNameConfig(`/home/${user.name}`, container), { force: true });
  const state = slurmStateDir(user);
  let files: string[] = [];
  try {
    files = readdirSync(state);
  } catch {
    return;
  }
  for (const file of files)
    if (file === `${container}.sh` || (file.startsWith(`${container}-`) && file.endsWith('.out')))
      rmSync(path.join(state, file), { force: true });
}
