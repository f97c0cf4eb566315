import type { EnvContext } from '../app/context.js';
import { upEnv } from '../app/up.js';
import { commandLine, findVscode, runVscode, vscodeCommand } from '../app/vscode.js';

/**
 * `devenv code [--open]`: starts the env if needed (which writes VS Code's attached-container
 * configuration), then prints (or runs) the `code` command that opens the workdir in it.
 */
export async function runCode(
  ctx: EnvContext,
  options: { open?: boolean; noWait?: boolean },
): Promise<number> {
  await upEnv(ctx, { noWait: Boolean(options.noWait) });
  ctx.ui.info(`env ${ctx.identity.envName} is running`);
  const command = vscodeCommand(ctx);
  if (ctx.host.remote)
    ctx.ui.info(
      `in VS Code: Remote-SSH to ${ctx.endpoint.ssh?.display ?? ctx.host.name}, then "Dev Containers: Attach to Running Container…" ${ctx.identity.containerName}; or run:`,
    );
  if (!options.open) {
    ctx.ui.data(commandLine(command));
    return 0;
  }
  const code = findVscode(ctx, command);
  ctx.ui.info(`opening VS Code: ${commandLine(command)}`);
  return runVscode(ctx, code, command.slice(1));
}
