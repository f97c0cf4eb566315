import { type ClusterGpu, clusterGpus, parseGpuJobs, parseNodes } from '../core/slurm/cluster-gpus.js';
import type { NodeGpuStore } from '../host/node-gpu-store.js';
import type { SlurmCommands } from '../host/slurm.js';

/** `devenv gpus` on a cluster: every node's GPUs and the job holding each, from Slurm's own view. */
export interface ClusterGpuMap {
  cluster: true;
  gpus: ClusterGpu[];
  /** Nodes Slurm says are down, drained or otherwise not taking jobs, with their state. */
  unavailable: Array<{ node: string; state: string }>;
}

export async function collectClusterGpus(
  slurm: Pick<SlurmCommands, 'nodes' | 'queueJson'>,
  known: Pick<NodeGpuStore, 'read'>,
  nowSeconds: number,
): Promise<ClusterGpuMap> {
  const [nodesText, queue] = await Promise.all([slurm.nodes(), slurm.queueJson()]);
  const nodes = parseNodes(nodesText);
  return {
    cluster: true,
    gpus: clusterGpus({ nodes, jobs: parseGpuJobs(queue), uuids: known.read(), now: nowSeconds }),
    unavailable: nodes
      .filter((n) => /DOWN|DRAIN|FAIL|INVAL|NOT_RESPONDING|MAINT/.test(n.state))
      .map((n) => ({ node: n.name, state: n.state })),
  };
}
