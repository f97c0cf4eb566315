import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

let root: string | undefined;

/**
 * devenv's own folder (the one with its package.json and images/), found from this module's
 * location: it is dist/ when bundled and src/host/ under the tests, so no fixed '../..' fits both.
 */
export function packageRoot(): string {
  if (root) return root;
  // This module's folder: import.meta.dirname, which the bundle defines as its own __dirname
  // (node:url's round trip through a file URL cost status ~0.2 ms).
  const here = import.meta.dirname;
  let dir = here;
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'images'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`devenv's package folder (with images/) was not found above ${here}`);
    dir = parent;
  }
  root = dir;
  return dir;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}
