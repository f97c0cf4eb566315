import { spawn } from 'node:child_process';
import { DevenvError, signalExitCode } from '../core/errors.js';
import { onHost } from '../core/host.js';
import type { Io } from '../core/io.js';
import { attachedConfigFor, codeCommand, type SshHostRef, shellQuote } from '../core/vscode-attach.js';
import { userHome } from '../host/fs-ops.js';
import { findOnPath } from '../host/path-lookup.js';
import { nameConfigFiles, writeNameConfig } from '../host/vscode-config.js';
import type { EnvContext } from './context.js';
import { workdirFor } from './env-paths.js';

/** Per command run: `devenv code` starts the env (which writes the files) and must not warn twice. */
const written = new WeakMap<EnvContext, string[]>();

/**
 * Writes VS Code's attached-container configuration for the env's container, so "Attach to
 * Running Container" opens as the user in the workdir. Returns the files it wrote or kept.
 */
export async function writeVscodeAttachConfig(ctx: EnvContext): Promise<string[]> {
  const earlier = written.get(ctx);
  if (earlier) return earlier;
  const { env, site } = ctx;
  const home = site.host.remote ? site.host.account.home : userHome(ctx.io.env);
  if (!home) {
    throw new DevenvError("HOME is not set, so devenv cannot find VS Code's configuration folder", {
      hint: 'run devenv from a login shell, or set HOME',
      code: 'host',
    });
  }
  const { config } = env.loaded;
  const ours = attachedConfigFor({
    containerUser: env.containerUser.name,
    workdir: workdirFor(env),
    env: config.env,
    extensions: config.vscode.extensions,
  });
  const done: string[] = [];
  for (const file of await nameConfigFiles(site.host, home, env.identity.containerName)) {
    const outcome = await writeNameConfig(site.host, file, ours);
    if (outcome === 'unparsable') {
      ctx.ui.warn(`${file} is not a JSON object devenv can read (a syntax error?); devenv left it as it is`);
      continue;
    }
    ctx.ui.detail(`VS Code attach configuration ${outcome}: ${file}${onHost(site.host)}`);
    done.push(file);
  }
  written.set(ctx, done);
  return done;
}

/** For `start`: the VS Code configuration is a convenience, so a failure is only a warning. */
export async function syncVscodeAttachConfig(ctx: EnvContext): Promise<void> {
  try {
    await writeVscodeAttachConfig(ctx);
  } catch (error) {
    ctx.ui.warn(`could not write the VS Code attach configuration: ${(error as Error).message}`);
  }
}

/** The `code --folder-uri …` command that opens the env's workdir in VS Code, attached to its container. */
export function vscodeCommand(ctx: EnvContext): string[] {
  return codeCommand(ctx.env.identity.containerName, workdirFor(ctx.env), sshHostOf(ctx));
}

/**
 * The host VS Code reaches over Remote-SSH to attach: the engine's host, or a Slurm job's node
 * (clusters let a user SSH to a node while one of their jobs runs there).
 */
function sshHostOf(ctx: EnvContext): SshHostRef | undefined {
  const { endpoint } = ctx.site;
  if (endpoint.ssh) return endpoint.ssh;
  if (endpoint.slurmJob) return { host: endpoint.slurmJob.node, user: ctx.env.user.name, port: null };
  return undefined;
}

export function commandLine(command: string[]): string {
  return command.map(shellQuote).join(' ');
}

/** The `code` executable on PATH; one clear error when VS Code's command is not there. */
export function findVscode(io: Pick<Io, 'env'>, command: string[]): string {
  const code = findOnPath(command[0] ?? 'code', io.env.PATH);
  if (code) return code;
  throw new DevenvError('`code` (the VS Code command) is not on PATH, so devenv cannot open VS Code', {
    hint: `run it from VS Code's integrated terminal, or without --open to print the command: ${commandLine(command)}`,
    code: 'host',
  });
}

/** Runs VS Code's `code` with `args`; resolves to its exit code. */
export function runVscode(io: Pick<Io, 'env'>, code: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(code, args, { stdio: ['ignore', 'inherit', 'inherit'], env: io.env });
    child.on('error', (error) =>
      reject(new DevenvError(`could not run ${code}: ${error.message}`, { code: 'host', cause: error })),
    );
    child.on('close', (status, signal) => resolve(status ?? (signal ? signalExitCode(signal) : 1)));
  });
}
