import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANY_ESCAPE, COLOUR, devenvInPty, mkdirOwned } from './daily-kit.js';
import { devenv, makeEnvDir, quickRc, removeEnvObjects, TEST_USER } from './harness.js';

/**
 * Output conventions, on every verb: data on stdout, progress and diagnostics on stderr;
 * --quiet leaves stderr empty on success and the data intact; --verbose adds detail and never
 * changes the data; no spinner or colour without a terminal, with CI or with NO_COLOR.
 */
describe('output conventions: --quiet, --verbose, stdout/stderr, terminals', () => {
  let dir: string;
  let home: string;
  const run = (args: string[], env: Record<string, string> = {}) =>
    devenv(TEST_USER, dir, args, { env: { HOME: home, ...env } });

  beforeAll(() => {
    dir = makeEnvDir('dailyout', TEST_USER, quickRc('dailyout'));
    home = mkdirOwned(path.join(dir, 'home'), TEST_USER);
  });
  afterAll(() => {
    removeEnvObjects(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Each verb's success path, in an order that leaves the env as the next one needs it. */
  const verbs: Array<{ args: string[]; data: RegExp | null }> = [
    { args: ['start', '--detach'], data: null },
    { args: ['status'], data: /^env: +dailyout$/m },
    { args: ['status', '--json'], data: /"env": "dailyout"/ },
    { args: ['config'], data: /^name = "dailyout"$/m },
    { args: ['config', '--json'], data: /"name": "dailyout"/ },
    { args: ['exec', '--', 'echo', 'hello'], data: /^hello\n$/ },
    { args: ['logs'], data: null },
    { args: ['ls'], data: /^dailyout +devtest +running +yes /m },
    { args: ['ls', '--json'], data: /"env": "dailyout"/ },
    {
      args: ['code'],
      data: /^code --folder-uri vscode-remote:\/\/attached-container\+[0-9a-f]+\/home\/devtest\/projects\n$/,
    },
    { args: ['completion', 'bash'], data: /^complete -F _devenv devenv$/m },
    { args: ['doctor'], data: /^ok +docker +engine /m },
    { args: ['stop'], data: null },
    { args: ['rebuild', '--detach'], data: null },
    { args: ['prune', '--yes'], data: null },
  ];

  it.each(verbs)(
    'devenv $args: data on stdout, nothing on stderr with --quiet (before and after the verb)',
    ({ args, data }) => {
      for (const quiet of [
        ['-q', ...args],
        [...args.slice(0, 1), '--quiet', ...args.slice(1)],
      ]) {
        const result = run(quiet);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toBe('');
        if (data) expect(result.stdout).toMatch(data);
        else expect(result.stdout).toBe('');
      }
    },
  );

  it('init with --quiet writes the file and prints nothing', () => {
    const sub = makeEnvDir('dailyout-init', TEST_USER);
    try {
      const result = devenv(TEST_USER, sub, ['init', '--quiet']);
      expect(result.code, result.stderr).toBe(0);
      expect([result.stdout, result.stderr]).toEqual(['', '']);
    } finally {
      rmSync(sub, { recursive: true, force: true });
    }
  });

  it('without a terminal: progress lines go to stderr as plain text, data to stdout, no escapes', () => {
    const start = run(['start', '--detach']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toBe('');
    expect(start.stderr).toMatch(/^devenv: /m);
    const status = run(['status']);
    expect(status.stderr).toBe('');
    for (const result of [start, status, run(['stop'])]) {
      expect(result.stderr).not.toMatch(ANY_ESCAPE);
      expect(result.stdout).not.toMatch(ANY_ESCAPE);
    }
  });

  it('--verbose adds detail on stderr and leaves stdout as it was', () => {
    expect(run(['start', '--detach']).code).toBe(0);
    const plain = run(['start', '--detach']);
    const verbose = run(['start', '--detach', '--verbose']);
    expect(verbose.code).toBe(0);
    expect(plain.stderr).not.toMatch(/already running/);
    expect(verbose.stderr).toMatch(/already running/);
    for (const args of [
      ['status', '--json'],
      ['config'],
      ['ls', '--json'],
      ['exec', '--', 'echo', 'hi'],
      ['code'],
    ]) {
      const a = run(args);
      const b = run(['-v', ...args]);
      expect(b.code, b.stderr).toBe(a.code);
      expect(b.stdout).toBe(a.stdout);
    }
  });

  it('on a terminal: colour and animation normally; none with CI; no colour with NO_COLOR', () => {
    // stop and start both show a progress step (the spinner) and its result.
    const both = (env: Record<string, string>) => {
      const stop = devenvInPty(TEST_USER, dir, ['stop'], { HOME: home, ...env });
      const start = devenvInPty(TEST_USER, dir, ['start', '--detach'], { HOME: home, ...env });
      expect([stop.code, start.code], stop.output + start.output).toEqual([0, 0]);
      return stop.output + start.output;
    };
    expect(both({})).toMatch(COLOUR);
    const ci = both({ CI: 'true' });
    expect(ci).not.toMatch(ANY_ESCAPE);
    expect(ci).toMatch(/stopped and removed devenv-dailyout-devtest/);
    const noColor = both({ NO_COLOR: '1' });
    expect(noColor).not.toMatch(COLOUR);
    expect(noColor).toMatch(/stopped and removed devenv-dailyout-devtest/);
    expect(both({ TERM: 'dumb' })).not.toMatch(ANY_ESCAPE);
  });

  it('on a terminal nobody sized (0 columns): no spinner, and the steps end', () => {
    // ora on a 0-column terminal clears ever more lines and never ends: bounded here.
    const pty = { cols: 0, timeoutMs: 60_000 };
    const stop = devenvInPty(TEST_USER, dir, ['stop'], { HOME: home }, pty);
    const start = devenvInPty(TEST_USER, dir, ['start', '--detach'], { HOME: home }, pty);
    expect([stop.code, start.code], stop.output + start.output).toEqual([0, 0]);
    expect(stop.output).toMatch(/stopped and removed devenv-dailyout-devtest/);
    expect(stop.output + start.output).not.toMatch(/[\u2800-\u28ff]/); // the spinner's frames
  });
});
