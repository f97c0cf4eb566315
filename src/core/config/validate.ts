import { DevenvError } from '../errors.js';
import { CONFIG_KEYS, type DefaultsContext, type DevenvConfig } from './schema.js';
import { type Issue, unknownKeyMessage } from './schema-kit.js';

/** Line and column (1-based) of a character offset in text. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = (error as Error).message;
    const where = lineAndColumn(text, errorOffset(text, detail));
    const reason = detail
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
      .replace(/ \(line \d+ column \d+\)$/, '')
      .replace(/\s+/g, ' ');
    throw new DevenvError(`${file}:${where.line}:${where.column}: not valid JSON: ${reason}`, {
      hint: 'fix the JSON (no comments or trailing commas), then run `devenv config` to check it',
      code: 'config',
    });
  }
}

/**
 * Where JSON.parse gave up. Node's messages carry a position only sometimes, so otherwise find
 * the shortest prefix that is already wrong (rather than merely unfinished) by bisection.
 */
export function errorOffset(text: string, message: string): number {
  const position = /position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  const unfinishedOnly = (n: number) => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (error) {
      const said = (error as Error).message;
      const at = /position (\d+)/.exec(said);
      return /end of (JSON )?(input|data)/i.test(said) || (at !== null && Number(at[1]) >= n);
    }
  };
  let good = 0;
  let bad = text.length;
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    if (unfinishedOnly(mid)) good = mid;
    else bad = mid;
  }
  return bad - 1;
}

/** Validates a .devenvrc's text and fills in every default. Reports every bad key at once. */
export function parseConfig(text: string, file: string, ctx: DefaultsContext): DevenvConfig {
  const raw = text.trim() === '' ? {} : parseJson(text, file);
  return validateConfig(raw, file, ctx);
}

export function validateConfig(raw: unknown, file: string, ctx: DefaultsContext): DevenvConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DevenvError(`${file}: must hold a JSON object such as {"name": "myenv"}`, { code: 'config' });
  }
  const input = raw as Record<string, unknown>;
  const issues: Issue[] = [];
  const known = CONFIG_KEYS.map((spec) => spec.key);
  for (const key of Object.keys(input)) {
    if (!(known as string[]).includes(key)) issues.push({ key, message: unknownKeyMessage(key, known) });
  }
  const config: Record<string, unknown> = {};
  for (const spec of CONFIG_KEYS) {
    const value = input[spec.key];
    config[spec.key] =
      value === undefined || value === null ? spec.default(ctx) : spec.field.parse(value, spec.key, issues);
  }
  if (issues.length > 0) throw configError(file, issues);
  return config as unknown as DevenvConfig;
}

export function configError(file: string, issues: Issue[]): DevenvError {
  const lines = issues.map((issue) => `${file}: "${issue.key}" ${issue.message}`);
  return new DevenvError(lines.join('\n'), {
    hint:
      issues.length === 1
        ? undefined
        : `${issues.length} problems; fix them, then run \`devenv config\` to check`,
    code: 'config',
  });
}
