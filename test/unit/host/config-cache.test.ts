import { chmodSync, chownSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/app/env-config.js';
import { configHash } from '../../../src/core/container-plan.js';
import { openConfigCache } from '../../../src/host/config-cache.js';
import type { ConfigSource } from '../../../src/host/config-file.js';

const BUILD = 'v20-x64-1000-1';
const UID = process.getuid?.() ?? 0;
const EXAMPLE = readFileSync(new URL('../../../.devenvrc.example', import.meta.url), 'utf8');

function cacheDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'devenv-config-cache-'));
}

function source(text: string, root = '/srv/envs/llm'): ConfigSource {
  return { envRoot: root, file: `${root}/.devenvrc`, text };
}

/** What a command stores after checking `src`: the checked config and its hash. */
function checked(src: ConfigSource, timezone = 'Asia/Taipei') {
  const { config } = checkConfig(src, timezone);
  return { config, configHash: configHash(config) };
}

describe('the config cache', () => {
  it('gives back a stored config exactly as the schema made it, with its hash', () => {
    const dir = cacheDir();
    for (const src of [
      source(EXAMPLE),
      source('{"name": "x", "gpus": 2}'),
      { envRoot: '/srv/envs/bare', file: null, text: '' },
    ]) {
      const stored = checked(src);
      openConfigCache(dir, BUILD, UID).store(src, 'Asia/Taipei', stored);
      // A later command: a new process reads the file.
      const found = openConfigCache(dir, BUILD, UID).lookup(src, 'Asia/Taipei');
      expect(found).toStrictEqual(stored);
      expect(found && configHash(found.config)).toBe(stored.configHash);
    }
  });

  it('has nothing for a changed text, another file, another timezone or another build', () => {
    const dir = cacheDir();
    const src = source('{"name": "x"}');
    openConfigCache(dir, BUILD, UID).store(src, 'Asia/Taipei', checked(src));
    const cache = openConfigCache(dir, BUILD, UID);
    expect(cache.lookup(source('{"name": "x" }'), 'Asia/Taipei')).toBeNull();
    expect(cache.lookup(source('{"name": "x"}', '/srv/envs/other'), 'Asia/Taipei')).toBeNull();
    expect(cache.lookup(src, 'Europe/Paris')).toBeNull();
    expect(openConfigCache(dir, 'v20-x64-1000-2', UID).lookup(src, 'Asia/Taipei')).toBeNull();
    expect(cache.lookup(src, 'Asia/Taipei')).not.toBeNull();
  });

  it('keeps one entry per file, the newest, and the 16 files used last', () => {
    const dir = cacheDir();
    const cache = openConfigCache(dir, BUILD, UID);
    const first = source('{"name": "a"}');
    cache.store(first, 'UTC', checked(first, 'UTC'));
    const edited = source('{"name": "b"}');
    cache.store(edited, 'UTC', checked(edited, 'UTC'));
    expect(cache.lookup(first, 'UTC')).toBeNull();
    expect(cache.lookup(edited, 'UTC')?.config.name).toBe('b');
    for (let i = 0; i < 16; i++) {
      const other = source('{}', `/srv/envs/e${i}`);
      cache.store(other, 'UTC', checked(other, 'UTC'));
    }
    const reread = openConfigCache(dir, BUILD, UID);
    expect(reread.lookup(edited, 'UTC')).toBeNull();
    expect(reread.lookup(source('{}', '/srv/envs/e0'), 'UTC')?.config.name).toBe('e0');
  });

  it('does not read a cache file another user could have written', () => {
    const dir = cacheDir();
    const src = source('{"name": "x"}');
    openConfigCache(dir, BUILD, UID).store(src, 'UTC', checked(src, 'UTC'));
    const file = path.join(dir, 'configs.json');
    chmodSync(file, 0o666);
    expect(openConfigCache(dir, BUILD, UID).lookup(src, 'UTC')).toBeNull();
    chmodSync(file, 0o600);
    expect(openConfigCache(dir, BUILD, UID).lookup(src, 'UTC')).not.toBeNull();
    if (UID === 0) chownSync(file, 4321, 4321);
    const someoneElse = UID === 0 ? 1234 : UID + 1;
    expect(openConfigCache(dir, BUILD, someoneElse).lookup(src, 'UTC')).toBeNull();
  });

  it('treats a damaged cache file as empty, and writes a good one over it', () => {
    const dir = cacheDir();
    const src = source('{"name": "x"}');
    writeFileSync(path.join(dir, 'configs.json'), '{"build": "v20-x64-1000-1", "entr', { mode: 0o600 });
    const cache = openConfigCache(dir, BUILD, UID);
    expect(cache.lookup(src, 'UTC')).toBeNull();
    cache.store(src, 'UTC', checked(src, 'UTC'));
    expect(openConfigCache(dir, BUILD, UID).lookup(src, 'UTC')?.config.name).toBe('x');
  });
});
