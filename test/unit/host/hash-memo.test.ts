import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentBytes, contentKey, stableHash } from '../../../src/core/hash.js';
import { MEMO_MAX_CONTENT_BYTES, memoizedStableHash } from '../../../src/host/hash-memo.js';

const UID = process.getuid?.() ?? 0;
const bytes = (text: string) => new TextEncoder().encode(text);

function inputs(requirements: string) {
  return {
    buildArgs: { USER_NAME: 'alice', USER_UID: '1000' },
    files: [
      ['Dockerfile', 0o644, bytes('FROM ubuntu:24.04\n')],
      ['python/requirements.txt', 0o644, bytes(requirements)],
    ],
  };
}

describe('contentKey', () => {
  it('is the same for the same inputs, in any key order', () => {
    const { buildArgs, files } = inputs('numpy\n');
    expect(contentKey({ files, buildArgs })).toBe(contentKey(inputs('numpy\n')));
  });

  it('differs when any byte, name, mode or argument differs', () => {
    const key = contentKey(inputs('numpy\n'));
    expect(contentKey(inputs('numpy \n'))).not.toBe(key);
    expect(
      contentKey({ ...inputs('numpy\n'), buildArgs: { USER_NAME: 'alice', USER_UID: '1001' } }),
    ).not.toBe(key);
    const renamed = inputs('numpy\n');
    (renamed.files[1] as unknown[])[0] = 'python/req.txt';
    expect(contentKey(renamed)).not.toBe(key);
  });

  it('tells bytes from a string with the same characters, and every byte value apart', () => {
    expect(contentKey([bytes('ab')])).not.toBe(contentKey(['ab']));
    expect(contentKey([new Uint8Array([0, 255])])).not.toBe(contentKey([new Uint8Array([0, 254])]));
    // The length prefix keeps neighbours apart: ["#1:a", …] cannot read as one longer byte run.
    expect(contentKey([bytes('a'), bytes('b')])).not.toBe(contentKey([bytes('a,#1:b')]));
  });
});

describe('contentBytes', () => {
  it('counts the bytes of every Uint8Array, nested anywhere, and nothing else', () => {
    expect(contentBytes(inputs('numpy\n'))).toBe('FROM ubuntu:24.04\n'.length + 'numpy\n'.length);
    expect(contentBytes({ a: 'a long string', b: [1, 2, { c: bytes('xyz') }] })).toBe(3);
    expect(contentBytes(null)).toBe(0);
  });
});

describe('memoizedStableHash', () => {
  const dir = () => mkdtempSync(path.join(os.tmpdir(), 'devenv-hash-memo-'));

  it('gives stableHash, computed once and then read back by the next command', () => {
    const cache = dir();
    const value = inputs('numpy==2.1\n');
    expect(memoizedStableHash(cache, 'build-1', UID)(value)).toBe(stableHash(value));
    // A later command: a new memo over the same file.
    const later = memoizedStableHash(cache, 'build-1', UID);
    expect(later(structuredClone(value))).toBe(stableHash(value));
  });

  it('hashes a changed input afresh, and keeps both', () => {
    const cache = dir();
    const hash = memoizedStableHash(cache, 'build-1', UID);
    const before = hash(inputs('numpy==2.1\n'));
    const after = hash(inputs('numpy==2.2\n'));
    expect(after).toBe(stableHash(inputs('numpy==2.2\n')));
    expect(after).not.toBe(before);
    expect(memoizedStableHash(cache, 'build-1', UID)(inputs('numpy==2.1\n'))).toBe(before);
  });

  it('hashes inputs of more file content than it keeps without writing them into the memo', () => {
    const cache = dir();
    const big = {
      ...inputs('./wheels/big-1.0-py3-none-any.whl\n'),
      wheel: new Uint8Array(MEMO_MAX_CONTENT_BYTES + 1).fill(7),
    };
    expect(memoizedStableHash(cache, 'build-1', UID)(big)).toBe(stableHash(big));
    expect(existsSync(path.join(cache, 'hashes.json'))).toBe(false);
    const small = inputs('numpy\n');
    memoizedStableHash(cache, 'build-1', UID)(small);
    expect(statSync(path.join(cache, 'hashes.json')).size).toBeLessThan(10_000);
  });

  it("trusts only its user's file of this build", () => {
    const cache = dir();
    const value = inputs('torch\n');
    const file = path.join(cache, 'hashes.json');
    const planted = { build: 'build-1', entries: [{ key: contentKey(value), hash: 'planted' }] };
    writeFileSync(file, JSON.stringify(planted), { mode: 0o600 });
    // What the memo holds is what it answers (that is the point of it)…
    expect(memoizedStableHash(cache, 'build-1', UID)(value)).toBe('planted');
    // …but not another build's entries, nor a file another user could have written.
    expect(memoizedStableHash(cache, 'build-2', UID)(value)).toBe(stableHash(value));
    writeFileSync(file, JSON.stringify(planted), { mode: 0o600 });
    chmodSync(file, 0o666);
    expect(memoizedStableHash(cache, 'build-1', UID)(value)).toBe(stableHash(value));
  });
});
