import path from 'node:path';
import type { Io } from '../core/io.js';
import type { Reporter } from '../core/ports.js';
import { stateDir } from '../host/fs-ops.js';
import { withEnvLock } from '../host/lock.js';
import type { Env } from './env.js';

/** Runs `work` holding the env's lock (start, rebuild, stop and prune take turns), saying so when it waits. */
export function withLock<T>(
  ctx: { io: Pick<Io, 'env' | 'signal'>; ui: Reporter; env: Pick<Env, 'identity'> },
  work: () => Promise<T>,
): Promise<T> {
  const { identity } = ctx.env;
  return withEnvLock(
    path.join(stateDir(ctx.io.env), 'locks'),
    identity.containerName,
    {
      signal: ctx.io.signal,
      onWait: (holder) =>
        ctx.ui.info(
          `waiting for another devenv working on env ${identity.envName}${holder ? ` (pid ${holder.pid})` : ''}`,
        ),
    },
    work,
  );
}
