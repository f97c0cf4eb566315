import type { ContextFile } from './build-plan.js';
import type { HostUser } from './identity.js';
import type { PortHolder, PortMapping } from './published-ports.js';

/** The account devenv acts as on the engine's host: the env's owner there. */
export interface HostAccount extends HostUser {
  home: string;
}

/** What a program run on the host did. `missing`: the program is not installed there. */
export type HostRunResult =
  | { outcome: 'exited'; code: number; stdout: string; stderr: string }
  | { outcome: 'missing' }
  | { outcome: 'timeout' };

/** Where the agent socket is linked for the container, or why it cannot be forwarded from this host. */
export type AgentLink = { dir: string } | { problem: string };

export type RepoState = 'cloned' | 'present' | 'not-git';

export interface CloneRequest {
  repo: string;
  branch: string | null;
  /** The repo's folder on the host; never touched when it exists and is not empty. */
  dest: string;
  /** Where a relative local-path repo is resolved, on the host. */
  root: string;
  signal?: AbortSignal;
  onProgress?: (text: string) => void;
  /** Called once a clone is really needed. */
  onCloneStart?: () => void;
}

/**
 * The machine the engine runs on, where every host-side step of an env happens: its folders,
 * the clone, the user's identity, nvidia-smi, VS Code's files. This machine for a local engine;
 * the engine's host, over SSH, for an ssh:// one. The rest of devenv does not know which.
 */
export interface Host {
  /** How messages name it: "this machine", or the context name / user@host of a remote one. */
  readonly name: string;
  readonly remote: boolean;
  readonly account: HostAccount;
  /** `mkdir -p` of each folder, made by (or handed to) the account; fails when one is a file. */
  makeDirs(dirs: string[]): Promise<void>;
  /** Removes `dir` only if it is an empty folder; anything else is left as it is. */
  removeEmptyDir(dir: string): Promise<void>;
  /** What each path is: a folder, another kind of file, or nothing. */
  kinds(paths: string[]): Promise<Array<'dir' | 'file' | null>>;
  /** A file's content, or null when it does not exist. */
  readFile(file: string): Promise<Buffer | null>;
  /** Writes `file` whole (a temporary file, then a rename), its folder made as by makeDirs; an existing file keeps its mode. */
  writeFile(file: string, content: string, mode?: number): Promise<void>;
  /** The names in a folder, or [] when it does not exist. */
  listDir(dir: string): Promise<string[]>;
  /** Runs a program there as the account, with a time limit; never through a local shell. */
  run(argv: string[], options?: { timeoutMs?: number }): Promise<HostRunResult>;
  /** True when a program of that name is on the account's PATH there. */
  hasCommand(name: string): Promise<boolean>;
  /** Clones the repo with the user's credentials, unless its folder is there already. */
  cloneRepo(request: CloneRequest): Promise<RepoState>;
  /** Free bytes on the filesystem holding `dir`; null when that cannot be read. */
  freeBytes(dir: string): Promise<number | null>;
  /**
   * What holds a published port's host side on this host outside the engine; null when it is
   * free, or when the host cannot be probed from here (the engine's own error still says it).
   */
  portHolder(mapping: PortMapping): Promise<PortHolder | null>;
  /** The SSH agent forwarded into the container: a folder holding its socket, or why not. */
  agentLink(): AgentLink;
  /**
   * A requirements file and what it names as build-context files, or null when it does not exist.
   * Local packages it names can be copied only from this machine.
   */
  requirementsContext(file: string): Promise<ContextFile[] | null>;
}

/** " on gpu1" for a remote host, so a message naming a path says which machine it is on. */
export function onHost(host: Pick<Host, 'remote' | 'name'>): string {
  return host.remote ? ` on ${host.name}` : '';
}
