import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ContextFile } from '../core/build-plan.js';
import { DevenvError } from '../core/errors.js';
import { rewriteRequirements } from '../core/requirements.js';
import { noteRead } from './file-reads.js';

const SKIPPED_DIRS = new Set([
  '.git',
  '__pycache__',
  'node_modules',
  '.venv',
  'venv',
  '.mypy_cache',
  '.pytest_cache',
  '.tox',
]);
const MAX_CONTEXT_BYTES = 256 * 1024 ** 2;

/**
 * The requirements file and every local package or file it names, as context files under
 * python/ (python/requirements.txt first). Returns [] when there is no requirements file.
 * Every file it reads and folder it lists is noted (host/file-reads.ts).
 */
export function requirementsContext(requirementsFile: string | null): ContextFile[] {
  if (requirementsFile === null) return [];
  const files: ContextFile[] = [];
  let size = 0;
  let counter = 0;
  const add = (file: ContextFile) => {
    size += file.content.length;
    if (size > MAX_CONTEXT_BYTES) {
      throw new DevenvError(`the local packages named by ${requirementsFile} add up to more than 256 MiB`, {
        hint: 'build wheels of them, or install them from an index',
        code: 'config',
      });
    }
    files.push(file);
  };
  const visit = (file: string, contextPath: string) => {
    noteRead(file);
    const text = readFileSync(file, 'utf8');
    const dir = path.dirname(file);
    const rewritten = rewriteRequirements(text, (ref) => {
      const source = path.resolve(dir, ref.ref);
      if (!existsSync(source)) {
        throw new DevenvError(`${file} names ${ref.ref}, which does not exist`, {
          hint: 'fix the path in the requirements file',
          code: 'config',
        });
      }
      counter += 1;
      if (ref.kind === 'include') {
        const target = `python/include-${counter}.txt`;
        visit(source, target);
        return path.posix.relative('python', target);
      }
      const target = `python/local-${counter}/${path.basename(source)}`;
      copyTree(source, target, add);
      return `./${path.posix.relative('python', target)}`;
    });
    add({ path: contextPath, content: Buffer.from(rewritten) });
  };
  visit(requirementsFile, 'python/requirements.txt');
  return files.sort((a, b) =>
    a.path === 'python/requirements.txt'
      ? -1
      : b.path === 'python/requirements.txt'
        ? 1
        : a.path.localeCompare(b.path),
  );
}

/**
 * A requirements file read from a remote host, alone: the local packages and included files it
 * names stay on that host, where the build (which runs from this machine) cannot copy them.
 */
export function requirementsTextContext(text: string, where: string): ContextFile[] {
  const rewritten = rewriteRequirements(text, (ref) => {
    throw new DevenvError(`${where} names ${ref.ref}, a file on that host that the build cannot copy`, {
      hint: 'install it from an index or a git URL, or set "requirements" to a file without local paths',
      code: 'config',
    });
  });
  return [{ path: 'python/requirements.txt', content: Buffer.from(rewritten) }];
}

function copyTree(source: string, target: string, add: (file: ContextFile) => void): void {
  noteRead(source);
  const stat = statSync(source);
  if (stat.isFile()) {
    add({ path: target, content: readFileSync(source), mode: stat.mode & 0o777 });
    return;
  }
  for (const name of readdirSync(source).sort()) {
    if (SKIPPED_DIRS.has(name)) continue;
    copyTree(path.join(source, name), `${target}/${name}`, add);
  }
}
