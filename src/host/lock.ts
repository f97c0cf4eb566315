import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DevenvError } from '../core/errors.js';

export interface LockHolder {
  pid: number;
  host: string;
}

/** Heartbeats keep a held lock fresh; a lock this much older than its last beat is a crashed holder's. */
const HEARTBEAT_MS = 5_000;
const STALE_AFTER_MS = 30_000;

/** Whether a lock file belongs to a holder that is gone (dead on this host, or silent for too long). */
export function isStale(
  holder: LockHolder | null,
  ageMs: number,
  thisHost: string,
  alive: (pid: number) => boolean,
): boolean {
  if (ageMs > STALE_AFTER_MS) return true;
  if (holder === null) return ageMs > 2_000; // a holder still writing its line, or garbage
  return holder.host === thisHost && !alive(holder.pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const [pid, host] = readFileSync(file, 'utf8').trim().split(' ');
    return pid && host ? { pid: Number(pid), host } : null;
  } catch {
    return null;
  }
}

/**
 * An exclusive lock on one env, so two terminals running `devenv start` at once make one image
 * and one container. A crashed holder's lock is detected (dead pid, or no heartbeat) and taken over.
 */
export async function withEnvLock<T>(
  dir: string,
  name: string,
  options: { signal?: AbortSignal; onWait?: (holder: LockHolder | null) => void },
  work: () => Promise<T>,
): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.lock`);
  const host = os.hostname();
  let waitedOnce = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid} ${host}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DevenvError(`cannot create the lock file ${file}: ${(error as Error).message}`, {
          code: 'host',
        });
      }
    }
    const holder = readHolder(file);
    let ageMs = 0;
    try {
      ageMs = Date.now() - statSync(file).mtimeMs;
    } catch {
      continue; // released between our attempts
    }
    if (isStale(holder, ageMs, host, alive)) {
      rmSync(file, { force: true });
      continue;
    }
    if (!waitedOnce) options.onWait?.(holder);
    waitedOnce = true;
    if (options.signal?.aborted) throw options.signal.reason;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      // removed under us; nothing to refresh
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
    if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
  }
}
