import type { Reporter } from '../core/ports.js';
import type { SlurmJob } from '../core/slurm/job.js';
import type { Env } from './env.js';

/** What a scheduler's job gives the env's container beyond its GPUs: the job's share of the node. */
export interface ResourceLimits {
  cpus: number | null;
  memoryMiB: number | null;
}

/**
 * The env's job on a scheduler's site: the allocation its container runs in. `start` makes sure
 * of it before anything else, `stop` and `prune` end it; everything else reads it. A server's
 * site has none.
 */
export interface SiteJob {
  /** The env's live job (queued or running), asked once per command; null when it has none. */
  current(): Promise<SlurmJob | null>;
  /**
   * Submits the env's job unless it has a live one, and waits until it runs, saying why it
   * waits. Ctrl-C while it waits cancels the job. True when this call submitted it.
   */
  ensure(
    env: Env,
    context: { ui: Reporter; signal: AbortSignal },
  ): Promise<{ job: SlurmJob; submitted: boolean }>;
  /** Ends the env's live job; the job it ended, or null when there was none. */
  end(): Promise<SlurmJob | null>;
  /** The running job's CPUs and memory, as the container's limits. */
  limits(): Promise<ResourceLimits>;
}
