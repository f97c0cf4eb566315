import { currentEnvIsOnCluster } from '../app/cluster-envs.js';
import type { ClusterGpuMap } from '../app/cluster-gpus.js';
import {
  createUiFor,
  type GlobalOptions,
  type Io,
  loadFleetContext,
  loadHostContext,
} from '../app/context.js';
import { askFleet } from '../app/fleet.js';
import { collectGpuMap, type GpuMap } from '../app/gpu-map.js';
import { formatTimeLeft } from '../core/slurm/job.js';
import { textTable } from '../core/text-table.js';
import { defineVerb } from '../core/verb-spec.js';
import type { Caches } from '../host/caches.js';

export const spec = defineVerb({
  name: 'gpus',
  description: "the server's GPUs: who holds which (user, env, since when), and what else runs on them",
  flags: {
    allHosts: { help: 'every host: this engine, "hosts" and where your envs were placed' },
    json: { help: 'print JSON' },
    slurm: {
      help: 'the Slurm cluster\'s GPUs: every node\'s, with the job holding each (the default where .devenvrc has "slurm")',
    },
  },
  needs: 'host',
  options: ({ flags }) => ({
    allHosts: Boolean(flags.allHosts),
    json: Boolean(flags.json),
    slurm: Boolean(flags.slurm),
  }),
  run: ({ io, globals, caches }: { io: Io; globals: GlobalOptions; caches: Caches }, options) =>
    runGpus(io, globals, options, caches),
});

/** `devenv gpus [--json] [--all-hosts]`: the server's GPU map: who holds which GPU, and what else runs on it. */
export async function runGpus(
  io: Io,
  globals: GlobalOptions,
  options: { json?: boolean; allHosts?: boolean; slurm?: boolean },
  caches: Caches,
): Promise<number> {
  if (options.slurm || (await currentEnvIsOnCluster(io, globals, caches))) {
    const ui = await createUiFor(io, globals);
    const map = await loadClusterGpus(io.env);
    if (options.json) ui.data(JSON.stringify(map, null, 2));
    else ui.data(renderClusterGpus(map).join('\n'));
    return 0;
  }
  if (options.allHosts) {
    const fleet = await loadFleetContext(io, globals, caches);
    const { ui } = fleet;
    const answers = await askFleet(fleet, globals, collectGpuMap);
    if (options.json) {
      const json = answers.map(({ host, engine, ...a }) =>
        a.ok
          ? { host, engine, ...a.value, problem: a.value.problem }
          : { host, engine, gpus: [], problem: a.problem },
      );
      ui.data(JSON.stringify(json, null, 2));
      return 0;
    }
    const reached = answers.filter((a) => a.ok);
    reached.forEach((answer, i) => {
      if (i > 0) ui.data('');
      ui.data(answer.host === answer.engine ? answer.host : `${answer.host} (${answer.engine})`);
      for (const line of renderGpuMap(answer.value)) ui.data(`  ${line}`);
    });
    return 0;
  }
  const ctx = await loadHostContext(io, globals, caches);
  const map = await collectGpuMap(ctx.site);
  if (options.json) ctx.ui.data(JSON.stringify(map, null, 2));
  else for (const line of renderGpuMap(map)) ctx.ui.data(line);
  return 0;
}

export function renderGpuMap(map: GpuMap): string[] {
  if (map.gpus.length === 0) return [map.problem ?? 'no NVIDIA GPU on this host'];
  const rows = map.gpus.map((g) => [
    String(g.index),
    g.name,
    `${g.memoryUsedMiB ?? '?'} / ${g.memoryTotalMiB ?? '?'} MiB`,
    g.utilizationPct === null ? '?' : `${g.utilizationPct}%`,
    g.heldBy
      ? `${g.heldBy.user} (env ${g.heldBy.env}, ${g.heldBy.container}) since ${shortTime(g.heldBy.since)}`
      : g.busy
        ? `busy outside devenv: ${g.busy}`
        : 'free',
    g.processes
      .map(
        (p) =>
          `${p.pid}${p.usedMemoryMiB === null ? '' : ` ${p.usedMemoryMiB} MiB`}${p.container ? ` in ${p.container}` : ''}`,
      )
      .join('; '),
  ]);
  const header = ['GPU', 'MODEL', 'MEMORY', 'UTIL', 'HELD BY', 'PROCESSES'];
  const driver = map.driver ? [`driver ${map.driver}, CUDA ${map.cuda ?? '?'}`] : [];
  return [...textTable([header, ...rows]), ...driver];
}

async function loadClusterGpus(env: NodeJS.ProcessEnv): Promise<ClusterGpuMap> {
  const [{ collectClusterGpus }, { slurmCommands }, { openNodeGpuStore }] = await Promise.all([
    import('../app/cluster-gpus.js'),
    import('../host/slurm.js'),
    import('../host/node-gpu-store.js'),
  ]);
  return collectClusterGpus(slurmCommands(env), openNodeGpuStore(env), Math.floor(Date.now() / 1000));
}

export function renderClusterGpus(map: ClusterGpuMap): string[] {
  if (map.gpus.length === 0) return ['no node of the cluster has GPUs as Slurm GRES'];
  const rows = map.gpus.map((g) => [
    g.node,
    String(g.index),
    g.uuid ?? '-',
    g.job
      ? `job ${g.job.id} of ${g.job.user}${g.job.env ? ` (env ${g.job.env})` : ''}${g.job.secondsLeft === null ? '' : `, ${formatTimeLeft(g.job.secondsLeft)} left`}`
      : 'free',
  ]);
  const header = ['NODE', 'GPU', 'UUID', 'HELD BY'];
  const down = map.unavailable.map((n) => `${n.node} takes no jobs now (${n.state.toLowerCase()})`);
  const unknown = map.gpus.some((g) => g.uuid === null)
    ? ['UUIDs are shown for nodes where one of your envs ran (Slurm knows GPUs by index only)']
    : [];
  return [...textTable([header, ...rows]), ...down, ...unknown];
}

/** "2026-12-01 14:02" in UTC: enough to tell when, short enough for a table. */
function shortTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 16);
}
