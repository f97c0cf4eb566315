import { type Parsed, parseVerbArgv } from './core/verb-spec.js';
import type { BuildInfo } from './host/caches.js';
import { runMain } from './main.js';
import { type EnvVerb, runEnvVerb, type VerbLoader } from './run-verb.js';

/**
 * The commands run most, as bin/devenv.cjs runs them: from a bundle of their own (dist/everyday.cjs)
 * without commander, when their spec's parser (core/verb-spec.ts) reads their command line exactly
 * as commander would (test/unit/cli.test.ts holds each form it accepts to commander's result). Any
 * other form (a global option, --help, an unknown flag, a missing argument) returns null here and
 * goes to the whole CLI (cli.ts), as everything else does. Both ways run the same spec through
 * the same context and error handling.
 */
export const EVERYDAY = {
  exec: async () => (await import('./commands/exec.js')).spec,
  shell: async () => (await import('./commands/shell.js')).spec,
  start: async () => (await import('./commands/start.js')).spec,
  status: async () => (await import('./commands/status.js')).spec,
} satisfies Record<string, VerbLoader<EnvVerb>>;

export type EverydayVerb = keyof typeof EVERYDAY;

/** The verbs bin/devenv.cjs tries this bundle for: the build writes them to dist/everyday-verbs.json. */
export const EVERYDAY_VERBS: readonly string[] = Object.keys(EVERYDAY);

export function isEverydayVerb(word: string): word is EverydayVerb {
  return Object.hasOwn(EVERYDAY, word);
}

export interface EverydayInvocation {
  spec: EnvVerb;
  parsed: Parsed;
}

/** The verb's spec and its parsed command line, or null when `argv` is not a form it parses alone. */
export async function everydayInvocation(argv: string[]): Promise<EverydayInvocation | null> {
  const [verb, ...rest] = argv;
  if (verb === undefined || !isEverydayVerb(verb)) return null;
  const spec: EnvVerb = await EVERYDAY[verb]();
  const parsed = parseVerbArgv(spec, rest);
  return parsed && { spec, parsed };
}

/** dist/everyday.cjs's entry: the exit code, or null when `argv` is not one of the forms it parses. */
export async function main(
  argv: string[],
  processRef: NodeJS.Process = process,
  build?: BuildInfo,
): Promise<number | null> {
  const invocation = await everydayInvocation(argv);
  if (!invocation) return null;
  // No global options: a command line with one goes to the whole CLI.
  return runMain(processRef, build, async (io, setExit, caches) => {
    setExit(await runEnvVerb(invocation.spec, invocation.parsed, io, {}, caches));
  });
}
