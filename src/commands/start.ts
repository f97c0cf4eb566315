import { attachShell, canAttach } from '../app/attach.js';
import type { EnvContext } from '../app/context.js';
import { withGpuCount } from '../app/env.js';
import { type UpOptions, upEnv } from '../app/up.js';
import { parseDuration } from '../core/duration.js';
import { DevenvError, ExitCode } from '../core/errors.js';
import { defineVerb } from '../core/verb-spec.js';

/** What start and rebuild do with a healthcheck, for their --help. */
const HEALTH_HELP = `
With a healthcheck (.devenvrc "healthcheck", or the base image's own with "entrypoint": "base"),
it returns once the container is healthy, so exit 0 means ready. Unhealthy, or not healthy within
the healthcheck's own timing plus a margin (at least 60s): exit ${ExitCode.unhealthy}, the container left running.`;

export const spec = defineVerb({
  name: 'start',
  description: 'build if needed, start the env and open a shell in it',
  flags: {
    detach: { short: '-d', help: 'start without attaching a shell' },
    gpus: {
      value: '<count>',
      help: 'lease this many free GPUs for this start (a new container), whatever .devenvrc says',
    },
    wait: {
      value: '[duration]',
      help: 'wait (as long as it takes, or e.g. 30m) for enough free GPUs instead of failing',
      negation: 'return once the container runs, without waiting for its healthcheck to pass (nor for GPUs)',
    },
    on: {
      value: '<host>',
      help: 'start there: a "hosts" entry, a docker context or ssh://user@host; later commands follow',
    },
  },
  helpAfter: HEALTH_HELP,
  needs: 'placed-env',
  options: ({ flags }): StartOptions => ({
    detach: Boolean(flags.detach),
    gpus: flags.gpus,
    wait: flags.wait,
    noWait: flags.wait === false,
  }),
  placement: ({ flags }) => ({
    ...(flags.on === undefined ? {} : { on: flags.on }),
    // An invalid --gpus is refused by runStart itself, with its own message.
    ...(flags.gpus !== undefined && /^[1-9]\d*$/.test(flags.gpus) ? { gpus: Number(flags.gpus) } : {}),
    // `--wait` (for GPUs); not `--no-wait`, which is about the healthcheck.
    waiting: flags.wait !== undefined && flags.wait !== false,
  }),
  run: runStart,
});

export const rebuildSpec = defineVerb({
  name: 'rebuild',
  description: 'rebuild the image (even if up to date), recreate the container, open a shell',
  flags: {
    cache: { negation: 'rebuild every layer from scratch' },
    detach: { short: '-d', help: 'do not attach a shell' },
    wait: { negation: 'return once the container runs, without waiting for its healthcheck to pass' },
  },
  helpAfter: HEALTH_HELP,
  needs: 'placed-env',
  options: ({ flags }): StartOptions => ({
    rebuild: true,
    noCache: flags.cache === false,
    detach: Boolean(flags.detach),
    noWait: flags.wait === false,
  }),
  run: runStart,
});

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
