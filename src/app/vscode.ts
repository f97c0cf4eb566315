import { DevenvError } from '../core/errors.js';
import { attachedConfigFor } from '../core/vscode-attach.js';
import { userHome } from '../host/fs-ops.js';
import { nameConfigFiles, writeNameConfig } from '../host/vscode-config.js';
import type { EnvContext } from './context.js';
import { workdirFor } from './workdir.js';

/** Per command run: `devenv code` starts the env (which writes the files) and must not warn twice. */
const written = new WeakMap<EnvContext, string[]>();

/**
 * Writes VS Code's attached-container configuration for the env's container, so "Attach to
 * Running Container" opens as the user in the workdir. Returns the files it wrote or kept.
 */
export function writeVscodeAttachConfig(ctx: EnvContext): string[] {
  const earlier = written.get(ctx);
  if (earlier) return earlier;
  const home = userHome(ctx.io.env);
  if (!home) {
    throw new DevenvError("HOME is not set, so devenv cannot find VS Code's configuration folder", {
      hint: 'run devenv from a login shell, or set HOME',
      code: 'host',
    });
  }
  const { config } = ctx.loaded;
  const ours = attachedConfigFor({
    containerUser: ctx.containerUser.name,
    workdir: workdirFor(ctx),
    env: config.env,
    extensions: config.vscode.extensions,
  });
  const done: string[] = [];
  for (const file of nameConfigFiles(home, ctx.identity.containerName)) {
    const outcome = writeNameConfig(file, ours, ctx.user);
    if (outcome === 'unparsable') {
      ctx.ui.warn(`${file} is not a plain JSON object (comments?); devenv left it as it is`);
      continue;
    }
    ctx.ui.detail(`VS Code attach configuration ${outcome}: ${file}`);
    done.push(file);
  }
  written.set(ctx, done);
  return done;
}

/** For `start`: the VS Code configuration is a convenience, so a failure is only a warning. */
export function syncVscodeAttachConfig(ctx: EnvContext): void {
  try {
    writeVscodeAttachConfig(ctx);
  } catch (error) {
    ctx.ui.warn(`could not write the VS Code attach configuration: ${(error as Error).message}`);
  }
}
