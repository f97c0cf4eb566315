import { describe, expect, it } from 'vitest';
import { canonicalJson, stableHash } from '../../../src/core/hash.js';

interface FileEntry {
  path: string;
  mode: number;
  content: Uint8Array;
}

const base = {
  buildArgs: { USER_NAME: 'alice', USER_UID: '1000', APT_PACKAGES: 'git vim' } as Record<string, string>,
  files: [
    { path: 'Dockerfile', mode: 0o644, content: new Uint8Array([70, 82, 79, 77]) },
    { path: 'python/requirements.txt', mode: 0o644, content: new Uint8Array() },
  ] as FileEntry[],
  nested: { a: { b: { c: [1, 2, 3] } }, flag: true, none: null as string | null },
};

/** The nth file of a copy of `base`; the table below only names files that exist. */
function file(v: typeof base, n: number): FileEntry {
  const entry = v.files[n];
  if (!entry) throw new Error(`no file ${n}`);
  return entry;
}

describe('stableHash', () => {
  it('is 16 hex characters and the same for the same inputs', () => {
    expect(stableHash(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(stableHash(base)).toBe(stableHash(structuredClone(base)));
  });

  it.each([
    { label: 'top-level keys reordered', a: { a: 1, b: 2, c: 3 }, b: { c: 3, a: 1, b: 2 } },
    {
      label: 'nested keys reordered',
      a: { x: { p: 1, q: [{ m: 1, n: 2 }] } },
      b: { x: { q: [{ n: 2, m: 1 }], p: 1 } },
    },
    { label: 'an undefined field', a: { a: 1, b: undefined }, b: { a: 1 } },
    { label: 'a nested undefined field', a: { a: { b: 1, c: undefined } }, b: { a: { b: 1 } } },
    {
      label: 'bytes as a Buffer or a Uint8Array',
      a: { f: Buffer.from('FROM') },
      b: { f: new Uint8Array([70, 82, 79, 77]) },
    },
  ])('equal when only $label differs', ({ a, b }) => {
    expect(stableHash(a)).toBe(stableHash(b));
  });

  const variants: Array<{ label: string; change: (v: typeof base) => void }> = [
    { label: 'a build arg value', change: (v) => Object.assign(v.buildArgs, { USER_UID: '1001' }) },
    { label: 'a new build arg', change: (v) => Object.assign(v.buildArgs, { EXTRA: '' }) },
    { label: 'a removed build arg', change: (v) => Reflect.deleteProperty(v.buildArgs, 'APT_PACKAGES') },
    { label: 'one byte of a file', change: (v) => file(v, 0).content.set([78], 3) },
    {
      label: 'a byte appended to an empty file',
      change: (v) => Object.assign(file(v, 1), { content: new Uint8Array([10]) }),
    },
    { label: 'a file mode', change: (v) => Object.assign(file(v, 0), { mode: 0o755 }) },
    { label: 'a file path', change: (v) => Object.assign(file(v, 0), { path: 'Containerfile' }) },
    { label: 'the order of files', change: (v) => v.files.reverse() },
    { label: 'a deeply nested number', change: (v) => v.nested.a.b.c.splice(2, 1, 4) },
    { label: 'a boolean', change: (v) => Object.assign(v.nested, { flag: false }) },
    { label: 'null to a string', change: (v) => Object.assign(v.nested, { none: 'null' }) },
    { label: 'null removed', change: (v) => Reflect.deleteProperty(v.nested, 'none') },
  ];

  it.each(variants)('changes when $label changes', ({ change }) => {
    const changed = structuredClone(base);
    change(changed);
    expect(stableHash(changed)).not.toBe(stableHash(base));
  });

  it.each([
    { a: '1', b: 1 },
    { a: [1, 2], b: [2, 1] },
    { a: { a: 'b' }, b: { ab: '' } },
    { a: ['a,b'], b: ['a', 'b'] },
    { a: null, b: {} },
  ])('tells $a from $b', ({ a, b }) => {
    expect(stableHash(a)).not.toBe(stableHash(b));
  });
});

describe('canonicalJson', () => {
  it('sorts keys, drops undefined fields and writes bytes as their sha256', () => {
    expect(canonicalJson({ b: 1, a: [true, null], c: undefined })).toBe('{"a":[true,null],"b":1}');
    expect(canonicalJson(new Uint8Array())).toBe(
      '"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
    );
  });
});
