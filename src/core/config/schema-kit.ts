/**
 * A small declarative validator: each field knows its type, its default and how to describe
 * itself, so validation, defaults, `devenv config` and the docs come from one definition.
 * (zod would do the parsing, but not did-you-mean, "what is allowed" sentences or the docs,
 * and it costs start-up time on every command.)
 */
export interface Issue {
  key: string;
  message: string;
}

export interface Field<T> {
  /** Human description of the allowed values, used in error messages and docs. */
  readonly expected: string;
  parse(value: unknown, key: string, issues: Issue[]): T | undefined;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function fail(issues: Issue[], key: string, expected: string, value: unknown): undefined {
  issues.push({ key, message: `must be ${expected} (got ${typeName(value)})` });
  return undefined;
}

export function string(expected = 'a string', check?: (s: string) => string | null): Field<string> {
  return {
    expected,
    parse(value, key, issues) {
      if (typeof value !== 'string') return fail(issues, key, expected, value);
      if (value.trim() === '') {
        issues.push({ key, message: `must not be empty (expected ${expected})` });
        return undefined;
      }
      const problem = check?.(value);
      if (problem) {
        issues.push({ key, message: problem });
        return undefined;
      }
      return value;
    },
  };
}

export function boolean(): Field<boolean> {
  return {
    expected: 'true or false',
    parse: (value, key, issues) =>
      typeof value === 'boolean' ? value : fail(issues, key, 'true or false', value),
  };
}

export function oneOf<const T extends string>(choices: readonly T[]): Field<T> {
  const expected = `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  return {
    expected,
    parse(value, key, issues) {
      if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
      return fail(issues, key, expected, value);
    },
  };
}

/** Tries each alternative in turn; the first that parses without issues wins. */
export function either<A, B>(
  a: Field<A>,
  b: Field<B>,
  expected = `${a.expected}, or ${b.expected}`,
): Field<A | B> {
  return {
    expected,
    parse(value, key, issues) {
      for (const alternative of [a, b] as Field<A | B>[]) {
        const local: Issue[] = [];
        const parsed = alternative.parse(value, key, local);
        if (local.length === 0) return parsed;
      }
      return fail(issues, key, expected, value);
    },
  };
}

export function listOf<T>(item: Field<T>, expected = `a list of ${item.expected}`): Field<T[]> {
  return {
    expected,
    parse(value, key, issues) {
      if (!Array.isArray(value)) return fail(issues, key, expected, value);
      const before = issues.length;
      const result = value.map((entry, i) => item.parse(entry, `${key}[${i}]`, issues));
      return issues.length === before ? (result as T[]) : undefined;
    },
  };
}

export function recordOf<T>(
  item: Field<T>,
  expected = `an object of ${item.expected} values`,
): Field<Record<string, T>> {
  return {
    expected,
    parse(value, key, issues) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return fail(issues, key, expected, value);
      const before = issues.length;
      const result: Record<string, T> = {};
      for (const [name, entry] of Object.entries(value)) {
        const parsed = item.parse(entry, `${key}.${name}`, issues);
        if (parsed !== undefined) result[name] = parsed;
      }
      return issues.length === before ? result : undefined;
    },
  };
}

type Shape = Record<string, { field: Field<unknown>; optional?: boolean }>;
type ShapeValue<S extends Shape> = {
  [K in keyof S]: S[K]['field'] extends Field<infer T>
    ? S[K]['optional'] extends true
      ? T | undefined
      : T
    : never;
};

/** An object with known keys; unknown keys are issues with a did-you-mean. */
export function object<S extends Shape>(shape: S, expected = 'an object'): Field<ShapeValue<S>> {
  return {
    expected,
    parse(value, key, issues) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return fail(issues, key, expected, value);
      const before = issues.length;
      const input = value as Record<string, unknown>;
      const known = Object.keys(shape);
      const prefix = key === '' ? '' : `${key}.`;
      for (const name of Object.keys(input)) {
        if (!known.includes(name))
          issues.push({ key: `${prefix}${name}`, message: unknownKeyMessage(name, known) });
      }
      const result: Record<string, unknown> = {};
      for (const [name, spec] of Object.entries(shape)) {
        if (input[name] === undefined) {
          if (!spec.optional)
            issues.push({ key: `${prefix}${name}`, message: `is required (${spec.field.expected})` });
          continue;
        }
        result[name] = spec.field.parse(input[name], `${prefix}${name}`, issues);
      }
      return issues.length === before ? (result as ShapeValue<S>) : undefined;
    },
  };
}

export function unknownKeyMessage(name: string, known: readonly string[]): string {
  const guess = closest(name, known);
  return guess
    ? `is not a known key (did you mean "${guess}"?)`
    : `is not a known key (known keys: ${known.join(', ')})`;
}

/** The known word nearest to `word`, if it is near enough to be a likely typo. */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance =
      candidate.toLowerCase() === word.toLowerCase()
        ? 0
        : editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
