import { type EnvContext, type GlobalOptions, type Io, loadEnvContext } from '../app/context.js';
import { renderConfigReference } from '../core/config/reference.js';
import { CONFIG_KEYS } from '../core/config/schema.js';
import { defineVerb } from '../core/verb-spec.js';
import type { Caches } from '../host/caches.js';

export const spec = defineVerb({
  name: 'config',
  description: 'print the effective configuration (or, with --reference, every key documented)',
  flags: {
    json: { help: 'print JSON' },
    reference: { help: 'print the .devenvrc reference as Markdown' },
  },
  // --reference needs no .devenvrc; without it, run loads the env itself.
  needs: 'none',
  options: ({ flags }) => ({ json: Boolean(flags.json), reference: Boolean(flags.reference) }),
  run: async ({ io, globals, caches }: { io: Io; globals: GlobalOptions; caches: Caches }, options) => {
    if (!options.reference) return runConfig(await loadEnvContext(io, globals, {}, caches), options);
    io.stdout.write(renderConfigReference());
    return 0;
  },
});

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
