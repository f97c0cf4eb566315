import type { HostChoice } from './placement.js';

/**
 * A verb, declared once: its name and help, its arguments and flags, what it needs before it
 * runs, and how its parsed flags become the typed options of its run. Each `src/commands/<verb>.ts`
 * exports its verb's spec; the commander program (cli.ts), the everyday commands' own parser
 * (everyday.ts, through parseVerbArgv below), bin/devenv.cjs's list of everyday verbs and shell
 * completion (completion-script.ts) are derived from them.
 *
 * Core names no type of the layers above it: what a verb's run is given (an env, or the terminal
 * and the global options) is the type parameter `Ctx`, which its command module fills in.
 */

/**
 * One flag. Its key in a verb's `flags` is its long name in camelCase (`allHosts` is
 * `--all-hosts`), which is also what commander calls its value. With `help` the flag is `--key`;
 * with `negation` there is also (or only) `--no-key`, which makes the value false.
 */
export type FlagSpec =
  | {
      /** The one-letter spelling: '-d'. */
      readonly short?: `-${string}`;
      /** The value it takes: '<count>' (required) or '[duration]' (optional: alone, the flag is true). */
      readonly value?: `<${string}>` | `[${string}]`;
      /** The allowed values, when there is a fixed set. */
      readonly choices?: readonly string[];
      readonly help: string;
      /** Help for `--no-key`, listed right after `--key`. */
      readonly negation?: string;
    }
  | {
      /** `--no-key` alone: the value is true unless it is given. */
      readonly negation: string;
      readonly help?: undefined;
      readonly short?: undefined;
      readonly value?: undefined;
      readonly choices?: undefined;
    };

