import { Command, CommanderError } from 'commander';
import { ExitCode } from './core/errors.js';
import type { GlobalOptions, Io } from './core/io.js';
import {
  type CliSpecs,
  type FlagSpec,
  type FlagSpecs,
  flagDeclaration,
  flagSpellings,
  negationFlag,
  type Parsed,
} from './core/verb-spec.js';
import { EVERYDAY } from './everyday.js';
import { type BuildInfo, type Caches, NO_CACHES } from './host/caches.js';
import { packageVersion } from './host/package-files.js';
import { runMain } from './main.js';
import { isEnvVerb, runEnvVerb, type Verb, type VerbLoader } from './run-verb.js';

const PROGRAM = 'devenv';

/** Options every command takes, before or after its verb; `GlobalOptions` names their values. */
const GLOBAL_FLAGS = {
  config: {
    short: '-c',
    value: '<path>',
    help: 'use this .devenvrc instead of searching upward from the current folder',
  },
  context: { value: '<name>', help: 'Docker context to use (like docker --context)' },
  quiet: { short: '-q', help: 'print only errors and requested data' },
  verbose: { short: '-v', help: 'print more detail' },
} as const satisfies Record<keyof GlobalOptions, FlagSpec>;

/** The global options' spellings: those that take a value (`-c FILE`), and the others. */
const GLOBAL_VALUE_FLAGS = new Set(spellings(GLOBAL_FLAGS, (flag) => flag.value !== undefined));
const GLOBAL_SWITCHES = new Set(spellings(GLOBAL_FLAGS, (flag) => flag.value === undefined));

function spellings(flags: FlagSpecs, which: (flag: FlagSpec) => boolean): string[] {
  return Object.entries(flags).flatMap(([key, flag]) => (which(flag) ? flagSpellings(key, flag) : []));
}

/**
 * Every verb, in the order `devenv --help` lists them. A verb's module (its spec and its run) is
 * loaded only when that verb runs, or when the whole program is built (help, an unknown verb,
 * completion).
 */
const VERBS = {
  start: EVERYDAY.start,
  rebuild: async () => (await import('./commands/start.js')).rebuildSpec,
  stop: async () => (await import('./commands/stop.js')).spec,
  prune: async () => (await import('./commands/prune.js')).spec,
  status: EVERYDAY.status,
  exec: EVERYDAY.exec,
  shell: EVERYDAY.shell,
  config: async () => (await import('./commands/config.js')).spec,
  code: async () => (await import('./commands/code.js')).spec,
  logs: async () => (await import('./commands/logs.js')).spec,
  ls: async () => (await import('./commands/ls.js')).spec,
  init: async () => (await import('./commands/init.js')).spec,
  completion: async () => (await import('./commands/completion.js')).spec,
  gpus: async () => (await import('./commands/gpus.js')).spec,
  doctor: async () => (await import('./commands/doctor.js')).spec,
} satisfies Record<string, VerbLoader>;

export type VerbName = keyof typeof VERBS;
export const VERB_NAMES: readonly VerbName[] = Object.keys(VERBS).filter(isVerbName);

function isVerbName(word: string): word is VerbName {
  return Object.hasOwn(VERBS, word);
}

export function loadVerbs(names: readonly VerbName[]): Promise<Verb[]> {
  return Promise.all(names.map((name) => VERBS[name]()));
}

/** Every verb's spec, for completion. */
export async function cliSpecs(): Promise<CliSpecs> {
  return { program: PROGRAM, globalFlags: GLOBAL_FLAGS, verbs: await loadVerbs(VERB_NAMES) };
}

/** Declares `flags` on `cmd` as --help lists them: each `--key`, then its `--no-key`. */
function addFlags(cmd: Command, flags: FlagSpecs): Command {
  for (const [key, flag] of Object.entries(flags)) {
    if (flag.help !== undefined) {
      const option = cmd.createOption(flagDeclaration(key, flag), flag.help);
      if (flag.choices) option.choices(flag.choices);
      cmd.addOption(option);
    }
    if (flag.negation !== undefined) cmd.option(negationFlag(key), flag.negation);
  }
  return cmd;
}

function withGlobalOptions(cmd: Command): Command {
  return addFlags(cmd, GLOBAL_FLAGS);
}

/** run.sh's flags, kept working: `devenv --start` is `devenv start`. */
const RUN_SH_ALIASES: Record<string, string> = {
  '--start': 'start',
  '--stop': 'stop',
  '--prune': 'prune',
  '--rebuild': 'rebuild',
};

