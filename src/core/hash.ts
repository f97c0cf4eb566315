import { createHash } from 'node:crypto';

/**
 * A stable hash of structured inputs: object keys are sorted, so the same inputs in any order
 * give the same hash. Used for the image build hash and the container settings hash.
 */
export function stableHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

export function canonicalJson(value: unknown): string {
  return canonical(value, (bytes) => JSON.stringify(createHash('sha256').update(bytes).digest('hex')));
}

/**
 * canonicalJson with byte contents written out rather than hashed (`#length:bytes`, which no
 * JSON value starts with): two inputs with the same key have the same stableHash, so the key can
 * stand for the hash in a memo (host/hash-memo.ts) without hashing anything.
 */
export function contentKey(value: unknown): string {
  return canonical(
    value,
    (bytes) =>
      `#${bytes.length}:${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1')}`,
  );
}

/** How many bytes of file content `value` holds, in all its Uint8Arrays. */
export function contentBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + contentBytes(v), 0);
  if (value !== null && typeof value === 'object')
    return Object.values(value as Record<string, unknown>).reduce(
      (sum: number, v) => sum + contentBytes(v),
      0,
    );
  return 0;
}

function canonical(value: unknown, ofBytes: (bytes: Uint8Array) => string): string {
  if (value instanceof Uint8Array) return ofBytes(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v, ofBytes)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v, ofBytes)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
