const SIZE = /^(\d+(?:\.\d+)?)([bkmg])?$/i;
const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Bytes in a Docker-style size ("512m", "8g", "1073741824"). Apart from the schema, because the
 * container plan needs it on a start that never validates a config (see app/context.ts).
 */
export function parseSize(text: string): number | null {
  const match = SIZE.exec(text.trim());
  if (!match) return null;
  return Math.round(Number(match[1]) * (UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1));
}
