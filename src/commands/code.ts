import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { EnvContext } from '../app/context.js';
import { writeVscodeAttachConfig } from '../app/vscode.js';
import { workdirFor } from '../app/workdir.js';
import { DevenvError, signalExitCode } from '../core/errors.js';
import { codeCommand, shellQuote } from '../core/vscode-attach.js';
import { runStart } from './start.js';

/** The first executable `name` on PATH, or null. */
export function findOnPath(name: string, envPath: string | undefined): string | null {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * `devenv code [--open]`: starts the env if needed, writes VS Code's attached-container
 * configuration, then prints (or runs) the `code` command that opens the workdir in it.
 */
export async function runCode(ctx: EnvContext, options: { open?: boolean }): Promise<number> {
  const started = await runStart(ctx, { detach: true });
  if (started !== 0) return started;
  writeVscodeAttachConfig(ctx);
  const [command, ...args] = codeCommand(ctx.identity.containerName, workdirFor(ctx)) as [
    string,
    ...string[],
  ];
  const line = [command, ...args].map(shellQuote).join(' ');
  if (!options.open) {
    ctx.ui.data(line);
    return 0;
  }
  const code = findOnPath(command, ctx.io.env.PATH);
  if (!code) {
    throw new DevenvError('`code` (the VS Code command) is not on PATH, so devenv cannot open VS Code', {
      hint: `run it from VS Code's integrated terminal, or without --open to print the command: ${line}`,
      code: 'host',
    });
  }
  ctx.ui.info(`opening VS Code: ${line}`);
  return new Promise((resolve, reject) => {
    const child = spawn(code, args, { stdio: ['ignore', 'inherit', 'inherit'], env: ctx.io.env });
    child.on('error', (error) =>
      reject(new DevenvError(`could not run ${code}: ${error.message}`, { code: 'host', cause: error })),
    );
    child.on('close', (status, signal) => resolve(status ?? (signal ? signalExitCode(signal) : 1)));
  });
}
