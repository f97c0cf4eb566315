import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DevenvError, ExitCode } from '../../../../src/core/errors.js';
import {
  batchScript,
  sbatchArgv,
  slurmGpuCount,
  submitFailure,
  WARN_BEFORE_END_SECONDS,
} from '../../../../src/core/slurm/sbatch.js';

const CONFIG = '/home/me/proj/.devenvrc';

describe('slurmGpuCount', () => {
  it('asks Slurm for a count of GPUs, and for none with "auto" or "none"', () => {
    expect(slurmGpuCount({ kind: 'count', count: 2, minMemoryGiB: null }, CONFIG)).toBe(2);
    expect(slurmGpuCount({ kind: 'count', count: 1, minMemoryGiB: 40 }, CONFIG)).toBe(1);
    expect(slurmGpuCount({ kind: 'auto' }, CONFIG)).toBe(0);
    expect(slurmGpuCount({ kind: 'none' }, CONFIG)).toBe(0);
  });

  it.each([
    [{ kind: 'all' as const }, '"gpus": "all" cannot be asked of Slurm'],
    [{ kind: 'list' as const, ids: [0, 1] }, '"gpus": a list of GPUs cannot be asked of Slurm'],
  ])('refuses particular GPUs, which a scheduler chooses (exit 3): %j', (request, said) => {
    const refusal = (() => {
      try {
        slurmGpuCount(request, CONFIG);
        return null;
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(DevenvError);
    expect((refusal as DevenvError).message).toContain(said);
    expect((refusal as DevenvError).exitCode).toBe(ExitCode.config);
    expect((refusal as DevenvError).hint).toBe(`set "gpus" to a number in ${CONFIG}`);
  });
});

describe('sbatchArgv', () => {
  const base = {
    name: 'devenv-proj-me',
    output: '/home/me/.local/state/devenv/slurm/devenv-proj-me-%j.out',
    workdir: '/home/me/proj',
  };

  it('passes every setting of the "slurm" key, the GPUs as GRES, and the extra arguments last', () => {
    const argv = sbatchArgv({
      ...base,
      gpus: 2,
      settings: {
        partition: 'gpu',
        time: '8:00:00',
        account: 'lab',
        qos: 'high',
        constraint: 'a100|h100',
        sbatchArgs: ['--mem=64G', '--cpus-per-task=8'],
      },
    });
    expect(argv).toEqual([
      'sbatch',
      '--parsable',
      '--job-name=devenv-proj-me',
      '--output=/home/me/.local/state/devenv/slurm/devenv-proj-me-%j.out',
      '--chdir=/home/me/proj',
      '--nodes=1',
      '--ntasks=1',
      '--gres=gpu:2',
      '--partition=gpu',
      '--time=8:00:00',
      '--account=lab',
      '--qos=high',
      '--constraint=a100|h100',
      `--signal=B:USR1@${WARN_BEFORE_END_SECONDS}`,
      // Last, so that they can override devenv's own (sbatch keeps the last of an option).
      '--mem=64G',
      '--cpus-per-task=8',
    ]);
  });

  it('asks no GPUs and leaves every unset setting to the cluster', () => {
    expect(sbatchArgv({ ...base, gpus: 0, settings: {} })).toEqual([
      'sbatch',
      '--parsable',
      '--job-name=devenv-proj-me',
      '--output=/home/me/.local/state/devenv/slurm/devenv-proj-me-%j.out',
      '--chdir=/home/me/proj',
      '--nodes=1',
      '--ntasks=1',
      '--signal=B:USR1@300',
    ]);
  });

  it('warns the batch shell itself (B:), five minutes before the end', () => {
    expect(WARN_BEFORE_END_SECONDS).toBe(300);
    expect(sbatchArgv({ ...base, gpus: 1, settings: {} })).toContain('--signal=B:USR1@300');
  });
});

describe('submitFailure', () => {
  const settings = {
    partition: 'nope',
    time: '99-00:00:00',
    account: 'ghost',
    qos: 'gold',
    constraint: 'tpu',
  };

  // What sbatch 22.05 writes on stderr for each refusal (the test cluster's, and Slurm's own texts).
  it.each([
    {
      case: 'no node can ever run it: exit 8',
      stderr: 'sbatch: error: Batch job submission failed: Requested node configuration is not available\n',
      code: 'gpu' as const,
      message:
        "no node of partition nope can ever run this env's job: Slurm refused it (Requested node configuration is not available)",
      hint: /ask for fewer GPUs/,
    },
    {
      case: 'an unknown partition, named',
      stderr:
        'sbatch: error: invalid partition specified: nope\nsbatch: error: Batch job submission failed: Invalid partition name specified\n',
      code: 'config' as const,
      message: 'Slurm knows no partition nope: invalid partition specified: nope',
      hint: /fix "slurm"\.partition in \/home\/me\/proj\/\.devenvrc/,
    },
    {
      case: 'an unknown feature',
      stderr: 'sbatch: error: Batch job submission failed: Invalid feature specification\n',
      code: 'config' as const,
      message: 'Slurm knows no node feature in constraint tpu: Invalid feature specification',
      hint: /fix "slurm"\.constraint/,
    },
    {
      case: 'a --time sbatch cannot read',
      stderr: 'sbatch: error: Invalid --time specification\n',
      code: 'config' as const,
      message: 'Slurm refused the time limit 99-00:00:00: Invalid --time specification',
      hint: /fix "slurm"\.time/,
    },
    {
      case: "a time limit over the partition's",
      stderr:
        'sbatch: error: Batch job submission failed: Requested time limit is invalid (missing or exceeds some limit)\n',
      code: 'config' as const,
      message:
        'Slurm refused the time limit 99-00:00:00: Requested time limit is invalid (missing or exceeds some limit)',
      hint: /fix "slurm"\.time/,
    },
    {
      case: 'an unknown option in sbatchArgs',
      stderr: 'sbatch: unrecognized option \'--bogus\'\nTry "sbatch --help" for more information\n',
      code: 'config' as const,
      message: "sbatch refused an option: unrecognized option '--bogus'",
      hint: /fix "slurm"\.sbatchArgs/,
    },
    {
      case: "an account not the user's",
      stderr:
        'sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified\n',
      code: 'config' as const,
      message: 'Slurm refused account ghost: Invalid account or account/partition combination specified',
      hint: /fix "slurm"\.account/,
    },
    {
      case: 'an unknown QOS',
      stderr: 'sbatch: error: Batch job submission failed: Invalid qos specification\n',
      code: 'config' as const,
      message: 'Slurm refused QOS gold: Invalid qos specification',
      hint: /fix "slurm"\.qos/,
    },
    {
      case: 'the controller down: exit 13',
      stderr:
        'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n',
      code: 'scheduler' as const,
      message: 'the Slurm controller does not answer: Unable to contact slurm controller (connect failure)',
      hint: /scontrol ping/,
    },
    {
      // A user limit of the cluster: not the time limit, though it says "time limits".
      case: "a limit of the user's association",
      stderr:
        "sbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)\n",
      code: 'config' as const,
      message:
        "Slurm refused the env's job: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)",
      hint: /your cluster's rules/,
    },
    {
      case: 'nothing said',
      stderr: '',
      code: 'config' as const,
      message: "Slurm refused the env's job: no reason given",
      hint: /sbatch --help/,
    },
  ])('$case', ({ stderr, code, message, hint }) => {
    const error = submitFailure(stderr, CONFIG, settings);
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(ExitCode[code]);
    expect(error.hint).toMatch(hint);
  });

  it('names what the cluster chose when the setting is unset', () => {
    const stderr =
      'sbatch: error: invalid partition specified: gpu\nsbatch: error: Batch job submission failed: Invalid partition name specified\n';
    expect(submitFailure(stderr, CONFIG, {}).message).toBe(
      'Slurm knows no partition (default): invalid partition specified: gpu',
    );
    expect(
      submitFailure(
        'sbatch: error: Batch job submission failed: Requested node configuration is not available',
        CONFIG,
        {},
      ).message,
    ).toMatch(/^no node can ever run this env's job/);
  });
});

/**
 * The batch script, run for real by /bin/sh as slurmstepd runs it, with a fake `docker` and a fake
 * `sleep` first on PATH: docker records its argv and environment and answers `inspect` from a
 * script of answers; sleep records its argument and returns at once, so that the script's minutes
 * of polling pass in a fraction of a second with its production values.
 */
describe('batchScript, run by /bin/sh', () => {
  let dir: string;
  let job: ChildProcess | null = null;

  afterEach(() => {
    if (job?.pid && job.exitCode === null && job.signalCode === null) process.kill(-job.pid, 'SIGKILL');
    job = null;
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Starts the job's script; `runningPolls`: how many inspections say the container runs before
   * it is stopped, or, with `absent`, before there is no such container (docker inspect fails).
   */
  function startJob(options: { runningPolls: number; idleMinutes?: number; absent?: boolean }) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-batch-'));
    const bin = path.join(dir, 'bin');
    writeFileSync(path.join(dir, 'running-polls'), `${options.runningPolls}\n`);
    if (options.absent) writeFileSync(path.join(dir, 'absent'), '');
    const fake = (name: string, body: string) => {
      writeFileSync(path.join(dir, name), '');
      writeFileSync(path.join(bin, name), `#!/bin/sh\nd='${dir}'\n${body}`, { mode: 0o755 });
    };
    mkdirSync(bin);
    fake(
      'docker',
      [
        `printf 'DOCKER_HOST=%s DOCKER_CONTEXT=%s DOCKER_TLS_VERIFY=%s DOCKER_CERT_PATH=%s\\n' "\${DOCKER_HOST-unset}" "\${DOCKER_CONTEXT-unset}" "\${DOCKER_TLS_VERIFY-unset}" "\${DOCKER_CERT_PATH-unset}" >>"$d/env.log"`,
        `printf '%s\\t' "$@" >>"$d/calls.log"; echo >>"$d/calls.log"`,
        'if [ "$1" = inspect ]; then',
        '  n=$(($(cat "$d/inspected" 2>/dev/null || echo 0) + 1)); echo $n >"$d/inspected"',
        '  if [ $n -le "$(cat "$d/running-polls")" ]; then echo true',
        '  elif [ -e "$d/absent" ]; then echo "Error: No such object: $3" >&2; exit 1',
        '  else echo false; fi',
        'fi',
        '',
      ].join('\n'),
    );
    fake('sleep', 'echo "$1" >>"$d/sleep.log"\nexec /bin/sleep 0.01\n');
    const script = path.join(dir, 'job.sh');
    writeFileSync(
      script,
      batchScript({ container: 'devenv-proj-me', envName: 'proj', idleMinutes: options.idleMinutes ?? 60 }),
    );
    let stdout = '';
    const child = spawn('/bin/sh', [script], {
      // sbatch exports the login node's environment into the job: DOCKER_* pointing elsewhere included.
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        SLURM_JOB_ID: '42',
        SLURMD_NODENAME: 'nodeB',
        DOCKER_HOST: 'ssh://me@login',
        DOCKER_CONTEXT: 'laptop',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: '/home/me/.docker/certs',
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    job = child;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const read = (name: string) =>
      existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8') : '';
    return {
      child,
      exited,
      stdout: () => stdout,
      /** Every docker call, as its argv. */
      calls: () =>
        read('calls.log')
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split('\t').slice(0, -1)),
      envs: () => read('env.log').split('\n').filter(Boolean),
      sleeps: () => read('sleep.log').split('\n').filter(Boolean),
    };
  }

  async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('on SIGTERM (scancel, the time limit) removes the container and ends with 0', async () => {
    const run = startJob({ runningPolls: 1000 });
    await until('it says it holds the env', () => run.stdout().includes('holds env proj on nodeB'));
    await until('it polled once', () => run.calls().length > 0);

    // Slurm signals every process of the batch step.
    process.kill(-(run.child.pid as number), 'SIGTERM');

    expect(await run.exited).toBe(0);
    expect(run.calls().filter((argv) => argv[0] !== 'inspect')).toEqual([['rm', '-f', 'devenv-proj-me']]);
    expect(run.stdout()).toContain('devenv: job 42 ended; container devenv-proj-me removed');
  });

  it('on SIGUSR1 (the warning before the time limit) tells the terminals of the container as root, and goes on', async () => {
    const run = startJob({ runningPolls: 1000 });
    await until('it says it holds the env', () => run.stdout().includes('holds env proj on nodeB'));

    // --signal=B:USR1 signals the batch shell only.
    process.kill(run.child.pid as number, 'SIGUSR1');
    await until('it ran docker exec', () => run.calls().some((argv) => argv[0] === 'exec'));

    const exec = run.calls().find((argv) => argv[0] === 'exec') as string[];
    const warning =
      'devenv: the Slurm job of env proj ends in about 5 minutes; save your work (then `devenv start` again for a new job)';
    expect(exec.slice(0, 8)).toEqual([
      'exec',
      '-u',
      '0',
      '-e',
      `DEVENV_WARNING=${warning}`,
      'devenv-proj-me',
      'sh',
      '-c',
    ]);
    expect(exec).toHaveLength(9);
    await until('it polled again', () => run.calls().at(-1)?.[0] === 'inspect');
    expect(run.child.exitCode).toBeNull();

    // What that command does in the container: the warning, in yellow, on every terminal.
    const ptsDir = path.join(dir, 'pts');
    mkdirSync(ptsDir);
    writeFileSync(path.join(ptsDir, '0'), '');
    writeFileSync(path.join(ptsDir, '3'), '');
    writeFileSync(path.join(ptsDir, 'ptmx'), '');
    const inContainer = (exec[8] as string).replaceAll('/dev/pts/', `${ptsDir}/`);
    await new Promise<void>((resolve) =>
      spawn('/bin/sh', ['-c', inContainer], { env: { DEVENV_WARNING: warning }, stdio: 'ignore' }).on(
        'exit',
        () => resolve(),
      ),
    );
    for (const t of ['0', '3'])
      expect(readFileSync(path.join(ptsDir, t), 'utf8')).toBe(`\r\n\x1b[33m${warning}\x1b[0m\r\n`);
    expect(readFileSync(path.join(ptsDir, 'ptmx'), 'utf8')).toBe('');

    process.kill(-(run.child.pid as number), 'SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('ends the job a minute after the container stopped running', async () => {
    const run = startJob({ runningPolls: 3, idleMinutes: 2 });

    expect(await run.exited).toBe(0);
    // Polls of 5 s: three saw it run, then a minute of polls saw it gone.
    expect(run.sleeps().every((s) => s === '5')).toBe(true);
    expect(run.calls().filter((argv) => argv[0] === 'inspect')).toHaveLength(3 + 12);
    expect(run.calls().at(-1)).toEqual(['rm', '-f', 'devenv-proj-me']);
    expect(run.stdout()).toContain('devenv: container devenv-proj-me is not running; ending job 42');
  });

  it('gives a container not made yet the idle time, not a minute (the image may take that long to build)', async () => {
    const run = startJob({ runningPolls: 0, idleMinutes: 2, absent: true });

    expect(await run.exited).toBe(0);
    expect(run.calls().filter((argv) => argv[0] === 'inspect')).toHaveLength((2 * 60) / 5);
    expect(run.calls().at(-1)).toEqual(['rm', '-f', 'devenv-proj-me']);
  });

  it('ends the job a minute after it first saw a container that never ran (it stopped at once)', async () => {
    const run = startJob({ runningPolls: 0, idleMinutes: 60 });

    expect(await run.exited).toBe(0);
    // The first poll saw it made and stopped; a minute of polls after that.
    expect(run.calls().filter((argv) => argv[0] === 'inspect')).toHaveLength(1 + 12);
    expect(run.calls().at(-1)).toEqual(['rm', '-f', 'devenv-proj-me']);
    expect(run.stdout()).toContain('devenv: container devenv-proj-me is not running; ending job 42');
  });

  it("talks to the node's own engine: DOCKER_HOST and TLS settings unset, the default context", async () => {
    const run = startJob({ runningPolls: 2, idleMinutes: 1 });

    expect(await run.exited).toBe(0);
    const envs = run.envs();
    expect(envs.length).toBeGreaterThan(2);
    expect(new Set(envs)).toEqual(
      new Set(['DOCKER_HOST=unset DOCKER_CONTEXT=default DOCKER_TLS_VERIFY=unset DOCKER_CERT_PATH=unset']),
    );
  });

  it('quotes the container name for the shell', () => {
    const script = batchScript({ container: "devenv-it's-me", envName: 'x', idleMinutes: 60 });
    expect(script).toContain(`container='devenv-it'\\''s-me'`);
  });
});
