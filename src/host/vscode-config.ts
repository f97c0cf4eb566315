import path from 'node:path';
import type { ParseError } from 'jsonc-parser';
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
    const parsed = await parseJsonc(text);
    if (parsed === null) return 'unparsable';
    existing = parsed.value;
  }
  const changes = attachedConfigChanges(existing, ours);
  if (changes === null) return 'unparsable';
  if (changes.length === 0) return 'unchanged';
  const { applyEdits, modify } = await import('jsonc-parser');
  // A new key goes first in its object, and a new list entry last, so that the user's own lines,
  // and the comments at their ends, stay as they were. Keys are added last-first to keep our order.
  const appended = (change: ConfigChange) => change.path.at(-1) === -1;
  const ordered = [...changes.filter((c) => !appended(c)).reverse(), ...changes.filter(appended)];
  let next = text !== null && existing !== undefined ? text : '{}\n';
  for (const change of ordered) next = applyEdits(next, modify(next, change.path, change.value, EDITING));

  await host.writeFile(file, next);
  return 'written';
}

/**
 * The file's value, read as VS Code reads it (comments and trailing commas allowed), or null when
 * it does not parse. The file devenv wrote last is plain JSON, read without loading jsonc-parser
 * (whose tables cost start ~2 ms); anything else goes to jsonc-parser.
 */
async function parseJsonc(text: string): Promise<{ value: unknown } | null> {
  try {
    return { value: JSON.parse(text) };
  } catch {
    const { parse } = await import('jsonc-parser');
    const errors: ParseError[] = [];
    const value = parse(text, errors, { allowTrailingComma: true });
    return errors.length > 0 ? null : { value };
  }
}
