import { describe, expect, it } from 'vitest';
import { diagnoseBuildFailure } from '../../../src/core/build-diagnosis.js';
import { compareApiVersions } from '../../../src/core/engine-api.js';
import { DevenvError, ExitCode } from '../../../src/core/errors.js';
import { BUILD_LOG_TAIL, buildFailureOf, stepOf } from '../../../src/docker/build-failure.js';
import { buildOutputLines } from '../../../src/docker/build-output.js';
import { checkApiVersion } from '../../../src/docker/engine-version.js';

const LOG = '/home/me/.local/state/devenv/logs/devenv-x-me-build.log';
const FAILED_RUN = "The command '/bin/sh -c sh /opt/devenv/setup-system.sh' returned a non-zero code: 100";

/** What docker/ reports for a build whose engine said `engineSaid` after `lines` of output. */
const failed = (lines: string[], engineSaid = FAILED_RUN) =>
  buildFailureOf(
    engineSaid,
    { number: 8, total: 34, instruction: 'RUN sh /opt/devenv/setup-system.sh' },
    lines,
  );

describe("buildFailureOf: the engine's report of a failed build, read once in docker/", () => {
  it('a RUN step that exited non-zero: its exit code and step', () => {
    const step = stepOf('Step 8/34 : RUN sh /opt/devenv/setup-system.sh');
    expect(step).toEqual({ number: 8, total: 34, instruction: 'RUN sh /opt/devenv/setup-system.sh' });
    expect(buildFailureOf(FAILED_RUN, step, ['E: Unable to locate package x'])).toMatchObject({
      name: 'BuildFailure',
      message: FAILED_RUN,
      engineMessage: FAILED_RUN,
      step,
      exitCode: 100,
      diskFull: false,
      logTail: ['E: Unable to locate package x'],
    });
  });

  it('the engine cannot write a layer: disk full, no exit code', () => {
    const said = 'failed to register layer: write /var/lib/docker/overlay2/x/diff/y: no space left on device';
    expect(buildFailureOf(said, null, [])).toMatchObject({ diskFull: true, exitCode: null, step: null });
  });

  it(`keeps the last ${BUILD_LOG_TAIL} lines of output`, () => {
    const lines = Array.from({ length: BUILD_LOG_TAIL + 5 }, (_, i) => `line ${i}`);
    const tail = buildFailureOf(FAILED_RUN, null, lines).logTail;
    expect(tail).toHaveLength(BUILD_LOG_TAIL);
    expect(tail[0]).toBe('line 5');
  });

  it('is not a step: other output', () => {
    expect(stepOf(' ---> Running in 7143d02e6ddf')).toBeNull();
  });
});

describe('diagnoseBuildFailure', () => {
  it.each([
    {
      label: 'apt cannot write: the disk is full',
      failure: failed(['devenv: installing cowsay', 'E: Write error - write (28: No space left on device)']),
      message: 'the disk where Docker keeps its images is full (No space left on device)',
    },
    {
      label: 'the engine itself cannot write a layer',
      failure: failed(
        ['Step 8/34 : RUN sh /opt/devenv/setup-system.sh'],
        'failed to register layer: write /var/lib/docker/overlay2/x/diff/y: no space left on device',
      ),
      message: 'the disk where Docker keeps its images is full (No space left on device)',
    },
    {
      label: 'the engine says the disk is full, in whatever words (the typed fact, not the text)',
      failure: { diskFull: true, logTail: [] },
      message: 'the disk where Docker keeps its images is full (No space left on device)',
    },
    {
      label: 'apt does not know the package',
      failure: failed(['Reading state information...', 'E: Unable to locate package ffmpge']),
      message: "apt has no package ffmpge in the base image's package sources",
    },
    {
      label: 'apt knows the package but has no candidate',
      failure: failed(["E: Package 'python2' has no installation candidate"]),
      message: "apt has no package python2 in the base image's package sources",
    },
  ])('$label', ({ failure, message }) => {
    const diagnosis = diagnoseBuildFailure(failure, null, LOG);
    expect(diagnosis?.message).toBe(message);
    expect(diagnosis?.hint).toContain(LOG);
  });

  it('points a full disk at docker system df and devenv prune, even when the recipe said something else', () => {
    const diagnosis = diagnoseBuildFailure(
      failed(['OSError: [Errno 28] No space left on device']),
      'python3 -m venv failed; add python3-venv to aptPackages',
      LOG,
    );
    expect(diagnosis?.message).toMatch(/^the disk where Docker keeps its images is full/);
    expect(diagnosis?.hint).toMatch(/`docker system df`.*`devenv prune`/);
  });

  it("lets the recipe's own diagnosis outrank apt's wording", () => {
    expect(
      diagnoseBuildFailure(failed(['E: Unable to locate package vimx']), 'check aptPackages', LOG),
    ).toBeNull();
  });

  it('leaves other failures to the recipe diagnosis or the engine message', () => {
    expect(diagnoseBuildFailure(failed(['devenv: unknown timezone Mars/Base']), null, LOG)).toBeNull();
    expect(diagnoseBuildFailure(failed([]), null, LOG)).toBeNull();
  });
});

describe('buildOutputLines', () => {
  function collect(chunks: string[]): string[] {
    const lines: string[] = [];
    const output = buildOutputLines((line) => lines.push(line));
    for (const chunk of chunks) output.push(chunk);
    output.flush();
    return lines;
  }
  const red = (text: string) => `\u001b[91m${text}\u001b[0m`;

  it("joins the classic builder's coloured stderr chunks into whole lines", () => {
    expect(
      collect([
        'Reading state information...\n',
        red('E'),
        red(': '),
        red('Unable to locate package nope\n'),
        red('\n'),
        'Removing intermediate container 7143d02e6ddf\n',
      ]),
    ).toEqual([
      'Reading state information...',
      'E: Unable to locate package nope',
      'Removing intermediate container 7143d02e6ddf',
    ]);
  });

  it('keeps a step line split across chunks whole, and flushes an unfinished last line', () => {
    expect(collect(['Step 1/3', ' : ARG BASE_IMAGE\r\n', ' ---> Running in abc\nlast words'])).toEqual([
      'Step 1/3 : ARG BASE_IMAGE',
      ' ---> Running in abc',
      'last words',
    ]);
  });
});

describe('engine API version', () => {
  const endpoint = { url: 'unix:///var/run/docker.sock', source: 'default' };

  it.each([
    ['1.40', '1.40', 0],
    ['1.41', '1.40', 1],
    ['1.9', '1.40', -1],
    ['1.30', '1.40', -1],
    ['2.0', '1.40', 1],
  ])('compareApiVersions(%s, %s) has the sign of %i', (a, b, sign) => {
    expect(Math.sign(compareApiVersions(a, b))).toBe(sign);
  });

  it.each(['1.40', '1.41', '1.47', '', 'unknown'])(
    'accepts API %j (or an engine that does not say)',
    (api) => {
      expect(() => checkApiVersion({ ApiVersion: api }, endpoint)).not.toThrow();
    },
  );

  it('refuses an older engine with its versions, exit code engine', () => {
    let error: unknown;
    try {
      checkApiVersion(
        { ApiVersion: '1.30', Version: '17.06.2-ce' },
        { url: 'tcp://old:2375', source: 'DOCKER_HOST' },
      );
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).message).toBe(
      'the Docker engine at tcp://old:2375 (from DOCKER_HOST) is too old (Docker 17.06.2-ce, API 1.30); devenv needs API 1.40 or newer for GPU device requests',
    );
    expect((error as DevenvError).exitCode).toBe(ExitCode.engine);
  });
});
