import { type ContainerUser, containerUserFor } from '../core/container-user.js';
import type { Engine } from '../core/engine.js';
import { type EnvIdentity, envIdentity } from '../core/identity.js';
import { type EngineEndpoint, resolveEndpoint } from '../docker/endpoint.js';
import { type LoadedConfig, loadConfig } from '../host/config-file.js';
import { currentHostUser, type HostUser, hostTimezone } from '../host/user.js';
import { createUi, type Ui } from '../ui/ui.js';

/** Options every command accepts. */
export interface GlobalOptions {
  config?: string;
  context?: string;
  quiet?: boolean;
  verbose?: boolean;
}

export interface Io {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Registers a terminal-restore action for signals; returns its unregister function. */
  onSignalRestore(restore: () => void): () => void;
  /** Aborted when the user interrupts (Ctrl-C, SIGTERM, SIGHUP). */
  signal: AbortSignal;
}

/** What a command knows about the env it acts on. Built once per command; the engine lazily. */
export interface EnvContext {
  io: Io;
  ui: Ui;
  user: HostUser;
  loaded: LoadedConfig;
  identity: EnvIdentity;
  containerUser: ContainerUser;
  endpoint: EngineEndpoint;
  engine(): Promise<Engine>;
}

export async function createUiFor(io: Io, globals: GlobalOptions): Promise<Ui> {
  return createUi({
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    quiet: Boolean(globals.quiet),
    verbose: Boolean(globals.verbose),
  });
}

export async function loadEnvContext(io: Io, globals: GlobalOptions): Promise<EnvContext> {
  const user = currentHostUser(io.env);
  const loaded = loadConfig({
    cwd: io.cwd,
    explicitFile: globals.config,
    uid: process.getuid?.() ?? user.uid,
    hostTimezone: hostTimezone(io.env),
  });
  const identity = envIdentity(loaded.config.name, user, loaded.envRoot);
  const endpoint = resolveEndpoint(io.env, globals.context);
  const ui = await createUiFor(io, globals);
  let engine: Promise<Engine> | undefined;
  return {
    io,
    ui,
    user,
    loaded,
    identity,
    containerUser: containerUserFor(user),
    endpoint,
    engine: () => {
      engine ??= import('../docker/engine.js').then(({ connectEngine }) => connectEngine(endpoint));
      return engine;
    },
  };
}
