/**
 * A Slurm job as devenv reads it: from one `squeue` line in the format below, or from
 * `scontrol show job -d -o` (the only place that tells a job's GPU indices on its node).
 */

/** The squeue fields devenv asks for, `|`-separated (job names cannot hold `|`: sbatch refuses none, devenv's never do). */
export const SQUEUE_FORMAT = '%i|%j|%u|%T|%r|%N|%L|%C|%m|%l';

export interface SlurmJob {
  id: string;
  name: string;
  user: string;
  /** Slurm's state word: PENDING, RUNNING, COMPLETING, CANCELLED, FAILED, TIMEOUT… */
  state: string;
  /** Why it waits (Resources, Priority, QOSMaxGRESPerUser…); null when Slurm says None. */
  reason: string | null;
  /** The node it runs on; null while it waits. */
  node: string | null;
  /** Seconds left before its time limit; null without a limit (or while it waits). */
  secondsLeft: number | null;
  /** Its time limit as Slurm writes it ("8:00:00", "UNLIMITED"). */
  timeLimit: string;
  cpus: number;
  /**
   * squeue's %m in MiB: the memory it asked per node, or per CPU when it asked that way (squeue
   * does not say which); null for none. Not its allocation: that is jobMemoryMiB.
   */
  memoryMiB: number | null;
}

/** A state in which the job holds (or will hold) its allocation. */
export function isLive(job: Pick<SlurmJob, 'state'>): boolean {
  return job.state === 'PENDING' || job.state === 'RUNNING' || job.state === 'CONFIGURING';
}

/** The jobs in squeue's output in SQUEUE_FORMAT (`--noheader`). */
export function parseSqueue(text: string): SlurmJob[] {
  const jobs: SlurmJob[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split('|');
    if (fields.length !== 10) continue;
    const [id, name, user, state, reason, node, left, cpus, memory, limit] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    jobs.push({
      id,
      name,
      user,
      state,
      reason: reason === 'None' || reason === '' ? null : reason,
      node: node === '' || node === '(null)' ? null : node,
      secondsLeft: state === 'RUNNING' ? parseSlurmTime(left) : null,
      timeLimit: limit,
      cpus: Number(cpus) || 0,
      memoryMiB: parseMemoryMiB(memory),
    });
  }
  return jobs;
}

/**
 * Seconds in a Slurm time ("45", "5:00", "1:02:03", "2-03:04:05", "2-03"); null for UNLIMITED,
 * NOT_SET, INVALID or anything else that is not a time. A bare number here is squeue's seconds
 * field only when it has a colon; sbatch reads a bare number as minutes, and so does this.
 */
export function parseSlurmTime(text: string): number | null {
  const match = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(text.trim());
  if (!match) return null;
  const [, days, a, b, c] = match;
  const d = Number(days ?? 0);
  if (days !== undefined) {
    // D-HH, D-HH:MM, D-HH:MM:SS
    return d * 86400 + Number(a) * 3600 + Number(b ?? 0) * 60 + Number(c ?? 0);
  }
  if (c !== undefined) return Number(a) * 3600 + Number(b) * 60 + Number(c);
  if (b !== undefined) return Number(a) * 60 + Number(b);
  return Number(a) * 60;
}

/** "7h 59m", "4m 10s": how long a job has left, for status and the warning. */
export function formatTimeLeft(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return s > 0 && m < 10 ? `${m}m ${s}s` : `${m}m`;
  return `${s}s`;
}

/** squeue's %m: "0" (not tracked), "16000M", "64G", "2T"; MiB or null. */
export function parseMemoryMiB(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]);
  if (value === 0) return null;
  const factor = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024, '': 1 }[
    match[2] as 'K' | 'M' | 'G' | 'T' | ''
  ];
  return Math.round(value * factor);
}

/**
 * The `Key=Value` fields of one `scontrol show … -o` record. Values hold no spaces, except free
 * text (Command=, Comment=, a job's name), which is not last in 22.05: of those only the first
 * word is read, and the fields after them still are.
 */
export function scontrolFields(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const match of line.matchAll(/(?:^|\s)([A-Za-z_/:]+)=(\S*)/g)) {
    const [, key, value] = match as unknown as [string, string, string];
    // With -d a job's per-node detail repeats some keys (Nodes=, GRES=): the first is the job's own.
    if (!fields.has(key)) fields.set(key, value);
  }
  return fields;
}

/** Indices in Slurm's "IDX:0-1,4" list, as numbers. */
export function parseIndexList(text: string): number[] {
  const indices: number[] = [];
  for (const part of text.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!range) continue;
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    for (let i = from; i <= to; i++) indices.push(i);
  }
  return indices;
}

/**
 * The GPU indices on its node that Slurm gave a job, from its GRES detail ("gpu:2(IDX:0-1)",
 * "gpu:a100:2(IDX:4-5)"); [] for a job without GPUs.
 */
export function gresGpuIndices(details: string[]): number[] {
  const indices: number[] = [];
  for (const detail of details)
    for (const match of detail.matchAll(/gpu(?::[^:(,]+)?:\d+\(IDX:([0-9,-]+)\)/g))
      indices.push(...parseIndexList(match[1] as string));
  return indices;
}

/** The GPU indices of the job in `scontrol show job -d -o` output. */
export function jobGpuIndices(scontrolLine: string): number[] {
  const details = [...scontrolLine.matchAll(/(?:^|\s)GRES=(\S+)/g)].map((m) => m[1] as string);
  return gresGpuIndices(details);
}

/**
 * The memory Slurm allocated a running job, from its `scontrol show job -d -o` record (TRES
 * mem=), in MiB; null where Slurm allocates no memory. squeue's %m cannot say it: with
 * --mem-per-cpu or a DefMemPerCPU it prints the memory per CPU.
 */
export function jobMemoryMiB(scontrolLine: string): number | null {
  const tres = scontrolFields(scontrolLine).get('TRES') ?? '';
  const mem = /(?:^|,)mem=([^,]+)/.exec(tres)?.[1];
  return mem === undefined ? null : parseMemoryMiB(mem);
}
