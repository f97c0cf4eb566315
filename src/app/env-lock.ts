import path from 'node:path';
import { stateDir } from '../host/fs-ops.js';
import { withEnvLock } from '../host/lock.js';
import type { EnvContext } from './context.js';

/** Runs `work` holding the env's lock (start, rebuild, stop and prune take turns), saying so when it waits. */
export function withLock<T>(ctx: EnvContext, work: () => Promise<T>): Promise<T> {
  return withEnvLock(
    path.join(stateDir(ctx.io.env), 'locks'),
    ctx.identity.containerName,
    {
      signal: ctx.io.signal,
      onWait: (holder) =>
        ctx.ui.info(
          `waiting for another devenv working on env ${ctx.identity.envName}${holder ? ` (pid ${holder.pid})` : ''}`,
        ),
    },
    work,
  );
}
