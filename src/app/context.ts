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
export interface EnvContext extends HostContext {
  loaded: LoadedConfig;
  identity: EnvIdentity;
  containerUser: ContainerUser;
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
  const endpoint = resolveEndpoint(io.env, globals.context);
  let engine: Promise<Engine> | undefined;
  return {
    io,
    ui: await createUiFor(io, globals),
    user: currentHostUser(io.env),
    endpoint,
    // Connected on first use: commands that never talk to the engine never load dockerode.
    engine: () => {
      engine ??= import('../docker/engine.js').then(({ connectEngine }) => connectEngine(endpoint));
      return engine;
    },
  };
}

export async function loadEnvContext(io: Io, globals: GlobalOptions): Promise<EnvContext> {
  // The config first: a bad .devenvrc is the error to report, whatever else is wrong.
  const loaded = loadConfig({
    cwd: io.cwd,
    explicitFile: globals.config,
    uid: process.getuid?.() ?? currentHostUser(io.env).uid,
    hostTimezone: hostTimezone(io.env),
  });
  const host = await loadHostContext(io, globals);
  return {
    ...host,
    loaded,
    identity: envIdentity(loaded.config.name, host.user, loaded.envRoot),
    containerUser: containerUserFor(host.user),
  };
}
