import {
  closeSync,
  existsSync,
  fchmodSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { DevenvConfig } from '../core/config/schema.js';
import { DevenvError } from '../core/errors.js';
import type { HostUser } from '../core/identity.js';
import { handOverFd } from './ownership.js';
import { currentHostUser } from './user.js';

export const CONFIG_FILE_NAME = '.devenvrc';

export interface LoadedConfig {
  /** The folder that holds .devenvrc (or the current folder when there is none). */
  envRoot: string;
  /** The file read, or null when defaults are used. */
  file: string | null;
  config: DevenvConfig;
}

/** The nearest .devenvrc from `cwd` upward, or null. */
export function findConfigFile(cwd: string): string | null {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Who may own the .devenvrc (besides root): the user running devenv. */
export function configOwnerUid(env: NodeJS.ProcessEnv): number {
  return process.getuid?.() ?? currentHostUser(env).uid;
}

/**
 * A .devenvrc decides what gets mounted into a container that can run sudo, so like ssh with
 * its config we refuse one that another user could have written.
 */
export function checkConfigOwnership(file: string, uid: number): void {
  const stat = statSync(file);
  if ((stat.mode & 0o022) !== 0) {
    throw new DevenvError(`${file} is writable by other users, so anyone could change what devenv mounts`, {
      hint: `run: chmod go-w ${file}`,
      code: 'config',
    });
  }
  if (uid !== 0 && stat.uid !== uid && stat.uid !== 0) {
    throw new DevenvError(`${file} belongs to another user (uid ${stat.uid})`, {
      hint: 'use your own copy of the file, or pass --config PATH',
      code: 'config',
    });
  }
}

/** A .devenvrc as read: its text ('' when there is none and the defaults apply). */
export interface ConfigSource {
  envRoot: string;
  file: string | null;
  text: string;
}

/**
 * Finds and reads the .devenvrc for `cwd` (or `explicitFile`), refusing one another user could
 * have written. Checking its values is the schema's job (app/env-config.ts), or the config
 * cache's when this build already checked the same text.
 */
export function readConfigSource(options: {
  cwd: string;
  explicitFile?: string | undefined;
  uid: number;
}): ConfigSource {
  const file = options.explicitFile
    ? path.resolve(options.cwd, options.explicitFile)
    : findConfigFile(options.cwd);
  if (file === null) return { envRoot: path.resolve(options.cwd), file: null, text: '' };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code})`;
    throw new DevenvError(`config file ${file} ${why}`, { hint: 'check the --config path', code: 'config' });
  }
  checkConfigOwnership(file, options.uid);
  return { envRoot: path.dirname(file), file, text };
}

function alreadyThere(file: string): DevenvError {
  return new DevenvError(`${file} already exists; devenv init never overwrites it`, {
    hint: 'edit it, or run `devenv config` to see what it sets',
    code: 'config',
  });
}

/** For `init`: refuses before any question is asked when the file is already there. */
export function refuseExistingConfig(file: string): void {
  if (existsSync(file)) throw alreadyThere(file);
}

/** Writes a new .devenvrc, owned by `owner`, mode 0644; never overwrites one that appeared meanwhile. */
export function createConfigFile(file: string, text: string, owner: HostUser): void {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyThere(file);
    throw new DevenvError(`cannot create ${file}: ${(error as Error).message}`, {
      code: 'host',
      cause: error,
    });
  }
  try {
    writeSync(fd, text);
    // Whatever the umask: a .devenvrc must not be group/world-writable (see checkConfigOwnership).
    fchmodSync(fd, 0o644);
    handOverFd(fd, owner);
  } catch (error) {
    rmSync(file, { force: true });
    throw new DevenvError(`cannot write ${file}: ${(error as Error).message}`, {
      code: 'host',
      cause: error,
    });
  } finally {
    closeSync(fd);
  }
}
