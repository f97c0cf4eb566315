import { configHash, rememberConfigHash } from '../core/container-plan.js';
import { type ContainerUser, containerUserFor } from '../core/container-user.js';
import type { Engine } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import type { EngineGpuSupport } from '../core/gpu/gpu-plan.js';
import type { Host } from '../core/host.js';
import { type EnvIdentity, envIdentity, type HostUser } from '../core/identity.js';
import { envRootOnHost } from '../core/remote-root.js';
import { describeEndpoint, type EngineEndpoint, resolveEndpoint } from '../docker/endpoint.js';
import { openConfigCache } from '../host/config-cache.js';
import { configOwnerUid, type LoadedConfig, readConfigSource } from '../host/config-file.js';
import type { HostGpuDetection } from '../host/gpu.js';
import { localHost } from '../host/local-host.js';
import { hostTimezone } from '../host/user.js';
import { createUi, type Ui } from '../ui/ui.js';
import type { HostChoice, PlacementDecision } from './placement.js';

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
  /** When devenv runs from its bundle: that build's key and the user's folder for its caches. */
  build?: BuildInfo | undefined;
}

export interface BuildInfo {
  key: string;
  cacheDir: string;
  /**
   * Says this run took a path that most runs of its command do not (the config checked by the
   * schema, an image built): bin/devenv.cjs then keeps the compiled code of a later run instead.
   */
  tookRarePath(): void;
}

/** What a command knows about the env it acts on. Built once per command; the engine lazily. */
export interface EnvContext extends HostContext {
  loaded: LoadedConfig;
  /** Where the env's folders live on its host: the .devenvrc's folder here, remoteRoot on a remote host. */
  hostRoot: string;
  identity: EnvIdentity;
  containerUser: ContainerUser;
  /** Set when the env's placement ("hosts", --on, the record) chose the host; start records it once the env runs there. */
  placement?: PlacementDecision | null;
}

