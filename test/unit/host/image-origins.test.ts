import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readImageOrigin, writeImageOrigin } from '../../../src/host/image-origins.js';

const HERE = 'unix:///var/run/docker.sock';
const GPU2 = 'ssh://me@gpu2';

let dir: string;
let env: NodeJS.ProcessEnv;
/** Where the origins are kept under XDG_STATE_HOME. */
let file: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-origins-'));
  env = { HOME: '/nonexistent', XDG_STATE_HOME: dir };
  file = path.join(dir, 'devenv', 'image-origins.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('image origins', () => {
  it('reads back what was written, by engine and image id', () => {
    expect(readImageOrigin(env, HERE, 'sha256:a')).toBeNull();

    writeImageOrigin(env, HERE, 'sha256:a', 'pulled from registry.lab:5000/devenv');
    writeImageOrigin(env, GPU2, 'sha256:a', 'copied from gpu1');

    expect(readImageOrigin(env, HERE, 'sha256:a')).toBe('pulled from registry.lab:5000/devenv');
    expect(readImageOrigin(env, GPU2, 'sha256:a')).toBe('copied from gpu1');
    expect(readImageOrigin(env, HERE, 'sha256:b')).toBeNull();
    // Another user's state folder holds their own record, not this one.
    expect(readImageOrigin({ ...env, XDG_STATE_HOME: path.join(dir, 'other') }, HERE, 'sha256:a')).toBeNull();
  });

  it('a second write for the same image replaces the first', () => {
    writeImageOrigin(env, HERE, 'sha256:a', 'copied from gpu2');
    writeImageOrigin(env, HERE, 'sha256:a', 'pulled from registry.lab:5000/devenv');

    expect(readImageOrigin(env, HERE, 'sha256:a')).toBe('pulled from registry.lab:5000/devenv');
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toHaveLength(1);
  });

  it('keeps the newest 200 entries; writing an old one again makes it new', () => {
    for (let i = 0; i < 200; i++) writeImageOrigin(env, HERE, `sha256:${i}`, `copied from host${i}`);
    writeImageOrigin(env, HERE, 'sha256:0', 'copied from host0 again');
    writeImageOrigin(env, HERE, 'sha256:200', 'copied from host200');

    expect(readImageOrigin(env, HERE, 'sha256:0')).toBe('copied from host0 again');
    expect(readImageOrigin(env, HERE, 'sha256:1')).toBeNull();
    expect(readImageOrigin(env, HERE, 'sha256:2')).toBe('copied from host2');
    expect(readImageOrigin(env, HERE, 'sha256:200')).toBe('copied from host200');
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toHaveLength(200);
  });

  it.each([
    ['not JSON', 'pulled from somewhere'],
    ['cut short', '{"unix:///var/run/docker.sock sha256:a": "pulled fr'],
    ['null', 'null'],
    ['a string', '"pulled"'],
    ['a list', '["unix:///var/run/docker.sock sha256:a", "copied from gpu2"]'],
  ])('a file that is %s reads as nothing, and a write replaces it', (_, text) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);

    expect(readImageOrigin(env, HERE, 'sha256:a')).toBeNull();
    writeImageOrigin(env, HERE, 'sha256:b', 'copied from gpu2');

    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ [`${HERE} sha256:b`]: 'copied from gpu2' });
  });

  it('an entry that is not text reads as nothing, and a write drops it; the others stay', () => {
    mkdirSync(path.dirname(file), { recursive: true });
    const good = { [`${HERE} sha256:g`]: 'copied from gpu2' };
    writeFileSync(file, JSON.stringify({ [`${HERE} sha256:a`]: { from: 'gpu2' }, ...good }));

    expect(readImageOrigin(env, HERE, 'sha256:a')).toBeNull();
    expect(readImageOrigin(env, HERE, 'sha256:g')).toBe('copied from gpu2');
    writeImageOrigin(env, HERE, 'sha256:b', 'copied from gpu3');

    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      ...good,
      [`${HERE} sha256:b`]: 'copied from gpu3',
    });
  });

  it('a file that cannot be read reads as nothing; a write that fails is no error and leaves nothing behind', () => {
    mkdirSync(file, { recursive: true });

    expect(readImageOrigin(env, HERE, 'sha256:a')).toBeNull();
    expect(() => writeImageOrigin(env, HERE, 'sha256:a', 'copied from gpu2')).not.toThrow();
    expect(readdirSync(path.dirname(file))).toEqual(['image-origins.json']);
  });

  it('a state folder that cannot be written is not an error', () => {
    // A file where the state folder should be: nothing can be made under it, even as root.
    writeFileSync(path.join(dir, 'devenv'), 'not a folder');

    expect(() => writeImageOrigin(env, HERE, 'sha256:a', 'copied from gpu2')).not.toThrow();
    expect(readImageOrigin(env, HERE, 'sha256:a')).toBeNull();
  });
});
