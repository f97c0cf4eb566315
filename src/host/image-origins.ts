import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stateDir } from './fs-ops.js';

/**
 * How images came to an engine when devenv did not build them there (pulled from the registry,
 * copied from another host), kept on this machine by its user: an engine cannot label an image
 * it pulls or loads. Keyed by engine and image id; the newest entries are kept.
 */
const MAX_ENTRIES = 200;

function originsFile(env: NodeJS.ProcessEnv): string {
  return path.join(stateDir(env), 'image-origins.json');
}

/** The file's entries; anything else in it (a list, an entry that is not text) reads as nothing. */
function readAll(env: NodeJS.ProcessEnv): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(originsFile(env), 'utf8'));
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  return Object.fromEntries(
    Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

export function readImageOrigin(env: NodeJS.ProcessEnv, engineUrl: string, imageId: string): string | null {
  return readAll(env)[`${engineUrl} ${imageId}`] ?? null;
}

/** Best effort: a state folder that cannot be written costs only what status can say. */
export function writeImageOrigin(
  env: NodeJS.ProcessEnv,
  engineUrl: string,
  imageId: string,
  origin: string,
): void {
  let temp: string | null = null;
  try {
    const all = readAll(env);
    const key = `${engineUrl} ${imageId}`;
    delete all[key];
    all[key] = origin;
    const kept = Object.fromEntries(Object.entries(all).slice(-MAX_ENTRIES));
    const file = originsFile(env);
    mkdirSync(path.dirname(file), { recursive: true });
    temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(kept, null, 1)}\n`);
    renameSync(temp, file);
  } catch {
    // status then says the image was pulled or loaded without saying from where. A write cut
    // short (a full disk) or a rename refused would leave its temporary file behind for good.
    if (temp !== null) removeQuietly(temp);
  }
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // nothing more to do for a best-effort record
  }
}
