import { type CliSpecs, type FlagSpecs, longFlag, negationFlag } from './verb-spec.js';

/**
 * Shell completion scripts, rendered from a description of the CLI's verbs and options (made
 * from the verbs' specs, the same that commander's program is built from, so the scripts never
 * fall out of step with it).
 */
export interface CompletionOption {
  /** Every spelling: "-d", "--detach". */
  flags: string[];
  takesValue: boolean;
  /** Allowed values, when the option has a fixed set. */
  choices: string[];
  description: string;
}

export interface CompletionVerb {
  name: string;
  description: string;
  options: CompletionOption[];
  /** Allowed values of the first argument, when it has a fixed set. */
  argChoices: string[];
  /** The verb ends with a command to run (`exec -- CMD…`): complete command names, then files. */
  runsCommand: boolean;
  /** The verb's argument names another verb (`help VERB`). */
  takesVerb: boolean;
}

export interface CompletionSpec {
  program: string;
  globalOptions: CompletionOption[];
  verbs: CompletionVerb[];
}

/** What commander adds to the program cli.ts builds: -V/--version, -h/--help on every verb, and `help VERB`. */
const COMMANDER_HELP = 'display help for command';
const VERSION: CompletionOption = {
  flags: ['-V', '--version'],
  takesValue: false,
  choices: [],
  description: 'output the version number',
};
const HELP: CompletionOption = {
  flags: ['-h', '--help'],
  takesValue: false,
  choices: [],
  description: COMMANDER_HELP,
};

/** Each flag as --help lists it: `--key` (with its short spelling), then `--no-key`. */
function completionOptions(flags: FlagSpecs): CompletionOption[] {
  return Object.entries(flags).flatMap(([key, flag]) => {
    const options: CompletionOption[] = [];
    if (flag.help !== undefined)
      options.push({
        flags: [flag.short, longFlag(key)].filter((f) => f !== undefined),
        takesValue: flag.value !== undefined,
        choices: [...(flag.choices ?? [])],
        description: flag.help,
      });
    if (flag.negation !== undefined)
      options.push({
        flags: [negationFlag(key)],
        takesValue: false,
        choices: [],
        description: flag.negation,
      });
    return options;
  });
}

/** The verbs and options as commander's help shows them: each verb's own, then the global ones. */
export function completionSpec(cli: CliSpecs): CompletionSpec {
  const globals = completionOptions(cli.globalFlags);
  return {
    program: cli.program,
    globalOptions: [VERSION, ...globals, HELP],
    verbs: [
      ...cli.verbs.map((verb) => {
        const args = Object.values(verb.args ?? {});
        return {
          name: verb.name,
          description: verb.description,
          options: [...completionOptions(verb.flags ?? {}), ...globals, HELP],
          argChoices: [...(args[0]?.choices ?? [])],
          runsCommand: args.some((a) => a.variadic),
          takesVerb: false,
        };
      }),
      {
        name: 'help',
        description: COMMANDER_HELP,
        options: [],
        argChoices: [],
        runsCommand: false,
        takesVerb: true,
      },
    ],
  };
}

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** Safe inside a single-quoted shell word. */
function single(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function words(options: CompletionOption[]): string {
  return options.flatMap((o) => o.flags).join(' ');
}

function valueFlags(options: CompletionOption[]): string[] {
  return options.filter((o) => o.takesValue).flatMap((o) => o.flags);
}

/** Docker context names from the docker CLI's store, for --context. */
function contextNames(shell: Shell): string {
  const glob = `"\${DOCKER_CONFIG:-$HOME/.docker}"/contexts/meta/*/meta.json${shell === 'zsh' ? '(N)' : ''}`;
  // /dev/null first: with no context at all, sed must not wait on the terminal.
  return `sed -n 's/.*"Name"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p' /dev/null ${glob} 2>/dev/null`;
}

function bashValueCases(options: CompletionOption[], indent: string): string[] {
  const lines: string[] = [];
  for (const option of options.filter((o) => o.takesValue)) {
    const pattern = option.flags.join('|');
    let body: string;
    if (option.choices.length > 0)
      body = `COMPREPLY=($(compgen -W ${single(option.choices.join(' '))} -- "$cur"))`;
    else if (option.flags.includes('--context'))
      body = `COMPREPLY=($(compgen -W "$(${contextNames('bash')}) default" -- "$cur"))`;
    else body = `COMPREPLY=($(compgen -f -- "$cur"))`;
    lines.push(`${indent}${pattern}) ${body}; return 0 ;;`);
  }
  return lines;
}

export function bashScript(spec: CompletionSpec): string {
  const fn = `_${spec.program.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const globalValues = valueFlags(spec.globalOptions);
  const verbNames = spec.verbs.map((v) => v.name).join(' ');
  const verbCases = spec.verbs.map((verb) => {
    const lines = [`    ${verb.name})`];
    const values = bashValueCases(verb.options, '        ');
    if (values.length > 0) lines.push('      case "$prev" in', ...values, '      esac');
    if (verb.runsCommand) {
      lines.push(
        '      ((cmdat == 0)) && [[ "$cur" != -* ]] && cmdat=$COMP_CWORD',
        '      if ((cmdat > 0)); then',
        '        if ((COMP_CWORD == cmdat)); then COMPREPLY=($(compgen -c -- "$cur"));',
        '        else COMPREPLY=($(compgen -f -- "$cur")); fi',
        '        return 0',
        '      fi',
      );
    }
    if (verb.takesVerb)
      lines.push(
        `      [[ "$cur" != -* ]] && { COMPREPLY=($(compgen -W ${single(verbNames)} -- "$cur")); return 0; }`,
      );
    if (verb.argChoices.length > 0)
      lines.push(
        `      [[ "$cur" != -* ]] && { COMPREPLY=($(compgen -W ${single(verb.argChoices.join(' '))} -- "$cur")); return 0; }`,
      );
    lines.push(`      opts=${single(words(verb.options))}`, '      ;;');
    return lines.join('\n');
  });
  return `# bash completion for ${spec.program}; generated by \`${spec.program} completion bash\`.
# Load it with: source <(${spec.program} completion bash)   (e.g. in ~/.bashrc)
${fn}() {
  local cur prev word verb='' opts='' cmdat=0 i
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=''
  ((COMP_CWORD > 0)) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ -n "$verb" ]]; then
      # Where a verb's own command line starts: after "--", or at its first plain word.
      if ((cmdat == 0)); then
        if [[ "$word" == -- ]]; then cmdat=$((i + 1)); elif [[ "$word" != -* ]]; then cmdat=$i; fi
      fi
      continue
    fi
    case "$word" in
      ${globalValues.length > 0 ? `${globalValues.join('|')}) ((i++)) ;;` : ''}
      -*) ;;
      *) verb="$word" ;;
    esac
  done
  if [[ -z "$verb" ]]; then
    case "$prev" in
