import { type ContainerUser, containerUserFor } from '../core/container-user.js';
import type { Engine } from '../core/engine.js';
import type { EngineGpuSupport } from '../core/gpu/gpu-plan.js';
import { type EnvIdentity, envIdentity, type HostUser } from '../core/identity.js';
import { type EngineEndpoint, resolveEndpoint } from '../docker/endpoint.js';
import { type LoadedConfig, loadConfig } from '../host/config-file.js';
import type { HostGpuDetection } from '../host/gpu.js';
import { currentHostUser, hostTimezone } from '../host/user.js';
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
  /** The host's GPUs (nvidia-smi), asked once per command. */
  hostGpus(): Promise<HostGpuDetection>;
  /** What the engine offers for GPUs (`docker info`, the NVIDIA hook, CDI specs), asked once per command. */
  engineGpuSupport(): Promise<EngineGpuSupport>;
}

export async function loadHostContext(io: Io, globals: GlobalOptions): Promise<HostContext> {
  const endpoint = resolveEndpoint(io.env, globals.context);
  let engine: Promise<Engine> | undefined;
  let gpus: Promise<HostGpuDetection> | undefined;
  let support: Promise<EngineGpuSupport> | undefined;
  const connect = () => {
    // Connected on first use: commands that never talk to the engine never load dockerode.
    engine ??= import('../docker/engine.js').then(({ connectEngine }) => connectEngine(endpoint));
    return engine;
  };
  return {
    io,
    ui: await createUiFor(io, globals),
    user: currentHostUser(io.env),
    endpoint,
    engine: connect,
    hostGpus: () => {
      gpus ??= import('../host/gpu.js').then(({ detectHostGpus }) => detectHostGpus({ env: io.env }));
      return gpus;
    },
    engineGpuSupport: () => {
      support ??= detectSupport(io.env, connect);
      return support;
    },
  };
}

async function detectSupport(
  env: NodeJS.ProcessEnv,
  engine: () => Promise<Engine>,
): Promise<EngineGpuSupport> {
  const [{ detectEngineGpuSupport }, info] = await Promise.all([
    import('../host/gpu.js'),
    engine().then((e) => e.info()),
  ]);
  return detectEngineGpuSupport({ Runtimes: info.runtimes, CDISpecDirs: info.cdiSpecDirs }, env);
}

/** The env of the .devenvrc at `io.cwd` (or --config). */
export async function loadEnvContext(io: Io, globals: GlobalOptions): Promise<EnvContext> {
  // The config first: a bad .devenvrc is the error to report, whatever else is wrong.
  const loaded = loadEnvConfig(io.env, io.cwd, globals.config);
  return envContextFor(await loadHostContext(io, globals), loaded);
}

/** Reads the .devenvrc found from `cwd` upward (or `explicitFile`), checked and with defaults. */
export function loadEnvConfig(env: NodeJS.ProcessEnv, cwd: string, explicitFile?: string): LoadedConfig {
  return loadConfig({
    cwd,
    explicitFile,
    uid: process.getuid?.() ?? currentHostUser(env).uid,
    hostTimezone: hostTimezone(env),
  });
}

/** The one way to make an env's context: the host's, plus what its config decides. */
export function envContextFor(host: HostContext, loaded: LoadedConfig): EnvContext {
  return {
    ...host,
    loaded,
    identity: envIdentity(loaded.config.name, host.user, loaded.envRoot),
    containerUser: containerUserFor(host.user),
  };
}
