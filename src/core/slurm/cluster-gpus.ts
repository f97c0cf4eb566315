import { dockerSafe } from '../identity.js';
import { gresGpuIndices, scontrolFields } from './job.js';

// A completing job still holds its GPUs until its processes are gone; a suspended one keeps them.
const HOLDING_GPUS = new Set(['RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED']);

/** A node of the cluster as `scontrol show node -d -o` says it. */
export interface SlurmNode {
  name: string;
  /** How many GPUs its GRES says it has. */
  gpus: number;
  state: string;
  partitions: string[];
}

/** A job holding GPUs on one node, from `squeue --json` (a job on several nodes is one per node). */
export interface GpuJob {
  id: string;
  name: string;
  user: string;
  node: string;
  gpuIndices: number[];
  /** Unix seconds at which its time limit ends it; null without a limit. */
  endsAt: number | null;
}

/** One GPU of the cluster in `devenv gpus`: which node, which index, its UUID when known, and its job. */
export interface ClusterGpu {
  node: string;
  index: number;
  /** Known once a devenv job ran on that node (Slurm itself does not know UUIDs). */
  uuid: string | null;
  job: { id: string; user: string; env: string | null; secondsLeft: number | null } | null;
}

/** The nodes in `scontrol show node -d -o` output, one record per line. */
export function parseNodes(text: string): SlurmNode[] {
  const nodes: SlurmNode[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('NodeName=')) continue;
    const fields = scontrolFields(line);
    nodes.push({
      name: fields.get('NodeName') ?? '',
      gpus: gresGpuCount(fields.get('Gres') ?? ''),
      state: fields.get('State') ?? 'UNKNOWN',
      partitions: (fields.get('Partitions') ?? '').split(',').filter(Boolean),
    });
  }
  return nodes;
}

/** GPUs in a node's Gres ("gpu:8", "gpu:a100:4(S:0-1),gpu:h100:2", "(null)"). */
export function gresGpuCount(gres: string): number {
  let count = 0;
  for (const match of gres.matchAll(/(?:^|,)gpu(?::[^:(,]+)?:(\d+)/g)) count += Number(match[1]);
  return count;
}

/**
 * The live jobs holding GPUs in `squeue --json` output. Slurm 22.05's `squeue --json` ignores
 * its filter options and lists finished jobs too: devenv filters here.
 */
export function parseGpuJobs(json: string): GpuJob[] {
  const parsed = JSON.parse(json) as { jobs?: Array<Record<string, unknown>> };
  const jobs: GpuJob[] = [];
  for (const job of parsed.jobs ?? []) {
    const state = String(job.job_state ?? '');
    if (!HOLDING_GPUS.has(state)) continue;
    const details = Array.isArray(job.gres_detail) ? job.gres_detail.map(String) : [];
    // One GRES detail per node of the job, in the order of its allocated nodes; `nodes` is a
    // hostlist ("node[1-2]") that names no single node once there are several.
    const resources = job.job_resources as { allocated_nodes?: Array<{ nodename?: unknown }> } | undefined;
    const hosts = (resources?.allocated_nodes ?? []).map((n) => String(n.nodename ?? ''));
    const limit = job.time_limit;
    details.forEach((detail, i) => {
      const gpuIndices = gresGpuIndices([detail]);
      if (gpuIndices.length === 0) return;
      jobs.push({
        id: String(job.job_id),
        name: String(job.name ?? ''),
        user: String(job.user_name ?? ''),
        node: details.length === 1 ? String(job.nodes ?? '') : (hosts[i] ?? ''),
        gpuIndices,
        endsAt: typeof limit === 'number' && typeof job.end_time === 'number' ? job.end_time : null,
      });
    });
  }
  return jobs;
}

/** The env name in a devenv job's name (`devenv-<env>-<user>`, its container's name), or null for any other job. */
export function envOfJob(name: string, user: string): string | null {
  // The container name holds the user name as Docker allows it (src/core/identity.ts).
  const suffix = `-${dockerSafe(user)}`;
  if (!name.startsWith('devenv-') || !name.endsWith(suffix)) return null;
  const env = name.slice('devenv-'.length, -suffix.length);
  return env === '' ? null : env;
}

/**
 * Every GPU of every node with the job holding it, devenv's or not. `uuids`: the GPUs devenv has
 * seen on a node (index → UUID), from earlier jobs there; `now` in Unix seconds.
 */
export function clusterGpus(input: {
  nodes: SlurmNode[];
  jobs: GpuJob[];
  uuids: Map<string, Map<number, string>>;
  now: number;
}): ClusterGpu[] {
  const rows: ClusterGpu[] = [];
  for (const node of input.nodes) {
    for (let index = 0; index < node.gpus; index++) {
      const job = input.jobs.find((j) => j.node === node.name && j.gpuIndices.includes(index));
      rows.push({
        node: node.name,
        index,
        uuid: input.uuids.get(node.name)?.get(index) ?? null,
        job: job
          ? {
              id: job.id,
              user: job.user,
              env: envOfJob(job.name, job.user),
              secondsLeft: job.endsAt === null ? null : Math.max(0, job.endsAt - input.now),
            }
          : null,
      });
    }
  }
  return rows;
}
