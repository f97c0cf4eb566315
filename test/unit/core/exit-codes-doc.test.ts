import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, signalExitCode } from '../../../src/core/errors.js';

const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/exit-codes.md'), 'utf8');

/** The table rows of docs/exit-codes.md: code -> name. */
function documentedCodes(): Map<number, string> {
  const rows = new Map<number, string>();
  for (const match of doc.matchAll(/^\|\s*(\d+)\s*\|\s*`([A-Za-z]+)`\s*\|/gm))
    rows.set(Number(match[1]), match[2] as string);
  return rows;
}

describe('docs/exit-codes.md', () => {
  it.each(Object.entries(ExitCode))('documents %s (%i) in its table', (name, code) => {
    expect(documentedCodes().get(code)).toBe(name);
  });

  it('documents no code that ExitCode does not have', () => {
    const known = new Set<number>(Object.values(ExitCode));
    expect([...documentedCodes().keys()].filter((code) => !known.has(code))).toEqual([]);
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('documents the exit code for %s', (signal) => {
    expect(doc).toContain(`**${signalExitCode(signal)}** for ${signal}`);
  });
});
