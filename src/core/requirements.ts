/**
 * pip requirements files may name local packages (./pkg, ../wheels/x.whl, file:…) and other
 * requirement files (-r other.txt). Only the files the image needs go into the build context,
 * so each local reference is rewritten to where its copy will sit in the context.
 */
export type RequirementRef =
  | {
      kind: 'local';
      ref: string /** extras and markers after the path, e.g. "[dev] ; python_version>'3.8'" */;
      rest: string;
    }
  | { kind: 'include'; flag: '-r' | '-c'; ref: string };

// -e is dropped on rewrite: an editable install of a copy inside the image edits nothing.
const LOCAL = /^(?:-e\s+|--editable[=\s]+)?((?:file:(?:\/\/)?)?(?:\.{1,2}\/|\/)[^\s;#[]*)(.*)$/;
const INCLUDE = /^(-r|-c|--requirement|--constraint)[=\s]+(\S+)/;

export function classifyRequirementLine(line: string): RequirementRef | null {
  const text = line.trim();
  const include = INCLUDE.exec(text);
  if (include?.[2])
    return {
      kind: 'include',
      flag: include[1] === '-c' || include[1] === '--constraint' ? '-c' : '-r',
      ref: include[2],
    };
  const local = LOCAL.exec(text);
  if (local?.[1])
    return {
      kind: 'local',
      ref: local[1].replace(/^file:(\/\/)?/, ''),
      rest: (local[2] ?? '').replace(/\s+#.*$/, ''),
    };
  return null;
}

/** Rewrites every local reference with `replace`; other lines stay as they are. */
export function rewriteRequirements(text: string, replace: (ref: RequirementRef) => string): string {
  return text
    .split('\n')
    .map((line) => {
      const ref = classifyRequirementLine(line);
      if (!ref) return line;
      return ref.kind === 'include' ? `${ref.flag} ${replace(ref)}` : `${replace(ref)}${ref.rest}`;
    })
    .join('\n');
}
