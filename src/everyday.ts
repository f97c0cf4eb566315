import type { EnvContext } from './app/context.js';
import type { BuildInfo } from './host/caches.js';
import { runMain } from './main.js';

/**
 * The commands run most, as bin/devenv.cjs runs them: from a bundle of their own (dist/everyday.cjs)
 * without commander, when they are given in one of the plain forms below. commander would parse
 * them to the same action, options and arguments (test/unit/cli.test.ts holds each form to it);
 * any other form returns null here and goes to the whole CLI (cli.ts), as everything else does.
 * Both ways run the same actions (EVERYDAY) through the same context and error handling.
 */

type Options = Record<string, unknown>;

interface EverydayCommand {
  /** Whether the command places the env among "hosts" (start), or follows where it was placed. */
  place: boolean;
  run(ctx: EnvContext, opts: Options, args: string[]): Promise<number>;
}

export const EVERYDAY = {
  start: {
    place: true,
    run: async (ctx, opts) =>
      (await import('./commands/start.js')).runStart(ctx, {
        detach: Boolean(opts.detach),
        gpus: opts.gpus as string | undefined,
        wait: opts.wait as string | boolean | undefined,
        noWait: opts.wait === false,
      }),
  },
  status: {
    place: false,
    run: async (ctx, opts) =>
      (await import('./commands/status.js')).runStatus(ctx, { json: Boolean(opts.json) }),
  },
  exec: {
    place: false,
    run: async (ctx, _opts, args) => (await import('./commands/exec.js')).runExecCommand(ctx, args),
  },
  shell: {
    place: false,
    run: async (ctx) => (await import('./commands/shell.js')).runShell(ctx),
  },
} satisfies Record<string, EverydayCommand>;

export type EverydayVerb = keyof typeof EVERYDAY;

export interface EverydayInvocation {
  verb: EverydayVerb;
  opts: Options;
  args: string[];
}

/** The plain forms: `exec -- CMD…` or `exec CMD…`, `start [-d|--detach]`, `status [--json]`, `shell`. */
export function everydayInvocation(argv: string[]): EverydayInvocation | null {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'exec': {
      const command = rest[0] === '--' ? rest.slice(1) : rest;
      const first = command[0];
      if (first === undefined || (rest[0] !== '--' && first.startsWith('-'))) return null;
      return { verb, opts: {}, args: command };
    }
    case 'start':
      if (rest.length === 0) return { verb, opts: {}, args: [] };
      if (rest.length === 1 && (rest[0] === '-d' || rest[0] === '--detach'))
        return { verb, opts: { detach: true }, args: [] };
      return null;
    case 'status':
      if (rest.length === 0) return { verb, opts: {}, args: [] };
      if (rest.length === 1 && rest[0] === '--json') return { verb, opts: { json: true }, args: [] };
      return null;
    case 'shell':
      return rest.length === 0 ? { verb, opts: {}, args: [] } : null;
    default:
      return null;
  }
}

/** dist/everyday.cjs's entry: the exit code, or null when `argv` is not one of the plain forms. */
export async function main(
  argv: string[],
  processRef: NodeJS.Process = process,
  build?: BuildInfo,
): Promise<number | null> {
  const invocation = everydayInvocation(argv);
  if (!invocation) return null;
  const command: EverydayCommand = EVERYDAY[invocation.verb];
  return runMain(processRef, build, async (io, setExit, caches) => {
    // The host, as cli.ts chooses it from the options: the plain forms name none and wait for no GPUs.
    const { loadEnvContext } = await import('./app/context.js');
    const ctx = await loadEnvContext(io, {}, { place: command.place, waiting: false }, caches);
    setExit(await command.run(ctx, invocation.opts, invocation.args));
  });
}