export async function createUiFor(io: Io, globals: GlobalOptions): Promise<Ui> {
  return createUi({
    // Read when written to: a command that prints no data never makes process.stdout.
    get stdout() {
      return io.stdout;
    },
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
  /** The engine's host, where folders, clones and nvidia-smi run: this machine or one over SSH. */
  host: Host;
  /** The env owner: the host's account (the remote one for a remote engine). */
  user: HostUser;
  endpoint: EngineEndpoint;
  engine(): Promise<Engine>;
  /** The host's GPUs (nvidia-smi), asked once per command. */
  hostGpus(): Promise<HostGpuDetection>;
  /** What the engine offers for GPUs (`docker info`, the NVIDIA hook, CDI specs), asked once per command. */
  engineGpuSupport(): Promise<EngineGpuSupport>;
}

export async function loadHostContext(io: Io, globals: GlobalOptions): Promise<HostContext> {
  return openHostContext(io, await createUiFor(io, globals), resolveEndpoint(io.env, globals.context));
}

/** The context of the engine at `endpoint` and of its host (over SSH for an ssh:// engine). */
export async function openHostContext(io: Io, ui: Ui, endpoint: EngineEndpoint): Promise<HostContext> {
  const host = await openHost(io.env, endpoint);
  let engine: Promise<Engine> | undefined;
  let gpus: Promise<HostGpuDetection> | undefined;
  let support: Promise<EngineGpuSupport> | undefined;
  const connect = () => {
    // Connected on first use: commands that never talk to the engine never load dockerode.
    engine ??= import('../docker/engine.js').then(({ connectEngine }) => connectEngine(endpoint, io.env));
    return engine;
  };
  return {
    io,
    ui,
    host,
    user: { name: host.account.name, uid: host.account.uid, gid: host.account.gid },
    endpoint,
    engine: connect,
    hostGpus: () => {
      gpus ??= import('../host/gpu.js').then(({ detectHostGpus }) => detectHostGpus({ env: io.env, host }));
      return gpus;
    },
    engineGpuSupport: () => {
      support ??= detectSupport(host, connect);
      return support;
    },
  };
}

/**
 * This machine for a local engine; the engine's host over SSH for an ssh:// one. A tcp:// engine
 * on another machine is refused: devenv has no way to make folders, clone or run nvidia-smi there.
 */
async function openHost(env: NodeJS.ProcessEnv, endpoint: EngineEndpoint): Promise<Host> {
  if (endpoint.ssh) {
    const { openSshHost } = await import('../host/ssh-host.js');
    return openSshHost(endpoint.ssh, endpoint.hostName, env);
  }
  if (endpoint.remote)
    throw new DevenvError(
      `devenv cannot use the engine at ${describeEndpoint(endpoint)}: it reaches an engine's host only over SSH, to make the env's folders, clone and read its GPUs there`,
      {
        hint: `use ssh://USER@${endpoint.hostName.replace(/:\d+$/, '')} instead (e.g. \`docker context create NAME --docker host=ssh://USER@${endpoint.hostName.replace(/:\d+$/, '')}\`)`,
        code: 'engine',
      },
    );
  return localHost(env);
}

async function detectSupport(host: Host, engine: () => Promise<Engine>): Promise<EngineGpuSupport> {
  const [{ detectEngineGpuSupport }, info] = await Promise.all([
    import('../host/gpu.js'),
    engine().then((e) => e.info()),
  ]);
  return detectEngineGpuSupport({ Runtimes: info.runtimes, CDISpecDirs: info.cdiSpecDirs }, host);
}

/** The env of the .devenvrc at `io.cwd` (or --config), on the host its command goes to. */
export async function loadEnvContext(
  io: Io,
  globals: GlobalOptions,
  choice: HostChoice = {},
): Promise<EnvContext> {
  // The config first: a bad .devenvrc is the error to report, whatever else is wrong.
  const loaded = await loadCheckedConfig(io, globals.config);
  const { hostContextForEnv } = await import('./placement.js');
  const { host, placement } = await hostContextForEnv(
    io,
    await createUiFor(io, globals),
    globals,
    loaded,
    choice,
  );
  return { ...envContextFor(host, loaded), placement };
}

/**
 * The env's .devenvrc, checked and with defaults: from the config cache when this build checked
 * the same text before, else checked by the schema (app/env-config.ts, loaded only then) and
 * kept for the next command. Either way the file is found, read and its owner checked afresh.
 */
async function loadCheckedConfig(io: Io, explicitFile: string | undefined): Promise<LoadedConfig> {
  const source = readConfigSource({ cwd: io.cwd, explicitFile, uid: configOwnerUid(io.env) });
  const timezone = hostTimezone(io.env);
  const cache = io.build ? openConfigCache(io.build.cacheDir, io.build.key, configOwnerUid(io.env)) : null;
  const cached = cache?.lookup(source, timezone);
  if (cached) {
    rememberConfigHash(cached.config, cached.configHash);
    return { envRoot: source.envRoot, file: source.file, config: cached.config };
  }
  io.build?.tookRarePath();
  const { checkConfig } = await import('./env-config.js');
  const loaded = checkConfig(source, timezone);
  cache?.store(source, timezone, { config: loaded.config, configHash: configHash(loaded.config) });
  return loaded;
}

/** The one way to make an env's context: the host's, plus what its config decides. */
export function envContextFor(hostContext: HostContext, loaded: LoadedConfig): EnvContext {
  const { host, user } = hostContext;
  const hostRoot = host.remote
    ? envRootOnHost(loaded.config.remoteRoot, loaded.config.name, host.account.home)
    : loaded.envRoot;
  return {
    ...hostContext,
    loaded,
    hostRoot,
    identity: envIdentity(loaded.config.name, user, hostRoot),
    containerUser: containerUserFor(user),
  };
}
