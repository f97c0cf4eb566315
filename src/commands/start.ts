import { attachShell, canAttach } from '../app/attach.js';
import type { EnvContext } from '../app/context.js';
import { withGpuCount } from '../app/env.js';
import { type UpOptions, upEnv } from '../app/up.js';
import { parseDuration } from '../core/duration.js';
import { DevenvError } from '../core/errors.js';

export interface StartOptions extends Pick<UpOptions, 'rebuild' | 'noCache' | 'noWait'> {
  detach?: boolean;
  /** `--gpus N`: a lease of N GPUs for this start, overriding .devenvrc. */
  gpus?: string | undefined;
  /** `--wait[=DURATION]`: true for no limit. */
  wait?: string | boolean | undefined;
}

/** `devenv start` and `devenv rebuild`: the env up and running, then a shell in it. */
export async function runStart(ctx: EnvContext, options: StartOptions): Promise<number> {
  const gpus = options.gpus === undefined ? undefined : gpuCount(options.gpus);
  const envCtx = gpus === undefined ? ctx : { ...ctx, env: withGpuCount(ctx.env, gpus) };
  const { workdir } = await upEnv(envCtx, {
    ...options,
    recreate: gpus !== undefined,
    waitMs: waitMs(options.wait),
  });
  if (options.detach || !canAttach(ctx.io)) {
    ctx.ui.info(`env ${ctx.env.identity.envName} is running; enter it with \`devenv shell\``);
    return 0;
  }
  return attachShell(envCtx, await ctx.site.engine(), workdir);
}

function gpuCount(text: string): number {
  if (/^[1-9]\d*$/.test(text.trim())) return Number(text);
  throw new DevenvError(`--gpus takes a number of GPUs, 1 or more (got ${JSON.stringify(text)})`, {
    hint: 'e.g. `devenv start --gpus 2`',
    code: 'usage',
  });
}

function waitMs(wait: string | boolean | undefined): number | null {
  if (wait === undefined || wait === false) return null;
  if (wait === true) return Number.POSITIVE_INFINITY;
  const ms = parseDuration(wait);
  if (ms !== null) return ms;
  throw new DevenvError(`--wait takes a duration such as 30s, 10m or 2h (got ${JSON.stringify(wait)})`, {
    hint: 'or give --wait alone to wait as long as it takes',
    code: 'usage',
  });
}
