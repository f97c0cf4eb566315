import type { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/app/context.js';
import { buildProgram, loadVerbs, rewriteAliases, VERB_NAMES, verbOf } from '../../src/cli.js';
import { DevenvError } from '../../src/core/errors.js';
import { defineVerb, flagSpellings, longFlag, parseVerbArgv } from '../../src/core/verb-spec.js';
import { EVERYDAY_VERBS, everydayInvocation } from '../../src/everyday.js';
import { reportError } from '../../src/main.js';
import type { Verb } from '../../src/run-verb.js';

describe('rewriteAliases', () => {
  it.each([
    { args: ['--start'], out: ['start'] },
    { args: ['--stop'], out: ['stop'] },
    { args: ['--prune'], out: ['prune'] },
    { args: ['--rebuild'], out: ['rebuild'] },
    { args: ['--start', '-d'], out: ['start', '-d'] },
    { args: ['-q', '--start'], out: ['-q', 'start'] },
    { args: ['--config=./my.rc', '--stop'], out: ['--config=./my.rc', 'stop'] },
    { args: ['-c', 'x', '--stop'], out: ['-c', 'x', 'stop'] },
    { args: ['--config', './my.rc', '--rebuild'], out: ['--config', './my.rc', 'rebuild'] },
    { args: ['--context', 'remote', '--prune'], out: ['--context', 'remote', 'prune'] },
    { args: ['-v', '-c', 'x', '--start', '-d'], out: ['-v', '-c', 'x', 'start', '-d'] },
    { args: ['start', '--rebuild'], out: ['start', '--rebuild'] },
    { args: ['-c', 'x', 'start', '--rebuild'], out: ['-c', 'x', 'start', '--rebuild'] },
    { args: ['exec', '--', 'ls', '--stop'], out: ['exec', '--', 'ls', '--stop'] },
    { args: ['status', '--json'], out: ['status', '--json'] },
    { args: [], out: [] },
  ])('$args -> $out', ({ args, out }) => {
    expect(rewriteAliases(args)).toEqual(out);
  });

  it('does not change the array it was given', () => {
    const args = ['--start'];
    rewriteAliases(args);
    expect(args).toEqual(['--start']);
  });
});

describe('reportError', () => {
  function capture() {
    let out = '';
    const stream = {
      write(s: string) {
        out += s;
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    return { stream, text: () => out };
  }

  it.each([
    {
      label: 'a DevenvError with a hint',
      error: new DevenvError('no env here', { hint: 'run devenv start', code: 'notFound' }),
      text: 'devenv: no env here — run devenv start\n',
      code: 6,
    },
    {
      label: 'a DevenvError without a hint',
      error: new DevenvError('the image build failed', { code: 'image' }),
      text: 'devenv: the image build failed\n',
      code: 5,
    },
    {
      label: 'a DevenvError with an explicit exit code',
      error: new DevenvError('interrupted by SIGINT', { exitCode: 130 }),
      text: 'devenv: interrupted by SIGINT\n',
      code: 130,
    },
    {
      label: 'a config error of several lines: each line prefixed, the hint on the last',
      error: new DevenvError('rc: "a" is bad\nrc: "b" is bad', { hint: '2 problems', code: 'config' }),
      text: 'devenv: rc: "a" is bad\ndevenv: rc: "b" is bad — 2 problems\n',
      code: 3,
    },
  ])('$label', ({ error, text, code }) => {
    const { stream, text: written } = capture();
    expect(reportError(error, stream, {})).toBe(code);
    expect(written()).toBe(text);
  });

  it('an unexpected error is one line that points at DEVENV_DEBUG, exit code 1, no stack', () => {
    const { stream, text } = capture();
    expect(reportError(new TypeError('cannot read properties of undefined'), stream, {})).toBe(1);
    expect(text().split('\n')).toEqual([
      expect.stringMatching(
        /^devenv: unexpected error: cannot read properties of undefined — .*DEVENV_DEBUG=1/,
      ),
      '',
    ]);
    expect(text()).not.toMatch(/\n\s+at /);
  });

  it.each([
    { thrown: 'a string', text: 'devenv: unexpected error: a string — ' },
    { thrown: null, text: 'devenv: unexpected error: null — ' },
    { thrown: 42, text: 'devenv: unexpected error: 42 — ' },
  ])('a thrown $thrown is reported too', ({ thrown, text: start }) => {
    const { stream, text } = capture();
    expect(reportError(thrown, stream, {})).toBe(1);
    expect(text().startsWith(start)).toBe(true);
  });

  it('DEVENV_DEBUG=1 adds the stack of an unexpected error', () => {
    const { stream, text } = capture();
    const error = new Error('boom');
    expect(reportError(error, stream, { DEVENV_DEBUG: '1' })).toBe(1);
    expect(text()).toContain('devenv: unexpected error: boom');
    expect(text()).toContain(error.stack ?? 'no stack');
  });

  it('DEVENV_DEBUG=1 adds the cause chain of a DevenvError', () => {
    const { stream, text } = capture();
    const cause = Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), {
      code: 'ECONNREFUSED',
    });
    const error = new DevenvError('cannot reach the Docker engine', {
      hint: 'start Docker',
      code: 'engine',
      cause,
    });
    expect(reportError(error, stream, { DEVENV_DEBUG: '1' })).toBe(4);
    expect(text().startsWith('devenv: cannot reach the Docker engine — start Docker\n')).toBe(true);
    expect(text()).toContain('caused by: Error: connect ECONNREFUSED');
  });

  it('without DEVENV_DEBUG a DevenvError prints no cause', () => {
    const { stream, text } = capture();
    reportError(new DevenvError('x', { cause: new Error('inner') }), stream, { DEVENV_DEBUG: '0' });
    expect(text()).toBe('devenv: x\n');
  });
});

class Reached extends Error {}

/**
 * What commander makes of `args` with the program of `verbs`: the verb it would run with its flags,
 * arguments and global options, or its error and what it printed (help, the message and its
 * suggestion).
 */
async function byCommander(args: string[], verbs: readonly Verb[]) {
  const output: string[] = [];
  const capture = (text: string | Uint8Array) => {
    output.push(String(text));
    return true;
  };
  const io = { stdout: { write: capture }, stderr: { write: capture } } as unknown as Io;
  const program = buildProgram(io, () => {}, verbs);
  let seen: unknown;
  program.hook('preAction', (_program, action) => {
    const names = Object.keys(verbs.find((v) => v.name === action.name())?.args ?? {});
    seen = {
      verb: action.name(),
      flags: action.opts(),
      args: Object.fromEntries(names.map((name, i) => [name, action.processedArgs[i]])),
      globals: program.opts(),
    };
    throw new Reached();
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof Reached)) seen = { error: (error as CommanderError).code, output };
  }
  return seen;
}

