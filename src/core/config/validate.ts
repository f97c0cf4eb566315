import { DevenvError } from '../errors.js';
import { keyPath, type Position, parseJsonc } from './jsonc.js';
import { configSchema, type DefaultsContext, type DevenvConfig } from './schema.js';
import { valueIssues } from './values.js';

/**
 * Reads a .devenvrc's text (JSONC) and fills in every default. Reports every bad key at once,
 * each at the line and column where it is written.
 */
export function parseConfig(text: string, file: string, ctx: DefaultsContext): DevenvConfig {
  const parsed = parseJsonc(text);
  if (parsed.ok)
    return validate(parsed.value === undefined ? {} : parsed.value, file, ctx, parsed.positionOf);
  if (parsed.reason === 'syntax') {
    throw configError(
      parsed.problems.map((p) => `${file}:${p.line}:${p.column}: not valid JSON: ${p.message}`),
      'fix the JSON (comments and trailing commas are fine), then run `devenv config` to check it',
    );
  }
  throw configError(
    parsed.problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message}`),
    'keep one of each (JSON would quietly use the last), then run `devenv config` to check',
  );
}

/** Validates a config already in memory (as `devenv init` makes it) and fills in every default. */
export function validateConfig(raw: unknown, file: string, ctx: DefaultsContext): DevenvConfig {
  return validate(raw, file, ctx);
}

function validate(
  raw: unknown,
  file: string,
  ctx: DefaultsContext,
  positionOf?: (path: Array<string | number>) => Position | undefined,
): DevenvConfig {
  const result = configSchema(ctx).safeParse(withoutNulls(raw));
  if (result.success) return result.data;
  const lines = valueIssues(result.error.issues)
    .map((issue) => ({ ...issue, where: positionOf?.(issue.path) }))
    // In the order they are written, when the file says where.
    .sort((a, b) => (a.where && b.where ? a.where.line - b.where.line || a.where.column - b.where.column : 0))
    .map(({ path, message, where }) => {
      const at = where ? `${file}:${where.line}:${where.column}` : file;
      return path.length === 0 ? `${at}: ${message}` : `${at}: "${keyPath(path)}" ${message}`;
    });
  throw configError(lines);
}

/** A top-level null means "the default", as leaving the key out does. */
function withoutNulls(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null));
}

/** One line per problem; the hint says how many there are when there are several. */
function configError(lines: string[], fix?: string): DevenvError {
  const hint =
    lines.length > 1
      ? `${lines.length} problems; ${fix ?? 'fix them, then run `devenv config` to check'}`
      : fix;
  return new DevenvError(lines.join('\n'), { hint, code: 'config' });
}
