import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { BIN, docker, type RunResult, type TestUser, userEnv } from './harness.js';

/**
 * Shared checks for the bad-input catalogue (docs/errors.md): every failure is one line on
 * stderr with its fix, the documented exit code, and leaves nothing behind.
 */

/** Writes .devenvrc as raw text (for malformed JSON), owned by `owner`, with `mode`. */
export function writeRawRc(dir: string, owner: TestUser, text: string, mode = 0o644): string {
  const file = path.join(dir, '.devenvrc');
  writeFileSync(file, text);
  chmodSync(file, mode);
  chownSync(file, owner.uid, owner.gid);
  return file;
}

/**
 * Runs the real bin/devenv as `user` like the harness does, but can also leave variables out
 * of the environment (`unset: ['HOME']`).
 */
export function devenvWithout(
  user: TestUser,
  cwd: string,
  args: string[],
  options: { unset?: string[]; env?: Record<string, string> } = {},
): RunResult {
  const env = userEnv(user, options.env).filter(
    (entry) => !(options.unset ?? []).includes(entry.slice(0, entry.indexOf('='))),
  );
  const result = spawnSync(
    'runuser',
    ['-u', user.name, '--', 'env', '-i', ...env, process.execPath, BIN, ...args],
    { cwd, input: '', encoding: 'utf8', timeout: 600_000 },
  );
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** One line on stderr, `devenv: …` matching `pattern`, no stack frames, and `exitCode`. */
export function expectOneLineError(result: RunResult, exitCode: number, pattern: RegExp): string {
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(result.signal, result.stderr).toBeNull();
  expect(lines, `stderr was:\n${result.stderr}`).toHaveLength(1);
  const line = lines[0] as string;
  expect(line).toMatch(/^devenv: \S/);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/unexpected error/i);
  expect(line).toMatch(pattern);
  expect(result.stdout).toBe('');
  expect(result.code, result.stderr).toBe(exitCode);
  return line;
}

/** What a case must leave as it was: the env folder's entries and the .devenvrc's bytes and mode. */
export interface DirSnapshot {
  entries: string[];
  rc: string | null;
  rcMode: number | null;
}

export function snapshot(dir: string): DirSnapshot {
  const file = path.join(dir, '.devenvrc');
  const present = existsSync(file);
  return {
    entries: readdirSync(dir).sort(),
    rc: present ? readFileSync(file, 'utf8') : null,
    rcMode: present ? statSync(file).mode & 0o7777 : null,
  };
}

/** Labelled containers and images whose env root is `dir`. */
export function labelledObjects(dir: string): { containers: string; images: string } {
  const filter = `label=dev.devenv.root=${dir}`;
  return {
    containers: docker(['ps', '-aq', '--filter', filter]),
    images: docker(['images', '-aq', '--filter', filter]),
  };
}

/** Tags of the labelled images whose env root is `dir` (a failed build's leftover steps have none). */
function taggedImages(dir: string): string {
  return docker([
    'images',
    '--filter',
    `label=dev.devenv.root=${dir}`,
    '--format',
    '{{.Repository}}:{{.Tag}}',
  ])
    .split('\n')
    .filter((ref) => ref !== '' && ref !== '<none>:<none>')
    .join('\n');
}

/**
 * No container or image with the env's labels, the .devenvrc unchanged, and no new entries in
 * the env folder (devenv makes projects/ and the VS Code cache only once it creates the
 * container). A build that ran and failed keeps its finished steps as untagged images, labelled
 * as the env's (cache for the next try; prune and the next good build remove them): with
 * `buildLeftovers`, those are allowed, a tagged image is not.
 */
export function expectNothingCreated(
  dir: string,
  before: DirSnapshot,
  options: { buildLeftovers?: boolean } = {},
) {
  if (options.buildLeftovers) {
    expect(labelledObjects(dir).containers).toBe('');
    expect(taggedImages(dir)).toBe('');
  } else {
    expect(labelledObjects(dir)).toEqual({ containers: '', images: '' });
  }
  const after = snapshot(dir);
  expect(after.rc).toBe(before.rc);
  expect(after.rcMode).toBe(before.rcMode);
  expect(after.entries).toEqual(before.entries);
}

/** Each image's parent, for every image on the engine (`docker images -a`). */
function parentsOfAllImages(): Map<string, string> {
  const ids = [...new Set(docker(['images', '-aq', '--no-trunc']).split('\n').filter(Boolean))];
  if (ids.length === 0) return new Map();
  // Other tests may remove images meanwhile: read what inspect could answer.
  const inspected = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}} {{.Parent}}', ...ids], {
    encoding: 'utf8',
  });
  return new Map(
    inspected.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  );
}

/** The images that build on `root` (an id), without it, given every image's parent. */
function descendants(rootId: string, parentOf: Map<string, string>): Set<string> {
  const tree = new Set([rootId]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [id, parent] of parentOf)
      if (!tree.has(id) && tree.has(parent)) {
        tree.add(id);
        grew = true;
      }
  }
  tree.delete(rootId);
  return tree;
}

function imageId(ref: string): string {
  const found = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : '';
}

/** Every image on the engine that builds on `tag`, without `tag` itself; empty when the engine lacks it. */
export function imagesBuiltOn(tag: string): Set<string> {
  const rootId = imageId(tag);
  return rootId === '' ? new Set() : descendants(rootId, parentsOfAllImages());
}

/**
 * Removes every image built on `tag`, leaves first, round after round: a failed build keeps its
 * finished steps as untagged cache images, and the shared layers (devenv-shared:HASH, tagged)
 * sit between the base and the env images, so one round of leaves is not enough. `-f` because a
 * leaf may carry several tags; remove the containers first (removeEnvObjects).
 */
export function removeImagesBuiltOn(tag: string): void {
  const rootId = imageId(tag);
  if (rootId === '') return;
  let left = Number.POSITIVE_INFINITY;
  for (;;) {
    const parentOf = parentsOfAllImages();
    const tree = descendants(rootId, parentOf);
    // Done, or stuck (a container uses what is left): nothing more to do here.
    if (tree.size === 0 || tree.size >= left) return;
    left = tree.size;
    const parents = new Set([...tree].map((id) => parentOf.get(id)));
    spawnSync('docker', ['rmi', '-f', ...[...tree].filter((id) => !parents.has(id))], { stdio: 'ignore' });
  }
}

/** Removes a test-only base image and every image built on it (removeImagesBuiltOn). */
export function removeImageTree(tag: string): void {
  removeImagesBuiltOn(tag);
  spawnSync('docker', ['rmi', tag], { stdio: 'ignore' });
}
