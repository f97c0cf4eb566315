import path from 'node:path';
import type { ContextFile } from '../../src/core/build-plan.js';
import type {
  AgentLink,
  CloneRequest,
  Host,
  HostAccount,
  HostRunResult,
  RepoState,
} from '../../src/core/host.js';
import type { PortHolder, PortMapping } from '../../src/core/published-ports.js';
import { notAFolder } from '../../src/host/local-host.js';
import { requirementsTextContext } from '../../src/host/python-files.js';

/** How a scripted program answers one run: its argv in, what it did out. */
export type RunScript = (argv: string[]) => HostRunResult | Promise<HostRunResult>;

export interface FakeHostOptions {
  /** "this machine" for a local host; a remote one is named like user@host. */
  name?: string;
  remote?: boolean;
  account?: HostAccount;
}

type Entry = { kind: 'dir' } | { kind: 'file'; content: Buffer; mode: number };

export const ME: HostAccount = { name: 'me', uid: 1000, gid: 1000, home: '/home/me' };

/**
 * An in-memory host implementing the Host port (src/core/host.ts): a filesystem of folders and
 * files, the account, programs scripted by their name (anything else is not installed), and a
 * record of every run and clone request. The account's home exists from the start.
 */
export class FakeHost implements Host {
  readonly name: string;
  readonly remote: boolean;
  readonly account: HostAccount;
  /** Every argv run, in order. */
  readonly runs: string[][] = [];
  /** Every clone request, in order (made or not). */
  readonly clones: CloneRequest[] = [];
  /** Programs on PATH that `hasCommand` finds besides the scripted ones. */
  readonly commands = new Set<string>();
  /** What `freeBytes` says for any folder. */
  free: number | null = 500 * 1024 ** 3;
  /** What holds a host port outside the engine, by "port/protocol". */
  readonly portHolders = new Map<string, PortHolder>();
  agent: AgentLink = { problem: 'SSH_AUTH_SOCK is not set, so there is no agent to forward' };
  /** Files a clone puts in the repo's folder besides .git, by path relative to it. */
  readonly repoFiles = new Map<string, string>();
  /** When set, a needed clone fails with it (after saying it started, as git does). */
  cloneFailure: Error | null = null;

  private readonly entries = new Map<string, Entry>([['/', { kind: 'dir' }]]);
  private readonly programs = new Map<string, RunScript>();

  constructor(options: FakeHostOptions = {}) {
    this.remote = options.remote ?? false;
    this.name = options.name ?? (this.remote ? 'me@gpu1' : 'this machine');
    this.account = options.account ?? ME;
    this.mkdir(this.account.home);
  }

  // --- what a test puts there, and reads back ---

  /** `program` answers runs as `script` says (a program not scripted is missing). */
  script(program: string, script: RunScript): this {
    this.programs.set(program, script);
    return this;
  }

  mkdir(dir: string): this {
    const full = norm(dir);
    for (const ancestor of [...ancestors(full), full]) {
      const entry = this.entries.get(ancestor);
      if (entry?.kind === 'file') throw notAFolder(full, this.remote ? this.name : undefined);
      if (!entry) this.entries.set(ancestor, { kind: 'dir' });
    }
    return this;
  }

  putFile(file: string, content: string | Buffer, mode = 0o644): this {
    const full = norm(file);
    this.mkdir(path.posix.dirname(full));
    if (this.entries.get(full)?.kind === 'dir') throw new Error(`fake host: ${full} is a folder`);
    this.entries.set(full, { kind: 'file', content: Buffer.from(content), mode });
    return this;
  }

  /** 'dir', 'file' or null. */
  kind(p: string): 'dir' | 'file' | null {
    return this.entries.get(norm(p))?.kind ?? null;
  }

  /** A file's text, or null. */
  text(file: string): string | null {
    const entry = this.entries.get(norm(file));
    return entry?.kind === 'file' ? entry.content.toString() : null;
  }

