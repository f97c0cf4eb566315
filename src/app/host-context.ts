import type { Engine } from '../core/engine.js';
import { type EngineEndpoint, resolveEndpoint } from '../docker/endpoint.js';
import { currentHostUser, type HostUser } from '../host/user.js';
import type { Ui } from '../ui/ui.js';
import { createUiFor, type GlobalOptions, type Io } from './context.js';

/**
 * What a command that is not about the current folder's env knows (`ls`, `init`): the host
 * user, the terminal and the engine. It never reads a .devenvrc, so a broken one cannot stop it.
 */
export interface HostContext {
  io: Io;
  ui: Ui;
  user: HostUser;
  endpoint: EngineEndpoint;
  engine(): Promise<Engine>;
}

export async function loadHostContext(io: Io, globals: GlobalOptions): Promise<HostContext> {
  const user = currentHostUser(io.env);
  const endpoint = resolveEndpoint(io.env, globals.context);
  const ui = await createUiFor(io, globals);
  let engine: Promise<Engine> | undefined;
  return {
    io,
    ui,
    user,
    endpoint,
    engine: () => {
      engine ??= import('../docker/engine.js').then(({ connectEngine }) => connectEngine(endpoint));
      return engine;
    },
  };
}
