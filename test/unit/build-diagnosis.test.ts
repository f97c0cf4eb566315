import { describe, expect, it } from 'vitest';
import { diagnoseBuildFailure } from '../../src/core/build-diagnosis.js';
import { compareApiVersions } from '../../src/core/engine-api.js';
import { DevenvError, ExitCode } from '../../src/core/errors.js';
import { buildOutputLines } from '../../src/docker/build-output.js';
import { checkApiVersion } from '../../src/docker/engine-version.js';

const LOG = '/home/me/.local/state/devenv/logs/devenv-x-me-build.log';
const FAILED_RUN = "The command '/bin/sh -c sh /opt/devenv/setup-system.sh' returned a non-zero code: 100";

describe('diagnoseBuildFailure', () => {
  it.each([
    {
      label: 'apt cannot write: the disk is full',
      lines: ['devenv: installing cowsay', 'E: Write error - write (28: No space left on device)'],
      engine: FAILED_RUN,
      message: 'the disk where Docker keeps its images is full (No space left on device)',
    },
    {
      label: 'the engine itself cannot write a layer',
      lines: ['Step 8/34 : RUN sh /opt/devenv/setup-system.sh'],
      engine: 'failed to register layer: write /var/lib/docker/overlay2/x/diff/y: no space left on device',
      message: 'the disk where Docker keeps its images is full (No space left on device)',
    },
    {
      label: 'apt does not know the package',
      lines: ['Reading state information...', 'E: Unable to locate package ffmpge'],
      engine: FAILED_RUN,
      message: "apt has no package ffmpge in the base image's package sources",
    },
    {
      label: 'apt knows the package but has no candidate',
      lines: ["E: Package 'python2' has no installation candidate"],
      engine: FAILED_RUN,
      message: "apt has no package python2 in the base image's package sources",
    },
  ])('$label', ({ lines, engine, message }) => {
    const diagnosis = diagnoseBuildFailure({ lines, engineSaid: engine, recipeSaid: null }, LOG);
    expect(diagnosis?.message).toBe(message);
    expect(diagnosis?.hint).toContain(LOG);
  });

  it('points a full disk at docker system df and devenv prune, even when the recipe said something else', () => {
    const diagnosis = diagnoseBuildFailure(
      {
        lines: ['OSError: [Errno 28] No space left on device'],
        engineSaid: FAILED_RUN,
        recipeSaid: 'python3 -m venv failed; add python3-venv to aptPackages',
      },
      LOG,
    );
    expect(diagnosis?.message).toMatch(/^the disk where Docker keeps its images is full/);
    expect(diagnosis?.hint).toMatch(/`docker system df`.*`devenv prune`/);
  });

  it("lets the recipe's own diagnosis outrank apt's wording", () => {
    const lines = ['E: Unable to locate package vimx'];
    expect(
      diagnoseBuildFailure({ lines, engineSaid: FAILED_RUN, recipeSaid: 'check aptPackages' }, LOG),
    ).toBeNull();
  });

  it('leaves other failures to the recipe diagnosis or the engine message', () => {
    const lines = ['devenv: unknown timezone Mars/Base'];
    expect(diagnoseBuildFailure({ lines, engineSaid: FAILED_RUN, recipeSaid: null }, LOG)).toBeNull();
    expect(diagnoseBuildFailure({ lines: [], engineSaid: FAILED_RUN, recipeSaid: null }, LOG)).toBeNull();
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