const allVerbs = () => loadVerbs(VERB_NAMES);

describe('verbOf and the program built for that verb alone', () => {
  it.each([
    { args: ['exec', '--', 'true'], verb: 'exec' },
    { args: ['-q', 'status'], verb: 'status' },
    { args: ['-c', 'start', 'status', '--json'], verb: 'status' },
    { args: ['--context', 'gpu1', 'start', '-d'], verb: 'start' },
    { args: ['--config=./x', 'shell'], verb: 'shell' },
    { args: ['-v', '--quiet', 'stop'], verb: 'stop' },
    { args: ['completion', 'bash'], verb: 'completion' },
    { args: ['help', 'exec'], verb: undefined },
    { args: ['--', 'exec'], verb: undefined },
    { args: ['--version'], verb: undefined },
    { args: ['-h', 'start'], verb: undefined },
    { args: ['-V', 'start'], verb: undefined },
    { args: ['--bogus', 'start'], verb: undefined },
    { args: ['-c=x', 'start'], verb: undefined },
    { args: ['--contextx', 'start'], verb: undefined },
    { args: ['strat'], verb: undefined },
    { args: ['-c'], verb: undefined },
    { args: [], verb: undefined },
  ])('$args -> $verb', ({ args, verb }) => {
    expect(verbOf(args)).toBe(verb);
  });

  it.each([
    ['exec', '--', 'python', 'train.py', '--epochs', '3'],
    ['exec', 'ls', '-la'],
    ['-q', 'exec', '--', 'true'],
    ['exec'],
    ['exec', '--bogus', '--', 'true'],
    ['start'],
    ['start', '--detach'],
    ['start', '-d', '--gpus', '2', '--wait', '30m'],
    ['start', '--wait'],
    ['start', '-d', '--no-wait'],
    ['start', '--on', 'ssh://me@gpu1'],
    ['start', '--detatch'],
    ['start', 'extra'],
    ['start', '--help'],
    ['status'],
    ['status', '--json', '-v', '--config', './my.rc'],
    ['--context', 'gpu1', 'status'],
    ['status', '--jsn'],
    ['shell'],
    ['shell', '-q'],
    ['rebuild', '--no-cache', '-d', '--no-wait'],
    ['rebuild'],
    ['rebuild', '--cache'],
    ['stop', 'extra'],
    ['prune', '-y'],
    ['prune', '--yes', '--no-such'],
    ['config', '--reference'],
    ['-c', 'x', 'config', '--json'],
    ['code', '--open', '--no-wait'],
    ['logs', '-f'],
    ['ls', '--all', '--all-hosts', '--json'],
    ['ls', '--all-host'],
    ['init'],
    ['completion', 'zsh'],
    ['completion', 'fish'],
    ['completion'],
    ['gpus', '--all-hosts'],
    ['doctor', '--json'],
    ['doctor', '--help'],
  ])('%j parses as with every command', async (...args) => {
    const verb = verbOf(args);
    expect(verb).toBeDefined();
    const alone = await byCommander(args, await loadVerbs(verb ? [verb] : []));
    expect(alone).toEqual(await byCommander(args, await allVerbs()));
    expect(JSON.stringify(alone)).not.toBe('{"output":[]}');
  });

  it("gives each flag commander's name for its value: its key", async () => {
    const program = buildProgram({} as Io, () => {}, await allVerbs());
    for (const verb of await allVerbs()) {
      const cmd = program.commands.find((c) => c.name() === verb.name);
      const names = new Set(cmd?.options.map((o) => o.attributeName()));
      for (const key of Object.keys(verb.flags ?? {})) expect(names).toContain(key);
    }
  });
});

