import {
  findNodeAtLocation,
  getNodePath,
  getNodeValue,
  type JSONPath,
  type Node,
  type ParseError,
  ParseErrorCode,
  parseTree,
} from 'jsonc-parser';

/**
 * JSON as VS Code reads its settings and devcontainer.json (JSONC): `//` and `/* *\/` comments,
 * trailing commas and a UTF-8 byte order mark are fine. Unlike JSON.parse, a key given twice in
 * one object is a problem rather than "the last one wins", and every problem has a line and column.
 */

export interface Position {
  line: number;
  column: number;
}

export interface JsoncProblem extends Position {
  message: string;
}

export type JsoncResult =
  | {
      ok: true;
      /** undefined for a file holding nothing but whitespace and comments. */
      value: unknown;
      /** Where the value at `path` is written, or its nearest enclosing value that is. */
      positionOf(path: JSONPath): Position | undefined;
    }
  | { ok: false; reason: 'syntax' | 'duplicate keys'; problems: JsoncProblem[] };

const BOM = '\uFEFF';

export function parseJsonc(input: string): JsoncResult {
  const text = input.startsWith(BOM) ? input.slice(1) : input;
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, allowEmptyContent: true });
  // After the first syntax error the parser's recovery reports follow-on errors that would mislead.
  const first = errors[0];
  if (first) {
    const problem = { ...lineAndColumn(text, first.offset), message: syntaxProblem(text, first) };
    return { ok: false, reason: 'syntax', problems: [problem] };
  }
  if (!root) return { ok: true, value: undefined, positionOf: () => undefined };
  const duplicates = duplicateKeys(text, root);
  if (duplicates.length > 0) return { ok: false, reason: 'duplicate keys', problems: duplicates };
  return {
    ok: true,
    value: getNodeValue(root),
    positionOf(path) {
      for (let at = path.length; at >= 0; at--) {
        const node = findNodeAtLocation(root, path.slice(0, at));
        if (node) {
          // A key's value is shown at the key, where people look for it.
          return lineAndColumn(text, node.parent?.type === 'property' ? node.parent.offset : node.offset);
        }
      }
      return undefined;
    },
  };
}

/** Line and column (1-based) of a character offset in text. */
export function lineAndColumn(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function duplicateKeys(text: string, node: Node): JsoncProblem[] {
  const problems: JsoncProblem[] = [];
  const seen = new Map<string, Node>();
  for (const child of node.children ?? []) {
    if (node.type === 'object') {
      const key = child.children?.[0];
      const name = key?.value;
      if (key && typeof name === 'string') {
        const earlier = seen.get(name);
        if (earlier) {
          const where = lineAndColumn(text, key.offset);
          problems.push({
            ...where,
            message: `${JSON.stringify(keyPath(getNodePath(key)))} is given twice, on lines ${lineAndColumn(text, earlier.offset).line} and ${where.line}`,
          });
        } else {
          seen.set(name, key);
        }
      }
    }
    problems.push(...duplicateKeys(text, child));
  }
  return problems;
}

/** A path as messages name it: `mounts[0].target`, `env.PORT`. */
export function keyPath(path: JSONPath): string {
  return path
    .map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join('');
}

function syntaxProblem(text: string, error: ParseError): string {
  const token = text.slice(error.offset, error.offset + error.length);
  switch (error.error) {
    case ParseErrorCode.InvalidSymbol:
      return `unexpected ${token} (strings and keys need "double quotes")`;
    case ParseErrorCode.PropertyNameExpected:
      return 'expected a key in "double quotes"';
    case ParseErrorCode.ValueExpected:
      return 'expected a value';
    case ParseErrorCode.ColonExpected:
      return 'expected ":" after the key';
    case ParseErrorCode.CommaExpected:
      return 'expected a comma before this';
    case ParseErrorCode.CloseBraceExpected:
      return 'expected "}" (an object is not closed)';
    case ParseErrorCode.CloseBracketExpected:
      return 'expected "]" (a list is not closed)';
    case ParseErrorCode.EndOfFileExpected:
      return 'unexpected text after the end';
    case ParseErrorCode.InvalidCommentToken:
    case ParseErrorCode.UnexpectedEndOfComment:
      return 'a /* comment is not closed with */';
    case ParseErrorCode.UnexpectedEndOfString:
      return 'a string is not closed with "';
    case ParseErrorCode.InvalidNumberFormat:
    case ParseErrorCode.UnexpectedEndOfNumber:
      return `${token} is not a JSON number`;
    case ParseErrorCode.InvalidUnicode:
    case ParseErrorCode.InvalidEscapeCharacter:
      return 'a string holds an invalid \\ escape';
    case ParseErrorCode.InvalidCharacter:
      return 'a string holds a tab or line break; write \\t or \\n';
    default:
      return 'unexpected text';
  }
}
