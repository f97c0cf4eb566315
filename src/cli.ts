import { Command, CommanderError } from 'commander';
import type { EnvContext } from './app/context.js';
import { ExitCode } from './core/errors.js';
import type { GlobalOptions, Io } from './core/io.js';
import { EVERYDAY } from './everyday.js';
import { type BuildInfo, type Caches, NO_CACHES } from './host/caches.js';
import { packageVersion } from './host/package-files.js';
import { runMain } from './main.js';

/** Options every command takes, before or after its verb; `GlobalOptions` names their values. */
const GLOBAL_OPTIONS: Array<{ flags: string; about: string; key: keyof GlobalOptions }> = [
  {
    flags: '-c, --config <path>',
    about: 'use this .devenvrc instead of searching upward from the current folder',
    key: 'config',
  },
  { flags: '--context <name>', about: 'Docker context to use (like docker --context)', key: 'context' },
  { flags: '-q, --quiet', about: 'print only errors and requested data', key: 'quiet' },
  { flags: '-v, --verbose', about: 'print more detail', key: 'verbose' },
];

function withGlobalOptions(cmd: Command): Command {
  for (const option of GLOBAL_OPTIONS) cmd.option(option.flags, option.about);
  return cmd;
}

/** run.sh's flags, kept working: `devenv --start` is `devenv start`. */
const RUN_SH_ALIASES: Record<string, string> = {
  '--start': 'start',
  '--stop': 'stop',
  '--prune': 'prune',
  '--rebuild': 'rebuild',
};

export function rewriteAliases(args: string[]): string[] {
  const takesValue = new Set(
    GLOBAL_OPTIONS.filter((o) => o.flags.includes('<')).flatMap((o) =>
      o.flags.split(/[ ,]+/).filter((f) => f.startsWith('-')),
    ),
  );
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg in RUN_SH_ALIASES)
      return [...args.slice(0, i), RUN_SH_ALIASES[arg] as string, ...args.slice(i + 1)];
    if (takesValue.has(arg)) i++;
    else if (!arg.startsWith('-')) return args;
  }
  return args;
}

/** What start and rebuild do with a healthcheck, for their --help. */
const HEALTH_HELP = `
With a healthcheck (.devenvrc "healthcheck", or the base image's own with "entrypoint": "base"),
it returns once the container is healthy, so exit 0 means ready. Unhealthy, or not healthy within
the healthcheck's own timing plus a margin (at least 60s): exit ${ExitCode.unhealthy}, the container left running.`;

/** The commands run most, whose program is built alone (see buildProgram). */
const EVERYDAY_VERBS = new Set(Object.keys(EVERYDAY));

/**
 * The verb of `args` when it is an everyday one and only global options come before it. Anything
 * else (--help or --version, an option it does not know) is for the whole program: `devenv -h
 * start` lists every verb.
 */
export function everydayVerb(args: string[]): string | undefined {
  const spellings = GLOBAL_OPTIONS.flatMap((o) => o.flags.split(/[ ,]+/).filter((f) => f.startsWith('-')));
  const takesValue = new Set(
    GLOBAL_OPTIONS.filter((o) => o.flags.includes('<')).flatMap((o) =>
      o.flags.split(/[ ,]+/).filter((f) => f.startsWith('-')),
    ),
  );
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (takesValue.has(arg)) i++;
    // `--config=FILE`: an option and its value in one word, as commander reads them.
    else if (
      spellings.includes(arg) ||
      (/^--[^=]+=/.test(arg) && takesValue.has(arg.slice(0, arg.indexOf('='))))
    )
      continue;
    else return EVERYDAY_VERBS.has(arg) ? arg : undefined;
  }
  return undefined;
}

/**
 * Builds the commander program; each action loads its command module only when it runs. With
 * `only` (an everyday verb, see everydayVerb), the program has that one command: parsing its
 * arguments needs no other, and building all of them cost each exec, start and status ~2 ms.
 */
