import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContextFile } from '../../../src/core/build-plan.js';
import { DevenvError } from '../../../src/core/errors.js';
import {
  classifyRequirementLine,
  type RequirementRef,
  rewriteRequirements,
} from '../../../src/core/requirements.js';
import { requirementsContext } from '../../../src/host/python-files.js';

describe('classifyRequirementLine', () => {
  it.each<{ line: string; ref: Partial<RequirementRef> | null }>([
    { line: './pkgs/mypkg', ref: { kind: 'local', ref: './pkgs/mypkg' } },
    { line: '  ./pkgs/mypkg  ', ref: { kind: 'local', ref: './pkgs/mypkg' } },
    {
      line: '../wheels/x-1.0-py3-none-any.whl',
      ref: { kind: 'local', ref: '../wheels/x-1.0-py3-none-any.whl' },
    },
    { line: '/opt/pkgs/tool', ref: { kind: 'local', ref: '/opt/pkgs/tool' } },
    { line: '-e ./pkgs/mypkg', ref: { kind: 'local', ref: './pkgs/mypkg' } },
    { line: '--editable=./pkgs/mypkg', ref: { kind: 'local', ref: './pkgs/mypkg' } },
    { line: '--editable ./pkgs/mypkg', ref: { kind: 'local', ref: './pkgs/mypkg' } },
    { line: 'file:./pkgs/mypkg', ref: { kind: 'local', ref: './pkgs/mypkg' } },
    { line: 'file:///opt/pkgs/tool', ref: { kind: 'local', ref: '/opt/pkgs/tool' } },
    { line: './pkgs/mypkg # the app', ref: { kind: 'local', ref: './pkgs/mypkg' } },
    { line: '-r more.txt', ref: { kind: 'include', flag: '-r', ref: 'more.txt' } },
    { line: '-r   ../shared/base.txt', ref: { kind: 'include', flag: '-r', ref: '../shared/base.txt' } },
    { line: '--requirement=more.txt', ref: { kind: 'include', flag: '-r', ref: 'more.txt' } },
    { line: '--requirement more.txt', ref: { kind: 'include', flag: '-r', ref: 'more.txt' } },
    { line: '-c constraints.txt', ref: { kind: 'include', flag: '-c', ref: 'constraints.txt' } },
    { line: '--constraint=constraints.txt', ref: { kind: 'include', flag: '-c', ref: 'constraints.txt' } },
    { line: 'numpy==2.1', ref: null },
    { line: 'torch>=2.4 ; sys_platform == "linux"', ref: null },
    { line: '--index-url https://download.pytorch.org/whl/cu124', ref: null },
    { line: '--extra-index-url=https://example.com/simple', ref: null },
    { line: '# ./not/a/path', ref: null },
    { line: '', ref: null },
    { line: '   ', ref: null },
    { line: 'git+https://github.com/org/repo.git#egg=repo', ref: null },
  ])('$line', ({ line, ref }) => {
    expect(classifyRequirementLine(line)).toEqual(ref?.kind === 'local' ? { rest: '', ...ref } : ref);
  });
});

describe('rewriteRequirements', () => {
  const replace = (ref: RequirementRef) =>
    ref.kind === 'include' ? `inc-${ref.ref}` : `./copy/${path.basename(ref.ref)}`;

  it.each([
    { text: 'numpy==2.1', out: 'numpy==2.1' },
    { text: '# comment\n\nnumpy==2.1\n', out: '# comment\n\nnumpy==2.1\n' },
    { text: './pkgs/mypkg', out: './copy/mypkg' },
    { text: '-r more.txt', out: '-r inc-more.txt' },
    { text: '--requirement=more.txt', out: '-r inc-more.txt' },
    { text: '--constraint c.txt', out: '-c inc-c.txt' },
    {
      text: '# deps\nnumpy==2.1\n-r more.txt\n./pkgs/mypkg\n--index-url https://x/simple\n',
      out: '# deps\nnumpy==2.1\n-r inc-more.txt\n./copy/mypkg\n--index-url https://x/simple\n',
    },
  ])('$text', ({ text, out }) => {
    expect(rewriteRequirements(text, replace)).toBe(out);
  });

  it('asks about each reference once, in order', () => {
    const seen: RequirementRef[] = [];
    rewriteRequirements('a\n-r b.txt\n./c\n-c d.txt\n', (ref) => {
      seen.push(ref);
      return 'x';
    });
    expect(seen.map((r) => r.ref)).toEqual(['b.txt', './c', 'd.txt']);
  });
});