describe("the everyday commands' own parser (parseVerbArgv), run without commander", () => {
  /** What the everyday bundle makes of `args`, in byCommander's terms, or null. */
  async function byEveryday(args: string[]) {
    const invocation = await everydayInvocation(args);
    return invocation && { verb: invocation.spec.name, ...invocation.parsed, globals: {} };
  }

  it.each([
    ['exec', '--', 'true'],
    ['exec', '--', 'python', 'train.py', '--epochs', '3', '--', 'x'],
    ['exec', '--', '-weird-name'],
    ['exec', 'ls', '-la'],
    ['exec', 'ls', '--', '-q', '--help'],
    ['start'],
    ['start', '-d'],
    ['start', '--detach'],
    ['start', '-d', '-d'],
    ['start', '--gpus', '2'],
    ['start', '--gpus=2', '--wait=30m'],
    ['start', '-d', '--wait'],
    ['start', '--wait', '-d'],
    ['start', '--wait', '--'],
    ['start', '--on', 'gpu1', '--wait', '2h', '--detach'],
    ['start', '--no-wait'],
    ['start', '--wait', '--no-wait'],
    ['start', '--gpus', 'two'],
    ['status'],
    ['status', '--json'],
    ['shell'],
  ])('%j is what commander makes of it', async (...args) => {
    const everyday = await byEveryday(args);
    expect(everyday).not.toBeNull();
    expect(everyday).toEqual(await byCommander(args, await allVerbs()));
  });

  it.each([
    [],
    ['exec'],
    ['exec', '--'],
    ['exec', '-q', '--', 'true'],
    ['exec', '-5'],
    ['start', '-dq'],
    ['start', '--on', '-d'],
    ['start', '--gpus'],
    ['start', '--wait', '-5'],
    ['start', '--detach=yes'],
    ['start', 'extra'],
    ['start', '--wait', '--', 'x'],
    ['start', '--help'],
    ['start', '-h'],
    ['status', '--jsn'],
    ['status', '-v'],
    ['shell', '--config', 'x'],
    ['-q', 'status'],
    ['--start'],
    ['stop'],
    ['ls'],
  ])('%j goes to the whole CLI', async (...args) => {
    expect(await everydayInvocation(args)).toBeNull();
  });

  /** One of every kind of flag and argument, for what the real verbs do not declare yet. */
  const kinds = defineVerb({
    name: 'kinds',
    description: 'every kind of flag and argument',
    flags: {
      mode: { short: '-m', value: '<mode>', choices: ['a', 'b'], help: 'a mode' },
      level: { value: '[level]', help: 'a level', negation: 'no level' },
      cache: { negation: 'no cache' },
      yes: { short: '-y', help: 'yes' },
    },
    args: {
      shell: { help: 'a shell', choices: ['bash', 'zsh'] },
      rest: { help: 'the rest', variadic: true },
    },
    needs: 'none',
    options: (parsed) => parsed,
    run: async () => 0,
  });

  /** Words a command line of `verb` may hold: its flags, with and without values, and what it must refuse. */
  function vocabulary(verb: Verb): string[] {
    const flags = Object.entries(verb.flags ?? {});
    return [
      ...flags.flatMap(([key, flag]) => flagSpellings(key, flag)),
      ...flags.flatMap(([key, flag]) =>
        flag.help === undefined ? [] : [`${longFlag(key)}=${flag.choices?.[0] ?? '2'}`],
      ),
      '--no-such=1',
      ...['x', 'bash', '', '-', '--', '-5', '-q', '--help', '-dy', '--bogus'],
    ];
  }

  function* commandLines(words: string[], length: number): Generator<string[]> {
    yield [];
    if (length === 0) return;
    for (const rest of commandLines(words, length - 1)) for (const word of words) yield [word, ...rest];
  }

  it.each([...EVERYDAY_VERBS, 'kinds'])(
    'every command line of %s up to three words that it parses, commander parses the same',
    async (name) => {
      const verb = name === 'kinds' ? kinds : ((await allVerbs()).find((v) => v.name === name) as Verb);
      const seen = new Set<string>();
      let accepted = 0;
      for (const line of commandLines(vocabulary(verb), 3)) {
        if (seen.has(JSON.stringify(line))) continue;
        seen.add(JSON.stringify(line));
        const parsed = parseVerbArgv(verb, line);
        if (parsed === null) continue;
        accepted++;
        expect([line, { verb: name, ...parsed, globals: {} }]).toEqual([
          line,
          await byCommander([name, ...line], [verb]),
        ]);
      }
      // At least each flag alone and the empty line.
      expect(accepted).toBeGreaterThan(Object.keys(verb.flags ?? {}).length);
    },
    60_000,
  );
});