export interface ArgSpec {
  readonly help: string;
  /** Takes every remaining argument (`<command...>`); only the last argument may. */
  readonly variadic?: boolean;
  readonly choices?: readonly string[];
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;
/** The arguments, in their order on the command line; every one is required. */
export type ArgSpecs = Readonly<Record<string, ArgSpec>>;

type Choice<T> = T extends { readonly choices: readonly (infer C)[] } ? C : string;

/** What a flag's value can be once parsed (absent when not given and without a default). */
export type FlagValue<F> = F extends { readonly help: string }
  ?
      | (F extends { readonly value: `<${string}>` }
          ? Choice<F>
          : F extends { readonly value: `[${string}]` }
            ? Choice<F> | true
            : true)
      | (F extends { readonly negation: string } ? false : never)
  : boolean;

export type ArgValue<A> = A extends { readonly variadic: true } ? Choice<A>[] : Choice<A>;

/** A verb's command line, parsed: what its options mapper is given. */
export interface Parsed<Fs extends FlagSpecs = FlagSpecs, As extends ArgSpecs = ArgSpecs> {
  // Any verb's (the entry points' view) when the flags are not known.
  flags: string extends keyof Fs
    ? Readonly<Record<string, string | boolean | undefined>>
    : { readonly [K in keyof Fs]?: FlagValue<Fs[K]> };
  args: string extends keyof As
    ? Readonly<Record<string, string | string[]>>
    : { readonly [K in keyof As]: ArgValue<As[K]> };
}

/**
 * What an entry point prepares before a verb runs: the env, placed among "hosts" ('placed-env':
 * start, rebuild, code) or where it was placed ('env'). Or nothing, for a verb that opens what
 * it asks itself: the engine's host ('host': ls, gpus and doctor; ls and gpus ask every host with
 * --all-hosts), or no host at all ('none': init, completion, and config, whose --reference needs
 * no .devenvrc).
 */
export type Needs = 'placed-env' | 'env' | 'host' | 'none';

/** What a verb's flags say about where its env runs (whether to place it at all is its `needs`). */
export type PlacementChoice = Omit<HostChoice, 'place'>;

/*
 * Methods, not function-typed properties: a verb's spec, whose options and run take its own
 * types, must be assignable to the entry points' list of verbs, whose options are `unknown`
 * (method parameters are compared both ways; see src/run-verb.ts).
 */
export interface VerbSpec<
  Fs extends FlagSpecs = FlagSpecs,
  As extends ArgSpecs = ArgSpecs,
  O = unknown,
  Ctx = unknown,
  N extends Needs = Needs,
> {
  name: string;
  /** One line, for `devenv --help` and completion. */
  description: string;
  args?: As;
  /** In the order --help lists them. */
  flags?: Fs;
  /** Options stop at the first argument, which starts a command line of its own (exec). */
  passThrough?: boolean;
  /** Printed after the verb's own --help. */
  helpAfter?: string;
  needs: N;
  /** The verb's options, from its parsed command line. */
  options(parsed: Parsed<Fs, As>): O;
  /** Where the env runs, when the verb's flags choose ('placed-env' and 'env' verbs only). */
  placement?(parsed: Parsed<Fs, As>): PlacementChoice;
  run(context: Ctx, options: O): Promise<number>;
}

/** Declares a verb, keeping its flags' literal types so that `options` sees exactly its flags. */
export function defineVerb<
  const Fs extends FlagSpecs = Record<never, never>,
  const As extends ArgSpecs = Record<never, never>,
  O = unknown,
  Ctx = unknown,
  const N extends Needs = Needs,
>(spec: VerbSpec<Fs, As, O, Ctx, N>): VerbSpec<Fs, As, O, Ctx, N> {
  return spec;
}

/** The whole command line's verbs, for what describes them all (completion). */
export interface CliSpecs {
  program: string;
  /** The options every verb takes, before or after it. */
  globalFlags: FlagSpecs;
  verbs: readonly VerbSpec[];
}

/** `allHosts` -> `--all-hosts`. */
export function longFlag(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** `--no-all-hosts`. */
export function negationFlag(key: string): string {
  return `--no-${longFlag(key).slice(2)}`;
}

/** The flag as commander declares it: '-d, --detach', '--gpus <count>'. */
export function flagDeclaration(key: string, flag: FlagSpec & { help: string }): string {
  const names = [flag.short, longFlag(key)].filter((n) => n !== undefined).join(', ');
  return flag.value === undefined ? names : `${names} ${flag.value}`;
}

/** Every spelling of a flag that commander accepts: '-d', '--detach', '--no-detach'. */
export function flagSpellings(key: string, flag: FlagSpec): string[] {
  return [
    ...(flag.help === undefined ? [] : [flag.short, longFlag(key)].filter((n) => n !== undefined)),
    ...(flag.negation === undefined ? [] : [negationFlag(key)]),
  ];
}

type Spelling = { key: string; flag: FlagSpec; negated: boolean };

/**
 * A verb's command line (after the verb) parsed by its spec, as commander parses it (cli.ts
 * builds its program from the same spec), or null for anything this parser leaves to commander:
 * an option the verb does not declare (a global one, --help, a group such as -dq, a negative
 * number), a value that looks like an option, a missing or extra argument, a value outside its
 * choices. test/unit/cli.test.ts holds every form it accepts to commander's result.
 */
export function parseVerbArgv(
  spec: Pick<VerbSpec, 'flags' | 'args' | 'passThrough'>,
  argv: readonly string[],
): Parsed | null {
  const spellings = new Map<string, Spelling>();
  const flags: Record<string, string | boolean> = {};
  for (const [key, flag] of Object.entries(spec.flags ?? {})) {
    if (flag.help === undefined) flags[key] = true;
    for (const spelling of flagSpellings(key, flag))
      spellings.set(spelling, { key, flag, negated: spelling === negationFlag(key) });
  }
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    // `-` alone is an argument to commander too.
    if (!arg.startsWith('-') || arg === '-') {
      if (spec.passThrough) {
        operands.push(...argv.slice(i));
        break;
      }
      operands.push(arg);
      continue;
    }
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const found = spellings.get(equals > 2 ? arg.slice(0, equals) : arg);
    if (!found) return null;
    const { key, flag } = found;
    if (found.negated || flag.value === undefined) {
      if (equals > 2) return null;
      flags[key] = !found.negated;
      continue;
    }
    const next = argv[i + 1];
    let value: string | true;
    if (equals > 2) value = arg.slice(equals + 1);
    else if (next !== undefined && !next.startsWith('-')) {
      value = next;
      i++;
    } else if (flag.value.startsWith('[') && (next === undefined || next === '--' || spellings.has(next)))
      value = true;
    else return null;
    if (value !== true && flag.choices && !flag.choices.includes(value)) return null;
    flags[key] = value;
  }

  const args: Record<string, string | string[]> = {};
  const declared = Object.entries(spec.args ?? {});
  for (const [index, [name, arg]] of declared.entries()) {
    const given = arg.variadic ? operands.slice(index) : operands.slice(index, index + 1);
    if (given.length === 0 || (arg.choices && given.some((g) => !arg.choices?.includes(g)))) return null;
    args[name] = arg.variadic ? given : (given[0] as string);
  }
  if (!declared.some(([, arg]) => arg.variadic) && operands.length > declared.length) return null;
  return { flags, args };
}
