import { completionScript, SHELLS, type Shell } from '../core/completion-script.js';
import type { Io } from '../core/io.js';
import { type CliSpecs, defineVerb } from '../core/verb-spec.js';

export const spec = defineVerb({
  name: 'completion',
  description: 'print the shell completion script (e.g. `source <(devenv completion bash)`)',
  // Any other shell is refused when the command line is parsed.
  args: { shell: { help: 'bash or zsh', choices: SHELLS } },
  needs: 'none',
  options: ({ args }) => ({ shell: args.shell }),
  run: async ({ io, cli }: { io: Io; cli(): Promise<CliSpecs> }, options) =>
    runCompletion(await cli(), options.shell, io),
});

/** `devenv completion bash|zsh`: prints the completion script on stdout, made from every verb's spec. */
export function runCompletion(cli: CliSpecs, shell: Shell, io: Pick<Io, 'stdout'>): number {
  io.stdout.write(completionScript(shell, cli));
  return 0;
}
