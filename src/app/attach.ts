import type { Engine } from '../core/engine.js';
import { linkAgentSocket } from '../host/ssh-agent.js';
import type { EnvContext } from './context.js';

/** Environment every command run in the container gets, on top of the container's own. */
export function execEnv(ctx: EnvContext, tty: boolean): string[] {
  const user = ctx.containerUser;
  const env = [`USER=${user.name}`, `LOGNAME=${user.name}`, `HOME=${user.home}`];
  if (tty)
    env.push(`TERM=${ctx.io.env.TERM && ctx.io.env.TERM !== 'dumb' ? ctx.io.env.TERM : 'xterm-256color'}`);
  return env;
}

/** Runs `cmd` in the env's container as the user, like `docker exec [-it]`; returns its exit code. */
export function execInEnv(
  ctx: EnvContext,
  engine: Engine,
  cmd: string[],
  workdir: string,
  tty: boolean,
): Promise<number> {
  // This session's agent may be a new socket since the env started: point the stable link at it.
  if (ctx.loaded.config.sshAgent && !ctx.host.remote) linkAgentSocket(ctx.io.env, ctx.user.uid);
  return engine.exec(
    {
      container: ctx.identity.containerName,
      cmd,
      user: `${ctx.containerUser.uid}:${ctx.containerUser.gid}`,
      workdir,
      env: execEnv(ctx, tty),
      tty,
    },
    // The streams themselves, each made when the command first reads or writes it.
    ctx.io,
    ctx.io.onSignalRestore,
  );
}

/** An interactive shell in the env, when there is a terminal to attach. */
export function attachShell(ctx: EnvContext, engine: Engine, workdir: string): Promise<number> {
  return execInEnv(ctx, engine, [ctx.loaded.config.shell], workdir, true);
}

export function canAttach(ctx: EnvContext): boolean {
  return Boolean(ctx.io.stdin.isTTY && ctx.io.stdout.isTTY);
}
