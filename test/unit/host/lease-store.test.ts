import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLeaseStore } from '../../../src/host/lease-store.js';

function stateEnv(): NodeJS.ProcessEnv {
  return { XDG_STATE_HOME: mkdtempSync(path.join(os.tmpdir(), 'devenv-lease-store-')) };
}

describe('the lease store', () => {
  it('gives back what an env held last time, in a later command too', () => {
    const env = stateEnv();
    openLeaseStore(env, null).write('devenv-llm-alice', ['GPU-aaaa', 'GPU-bbbb']);
    expect(openLeaseStore(env, null).read('devenv-llm-alice')).toEqual(['GPU-aaaa', 'GPU-bbbb']);
    expect(openLeaseStore(env, null).read('devenv-other-alice')).toEqual([]);
  });

  it('keeps one memory per host: the same env on two servers holds two servers GPUs', () => {
    const env = stateEnv();
    openLeaseStore(env, null).write('devenv-llm-alice', ['GPU-local']);
    openLeaseStore(env, 'alice@gpu2:22').write('devenv-llm-alice', ['GPU-remote']);
    expect(openLeaseStore(env, null).read('devenv-llm-alice')).toEqual(['GPU-local']);
    expect(openLeaseStore(env, 'alice@gpu2:22').read('devenv-llm-alice')).toEqual(['GPU-remote']);
  });

  it('reads a broken or foreign file as no memory', () => {
    const env = stateEnv();
    const store = openLeaseStore(env, null);
    store.write('devenv-llm-alice', []);
    const file = path.join(String(env.XDG_STATE_HOME), 'devenv', 'leases', 'devenv-llm-alice.json');
    writeFileSync(file, '{"not": "a list"');
    expect(store.read('devenv-llm-alice')).toEqual([]);
    writeFileSync(file, '["GPU-aaaa", 7, null]');
    expect(store.read('devenv-llm-alice')).toEqual(['GPU-aaaa']);
  });
});