export function buildProgram(
  io: Io,
  setExit: (code: number) => void,
  only?: string,
  caches?: Caches,
): Command {
  const wanted = (name: string) => only === undefined || only === name;
  const program = withGlobalOptions(
    new Command('devenv')
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

  const withEnv = (
    cmd: Command,
    action: (ctx: EnvContext, opts: Record<string, unknown>, args: string[]) => Promise<number>,
    options: { place?: boolean } = {},
  ) =>
    cmd.action(async (...received: unknown[]) => {
      const command = received[received.length - 1] as Command;
      const opts = command.opts();
      const { loadEnvContext } = await import('./app/context.js');
      const ctx = await loadEnvContext(
        io,
        program.opts<GlobalOptions>(),
        {
          place: Boolean(options.place),
          ...(typeof opts.on === 'string' ? { on: opts.on } : {}),
          // An invalid --gpus is refused by start itself, with its own message.
          ...(typeof opts.gpus === 'string' && /^[1-9]\d*$/.test(opts.gpus)
            ? { gpus: Number(opts.gpus) }
            : {}),
          // `start --wait` (waiting for GPUs); `--no-wait` and the default of a lone --no-wait are not.
          waiting: command.getOptionValueSource('wait') === 'cli' && opts.wait !== false,
        },
        caches,
      );
      setExit(await action(ctx, opts, command.args));
    });

  if (wanted('start'))
    withEnv(
      program
        .command('start')
        .description('build if needed, start the env and open a shell in it')
        .option('-d, --detach', 'start without attaching a shell')
        .option(
          '--gpus <count>',
          'lease this many free GPUs for this start (a new container), whatever .devenvrc says',
        )
        .option(
          '--wait [duration]',
          'wait (as long as it takes, or e.g. 30m) for enough free GPUs instead of failing',
        )
        .option(
          '--no-wait',
          'return once the container runs, without waiting for its healthcheck to pass (nor for GPUs)',
        )
        .option(
          '--on <host>',
          'start there: a "hosts" entry, a docker context or ssh://user@host; later commands follow',
        )
        .addHelpText('after', HEALTH_HELP),
      EVERYDAY.start.run,
      { place: EVERYDAY.start.place },
    );
  if (wanted('rebuild'))
    withEnv(
      program
        .command('rebuild')
        .description('rebuild the image (even if up to date), recreate the container, open a shell')
        .option('--no-cache', 'rebuild every layer from scratch')
        .option('-d, --detach', 'do not attach a shell')
        .option('--no-wait', 'return once the container runs, without waiting for its healthcheck to pass')
        .addHelpText('after', HEALTH_HELP),
      async (ctx, opts) =>
        (await import('./commands/start.js')).runStart(ctx, {
          rebuild: true,
          noCache: opts.cache === false,
          detach: Boolean(opts.detach),
          noWait: opts.wait === false,
        }),
      { place: true },
    );
  if (wanted('stop'))
    withEnv(
      program.command('stop').description('stop and remove the container (your files stay)'),
      async (ctx) => (await import('./commands/stop.js')).runStop(ctx),
    );
  if (wanted('prune'))
    withEnv(
      program
        .command('prune')
        .description('remove the container and the image (projects/ and the VS Code cache stay)')
        .option('-y, --yes', 'do not ask for confirmation'),
      async (ctx, opts) => (await import('./commands/prune.js')).runPrune(ctx, { yes: Boolean(opts.yes) }),
    );
  if (wanted('status'))
    withEnv(
      program
        .command('status')
        .description('show the env: image, container, mounts, GPUs')
        .option('--json', 'print JSON'),
      EVERYDAY.status.run,
    );
  if (wanted('exec'))
    withEnv(
      program
        .command('exec')
        .description('run a command in the env as you, in ~/projects (use -- before the command)')
        .argument('<command...>', 'the command and its arguments')
        .passThroughOptions(),
      EVERYDAY.exec.run,
    );
  if (wanted('shell'))
    withEnv(
      program.command('shell').description('open another shell in the running env'),
      EVERYDAY.shell.run,
    );
  if (wanted('config'))
    program
      .command('config')
      .description('print the effective configuration (or, with --reference, every key documented)')
      .option('--json', 'print JSON')
      .option('--reference', 'print the .devenvrc reference as Markdown')
      .action(async (opts: { json?: boolean; reference?: boolean }) => {
        if (opts.reference) {
          const { renderConfigReference } = await import('./core/config/reference.js');
          io.stdout.write(renderConfigReference());
          return;
        }
        const { loadEnvContext } = await import('./app/context.js');
        const ctx = await loadEnvContext(io, program.opts<GlobalOptions>(), {}, caches);
        setExit(await (await import('./commands/config.js')).runConfig(ctx, { json: Boolean(opts.json) }));
      });
  if (wanted('code'))
    withEnv(
      program
        .command('code')
        .description("start the env if needed, set up VS Code's attach to it, print the `code` command")
        .option('--open', 'run the `code` command instead of printing it')
        .option('--no-wait', "do not wait for the container's healthcheck to pass"),
      async (ctx, opts) =>
        (await import('./commands/code.js')).runCode(ctx, {
          open: Boolean(opts.open),
          noWait: opts.wait === false,
        }),
      { place: true },
    );
  if (wanted('logs'))
    withEnv(
      program
        .command('logs')
        .description("print the container's output")
        .option('-f, --follow', 'keep printing new output until Ctrl-C or the env stops'),
      async (ctx, opts) =>
        (await import('./commands/logs.js')).runLogs(ctx, { follow: Boolean(opts.follow) }),
    );
  if (wanted('ls'))
    program
      .command('ls')
      .description('list your envs on this engine: state, image freshness, root folder')
      .option('--all', "every user's envs")
      .option('--all-hosts', 'on every host: this engine, "hosts" and where your envs were placed')
      .option('--json', 'print JSON')
      .action(async (opts: { all?: boolean; json?: boolean; allHosts?: boolean }) => {
        const { runLs } = await import('./commands/ls.js');
        setExit(await runLs(io, program.opts<GlobalOptions>(), opts, caches ?? NO_CACHES));
      });
  if (wanted('init'))
    program
      .command('init')
      .description('write a starting .devenvrc in the current folder (asks on a terminal)')
      .action(async () => {
        const { runInit } = await import('./commands/init.js');
        setExit(await runInit(io, program.opts<GlobalOptions>()));
      });
  if (wanted('completion'))
    program
      .command('completion')
      .description('print the shell completion script (e.g. `source <(devenv completion bash)`)')
      .addArgument(program.createArgument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
      .action(async (shell: string) => {
        const { runCompletion } = await import('./commands/completion.js');
        setExit(runCompletion(program, shell, io));
      });
  if (wanted('gpus'))
    program
      .command('gpus')
      .description("the server's GPUs: who holds which (user, env, since when), and what else runs on them")
      .option('--all-hosts', 'every host: this engine, "hosts" and where your envs were placed')
      .option('--json', 'print JSON')
      .action(async (opts: { json?: boolean; allHosts?: boolean }) => {
        const { runGpus } = await import('./commands/gpus.js');
        setExit(await runGpus(io, program.opts<GlobalOptions>(), opts, caches ?? NO_CACHES));
      });
  if (wanted('doctor'))
    program
      .command('doctor')
      .description('check everything `start` needs: Docker, disk, GPUs, git, the config, the env')
      .option('--json', 'print JSON')
      .action(async (opts: { json?: boolean }) => {
        const { runDoctor } = await import('./commands/doctor.js');
        setExit(await runDoctor(io, program.opts<GlobalOptions>(), opts, caches ?? NO_CACHES));
      });
  // `devenv status -q --config x` as well as `devenv -q --config x status`: every verb also takes
  // the global options, and whichever was given is what the command sees.
  for (const cmd of program.commands) withGlobalOptions(cmd);
  program.hook('preAction', (_program, action) => {
    for (const { key } of GLOBAL_OPTIONS) {
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
      await buildProgram(io, setExit, everydayVerb(args), caches).parseAsync(args, { from: 'user' });
    },
    (error) => (error instanceof CommanderError ? (error.exitCode === 0 ? 0 : ExitCode.usage) : undefined),
  );
}
