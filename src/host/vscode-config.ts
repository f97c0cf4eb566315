import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyEdits, modify, type ParseError, parse } from 'jsonc-parser';
import {
  type AttachedConfig,
  attachedConfigChanges,
  type ConfigChange,
  REMOTE_CONTAINERS_STORAGE,
} from '../core/vscode-attach.js';
import { handOver, mkdirOwned } from './ownership.js';

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

const EDITING = {
  formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' },
  getInsertionIndex: () => 0,
};

/**
 * Merges devenv's keys into one nameConfigs file. The file is JSON with comments (VS Code's
 * JSONC): it is edited in place, value by value, so the user's comments and layout stay. A file
 * that does not parse, or holds something other than an object, is left exactly as it is. New
 * folders and files are handed to the user when devenv runs as root for them (sudo).
 */
export function writeNameConfig(
  file: string,
  ours: AttachedConfig,
  owner: { uid: number; gid: number },
): WriteOutcome {
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let existing: unknown;
  if (text !== null && text.trim() !== '') {
    const errors: ParseError[] = [];
    existing = parse(text, errors, { allowTrailingComma: true });
    if (errors.length > 0) return 'unparsable';
  }
  const changes = attachedConfigChanges(existing, ours);
  if (changes === null) return 'unparsable';
  if (changes.length === 0) return 'unchanged';
  // A new key goes first in its object, and a new list entry last, so that the user's own lines,
  // and the comments at their ends, stay as they were. Keys are added last-first to keep our order.
  const appended = (change: ConfigChange) => change.path.at(-1) === -1;
  const ordered = [...changes.filter((c) => !appended(c)).reverse(), ...changes.filter(appended)];
  let next = text !== null && existing !== undefined ? text : '{}\n';
  for (const change of ordered) next = applyEdits(next, modify(next, change.path, change.value, EDITING));

  mkdirOwned(path.dirname(file), owner);
  const mode = text === null ? 0o644 : statSync(file).mode & 0o777;
  const temp = `${file}.devenv-${process.pid}.tmp`;
  writeFileSync(temp, next, { mode });
  handOver(temp, owner);
  renameSync(temp, file);
  return 'written';
}
