import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stateDir } from './fs-ops.js';

/** Where an env was placed (a "hosts" entry or --on value), kept on this machine by its user. */
export interface PlacementRecord {
  host: string;
  at: string;
}

/** One file per env, named by the .devenvrc's folder (what the env is here) and its name. */
function recordFile(env: NodeJS.ProcessEnv, envRoot: string, envName: string): string {
  const key = createHash('sha256').update(`${envRoot}\0${envName}`).digest('hex').slice(0, 16);
  return path.join(stateDir(env), 'placements', `${envName}-${key}.json`);
}

export function readPlacement(
  env: NodeJS.ProcessEnv,
  envRoot: string,
  envName: string,
): PlacementRecord | null {
  // Every command asks, and most envs were never placed: look for a record of this env name
  // before hashing its root (loading node:crypto would cost each command a few ms).
  if (!hasRecordNamed(env, envName)) return null;
  try {
    const record = JSON.parse(
      readFileSync(recordFile(env, envRoot, envName), 'utf8'),
    ) as Partial<PlacementRecord>;
    return typeof record.host === 'string' ? { host: record.host, at: String(record.at ?? '') } : null;
  } catch {
    return null;
  }
}

function hasRecordNamed(env: NodeJS.ProcessEnv, envName: string): boolean {
  try {
    return readdirSync(path.join(stateDir(env), 'placements')).some((name) => name.startsWith(`${envName}-`));
  } catch {
    return false;
  }
}

export function writePlacement(env: NodeJS.ProcessEnv, envRoot: string, envName: string, host: string): void {
  const file = recordFile(env, envRoot, envName);
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ host, at: new Date().toISOString() })}\n`);
  renameSync(temp, file);
}

export function removePlacement(env: NodeJS.ProcessEnv, envRoot: string, envName: string): void {
  rmSync(recordFile(env, envRoot, envName), { force: true });
}

/** Every host some env of this user was placed on: for the whole-fleet views. */
export function placedHosts(env: NodeJS.ProcessEnv): string[] {
  const dir = path.join(stateDir(env), 'placements');
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const hosts = new Set<string>();
  for (const name of names) {
    try {
      const record = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Partial<PlacementRecord>;
      if (typeof record.host === 'string') hosts.add(record.host);
    } catch {
      // a half-written or foreign file: not a placement
    }
  }
  return [...hosts];
}