describe('requirementsContext', () => {
  let root: string;
  const text = (file: ContextFile | undefined) => Buffer.from(file?.content ?? []).toString('utf8');
  const write = (relative: string, content: string) => {
    const file = path.join(root, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  };

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'devenv-requirements-'));
    write('requirements.txt', '# the app\nnumpy==2.1\n-r more.txt\n./pkgs/mypkg\n');
    write('more.txt', 'rich==13.9\n-r reqs/extra.txt\n');
    write('reqs/extra.txt', '../pkgs/helper\n');
    write('pkgs/mypkg/pyproject.toml', '[project]\nname = "mypkg"\n');
    write('pkgs/mypkg/mypkg/__init__.py', 'VALUE = 1\n');
    write('pkgs/mypkg/bin/run.sh', '#!/bin/sh\n');
    chmodSync(path.join(root, 'pkgs/mypkg/bin/run.sh'), 0o755);
    write('pkgs/mypkg/.git/HEAD', 'ref: refs/heads/main\n');
    write('pkgs/mypkg/mypkg/__pycache__/__init__.cpython-312.pyc', 'junk');
    write('pkgs/mypkg/node_modules/x/index.js', 'junk');
    write('pkgs/mypkg/.venv/bin/python', 'junk');
    write('pkgs/helper/setup.py', 'from setuptools import setup\nsetup(name="helper")\n');
    write('missing-local.txt', 'numpy\n./pkgs/nothere\n');
    write('missing-include.txt', '-r nothere.txt\n');
    write('extras.txt', './pkgs/mypkg[dev]\n');
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** Follows every -r and local path of a context requirements file to the context files it names. */
  function resolveReferences(files: ContextFile[], file: string): string[] {
    const missing: string[] = [];
    for (const line of text(files.find((f) => f.path === file)).split('\n')) {
      const ref = classifyRequirementLine(line);
      if (!ref) continue;
      const target = path.posix.join('python', ref.ref);
      const found = files.some((f) => f.path === target || f.path.startsWith(`${target}/`));
      if (!found) missing.push(ref.ref);
      if (ref.kind === 'include' && found) missing.push(...resolveReferences(files, target));
    }
    return missing;
  }

  it('is empty without a requirements file', () => {
    expect(requirementsContext(null)).toEqual([]);
  });

  it('puts python/requirements.txt first and keeps plain lines and comments', () => {
    const files = requirementsContext(path.join(root, 'requirements.txt'));
    expect(files[0]?.path).toBe('python/requirements.txt');
    const lines = text(files[0]).split('\n');
    expect(lines.slice(0, 2)).toEqual(['# the app', 'numpy==2.1']);
    expect(lines[2]).toMatch(/^-r [^/]+\.txt$/);
    expect(lines[3]).toMatch(/^\.\/.+\/mypkg$/);
    expect(lines).toHaveLength(5);
  });

  it('rewrites every -r and local path to a file that is in the context, also in included files', () => {
    const files = requirementsContext(path.join(root, 'requirements.txt'));
    expect(resolveReferences(files, 'python/requirements.txt')).toEqual([]);
    expect(files.every((f) => f.path.startsWith('python/'))).toBe(true);
    expect(new Set(files.map((f) => f.path)).size).toBe(files.length);
  });

  it('copies the included files and the local packages with their contents', () => {
    const files = requirementsContext(path.join(root, 'requirements.txt'));
    const bySuffix = (suffix: string) => files.filter((f) => f.path.endsWith(suffix));
    expect(files.filter((f) => /^python\/[^/]+\.txt$/.test(f.path))).toHaveLength(3);
    expect(files.some((f) => text(f).startsWith('rich==13.9\n-r '))).toBe(true);
    expect(bySuffix('/mypkg/pyproject.toml').map(text)).toEqual(['[project]\nname = "mypkg"\n']);
    expect(bySuffix('/mypkg/mypkg/__init__.py').map(text)).toEqual(['VALUE = 1\n']);
    expect(bySuffix('/helper/setup.py')).toHaveLength(1);
    expect(bySuffix('/mypkg/bin/run.sh')[0]?.mode).toBe(0o755);
  });

  it('skips .git, __pycache__, node_modules and .venv inside a package', () => {
    const paths = requirementsContext(path.join(root, 'requirements.txt')).map((f) => f.path);
    for (const skipped of ['/.git/', '/__pycache__/', '/node_modules/', '/.venv/']) {
      expect(paths.filter((p) => p.includes(skipped))).toEqual([]);
    }
    expect(
      paths
        .filter((p) => p.includes('/mypkg/'))
        .map((p) => p.slice(p.indexOf('/mypkg/') + 1))
        .sort(),
    ).toEqual(['mypkg/bin/run.sh', 'mypkg/mypkg/__init__.py', 'mypkg/pyproject.toml']);
  });

  it('gives the same files for the same inputs (the build hash depends on it)', () => {
    const file = path.join(root, 'requirements.txt');
    expect(requirementsContext(file)).toEqual(requirementsContext(file));
  });

  it('keeps the extras of a local package ("./pkg[dev]" is valid pip)', () => {
    const files = requirementsContext(path.join(root, 'extras.txt'));
    const line = text(files[0]).split('\n')[0] ?? '';
    expect(line).toMatch(/^\.\/.+\/mypkg\[dev\]$/);
    expect(files.some((f) => f.path === `python/${line.slice(2, -'[dev]'.length)}/pyproject.toml`)).toBe(
      true,
    );
  });

  it.each([
    { file: 'missing-local.txt', names: './pkgs/nothere' },
    { file: 'missing-include.txt', names: 'nothere.txt' },
  ])('a missing path in $file is an error naming $names', ({ file, names }) => {
    let error: unknown;
    try {
      requirementsContext(path.join(root, file));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(3);
    expect((error as DevenvError).message).toContain(names);
    expect((error as DevenvError).message).toContain(path.join(root, file));
  });
});
