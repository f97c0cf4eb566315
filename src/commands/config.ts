import type { EnvContext } from '../app/context.js';
import { CONFIG_KEYS } from '../core/config/schema.js';

/** `devenv config`: the effective configuration, with where it came from. */
export async function runConfig(ctx: EnvContext, options: { json?: boolean }): Promise<number> {
  const { config, file, envRoot } = ctx.env.loaded;
  if (options.json) {
    ctx.ui.data(JSON.stringify({ file, envRoot, config }, null, 2));
    return 0;
  }
  ctx.ui.data(`# ${file ?? `no .devenvrc found: defaults for ${envRoot}`}`);
  for (const spec of CONFIG_KEYS) ctx.ui.data(`${spec.key} = ${JSON.stringify(config[spec.key])}`);
  return 0;
}
