import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContextFile, Recipe } from '../core/build-plan.js';
import type { BuildLog } from '../core/ports.js';
import { noteRead } from './file-reads.js';
import { packageRoot } from './package-files.js';

/** Where devenv keeps its own files for a user: build logs, locks. */
export function stateDir(env: NodeJS.ProcessEnv): string {
  // Without HOME (cron, `env -i`), the passwd home is still the user's own; a shared /tmp
  // folder is the last resort, for UIDs with no passwd entry.
  const home = userHome(env);
  const base =
    env.XDG_STATE_HOME ||
    (home ? path.join(home, '.local', 'state') : path.join(os.tmpdir(), `devenv-${process.getuid?.() ?? 0}`));
  return path.join(base, 'devenv');
}

/** $HOME, else the passwd entry's home (HOME is unset under `env -i` and some cron jobs). */
export function userHome(env: NodeJS.ProcessEnv): string | null {
  return env.HOME || passwdHome();
}

function passwdHome(): string | null {
  try {
    return os.userInfo().homedir || null;
  } catch {
    return null;
  }
}

export function openBuildLog(env: NodeJS.ProcessEnv, containerName: string): BuildLog {
  const dir = path.join(stateDir(env), 'logs');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${containerName}-build.log`);
  const fd = openSync(file, 'w');
  let open = true;
  return {
    path: file,
    write: (line) => {
      if (open) writeSync(fd, `${line}\n`);
    },
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/**
 * The recipe in images/, shipped with devenv, as the build contexts of the shared layers
 * (images/shared) and of the user layer (images/user); its folders and files are noted
 * (host/file-reads.ts).
 */
export function readRecipe(): Recipe {
  const root = path.join(packageRoot(), 'images');
  return { shared: recipeFolder(path.join(root, 'shared')), user: recipeFolder(path.join(root, 'user')) };
}

function recipeFolder(dir: string): ContextFile[] {
  noteRead(dir);
  return readdirSync(dir)
    .sort()
    .map((name) => {
      noteRead(path.join(dir, name));
      return {
        path: name,
        content: readFileSync(path.join(dir, name)),
        mode: name.endsWith('.sh') ? 0o755 : 0o644,
      };
    });
}
