import { type GlobalOptions, type Io, loadFleetContext, loadHostContext } from '../app/context.js';
import { askFleet } from '../app/fleet.js';
import { collectGpuMap, type GpuMap } from '../app/gpu-map.js';
import { defineVerb } from '../core/verb-spec.js';
import type { Caches } from '../host/caches.js';

export const spec = defineVerb({
  name: 'gpus',
  description: "the server's GPUs: who holds which (user, env, since when), and what else runs on them",
  flags: {
    allHosts: { help: 'every host: this engine, "hosts" and where your envs were placed' },
    json: { help: 'print JSON' },
  },
  needs: 'host',
  options: ({ flags }) => ({ allHosts: Boolean(flags.allHosts), json: Boolean(flags.json) }),
  run: ({ io, globals, caches }: { io: Io; globals: GlobalOptions; caches: Caches }, options) =>
    runGpus(io, globals, options, caches),
});

/** `devenv gpus [--json] [--all-hosts]`: the server's GPU map: who holds which GPU, and what else runs on it. */
export async function runGpus(
  io: Io,
  globals: GlobalOptions,
  options: { json?: boolean; allHosts?: boolean },
  caches: Caches,
): Promise<number> {
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
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const driver = map.driver ? [`driver ${map.driver}, CUDA ${map.cuda ?? '?'}`] : [];
  return [line(header), ...rows.map(line), ...driver];
}

/** "2026-12-01 14:02" in UTC: enough to tell when, short enough for a table. */
function shortTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 16);
}