export function rewriteAliases(args: string[]): string[] {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg in RUN_SH_ALIASES)
      return [...args.slice(0, i), RUN_SH_ALIASES[arg] as string, ...args.slice(i + 1)];
    if (GLOBAL_VALUE_FLAGS.has(arg)) i++;
    else if (!arg.startsWith('-')) return args;
  }
  return args;
}

/**
 * The verb of `args` when only global options come before it, so that the program can be built
 * with that verb alone (see buildProgram). Anything else (no verb, `help`, --help or --version, an
 * option it does not know, an unknown verb) is for the whole program, which alone answers it as
 * commander does: the list of every verb, or the nearest one to suggest.
 */
export function verbOf(args: string[]): VerbName | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (GLOBAL_VALUE_FLAGS.has(arg)) i++;
    else if (!GLOBAL_SWITCHES.has(arg) && !isGlobalWithValue(arg)) return isVerbName(arg) ? arg : undefined;
  }
  return undefined;
}

/** `--config=FILE`: a global option and its value in one word, as commander reads them. */
function isGlobalWithValue(arg: string): boolean {
  return /^--[^=]+=/.test(arg) && GLOBAL_VALUE_FLAGS.has(arg.slice(0, arg.indexOf('=')));
}

/**
 * Builds the commander program of `verbs` (all of them, or the one verbOf found: parsing a verb's
 * arguments needs no other, and loading every command module costs each command), from their
 * specs: their help, flags and arguments, and an action that runs the verb with the options its
 * spec maps from what commander parsed.
 */
export function buildProgram(
  io: Io,
  setExit: (code: number) => void,
  verbs: readonly Verb[],
  caches: Caches = NO_CACHES,
): Command {
  const program = withGlobalOptions(
    new Command(PROGRAM)
      .description('Your GPU dev container on a shared server: your user, your repo, your GPUs, one command.')
      .version(packageVersion(), '-V, --version'),
  )
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // Through io: its streams are made on first use, with the guard for a reader that went away.
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) =>
        // One line: commander puts its "(Did you mean …?)" suggestion on a line of its own.
        write(
          `devenv: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')} (see \`devenv --help\`)\n`,
        ),
    })
    .addHelpText(
      'after',
      '\nrun.sh users: --start, --stop, --prune and --rebuild still work.\nExit codes: docs/exit-codes.md',
    );

  for (const verb of verbs) {
    const cmd = addFlags(program.command(verb.name).description(verb.description), verb.flags ?? {});
    const argNames = Object.keys(verb.args ?? {});
    for (const [name, arg] of Object.entries(verb.args ?? {})) {
      const argument = cmd.createArgument(arg.variadic ? `<${name}...>` : `<${name}>`, arg.help);
      if (arg.choices) argument.choices(arg.choices);
      cmd.addArgument(argument);
    }
    if (verb.passThrough) cmd.passThroughOptions();
    if (verb.helpAfter !== undefined) cmd.addHelpText('after', verb.helpAfter);
    cmd.action(async () => {
      // What commander parsed is what the spec declared: the program is built from it.
      const parsed: Parsed = {
        flags: cmd.opts(),
        args: Object.fromEntries(argNames.map((name, i) => [name, cmd.processedArgs[i]])),
      };
      const globals = program.opts<GlobalOptions>();
      if (isEnvVerb(verb)) setExit(await runEnvVerb(verb, parsed, io, globals, caches));
      else setExit(await verb.run({ io, globals, caches, cli: cliSpecs }, verb.options(parsed)));
    });
  }
  // `devenv status -q --config x` as well as `devenv -q --config x status`: every verb also takes
  // the global options, and whichever was given is what the command sees.
  for (const cmd of program.commands) withGlobalOptions(cmd);
  program.hook('preAction', (_program, action) => {
    for (const key of Object.keys(GLOBAL_FLAGS)) {
      const value = action.getOptionValue(key);
      if (value !== undefined) program.setOptionValue(key, value);
    }
  });
  return program;
}

export function main(
  argv: string[],
  processRef: NodeJS.Process = process,
  build?: BuildInfo,
): Promise<number> {
  return runMain(
    processRef,
    build,
    async (io, setExit, caches) => {
      const args = rewriteAliases(argv);
      const verb = verbOf(args);
      const verbs = await loadVerbs(verb === undefined ? VERB_NAMES : [verb]);
      await buildProgram(io, setExit, verbs, caches).parseAsync(args, { from: 'user' });
    },
    (error) => (error instanceof CommanderError ? (error.exitCode === 0 ? 0 : ExitCode.usage) : undefined),
  );
}
