import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, devenv, makeEnvDir, TEST_USER, userEnv } from './harness.js';
import { TmuxSession } from './tmux.js';

/** Runs a bash snippet as the test user, with `devenv` meaning the real CLI. */
function bashAsUser(script: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    'runuser',
    ['-u', TEST_USER.name, '--', 'env', '-i', ...userEnv(TEST_USER), 'bash', '--norc', '-c', script],
    { encoding: 'utf8', cwd: '/tmp' },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('devenv completion', () => {
  const cli = `${process.execPath} ${BIN}`;
  const complete = (...words: string[]) =>
    bashAsUser(
      `source <(${cli} completion bash) || exit 9
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_devenv; echo "\${COMPREPLY[@]}"`,
    );

  it('bash: sourcing registers _devenv and completes verbs', () => {
    const result = bashAsUser(
      `source <(${cli} completion bash); complete -p devenv; COMP_WORDS=(devenv st); COMP_CWORD=1; _devenv; echo "\${COMPREPLY[@]}"`,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('complete -F _devenv devenv\nstart stop status\n');
  });

  it('bash: completes every verb `devenv --help` lists, and nothing else', () => {
    const help = devenv(TEST_USER, '/tmp', ['--help']).stdout;
    const verbs = help
      .slice(help.indexOf('Commands:'))
      .split('\n')
      .map((line) => /^ {2}([a-z]+)\b/.exec(line)?.[1])
      .filter((v): v is string => Boolean(v));
    expect(verbs).toEqual(expect.arrayContaining(['start', 'code', 'logs', 'ls', 'init', 'completion']));
    expect(complete('devenv', '').stdout.trim().split(' ').sort()).toEqual([...verbs].sort());
  });

  it.each([
    {
      words: ['devenv', 'logs', '-'],
      expected: '-f --follow -c --config --context -q --quiet -v --verbose -h --help',
    },
    {
      words: ['devenv', 'ls', '--'],
      expected: '--all --all-hosts --json --slurm --config --context --quiet --verbose --help',
    },
    { words: ['devenv', 'code', '--o'], expected: '--open' },
    { words: ['devenv', 'rebuild', '--no'], expected: '--no-cache --no-wait' },
    { words: ['devenv', 'completion', ''], expected: 'bash zsh' },
    { words: ['devenv', '-q', '--context', 'x', 'sta'], expected: 'start status' },
    { words: ['devenv', '--ver'], expected: '--version --verbose' },
    { words: ['devenv', 'help', 'pr'], expected: 'prune' },
  ])('bash: $words -> $expected', ({ words, expected }) => {
    const result = complete(...words);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(expected);
  });

  it('zsh: prints a #compdef script; an unknown shell is a usage error (exit 2)', () => {
    const zsh = devenv(TEST_USER, '/tmp', ['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef devenv\n/);
    expect(zsh.stdout).toContain("'logs:print the container'\\''s output'");
    const fish = devenv(TEST_USER, '/tmp', ['completion', 'fish']);
    expect(fish.code).toBe(2);
    expect(fish.stdout).toBe('');
    expect(fish.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('devenv init', () => {
  let dir: string;
  let term: TmuxSession | undefined;
  const rcOf = (d: string) => path.join(d, '.devenvrc');

  beforeAll(() => {
    dir = makeEnvDir('dailyinit', TEST_USER);
  });
  afterAll(() => {
    term?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without a terminal: writes a valid .devenvrc with defaults, mode 0644 whatever the umask', () => {
    const result = spawnSync(
      'runuser',
      [
        '-u',
        TEST_USER.name,
        '--',
        'env',
        '-i',
        ...userEnv(TEST_USER),
        'sh',
        '-c',
        `umask 077; exec ${process.execPath} ${BIN} init`,
      ],
      { cwd: dir, encoding: 'utf8', input: '' },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/wrote .*\.devenvrc/);
    expect(result.stderr).toMatch(/^devenv:\s+gpus\s+"auto"\s+— /m);
    const stat = statSync(rcOf(dir));
    expect(stat.mode & 0o777).toBe(0o644);
    expect([stat.uid, stat.gid]).toEqual([TEST_USER.uid, TEST_USER.gid]);
    const written = parseJsonc(readFileSync(rcOf(dir), 'utf8'));
    expect(written).toMatchObject({ name: path.basename(dir), gpus: 'auto' });
    expect(written).not.toHaveProperty('repo');
    // The file is one `devenv` accepts as it is.
    const config = devenv(TEST_USER, dir, ['config', '--json']);
    expect(config.code, config.stderr).toBe(0);
    expect(JSON.parse(config.stdout).config.name).toBe(path.basename(dir));
  });

  it('writes JSON with comments: a header, what each key does, and a final newline', () => {
    const text = readFileSync(rcOf(dir), 'utf8');
    expect(text).toMatch(/^\/\/ devenv configuration: .*comments/);
    expect(text).toMatch(/^ {2}\/\/ Name of the env.*\n {2}"name": /m);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('never overwrites an existing .devenvrc: exit 3 and one line', () => {
    const before = readFileSync(rcOf(dir), 'utf8');
    const result = devenv(TEST_USER, dir, ['init']);
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/already exists/);
    expect(readFileSync(rcOf(dir), 'utf8')).toBe(before);
  });

  it('on a terminal: asks for name, repo and GPUs, re-asks after a bad answer', async () => {
    const sub = makeEnvDir('dailyinit-tty', TEST_USER);
    try {
      term = TmuxSession.hostShell('devenv-e2e-dailyinit', TEST_USER);
      await term.waitFor(/HOST\$\s*$/m);
      term.type(`cd ${sub} && ${process.execPath} ${BIN} init; echo "init-exit=$?"`);
      await term.waitFor(/env name \[[^\]]+\]: $/m);
      term.type('bad name!');
      await term.waitFor(/"name" must start with a letter or digit/);
      await term.waitFor(/env name \[[^\]]+\]: $/m);
      term.type('dailyasked');
      await term.waitFor(/git repo .*: $/m);
      term.type('https://example.invalid/team/model.git');
      await term.waitFor(/GPUs: .*\[auto\]: $/m);
      term.type('0,1');
      await term.waitFor(/init-exit=0/);
      expect(parseJsonc(readFileSync(rcOf(sub), 'utf8'))).toMatchObject({
        name: 'dailyasked',
        repo: 'https://example.invalid/team/model.git',
        gpus: [0, 1],
      });
    } finally {
      rmSync(sub, { recursive: true, force: true });
    }
  });
});
