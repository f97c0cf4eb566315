import { type GlobalOptions, type Io, loadHostContext } from '../app/context.js';
import { collectGpuMap, type GpuMap } from '../app/gpu-map.js';

/** `devenv gpus [--json]`: the server's GPU map: who holds which GPU, and what else runs on it. */
export async function runGpus(io: Io, globals: GlobalOptions, options: { json?: boolean }): Promise<number> {
  const ctx = await loadHostContext(io, globals);
  const map = await collectGpuMap(ctx);
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
