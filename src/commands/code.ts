import type { EnvContext } from '../app/context.js';
import { upEnv } from '../app/up.js';
import { commandLine, findVscode, runVscode, vscodeCommand } from '../app/vscode.js';
import { defineVerb } from '../core/verb-spec.js';

export const spec = defineVerb({
  name: 'code',
  description: "start the env if needed, set up VS Code's attach to it, print the `code` command",
  flags: {
    open: { help: 'run the `code` command instead of printing it' },
    wait: { negation: "do not wait for the container's healthcheck to pass" },
  },
  needs: 'placed-env',
  options: ({ flags }) => ({ open: Boolean(flags.open), noWait: flags.wait === false }),
  run: runCode,
});

/**
 * `devenv code [--open]`: starts the env if needed (which writes VS Code's attached-container
 * configuration), then prints (or runs) the `code` command that opens the workdir in it.
 */
export async function runCode(
  ctx: EnvContext,
  options: { open?: boolean; noWait?: boolean },
): Promise<number> {
  await upEnv(ctx, { noWait: Boolean(options.noWait) });
  const { env, site } = ctx;
  ctx.ui.info(`env ${env.identity.envName} is running`);
  const command = vscodeCommand(ctx);
  const { slurmJob } = site.endpoint;
  if (slurmJob)
    ctx.ui.info(
      `in VS Code: Remote-SSH to ${slurmJob.node} (the cluster lets you while job ${slurmJob.id} runs there), then "Dev Containers: Attach to Running Container…" ${env.identity.containerName}; or run:`,
    );
  else if (site.host.remote)
    ctx.ui.info(
      `in VS Code: Remote-SSH to ${site.endpoint.ssh?.display ?? site.name}, then "Dev Containers: Attach to Running Container…" ${env.identity.containerName}; or run:`,
    );
  if (!options.open) {
    ctx.ui.data(commandLine(command));
    return 0;
  }
  const code = findVscode(ctx.io, command);
  ctx.ui.info(`opening VS Code: ${commandLine(command)}`);
  return runVscode(ctx.io, code, command.slice(1));
}
