import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { BIN, type TestUser, userEnv } from './harness.js';

/** Helpers for the daily-* e2e files (VS Code, logs, ls, completion, init, output, remote, ssh). */

/** Makes folders (like mkdir -p) and hands every one it made to `owner`. */
export function mkdirOwned(dir: string, owner: TestUser): string {
  const created = mkdirSync(dir, { recursive: true });
  if (created) {
    for (let d = dir; d.length >= created.length; d = path.dirname(d)) chownSync(d, owner.uid, owner.gid);
  }
  return dir;
}

/** Every path under `dir` with its size and mtime: compare two to see whether anything was written. */
export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const stat = statSync(full);
      out.push(`${path.relative(dir, full)} ${stat.size} ${stat.mtimeMs}`);
      if (stat.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out;
}

export interface PtyResult {
  code: number | null;
  /** Everything the command wrote to its terminal (stdout and stderr together), raw. */
  output: string;
}

/**
 * Runs bin/devenv as `user` with stdout and stderr on a real pseudo-terminal (util-linux
 * `script`), so spinners and colours can be seen as a user's terminal would get them.
 */
export function devenvInPty(
  user: TestUser,
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  pty: { cols?: number; timeoutMs?: number } = {},
): PtyResult {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // `script` has no terminal of its own to copy a size from: give the pty a real one.
  const command = `stty cols ${pty.cols ?? 120} rows 40; exec ${quoted}`;
  const result = spawnSync(
    'runuser',
    [
      '-u',
      user.name,
      '--',
      'env',
      '-i',
      ...userEnv(user, { TERM: 'xterm-256color', ...env }),
      'script',
      '-qec',
      command,
      '/dev/null',
    ],
    { cwd, input: '', encoding: 'utf8', timeout: pty.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return { code: result.status, output: result.stdout };
}

/** SGR colour sequences (ESC [ … m). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
export const COLOUR = /\x1b\[[0-9;]*m/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
export const ANY_ESCAPE = /\x1b/;

export async function waitUntil(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
