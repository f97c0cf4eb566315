import { type ClusterEnvRow, currentEnvIsOnCluster } from '../app/cluster-envs.js';
import {
  createUiFor,
  type GlobalOptions,
  type Io,
  loadFleetContext,
  loadHostContext,
} from '../app/context.js';
import { askFleet } from '../app/fleet.js';
import { listEnvs } from '../app/list-envs.js';
import { renderEnvTable } from '../core/env-list.js';
import { formatTimeLeft } from '../core/slurm/job.js';
import { textTable } from '../core/text-table.js';
import { defineVerb } from '../core/verb-spec.js';
import type { Caches } from '../host/caches.js';

export const spec = defineVerb({
  name: 'ls',
  description: 'list your envs on this engine: state, image freshness, root folder',
  flags: {
    all: { help: "every user's envs" },
    allHosts: { help: 'on every host: this engine, "hosts" and where your envs were placed' },
    json: { help: 'print JSON' },
    slurm: {
      help: 'your envs on the Slurm cluster, by their jobs (the default where .devenvrc has "slurm")',
    },
  },
  needs: 'host',
  options: ({ flags }) => ({
    all: Boolean(flags.all),
    allHosts: Boolean(flags.allHosts),
    json: Boolean(flags.json),
    slurm: Boolean(flags.slurm),
  }),
  run: ({ io, globals, caches }: { io: Io; globals: GlobalOptions; caches: Caches }, options) =>
    runLs(io, globals, options, caches),
});

/** `devenv ls [--all] [--json] [--all-hosts]`: the envs on this engine (or every host), by label. */
export async function runLs(
  io: Io,
  globals: GlobalOptions,
  options: { all?: boolean; json?: boolean; allHosts?: boolean; slurm?: boolean },
  caches: Caches,
): Promise<number> {
  if (options.slurm || (!options.allHosts && (await currentEnvIsOnCluster(io, globals, caches))))
    return lsCluster(io, globals, options);
  if (options.allHosts) {
    const fleet = await loadFleetContext(io, globals, caches);
    const { ui } = fleet;
    const answers = await askFleet(fleet, globals, (site) => listEnvs(site, { io, caches }, options));
    const rows = answers.flatMap((a) => (a.ok ? a.value.map((row) => ({ host: a.host, ...row })) : []));
    if (options.json) ui.data(JSON.stringify(rows, null, 2));
    else if (rows.length === 0)
      ui.info(options.all ? 'no devenv envs on any host' : 'none of your envs on any host');
    else for (const line of renderEnvTable(rows)) ui.data(line);
    return 0;
  }
  const ctx = await loadHostContext(io, globals, caches);
  const rows = await listEnvs(ctx.site, ctx, options);
  if (options.json) ctx.ui.data(JSON.stringify(rows, null, 2));
  else if (rows.length === 0)
    ctx.ui.info(
      options.all
        ? 'no devenv envs on this engine'
        : `no envs of ${ctx.site.host.account.name} on this engine`,
    );
  else for (const line of renderEnvTable(rows)) ctx.ui.data(line);
  return 0;
}

/** `ls` on a cluster: the envs among the user's (everyone's with --all) live Slurm jobs. */
async function lsCluster(
  io: Io,
  globals: GlobalOptions,
  options: { all?: boolean; json?: boolean },
): Promise<number> {
  const ui = await createUiFor(io, globals);
  const [{ listClusterEnvs }, { slurmCommands }, { currentHostUser }] = await Promise.all([
    import('../app/cluster-envs.js'),
    import('../host/slurm.js'),
    import('../host/user.js'),
  ]);
  const user = currentHostUser(io.env).name;
  const rows = await listClusterEnvs(slurmCommands(io.env), options.all ? null : user);
  if (options.json) ui.data(JSON.stringify(rows, null, 2));
  else if (rows.length === 0)
    ui.info(options.all ? 'no devenv jobs on the cluster' : `no envs of ${user} run or wait on the cluster`);
  else ui.data(renderClusterEnvs(rows).join('\n'));
  return 0;
}

export function renderClusterEnvs(rows: ClusterEnvRow[]): string[] {
  const table = rows.map((r) => [
    r.env,
    r.user,
    r.job,
    r.node ?? '-',
    `${r.state.toLowerCase()}${r.reason ? ` (${r.reason})` : ''}`,
    r.secondsLeft === null ? '-' : formatTimeLeft(r.secondsLeft),
  ]);
  const header = ['ENV', 'USER', 'JOB', 'NODE', 'STATE', 'LEFT'];
  return textTable([header, ...table]);
}
