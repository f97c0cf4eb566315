import type { BuildPlan } from './build-plan.js';
import type { ContainerCreateBody } from './container-plan.js';

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

export interface ImageState {
  id: string;
  labels: Record<string, string>;
  created: string;
  size: number;
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

export interface ExecRequest {
  container: string;
  cmd: string[];
  user: string;
  workdir: string;
  env: string[];
  tty: boolean;
}

export interface Engine {
  describe(): { url: string; source: string; remote: boolean };
  info(): Promise<EngineInfo>;
  inspectContainer(nameOrId: string): Promise<ContainerState | null>;
  listContainers(labelFilters: string[]): Promise<ContainerState[]>;
  inspectImage(ref: string): Promise<ImageState | null>;
  listImages(labelFilters: string[]): Promise<ImageState[]>;
  pullImage(ref: string, onLine?: (line: string) => void): Promise<void>;
  buildImage(
    plan: BuildPlan,
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
}

export interface ExecIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}
