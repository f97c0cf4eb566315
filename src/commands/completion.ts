import type { Command, Option } from 'commander';
import {
  type CliSpec,
  completionScript,
  type OptionSpec,
  SHELLS,
  type Shell,
} from '../core/completion-script.js';
import { DevenvError } from '../core/errors.js';
import type { Io } from '../core/io.js';

function optionSpec(option: Option): OptionSpec {
  return {
    flags: [option.short, option.long].filter((f): f is string => Boolean(f)),
    takesValue: option.required || option.optional,
    choices: option.argChoices ?? [],
    description: option.description,
  };
}

/** The verbs and options of the commander program, as help shows them (hidden ones left out). */
export function cliSpec(program: Command): CliSpec {
  const help = program.createHelp();
  return {
    program: program.name(),
    globalOptions: help.visibleOptions(program).map(optionSpec),
    verbs: help.visibleCommands(program).map((cmd) => {
      const args = cmd.registeredArguments;
      return {
        name: cmd.name(),
        description: cmd.description(),
        options: help.visibleOptions(cmd).map(optionSpec),
        argChoices: args[0]?.argChoices ?? [],
        runsCommand: args.some((a) => a.variadic),
        takesVerb: cmd.name() === 'help',
      };
    }),
  };
}

/** `devenv completion bash|zsh`: prints the completion script on stdout. */
export function runCompletion(program: Command, shell: string, io: Pick<Io, 'stdout'>): number {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new DevenvError(`no completion for shell ${JSON.stringify(shell)}`, {
      hint: `use one of: ${SHELLS.join(', ')}`,
      code: 'usage',
    });
  }
  io.stdout.write(completionScript(shell as Shell, cliSpec(program)));
  return 0;
}
