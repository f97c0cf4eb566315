import path from 'node:path';
import { applyEdits, modify, type ParseError, parse } from 'jsonc-parser';
import type { Host } from '../core/host.js';
import {
  type AttachedConfig,
  attachedConfigChanges,
  type ConfigChange,
  REMOTE_CONTAINERS_STORAGE,
} from '../core/vscode-attach.js';

/** Where VS Code keeps the Dev Containers extension's state, relative to the user's home. */
const SERVER_STORAGE = ['.vscode-server', 'data', 'User', 'globalStorage', REMOTE_CONTAINERS_STORAGE];
const DESKTOP_STORAGE = ['.config', 'Code', 'User', 'globalStorage', REMOTE_CONTAINERS_STORAGE];

/**
 * The nameConfigs files to write for a container, on the engine's host: always the VS Code
 * server's (Remote-SSH runs the extension there), and a desktop VS Code's only when its storage
 * folder already exists.
 */
export async function nameConfigFiles(host: Host, home: string, containerName: string): Promise<string[]> {
  const file = `${encodeURIComponent(containerName)}.json`;
  const files = [path.posix.join(home, ...SERVER_STORAGE, 'nameConfigs', file)];
  const desktop = path.posix.join(home, ...DESKTOP_STORAGE);
  const [kind] = await host.kinds([desktop]);
  if (kind === 'dir') files.push(path.posix.join(desktop, 'nameConfigs', file));
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
 * folders and files belong to the host's account (handed over when devenv runs under sudo).
 */
export async function writeNameConfig(host: Host, file: string, ours: AttachedConfig): Promise<WriteOutcome> {
  const text = (await host.readFile(file))?.toString() ?? null;
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

  await host.writeFile(file, next);
  return 'written';
}
