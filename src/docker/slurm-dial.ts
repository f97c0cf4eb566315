import type { ChildProcess } from 'node:child_process';
import type http from 'node:http';
import { DevenvError } from '../core/errors.js';
import { firstLine } from '../core/first-line.js';
import { NODE_DOCKER } from '../core/slurm/node-docker.js';
import { slurmCommands } from '../host/slurm.js';
import { dialStdioAgent } from './dial-stdio.js';

/** The job whose node's engine devenv talks to. */
export interface SlurmJobRef {
  id: string;
  node: string;
}

const DIAL = [...NODE_DOCKER, 'system', 'dial-stdio'];

/** Dials started before the engine's client was ready, by job: the first connection takes one. */
const early = new Map<string, ChildProcess>();

/**
 * Starts the first dial of `job` now, while the engine's client (dockerode) is still loading: a
 * step takes srun tens of milliseconds to set up, and a command's first request would otherwise
 * wait for both one after the other. Until a connection takes it, it does not keep devenv alive;
 * if none does, its stdin closes with devenv and the step ends.
 */
export function dialEarly(job: SlurmJobRef, env: NodeJS.ProcessEnv): void {
  if (early.has(job.id)) return;
  const child = slurmCommands(env).spawnStep(job.id, DIAL);
  child.unref();
  for (const pipe of [child.stdin, child.stdout, child.stderr])
    (pipe as unknown as { unref?: () => void } | null)?.unref?.();
  early.set(job.id, child);
}

/**
 * An HTTP agent whose connections are `docker system dial-stdio` in a step of the env's job: the
 * engine of the job's node, reached through the job itself (no SSH to compute nodes).
 */
export function slurmEngineAgent(job: SlurmJobRef, env: NodeJS.ProcessEnv): http.Agent {
  const slurm = slurmCommands(env);
  return dialStdioAgent(
    () => {
      const started = early.get(job.id);
      if (!started) return slurm.spawnStep(job.id, DIAL);
      early.delete(job.id);
      // Taken: from now on it holds devenv as any connection in use does.
      started.ref();
      for (const pipe of [started.stdin, started.stdout, started.stderr])
        (pipe as unknown as { ref?: () => void } | null)?.ref?.();
      return started;
    },
    (code, stderr) => slurmDialFailure(job, code, stderr),
  );
}

/** Why the node's engine could not be reached from inside the job. */
export function slurmDialFailure(job: SlurmJobRef, code: number | null, stderr: string): DevenvError {
  const where = `${job.node} (job ${job.id})`;
  if (code === 127 || /docker: (command )?not found|env: .?docker.?: No such file/i.test(stderr))
    return new DevenvError(`no Docker engine on ${where}: the docker command is not installed on that node`, {
      hint: 'ask the cluster admins which partition has Docker on its nodes, and set "slurm".partition or .constraint',
      code: 'engine',
    });
  if (/permission denied/i.test(stderr))
    return new DevenvError(`you may not use the Docker engine on ${where} (not in the docker group there)`, {
      hint: "ask the cluster admins to add you to the nodes' docker group",
      code: 'engine',
    });
  const said = stepSaid(stderr) ?? `exit ${code}`;
  return new DevenvError(`no Docker engine answers on ${where}: ${said}`, {
    hint: 'ask the cluster admins whether Docker runs on that node; `devenv stop` ends the job',
    code: 'engine',
  });
}

/**
 * What a failed step said of itself: its own first line before srun's (srun's line about the
 * task's exit can arrive first, as its stderr is local and the step's is forwarded), else srun's.
 */
function stepSaid(stderr: string): string | null {
  const fromSrun = /^\s*srun: /;
  const lines = stderr.split(/\r?\n/);
  return (
    firstLine(lines.filter((line) => !fromSrun.test(line)).join('\n')) ??
    firstLine(stderr.replace(/^\s*srun: (error: )?/gm, ''))
  );
}
