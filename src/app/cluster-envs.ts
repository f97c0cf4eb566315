import { envOfJob } from '../core/slurm/cluster-gpus.js';
import { isLive } from '../core/slurm/job.js';
import type { Caches } from '../host/caches.js';
import type { SlurmCommands } from '../host/slurm.js';
import { type GlobalOptions, type Io, loadCheckedConfig } from './context.js';

/** An env on a cluster as `ls` shows it: its job, where and how long it has left. */
export interface ClusterEnvRow {
  env: string;
  user: string;
  job: string;
  state: string;
  reason: string | null;
  node: string | null;
  secondsLeft: number | null;
}

/** The devenv envs among the live jobs of `user` (every user's with null): one squeue. */
export async function listClusterEnvs(
  slurm: Pick<SlurmCommands, 'jobsOf'>,
  user: string | null,
): Promise<ClusterEnvRow[]> {
  const rows: ClusterEnvRow[] = [];
  for (const job of await slurm.jobsOf(user)) {
    const env = envOfJob(job.name, job.user);
    if (env === null || !isLive(job)) continue;
    rows.push({
      env,
      user: job.user,
      job: job.id,
      state: job.state,
      reason: job.reason,
      node: job.node,
      secondsLeft: job.secondsLeft,
    });
  }
  return rows;
}

/**
 * Whether `ls` and `gpus` are about a cluster: the current folder's .devenvrc has "slurm". A
 * missing or broken one counts as no (those verbs never fail over the current folder's config).
 */
export async function currentEnvIsOnCluster(
  io: Io,
  globals: GlobalOptions,
  caches: Caches,
): Promise<boolean> {
  try {
    return (await loadCheckedConfig(io, globals.config, caches)).loaded.config.slurm !== null;
  } catch {
    return false;
  }
}
