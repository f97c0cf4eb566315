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

/**
 * An HTTP agent whose connections are `docker system dial-stdio` in a step of the env's job: the
 * engine of the job's node, reached through the job itself (no SSH to compute nodes).
 */
export function slurmEngineAgent(job: SlurmJobRef, env: NodeJS.ProcessEnv): http.Agent {
  const slurm = slurmCommands(env);
  return dialStdioAgent(
    () => slurm.spawnStep(job.id, [...NODE_DOCKER, 'system', 'dial-stdio']),
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
  const said = firstLine(stderr.replace(/^srun: error: /gm, '')) ?? `exit ${code}`;
  return new DevenvError(`no Docker engine answers on ${where}: ${said}`, {
    hint: 'ask the cluster admins whether Docker runs on that node; `devenv stop` ends the job',
    code: 'engine',
  });
}