${bashValueCases(spec.globalOptions, '      ').join('\n')}
    esac
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(compgen -W ${single(words(spec.globalOptions))} -- "$cur"))
    else
      COMPREPLY=($(compgen -W ${single(verbNames)} -- "$cur"))
    fi
    return 0
  fi
  case "$verb" in
${verbCases.join('\n')}
    *) return 0 ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  return 0
}
complete -F ${fn} ${spec.program}
`;
}

/** An entry for zsh's _describe: "name:description", colons in the name escaped. */
function describeEntry(name: string, description: string): string {
  return single(`${name.replace(/:/g, '\\:')}:${description.replace(/\s+/g, ' ')}`);
}

function zshOptionEntries(options: CompletionOption[]): string {
  return options.flatMap((o) => o.flags.map((flag) => describeEntry(flag, o.description))).join(' ');
}

function zshValueCases(options: CompletionOption[], indent: string): string[] {
  return options
    .filter((o) => o.takesValue)
    .map((option) => {
      const pattern = option.flags.join('|');
      let body: string;
      if (option.choices.length > 0) body = `compadd -- ${option.choices.map(single).join(' ')}`;
      else if (option.flags.includes('--context'))
        body = `compadd -- \${(f)"$(${contextNames('zsh')})"} default`;
      else body = '_files';
      return `${indent}${pattern}) ${body}; return ;;`;
    });
}

export function zshScript(spec: CompletionSpec): string {
  const fn = `_${spec.program.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const globalValues = valueFlags(spec.globalOptions);
  const verbCases = spec.verbs.map((verb) => {
    const lines = [`    ${verb.name})`];
    const values = zshValueCases(verb.options, '        ');
    if (values.length > 0) lines.push('      case $prev in', ...values, '      esac');
    if (verb.runsCommand) {
      lines.push(
        '      (( cmdat == 0 )) && [[ $cur != -* ]] && cmdat=$CURRENT',
        '      if (( cmdat > 0 )); then',
        '        if (( CURRENT == cmdat )); then _command_names -e; else _files; fi',
        '        return',
        '      fi',
      );
    }
    if (verb.takesVerb)
      lines.push(
        "      [[ $cur != -* ]] && { _describe -t commands 'devenv command' verbs; return; }".replace(
          'devenv',
          spec.program,
        ),
      );
    if (verb.argChoices.length > 0)
      lines.push(
        `      [[ $cur != -* ]] && { compadd -- ${verb.argChoices.map(single).join(' ')}; return; }`,
      );
    lines.push(`      opts=(${zshOptionEntries(verb.options)})`, '      ;;');
    return lines.join('\n');
  });
  return `#compdef ${spec.program}
# zsh completion for ${spec.program}; generated by \`${spec.program} completion zsh\`.
# Load it with: source <(${spec.program} completion zsh)   (after compinit, e.g. in ~/.zshrc),
# or save it as _${spec.program} in a folder on $fpath.
${fn}() {
  local -a verbs globals opts
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]} verb='' cmdat=0 i=2
  verbs=(${spec.verbs.map((v) => describeEntry(v.name, v.description)).join(' ')})
  globals=(${zshOptionEntries(spec.globalOptions)})
  while (( i < CURRENT )); do
    if [[ -n $verb ]]; then
      if (( cmdat == 0 )); then
        if [[ \${words[i]} == -- ]]; then cmdat=$(( i + 1 )); elif [[ \${words[i]} != -* ]]; then cmdat=$i; fi
      fi
    else
      case \${words[i]} in
        ${globalValues.length > 0 ? `${globalValues.join('|')}) (( i++ )) ;;` : ''}
        -*) ;;
        *) verb=\${words[i]} ;;
      esac
    fi
    (( i++ ))
  done
  if [[ -z $verb ]]; then
    case $prev in
${zshValueCases(spec.globalOptions, '      ').join('\n')}
    esac
    if [[ $cur == -* ]]; then
      _describe -t options '${spec.program} option' globals
    else
      _describe -t commands '${spec.program} command' verbs
    fi
    return
  fi
  case $verb in
${verbCases.join('\n')}
    *) return ;;
  esac
  _describe -t options "${spec.program} $verb option" opts
}
if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${spec.program}
fi
`;
}

export function completionScript(shell: Shell, cli: CliSpecs): string {
  const spec = completionSpec(cli);
  return shell === 'bash' ? bashScript(spec) : zshScript(spec);
}