  /** Every path under `dir` (itself excluded), sorted. */
  tree(dir = '/'): string[] {
    const full = norm(dir);
    const prefix = full === '/' ? '/' : `${full}/`;
    return [...this.entries.keys()].filter((p) => p.startsWith(prefix)).sort();
  }

  // --- the Host port ---

  async makeDirs(dirs: string[]): Promise<void> {
    for (const dir of dirs) this.mkdir(dir);
  }

  async removeEmptyDir(dir: string): Promise<void> {
    const full = norm(dir);
    if (this.entries.get(full)?.kind === 'dir' && this.children(full).length === 0) this.entries.delete(full);
  }

  async kinds(paths: string[]): Promise<Array<'dir' | 'file' | null>> {
    return paths.map((p) => this.kind(p));
  }

  async readFile(file: string): Promise<Buffer | null> {
    const entry = this.entries.get(norm(file));
    if (entry?.kind === 'dir') throw Object.assign(new Error(`EISDIR: ${file}`), { code: 'EISDIR' });
    return entry ? Buffer.from(entry.content) : null;
  }

  async writeFile(file: string, content: string, mode?: number): Promise<void> {
    const existing = this.entries.get(norm(file));
    this.putFile(file, content, existing?.kind === 'file' ? existing.mode : (mode ?? 0o644));
  }

  async listDir(dir: string): Promise<string[]> {
    return this.entries.get(norm(dir))?.kind === 'dir' ? this.children(norm(dir)) : [];
  }

  async run(argv: string[], _options?: { timeoutMs?: number }): Promise<HostRunResult> {
    this.runs.push([...argv]);
    const script = this.programs.get(argv[0] ?? '');
    return script ? script(argv) : { outcome: 'missing' };
  }

  async hasCommand(name: string): Promise<boolean> {
    return this.programs.has(name) || this.commands.has(name);
  }

  async cloneRepo(request: CloneRequest): Promise<RepoState> {
    this.clones.push(request);
    const dest = norm(request.dest);
    if (this.kind(dest) === 'dir' && this.children(dest).length > 0)
      return this.kind(path.posix.join(dest, '.git')) === 'dir' ? 'present' : 'not-git';
    request.onCloneStart?.();
    request.onProgress?.('Receiving objects: 100% (12/12), done.');
    if (this.cloneFailure) throw this.cloneFailure;
    this.mkdir(path.posix.join(dest, '.git'));
    for (const [file, content] of this.repoFiles) this.putFile(path.posix.join(dest, file), content);
    return 'cloned';
  }

  async freeBytes(_dir: string): Promise<number | null> {
    return this.free;
  }

  async portHolder(mapping: PortMapping): Promise<PortHolder | null> {
    return this.portHolders.get(`${mapping.hostPort}/${mapping.protocol}`) ?? null;
  }

  agentLink(): AgentLink {
    return this.agent;
  }

  async requirementsContext(file: string): Promise<ContextFile[] | null> {
    const text = this.text(file);
    return text === null
      ? null
      : requirementsTextContext(text, this.remote ? `${file} on ${this.name}` : file);
  }

  private children(dir: string): string[] {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    return [...this.entries.keys()]
      .filter((p) => p !== dir && p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
      .map((p) => p.slice(prefix.length))
      .sort();
  }
}

/** A program's answer: exit 0 with this output. */
export function exited(stdout: string, code = 0, stderr = ''): HostRunResult {
  return { outcome: 'exited', code, stdout, stderr };
}

function norm(p: string): string {
  if (!p.startsWith('/')) throw new Error(`fake host: ${p} is not an absolute path`);
  return path.posix.normalize(p).replace(/(.)\/+$/, '$1');
}

function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let dir = path.posix.dirname(p); dir !== '/'; dir = path.posix.dirname(dir)) out.unshift(dir);
  return ['/', ...out];
}
