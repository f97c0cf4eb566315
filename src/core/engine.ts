import type { ImageBuild } from './build-plan.js';
import type { ContainerCreateBody } from './container-plan.js';
import type { HealthState, HealthTimes } from './health.js';
import type { PortMapping, PublishedPort } from './published-ports.js';
import type { AuthConfig } from './registry-auth.js';

/** What devenv needs from a Docker engine. src/docker/ implements it; tests can fake it. */
export interface ContainerState {
  id: string;
  name: string;
  running: boolean;
  status: string;
  labels: Record<string, string>;
  imageId: string;
  created: string;
}

/** What inspecting one container tells beyond the list: its health and what it publishes. */
export interface ContainerDetails extends ContainerState {
  /** Null when it has no healthcheck (none, or "NONE"). */
  health: HealthState | null;
  /** Its healthcheck's timing, the image's merged in; null without one. */
  healthcheck: HealthTimes | null;
  /** The host ports it publishes when it runs (HostConfig.PortBindings). */
  ports: PortMapping[];
}

export interface ImageState {
  id: string;
  labels: Record<string, string>;
  created: string;
  size: number;
  /**
   * The image it was built on, on this engine ('' for none): a build here sets it, while an image
   * pulled from a registry or loaded from another engine has none. Only inspectImage reads it.
   */
  parent?: string;
}

/** Credentials for a registry, as the engine takes them (X-Registry-Auth). */
export type RegistryAuth = AuthConfig;

/**
 * A registry push or pull the engine ran and that failed, classified where the engine is spoken
 * to: `missing` (no such image or tag there), `unreachable` (no answer), `denied` (credentials
 * missing or refused), or `other`.
 */
export class RegistryFailure extends Error {
  constructor(
    readonly kind: 'missing' | 'unreachable' | 'denied' | 'other',
    /** The engine's own words, first line only. */
    readonly engineMessage: string,
  ) {
    super(engineMessage);
    this.name = 'RegistryFailure';
  }
}

export interface EngineInfo {
  serverVersion: string;
  apiVersion: string;
  os: string;
  runtimes: Record<string, unknown>;
  cdiSpecDirs: string[];
  dockerRootDir: string;
}

export interface BuildEvents {
  /** A build step began: Step N/M and its instruction. */
  onStep?(step: number, total: number, instruction: string): void;
  /** Every line of build output, for the log file. */
  onLine?(line: string): void;
}

/** A build step as the build output announces it: "Step 8/34 : RUN sh /opt/devenv/setup-system.sh". */
export interface BuildStep {
  number: number;
  total: number;
  instruction: string;
}

/**
 * A build the engine ran and that failed (a RUN step exited non-zero, a COPY failed, a layer
 * could not be written): what `Engine.buildImage` rejects with, as facts read from the engine's
 * report once, where the engine is spoken to, so core decides on fields and not on its wording.
 */
export class BuildFailure extends Error {
  /** The engine's own message for the failure, as it said it. */
  readonly engineMessage: string;
  /** The step that was running; null when the build failed before the first. */
  readonly step: BuildStep | null;
  /** The failed RUN step's exit code; null for any other failure. */
  readonly exitCode: number | null;
  /** The engine ran out of space where it keeps images and layers. */
  readonly diskFull: boolean;
  /** The last lines of build output before the failure, oldest first (the engine's message not among them). */
  readonly logTail: readonly string[];

  constructor(facts: {
    engineMessage: string;
    step: BuildStep | null;
    exitCode: number | null;
    diskFull: boolean;
    logTail: readonly string[];
  }) {
    super(facts.engineMessage);
    this.name = 'BuildFailure';
    this.engineMessage = facts.engineMessage;
    this.step = facts.step;
    this.exitCode = facts.exitCode;
    this.diskFull = facts.diskFull;
    this.logTail = facts.logTail;
  }
}

export interface ExecRequest {
  container: string;
  cmd: string[];
  user: string;
  workdir: string;
  env: string[];
  tty: boolean;
}

