import type { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/app/context.js';
import { buildProgram, everydayVerb, rewriteAliases } from '../../src/cli.js';
import { DevenvError } from '../../src/core/errors.js';
import { everydayInvocation } from '../../src/everyday.js';
import { reportError } from '../../src/main.js';

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

describe('everydayVerb and the program built for it alone', () => {
  it.each([
    { args: ['exec', '--', 'true'], verb: 'exec' },
    { args: ['-q', 'status'], verb: 'status' },
    { args: ['-c', 'start', 'status', '--json'], verb: 'status' },
    { args: ['--context', 'gpu1', 'start', '-d'], verb: 'start' },
    { args: ['--config=./x', 'shell'], verb: 'shell' },
    { args: ['stop'], verb: undefined },
    { args: ['help', 'exec'], verb: undefined },
    { args: ['--', 'exec'], verb: undefined },
    { args: ['--version'], verb: undefined },
    { args: ['-h', 'start'], verb: undefined },
    { args: ['-V', 'start'], verb: undefined },
    { args: ['--bogus', 'start'], verb: undefined },
    { args: ['-c=x', 'start'], verb: undefined },
    { args: [], verb: undefined },
  ])('$args -> $verb', ({ args, verb }) => {
    expect(everydayVerb(args)).toBe(verb);
  });

  class Parsed extends Error {}

  /**
   * What commander makes of `args`: the action it would run with its options and arguments, or
   * its error and what it printed (help, the message and its suggestion).
   */
  async function parse(args: string[], only?: string) {
    const output: string[] = [];
    const capture = (text: string | Uint8Array) => {
      output.push(String(text));
      return true;
    };
    const io = { stdout: { write: capture }, stderr: { write: capture } } as unknown as Io;
    const program = buildProgram(io, () => {}, only);
    let seen: unknown;
    program.hook('preAction', (_program, action) => {
      seen = { verb: action.name(), opts: action.opts(), args: action.args, globals: program.opts() };
      throw new Parsed();
    });
    try {
      await program.parseAsync(args, { from: 'user' });
    } catch (error) {
      if (!(error instanceof Parsed)) seen = { error: (error as CommanderError).code, output };
    }
    return seen;
  }

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
  ])('%j parses as with every command', async (...args) => {
    const verb = everydayVerb(args);
    expect(verb).toBeDefined();
    const alone = await parse(args, verb);
    expect(alone).toEqual(await parse(args));
    expect(JSON.stringify(alone)).not.toBe('{"output":[]}');
  });
});

describe("everydayInvocation: the everyday commands' plain forms, run without commander", () => {
  /** What commander makes of `args`, in the shape everydayInvocation gives, or null for anything else. */
  async function byCommander(args: string[]) {
    const program = buildProgram({} as Io, () => {});
    let seen: unknown = null;
    program.hook('preAction', (_program, action) => {
      const globals = program.opts();
      if (Object.keys(globals).length > 0) throw new Error(`global options: ${JSON.stringify(globals)}`);
      seen = { verb: action.name(), opts: action.opts(), args: action.args };
      throw new Parsed();
    });
    await program.parseAsync(args, { from: 'user' }).catch((error) => {
      if (!(error instanceof Parsed)) throw error;
    });
    return seen;
  }

  class Parsed extends Error {}

  it.each([
    ['exec', '--', 'true'],
    ['exec', '--', 'python', 'train.py', '--epochs', '3', '--', 'x'],
    ['exec', '--', '-weird-name'],
    ['exec', 'ls', '-la'],
    ['exec', 'ls', '--', '-q', '--help'],
    ['start'],
    ['start', '-d'],
    ['start', '--detach'],
    ['status'],
    ['status', '--json'],
    ['shell'],
  ])('%j is what commander makes of it', async (...args) => {
    const invocation = everydayInvocation(args);
    expect(invocation).not.toBeNull();
    expect(invocation).toEqual(await byCommander(args));
  });

  it.each([
    [],
    ['exec'],
    ['exec', '--'],
    ['exec', '-q', '--', 'true'],
    ['start', '--gpus', '2'],
    ['start', '-d', '--wait'],
    ['start', '--on', 'gpu1'],
    ['start', '--no-wait'],
    ['start', '-d', '-d'],
    ['start', 'extra'],
    ['start', '--help'],
    ['status', '--jsn'],
    ['status', '-v'],
    ['shell', '--config', 'x'],
    ['-q', 'status'],
    ['--start'],
    ['stop'],
    ['ls'],
  ])('%j goes to the whole CLI', (...args) => {
    expect(everydayInvocation(args)).toBeNull();
  });
});
