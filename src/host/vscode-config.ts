import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type AttachedConfig,
  mergeAttachedConfig,
  REMOTE_CONTAINERS_STORAGE,
} from '../core/vscode-attach.js';
import type { HostUser } from './user.js';

/** Where VS Code keeps the Dev Containers extension's state, relative to the user's home. */
const SERVER_STORAGE = ['.vscode-server', 'data', 'User', 'globalStorage', REMOTE_CONTAINERS_STORAGE];
const DESKTOP_STORAGE = ['.config', 'Code', 'User', 'globalStorage', REMOTE_CONTAINERS_STORAGE];

/**
 * The nameConfigs files to write for a container: always the VS Code server's (Remote-SSH runs
 * the extension there), and a desktop VS Code's only when its storage folder already exists.
 */
export function nameConfigFiles(home: string, containerName: string): string[] {
  const file = `${encodeURIComponent(containerName)}.json`;
  const files = [path.join(home, ...SERVER_STORAGE, 'nameConfigs', file)];
  const desktop = path.join(home, ...DESKTOP_STORAGE);
  if (existsSync(desktop)) files.push(path.join(desktop, 'nameConfigs', file));
  return files;
}

export type WriteOutcome = 'written' | 'unchanged' | 'unparsable';

/**
 * Merges devenv's keys into one nameConfigs file. A file that is not a JSON object (VS Code
 * allows comments there) is left exactly as it is. New folders and files are handed to the
 * user when devenv runs as root for them (sudo).
 */
export function writeNameConfig(file: string, ours: AttachedConfig, owner: HostUser): WriteOutcome {
  let existing: unknown;
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== null) {
    try {
      existing = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return 'unparsable';
    }
  }
  const merged = mergeAttachedConfig(existing, ours);
  if (merged === null) return 'unparsable';
  const next = `${JSON.stringify(merged, null, 2)}\n`;
  if (next === text) return 'unchanged';

  const created = mkdirSync(path.dirname(file), { recursive: true });
  const handOver = process.getuid?.() === 0 && owner.uid !== 0;
  if (created && handOver) {
    for (let dir = path.dirname(file); dir.length >= created.length; dir = path.dirname(dir))
      chownSync(dir, owner.uid, owner.gid);
  }
  const mode = text === null ? 0o644 : statSync(file).mode & 0o777;
  const temp = `${file}.devenv-${process.pid}.tmp`;
  writeFileSync(temp, next, { mode });
  if (handOver) chownSync(temp, owner.uid, owner.gid);
  renameSync(temp, file);
  return 'written';
}
