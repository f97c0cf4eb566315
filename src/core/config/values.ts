import * as z from 'zod/mini';
import { unknownKeyMessage } from './did-you-mean.js';

/**
 * The kinds of value a .devenvrc key can hold: zod schemas that say in words what they allow,
 * so every message reads "must be <what is allowed> (got <what the file has>)" and the docs show
 * the same words. zod/mini: the same checks as zod's classic API at a fraction of its load time,
 * which every command pays.
 */

/** The words for what a schema allows, read by the docs. */
const allowedText = z.registry<{ allowed: string }>();

export function allowedOf(schema: z.ZodMiniType): string {
  return allowedText.get(schema)?.allowed ?? 'a valid value';
}

function described<S extends z.ZodMiniType>(schema: S, allowed: string): S {
  allowedText.add(schema, { allowed });
  return schema;
}

/** A value from the file as a message shows it. */
export function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** The message for a value of the wrong kind, or a required key left out. */
function mustBe(allowed: string): z.core.$ZodErrorMap {
  return (issue) =>
    issue.input === undefined ? `is required (${allowed})` : `must be ${allowed} (got ${shown(issue.input)})`;
}

/** A non-empty string; `check` returns what is wrong with it, or null. */
export function text(allowed = 'a string', check?: (s: string) => string | null) {
  return described(
    z.string({ error: mustBe(allowed) }).check(
      z.superRefine((s, ctx) => {
        const problem = s.trim() === '' ? `must not be empty (expected ${allowed})` : check?.(s);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, input: s });
      }),
    ),
    allowed,
  );
}

/** `schema`, or null. */
export function orNull<T extends z.ZodMiniType>(schema: T) {
  return described(z.nullable(schema), allowedOf(schema));
}

export function flag() {
  return described(z.boolean({ error: mustBe('true or false') }), 'true or false');
}

export function choice<const T extends readonly [string, ...string[]]>(values: T) {
  const allowed = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return described(z.enum(values, { error: mustBe(allowed) }), allowed);
}

export function list<T extends z.ZodMiniType>(item: T, allowed = `a list of ${allowedOf(item)}`) {
  return described(z.array(item, { error: mustBe(allowed) }), allowed);
}

/** The first of `options` the value fits. */
export function oneOf<const T extends readonly [z.ZodMiniType, ...z.ZodMiniType[]]>(
  options: T,
  allowed: string,
) {
  return described(z.union(options, { error: mustBe(allowed) }), allowed);
}

/**
 * An object with known keys. zod reports every unknown key of one object as one issue; its
 * message holds one line per key, in the order of `issue.keys` (issues.ts splits them).
 */
export function fields<S extends z.core.$ZodLooseShape>(shape: S, allowed = 'an object') {
  const known = Object.keys(shape);
  const wrongValue = mustBe(allowed);
  return described(
    z.strictObject(shape, {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => unknownKeyMessage(key, known)).join('\n')
          : wrongValue(issue),
    }),
    allowed,
  );
}

/** An object whose keys are names checked by `key` and whose values are `value`. */
export function mapOf<K extends z.ZodMiniType<string>, V extends z.ZodMiniType>(
  key: K,
  value: V,
  allowed: string,
) {
  const wrongValue = mustBe(allowed);
  return described(
    z.record(key, value, {
      // A bad name is reported at the name, with what its own schema says.
      error: (issue) =>
        issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? wrongValue(issue)) : wrongValue(issue),
    }),
    allowed,
  );
}

/** A problem with one value: where it is (`["mounts", 0, "target"]`) and what is wrong with it. */
export interface ValueIssue {
  path: Array<string | number>;
  message: string;
}

/** zod's issues, one per bad value: the unknown keys of an object (see `fields`) one per key. */
export function valueIssues(issues: readonly z.core.$ZodIssue[]): ValueIssue[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
    if (issue.code !== 'unrecognized_keys') return [{ path, message: issue.message }];
    const messages = issue.message.split('\n');
    return issue.keys.map((key, i) => ({ path: [...path, key], message: messages[i] ?? issue.message }));
  });
}
