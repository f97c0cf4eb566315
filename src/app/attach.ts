import type { Engine } from '../core/engine.js';
import type { Io } from '../core/io.js';
import type { EnvContext } from './context.js';

/** Environment every command run in the container gets, on top of the container's own. */
export function execEnv(ctx: Pick<EnvContext, 'io' | 'env'>, tty: boolean): string[] {
  const user = ctx.env.containerUser;
  const env = [`USER=${user.name}`, `LOGNAME=${user.name}`, `HOME=${user.home}`];
  if (tty)
    env.push(`TERM=${ctx.io.env.TERM && ctx.io.env.TERM !== 'dumb' ? ctx.io.env.TERM : 'xterm-256color'}`);
  return env;
}

/** Runs `cmd` in the env's container as the user, like `docker exec [-it]`; returns its exit code. */
export function execInEnv(
  ctx: Pick<EnvContext, 'io' | 'env' | 'site'>,
  engine: Engine,
  cmd: string[],
  workdir: string,
  tty: boolean,
): Promise<number> {
  const { env } = ctx;
  // This session's agent may be a new socket since the env started: point the stable link at it.
  if (env.loaded.config.sshAgent) ctx.site.host.agentLink();
  return engine.exec(
    {
      container: env.identity.containerName,
      cmd,
      user: `${env.containerUser.uid}:${env.containerUser.gid}`,
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
export function attachShell(
  ctx: Pick<EnvContext, 'io' | 'env' | 'site'>,
  engine: Engine,
  workdir: string,
): Promise<number> {
  return execInEnv(ctx, engine, [ctx.env.loaded.config.shell], workdir, true);
}

export function canAttach(io: Pick<Io, 'stdin' | 'stdout'>): boolean {
  return Boolean(io.stdin.isTTY && io.stdout.isTTY);
}
