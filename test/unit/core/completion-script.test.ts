import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../../src/app/context.js';
import { buildProgram, cliSpecs } from '../../../src/cli.js';
import {
  bashScript,
  type CompletionOption,
  type CompletionSpec,
  completionSpec,
  zshScript,
} from '../../../src/core/completion-script.js';

const cli = await cliSpecs();
const program = buildProgram({} as Io, () => {}, cli.verbs);
const spec = completionSpec(cli);

/** What commander's help shows of the program built from the same specs (hidden options left out). */
function shownByCommander(program: Command): CompletionSpec {
  const help = program.createHelp();
  const option = (o: Option): CompletionOption => ({
    flags: [o.short, o.long].filter((f): f is string => Boolean(f)),
    takesValue: o.required || o.optional,
    choices: o.argChoices ?? [],
    description: o.description,
  });
  return {
    program: program.name(),
    globalOptions: help.visibleOptions(program).map(option),
    verbs: help.visibleCommands(program).map((cmd) => {
      const args = cmd.registeredArguments;
      return {
        name: cmd.name(),
        description: cmd.description(),
        options: help.visibleOptions(cmd).map(option),
        argChoices: args[0]?.argChoices ?? [],
        runsCommand: args.some((a) => a.variadic),
        takesVerb: cmd.name() === 'help',
      };
    }),
  };
}

describe("completionSpec (from the verbs' specs)", () => {
  it("is what commander's help shows of the program built from the same specs", () => {
    expect(spec).toEqual(shownByCommander(program));
  });

  it('lists every visible verb, and help', () => {
    const expected = program.commands.map((c) => c.name());
    expect(spec.verbs.map((v) => v.name)).toEqual([...expected, 'help']);
  });

  it("lists each verb's options with every spelling", () => {
    for (const cmd of program.commands) {
      const verb = spec.verbs.find((v) => v.name === cmd.name());
      const flags = verb?.options.flatMap((o) => o.flags) ?? [];
      for (const option of cmd.options) {
        if (option.short) expect(flags).toContain(option.short);
        if (option.long) expect(flags).toContain(option.long);
      }
      expect(flags).toContain('--help');
    }
  });

  it('knows which global options take a value', () => {
    const takesValue = spec.globalOptions.filter((o) => o.takesValue).flatMap((o) => o.flags);
    expect(takesValue).toEqual(['-c', '--config', '--context']);
    expect(spec.globalOptions.flatMap((o) => o.flags)).toEqual(
      expect.arrayContaining(['-q', '--quiet', '-v', '--verbose', '-V', '--version', '-h', '--help']),
    );
  });

  it('marks exec as running a command, help as taking a verb, completion as taking a shell', () => {
    const verb = (name: string) => spec.verbs.find((v) => v.name === name);
    expect(verb('exec')?.runsCommand).toBe(true);
    expect(verb('start')?.runsCommand).toBe(false);
    expect(verb('help')?.takesVerb).toBe(true);
    expect(verb('completion')?.argChoices).toEqual(['bash', 'zsh']);
  });
});

describe('completion scripts', () => {
  const tiny: CompletionSpec = {
    program: 'devenv',
    globalOptions: [
      { flags: ['-c', '--config'], takesValue: true, choices: [], description: 'config file' },
      { flags: ['-q', '--quiet'], takesValue: false, choices: [], description: "don't talk" },
    ],
    verbs: [
      {
        name: 'start',
        description: 'start it',
        options: [
          { flags: ['-d'], takesValue: false, choices: [], description: 'detach' },
          { flags: ['--mode'], takesValue: true, choices: ['a', 'b'], description: 'mode: a or b' },
        ],
        argChoices: [],
        runsCommand: false,
        takesVerb: false,
      },
    ],
  };

  it('bash: one function, registered for devenv, with the verbs, options and option values', () => {
    const script = bashScript(tiny);
    expect(script).toContain('_devenv() {');
    expect(script).toMatch(/^complete -F _devenv devenv$/m);
    expect(script).toContain('compgen -W \'start\' -- "$cur"');
    expect(script).toContain('compgen -W \'-c --config -q --quiet\' -- "$cur"');
    expect(script).toContain("opts='-d --mode'");
    expect(script).toContain('--mode) COMPREPLY=($(compgen -W \'a b\' -- "$cur")); return 0 ;;');
    expect(script).toContain('-c|--config) ((i++)) ;;');
  });

  it('zsh: a #compdef function with described verbs and options, quotes escaped', () => {
    const script = zshScript(tiny);
    expect(script.startsWith('#compdef devenv\n')).toBe(true);
    expect(script).toContain("verbs=('start:start it')");
    expect(script).toContain("'-q:don'\\''t talk'");
    expect(script).toContain("'--mode:mode: a or b'");
    expect(script).toMatch(/compdef _devenv devenv/);
  });

  it('escapes colons in zsh names, not in descriptions', () => {
    const script = zshScript({
      ...tiny,
      verbs: [{ ...(tiny.verbs[0] as CompletionSpec['verbs'][number]), name: 'a:b', description: 'x: y' }],
    });
    expect(script).toContain("'a\\:b:x: y'");
  });
});
