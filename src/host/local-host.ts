import { execFile } from 'node:child_process';
import {
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  type Stats,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { DevenvError, signalExitCode } from '../core/errors.js';
import type { CloneRequest, Host, HostAccount, HostRunResult, RepoState } from '../core/host.js';
import { noteRead } from './file-reads.js';
import { userHome } from './fs-ops.js';
import { handOver, mkdirOwned } from './ownership.js';
import { findOnPath } from './path-lookup.js';
import { requirementsContext } from './python-files.js';
import { linkAgentSocket } from './ssh-agent.js';
import { currentHostUser } from './user.js';

/** This machine: the host of a local engine. Under sudo, what it makes is handed to the real user. */
export function localHost(env: NodeJS.ProcessEnv): Host {
  const user = currentHostUser(env);
  const account: HostAccount = { ...user, home: userHome(env) ?? '/' };
  return {
    name: 'this machine',
    remote: false,
    account,
    makeDirs: async (dirs) => {
      for (const dir of dirs) {
        mkdirOwned(dir, account);
        if (!statSync(dir).isDirectory()) throw notAFolder(dir);
      }
    },
    removeEmptyDir: async (dir) => {
      // rmdir removes only an empty folder: nothing of the user's can go.
      try {
        rmdirSync(dir);
      } catch {
        // not empty, or already gone
      }
    },
    kinds: async (paths) =>
      paths.map((p) => {
        const s = statOrNull(p);
        return s === null ? null : s.isDirectory() ? 'dir' : 'file';
      }),
    readFile: async (file) => {
      try {
        return readFileSync(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    writeFile: async (file, content, mode) => {
      mkdirOwned(path.dirname(file), account);
      const temp = `${file}.devenv-${process.pid}.tmp`;
      // An existing file keeps its mode: the user may have made it private.
      const existing = statOrNull(file);
      const kept = existing === null ? null : existing.mode & 0o777;
      writeFileSync(temp, content, { mode: kept ?? mode ?? 0o644 });
      handOver(temp, account);
      renameSync(temp, file);
    },
    listDir: async (dir) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
    run: (argv, options) => runLocal(argv, env, options?.timeoutMs ?? 30_000),
    hasCommand: async (name) => findOnPath(name, env.PATH) !== null,
    cloneRepo: (request) => cloneLocally(request, env),
    freeBytes: async (dir) => {
      try {
        const fs = statfsSync(dir);
        return fs.bavail * fs.bsize;
      } catch {
        return null;
      }
    },
    portHolder: async (mapping) => {
      // Loaded only for an env with "ports": the probes need node:net, node:dgram and fs/promises.
      const { bindProbe, localPortHolder } = await import('./port-holder.js');
      if ((await bindProbe(mapping)) !== 'taken') return null;
      const process = await localPortHolder(mapping.hostPort, mapping.protocol);
      return process ? { kind: 'process', name: process.name, pid: process.pid } : { kind: 'local' };
    },
    agentLink: () => linkAgentSocket(env, user.uid),
    requirementsContext: async (file) => {
      // Noted even when missing: a plan made without it is stale once it appears.
      noteRead(file);
      return existsSync(file) ? requirementsContext(file) : null;
    },
  };
}

// Small local files and stats, done synchronously: node:fs/promises would load file handles and
// readline, and the first asynchronous call starts libuv's thread pool, each costing start and
// status more than the calls themselves.
function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

export function notAFolder(dir: string, where?: string): DevenvError {
  return new DevenvError(`${dir}${where ? ` on ${where}` : ''} exists but is not a folder`, {
    hint: 'move it away or change the path in .devenvrc',
    code: 'host',
  });
}

async function cloneLocally(request: CloneRequest, env: NodeJS.ProcessEnv): Promise<RepoState> {
  const { ensureRepo } = await import('./git.js');
  return ensureRepo({ ...request, env });
}

/**
 * Runs a program with our own timer rather than execFile's `timeout`: that one waits for the
 * child to exit, and a program stuck in a driver (nvidia-smi in uninterruptible sleep) does not
 * exit even on SIGKILL. `input`, when given, is written to the program's stdin, which is then closed.
 */
export function runLocal(
  argv: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  input?: string,
): Promise<HostRunResult> {
  const [program, ...args] = argv;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      // execFile looks the command up on options.env.PATH, so the injected env decides.
      const child = execFile(program ?? '', args, { env, encoding: 'utf8' }, (error, stdout, stderr) => {
        clearTimeout(timer);
        if (error === null) resolve({ outcome: 'exited', code: 0, stdout, stderr });
        else if (error.code === 'ENOENT') resolve({ outcome: 'missing' });
        else
          resolve({
            outcome: 'exited',
            code:
              typeof error.code === 'number' ? error.code : error.signal ? signalExitCode(error.signal) : 128,
            stdout,
            stderr,
          });
      });
      if (input !== undefined) {
        // A program that exits without reading its input breaks the pipe: that EPIPE is no error of ours.
        child.stdin?.on('error', () => {});
        child.stdin?.end(input);
      }
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        child.stdout?.destroy();
        child.stderr?.destroy();
        child.unref();
        resolve({ outcome: 'timeout' });
      }, timeoutMs);
    } catch (error) {
      // spawn throws synchronously for arguments it cannot pass, e.g. an env value with a NUL byte.
      resolve({ outcome: 'exited', code: 126, stdout: '', stderr: `could not be started: ${String(error)}` });
    }
  });
}