/** The Engine calls that change something on the engine; every other call only looks. */
export const ENGINE_CHANGES: ReadonlySet<keyof Engine> = new Set<keyof Engine>([
  'buildImage',
  'pullImage',
  'createContainer',
  'startContainer',
  'stopContainer',
  'removeContainer',
  'removeImage',
  'tagImage',
  'untagImage',
  'pushImage',
  'pullFromRegistry',
  'importImages',
]);

export interface Engine {
  /** Refuses an engine too old for devenv (one request); called before creating anything. */
  checkCompatible?(): Promise<void>;
  info(): Promise<EngineInfo>;
  inspectContainer(nameOrId: string): Promise<ContainerDetails | null>;
  listContainers(labelFilters: string[]): Promise<ContainerState[]>;
  /** The host ports every running container publishes, devenv's or not (one list request). */
  listPublishedPorts(): Promise<PublishedPort[]>;
  inspectImage(ref: string): Promise<ImageState | null>;
  listImages(labelFilters: string[]): Promise<ImageState[]>;
  /**
   * Untagged images that no other image builds on (`docker images --filter dangling=true`)
   * and that carry every label in `labelFilters`: a failed build's last step, a replaced image.
   */
  listDanglingImages(labelFilters: string[]): Promise<ImageState[]>;
  pullImage(ref: string, onLine?: (line: string) => void): Promise<void>;
  /** Pulls an image devenv pushed (`repo:tag`); rejects with a RegistryFailure. */
  pullFromRegistry(ref: string, auth: RegistryAuth | null, onLine?: (line: string) => void): Promise<void>;
  /** Pushes `repo:tag` (tagged with the registry's name); rejects with a RegistryFailure. */
  pushImage(ref: string, auth: RegistryAuth | null, onLine?: (line: string) => void): Promise<void>;
  /** Gives the image `source` (a name or id) the name `target` (repo:tag) too. */
  tagImage(source: string, target: string): Promise<void>;
  /** Removes one name of an image, never the image while it has another name (`docker rmi repo:tag`). */
  untagImage(ref: string): Promise<void>;
  /** The images named, each layer once, as `docker save` writes them. */
  exportImages(refs: string[]): Promise<NodeJS.ReadableStream>;
  /** Loads what exportImages wrote (`docker load`), names included. */
  importImages(tar: NodeJS.ReadableStream): Promise<void>;
  /**
   * Takes the engine-wide lock `name` (one container of that name, from `image`, which lives while
   * this process holds it: when the process ends, however it ends, the lock goes). Null when
   * another holds it. Engines of tests may lack it: then nothing is locked.
   */
  takeLock?(name: string, image: string, labels: Record<string, string>): Promise<EngineLock | null>;
  /** The built image's id; rejects with a BuildFailure when the build ran and failed. */
  buildImage(
    plan: ImageBuild,
    options: BuildEvents & { noCache: boolean; signal?: AbortSignal },
  ): Promise<string>;
  createContainer(body: ContainerCreateBody): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string): Promise<void>;
  removeContainer(id: string): Promise<void>;
  removeImage(id: string): Promise<void>;
  containerChanges(id: string): Promise<Array<{ path: string; kind: 'changed' | 'added' | 'deleted' }>>;
  /** Runs a command like `docker exec`; returns its exit code. */
  exec(
    request: ExecRequest,
    io: ExecIo,
    registerRestore: (restore: () => void) => () => void,
  ): Promise<number>;
  /** Copies a container's output like `docker logs [-f]`, stdout and stderr apart; resolves when it ends. */
  containerLogs(nameOrId: string, options: LogsOptions, out: LogsIo): Promise<void>;
}

export interface EngineLock {
  release(): Promise<void>;
}

export interface LogsOptions {
  /** Keep copying new output until the container stops or `signal` aborts. */
  follow: boolean;
  signal?: AbortSignal;
}

export interface LogsIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface ExecIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}
