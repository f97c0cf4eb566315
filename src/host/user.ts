import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import type { HostUser } from '../core/identity.js';

/**
 * Who the env belongs to. Under sudo, the real user (SUDO_*), so `sudo devenv start` still
 * makes the caller's env. os.userInfo() throws for UIDs with no passwd entry, so $USER is
 * the fallback.
 */
export function currentHostUser(env: NodeJS.ProcessEnv): HostUser {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if (uid === 0 && env.SUDO_UID && env.SUDO_GID && env.SUDO_USER && env.SUDO_UID !== '0') {
    return { name: env.SUDO_USER, uid: Number(env.SUDO_UID), gid: Number(env.SUDO_GID) };
  }
  return { name: passwdName() ?? env.USER ?? env.LOGNAME ?? `user${uid}`, uid, gid };
}

function passwdName(): string | null {
  try {
    return os.userInfo().username;
  } catch {
    return null;
  }
}

/** The host's timezone name, as the container should get it. */
export function hostTimezone(env: NodeJS.ProcessEnv): string {
  if (env.TZ && /^[A-Za-z0-9_+/-]+$/.test(env.TZ)) return env.TZ.replace(/^:/, '');
  try {
    const name = readFileSync('/etc/timezone', 'utf8').trim();
    if (name) return name;
  } catch {
    // no /etc/timezone on this distribution
  }
  try {
    const target = readlinkSync('/etc/localtime');
    const match = /zoneinfo\/(.+)$/.exec(target);
    if (match?.[1]) return match[1];
  } catch {
    // /etc/localtime is a plain file or missing
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'Etc/UTC';
}
