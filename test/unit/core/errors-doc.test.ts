import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/core/errors.js';

/**
 * docs/errors.md is the bad-input catalogue; each row names a test that proves it. This keeps
 * the two in step: a row without its test, a catalogue test without its row, or a row whose
 * exit code or pattern is not what its test asserts all fail here.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
const DOC = path.join(ROOT, 'docs', 'errors.md');
const CASE_ID = /^[A-Z]\d{2}$/;

interface Row {
  id: string;
  title: string;
  pattern: string | null;
  exitNumber: number;
  exitName: string;
  file: string;
}

/** Splits a markdown table row on unescaped pipes that are not inside a code span. */
function cells(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let ticks = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === '`') {
      let run = 1;
      while (line[i + run] === '`') run++;
      if (ticks === 0) ticks = run;
      else if (ticks === run) ticks = 0;
      current += '`'.repeat(run);
      i += run - 1;
    } else if (ch === '\\' && line[i + 1] === '|') {
      current += '|';
      i++;
    } else if (ch === '|' && ticks === 0) {
      out.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  return out.slice(1);
}

function readRows(): Row[] {
  return readFileSync(DOC, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map(cells)
    .filter((c) => CASE_ID.test(c[0] ?? ''))
    .map((c) => {
      const exit = /^(\d+) \((\w+)\)$/.exec(c[3] ?? '');
      const code = (c[2] ?? '').replace(/^`+\s?/, '').replace(/\s?`+$/, '');
      return {
        id: c[0] as string,
        title: c[1] ?? '',
        pattern: code === '—' || code === '' ? null : code,
        exitNumber: exit ? Number(exit[1]) : Number.NaN,
        exitName: exit?.[2] ?? '',
        file: c[4] ?? '',
      };
    });
}

/** The catalogue tests in a file: `it('X00 …', …)` and the source up to the next one. */
function testsIn(file: string): Map<string, string> {
  const source = readFileSync(path.join(ROOT, file), 'utf8');
  const starts = [...source.matchAll(/\bit\(\s*(['"`])([A-Z]\d{2}) (?:(?!\1).)*\1/g)];
  const tests = new Map<string, string>();
  starts.forEach((match, i) => {
    const id = match[2] as string;
    if (tests.has(id)) throw new Error(`${file}: two tests are numbered ${id}`);
    tests.set(id, source.slice(match.index, starts[i + 1]?.index ?? source.length));
  });
  return tests;
}

const CATALOGUE_FILES = ['test/e2e', 'test/unit']
  .flatMap((dir) => readdirSync(path.join(ROOT, dir)).map((name) => `${dir}/${name}`))
  .filter((file) => /\/errors-[^/]+\.test\.ts$/.test(file) && !file.endsWith('errors-doc.test.ts'));

describe('docs/errors.md and the tests that prove it', () => {
  const rows = readRows();

  it('has a catalogue, with unique case ids, and says how many cases it holds', () => {
    expect(rows.length).toBeGreaterThanOrEqual(25);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(readFileSync(DOC, 'utf8')).toContain(`The catalogue holds ${rows.length} cases.`);
  });

  it.each(readRows().map((row) => [row.id, row] as const))(
    '%s: its test exists and asserts what the row says',
    (_id, row) => {
      expect(row.title, 'the case column is empty').not.toBe('');
      expect(existsSync(path.join(ROOT, row.file)), `${row.file} does not exist`).toBe(true);
      const body = testsIn(row.file).get(row.id);
      expect(body, `${row.file} has no test named "${row.id} …"`).toBeDefined();
      expect(ExitCode[row.exitName as keyof typeof ExitCode], `"${row.exitName}" is not an ExitCode`).toBe(
        row.exitNumber,
      );
      expect(body).toContain(`ExitCode.${row.exitName}`);
      if (row.pattern !== null) expect(body).toContain(row.pattern);
    },
  );

  it('every catalogue test has a row, in the file the row names', () => {
    const byId = new Map(rows.map((row) => [row.id, row.file]));
    const missing: string[] = [];
    for (const file of CATALOGUE_FILES) {
      for (const id of testsIn(file).keys()) if (byId.get(id) !== file) missing.push(`${file}: ${id}`);
    }
    expect(CATALOGUE_FILES.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});
