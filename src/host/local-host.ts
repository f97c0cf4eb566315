import { execFile } from 'node:child_process';
import { readdir, readFile, renameSync, rmdir, type Stats, stat, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DevenvError, signalExitCode } from '../core/errors.js';
import type { CloneRequest, Host, HostAccount, HostRunResult, RepoState } from '../core/host.js';
import { userHome } from './fs-ops.js';
import { handOver, mkdirOwned } from './ownership.js';
import { findOnPath } from './path-lookup.js';
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
    removeEmptyDir: (dir) =>
      // rmdir removes only an empty folder: nothing of the user's can go.
      new Promise((resolve) => rmdir(dir, () => resolve())),
    kinds: (paths) =>
      Promise.all(
        paths.map(async (p) => {
          const s = await statOrNull(p);
          return s === null ? null : s.isDirectory() ? 'dir' : 'file';
        }),
      ),
    readFile: (file) =>
      new Promise((resolve, reject) =>
        readFile(file, (error, content) => {
          if (error === null) resolve(content);
          else if (error.code === 'ENOENT') resolve(null);
          else reject(error);
        }),
      ),
    writeFile: async (file, content, mode) => {
      mkdirOwned(path.dirname(file), account);
      const temp = `${file}.devenv-${process.pid}.tmp`;
      // An existing file keeps its mode: the user may have made it private.
      const existing = await statOrNull(file);
      const kept = existing === null ? null : existing.mode & 0o777;
      writeFileSync(temp, content, { mode: kept ?? mode ?? 0o644 });
      handOver(temp, account);
      renameSync(temp, file);
    },
    listDir: (dir) => new Promise((resolve) => readdir(dir, (error, names) => resolve(error ? [] : names))),
    run: (argv, options) => runLocal(argv, env, options?.timeoutMs ?? 30_000),
    hasCommand: async (name) => findOnPath(name, env.PATH) !== null,
    cloneRepo: (request) => cloneLocally(request, env),
  };
}

// node:fs's callbacks rather than node:fs/promises: loading that module (file handles, and the
// readline it brings) cost start and status more than the calls themselves.
function statOrNull(file: string): Promise<Stats | null> {
  return new Promise((resolve) => stat(file, (error, s) => resolve(error ? null : s)));
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
 * exit even on SIGKILL.
 */
export function runLocal(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<HostRunResult> {
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
