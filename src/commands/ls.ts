import { type GlobalOptions, type Io, loadHostContext } from '../app/context.js';
import { listEnvs } from '../app/list-envs.js';
import { renderEnvTable } from '../core/env-list.js';

/** `devenv ls [--all] [--json]`: the envs on this engine, by label. */
export async function runLs(
  io: Io,
  globals: GlobalOptions,
  options: { all?: boolean; json?: boolean },
): Promise<number> {
  const ctx = await loadHostContext(io, globals);
  const rows = await listEnvs(ctx, options);
  if (options.json) ctx.ui.data(JSON.stringify(rows, null, 2));
  else if (rows.length === 0)
    ctx.ui.info(options.all ? 'no devenv envs on this engine' : `no envs of ${ctx.user.name} on this engine`);
  else for (const line of renderEnvTable(rows)) ctx.ui.data(line);
  return 0;
}
