import { describe, expect, it } from 'vitest';
import {
  actionLine,
  isDial,
  type RecordedRequest,
  type Recording,
  type SlurmCall,
  slurmFloorPlan,
} from '../../../bench/slurm-plan.cjs';

const STEP = ['srun', '--jobid=55', '--overlap', '--nodes=1', '--ntasks=1', '--quiet'];
const DIAL = [
  ...STEP,
  'env',
  '-u',
  'DOCKER_HOST',
  'DOCKER_CONTEXT=default',
  'docker',
  'system',
  'dial-stdio',
];
const SQUEUE = ['squeue', '--noheader', '--name=devenv-x-me', '--user=me', '--format=%i|%T'];
const SMI = [...STEP, 'nvidia-smi'];
const HOOK = [...STEP, 'sh', '-c', 'command -v "$1"', 'sh', 'nvidia-container-runtime-hook'];
const EXEC_ID = 'a'.repeat(64);

function call(argv: string[], startMs: number, endMs: number | null, code: number | null = 0): SlurmCall {
  return { argv, startMs, endMs, code };
}

function request(
  method: string,
  url: string,
  connection: number,
  startedMs: number,
  ms: number,
  extra: Partial<RecordedRequest> = {},
): RecordedRequest {
  return {
    method,
    url,
    path: url,
    status: 200,
    bodyBytes: 0,
    connection,
    userAgent: null,
    startedMs,
    ms,
    ...extra,
  };
}

const cliPing = (connection: number, startedMs: number) =>
  request('HEAD', '/_ping', connection, startedMs, 2, { userAgent: 'Docker-Client/20.10.24+dfsg1 (linux)' });

/**
 * `devenv status` as it was recorded: squeue; then a dial (its request arrives only once the step
 * runs, after nvidia-smi ended) beside nvidia-smi; /info; the hook check once /info answered; then
 * the image. `smiEnd` moves nvidia-smi's end.
 */
function statusRecording(smiEnd: number): Recording {
  return {
    calls: [call(SQUEUE, 0, 16), call(DIAL, 40, null, null), call(SMI, 45, smiEnd), call(HOOK, 400, 480)],
    requests: [
      cliPing(1, 250),
      request('GET', '/containers/devenv-x-me/json', 2, 300, 10),
      request('GET', '/info', 2, 312, 20),
      request('GET', '/images/devenv-x-me:latest/json', 2, 490, 3),
    ],
  };
}

describe('slurmFloorPlan', () => {
  it("orders the actions as devenv asked for them, each after what it waited for, without the dial's own ping", () => {
    const plan = slurmFloorPlan({ recordings: [statusRecording(200)] });
    expect(plan.dial).toEqual(DIAL);
    expect(plan.actions.map((a) => [actionLine(a), a.after])).toEqual([
      ['squeue --noheader --name=devenv-x-me --user=me --format=%i|%T', []],
      // Asked for when its dial started, before nvidia-smi ended: it did not wait for it.
      ['GET /containers/devenv-x-me/json', [0]],
      ['srun … nvidia-smi', [0]],
      // On a connection already open: asked for when it arrived, after nvidia-smi ended.
      ['GET /info', [1, 2]],
      ['srun … sh -c command -v "$1" sh nvidia-container-runtime-hook', [3]],
      ['GET /images/devenv-x-me:latest/json', [4]],
    ]);
  });

  it('waits only where devenv waited in every recording', () => {
    // nvidia-smi ended after /info was asked for in the second recording: /info did not need it.
    const plan = slurmFloorPlan({ recordings: [statusRecording(200), statusRecording(330)] });
    expect(plan.actions.map((a) => [actionLine(a), a.after])).toEqual([
      ['squeue --noheader --name=devenv-x-me --user=me --format=%i|%T', []],
      ['GET /containers/devenv-x-me/json', [0]],
      ['srun … nvidia-smi', [0]],
      ['GET /info', [1]],
      // Still after nvidia-smi: it ended before the hook check was asked for both times.
      ['srun … sh -c command -v "$1" sh nvidia-container-runtime-hook', [2, 3]],
      ['GET /images/devenv-x-me:latest/json', [4]],
    ]);
  });

  it('leaves the Slurm queries out when the floor is given the job', () => {
    const plan = slurmFloorPlan({ recordings: [statusRecording(200)], withoutQueries: true });
    expect(plan.actions.map((a) => [actionLine(a), a.after])).toEqual([
      ['GET /containers/devenv-x-me/json', []],
      ['srun … nvidia-smi', []],
      ['GET /info', [0, 1]],
      ['srun … sh -c command -v "$1" sh nvidia-container-runtime-hook', [2]],
      ['GET /images/devenv-x-me:latest/json', [3]],
    ]);
  });

  it("takes each connection's first request as asked for when its own dial started", () => {
    // exec: the hijacked start uses up the first dial; the inspect comes on a second one.
    const recording: Recording = {
      calls: [call(SQUEUE, 0, 20), call(DIAL, 30, null, null), call(DIAL, 200, null, null)],
      requests: [
        cliPing(1, 100),
        request('POST', '/containers/devenv-x-me/exec', 2, 110, 2, {
          status: 201,
          bodyBytes: 16,
          json: '{"Cmd":["true"]}',
          answerId: EXEC_ID,
        }),
        request('POST', `/exec/${EXEC_ID}/start`, 2, 113, 80, { status: 'upgrade' }),
        cliPing(3, 290),
        request('GET', `/exec/${EXEC_ID}/json`, 4, 300, 3),
      ],
    };
    const plan = slurmFloorPlan({ recordings: [recording] });
    expect(plan.actions.map((a) => [actionLine(a), a.after])).toEqual([
      ['squeue --noheader --name=devenv-x-me --user=me --format=%i|%T', []],
      ['POST /containers/devenv-x-me/exec', [0]],
      [`POST /exec/${EXEC_ID}/start`, [1]],
      [`GET /exec/${EXEC_ID}/json`, [2]],
    ]);
    expect(plan.actions[1]).toMatchObject({ request: { body: '{"Cmd":["true"]}', answerId: EXEC_ID } });
  });

  it('keeps the exit code a step had, for the floor to check', () => {
    const recording: Recording = { calls: [call(SQUEUE, 0, 20), call(HOOK, 30, 90, 1)], requests: [] };
    expect(slurmFloorPlan({ recordings: [recording] }).actions[1]).toEqual({
      run: HOOK,
      code: 1,
      after: [0],
    });
  });

  it('refuses recordings in which devenv did different things', () => {
    const other = statusRecording(200);
    other.calls.push(call(SMI, 46, 210));
    expect(() => slurmFloorPlan({ recordings: [statusRecording(200), other] })).toThrow(
      'devenv did not do the same in two recordings',
    );
  });

  it('refuses engine requests that came through no dial', () => {
    const recording: Recording = {
      calls: [call(SQUEUE, 0, 20)],
      requests: [request('GET', '/info', 1, 30, 2)],
    };
    expect(() => slurmFloorPlan({ recordings: [recording] })).toThrow('engine requests without a dial step');
  });
});

describe('isDial', () => {
  it("is the step that runs the node's docker system dial-stdio", () => {
    expect(isDial(DIAL)).toBe(true);
    expect(isDial(SMI)).toBe(false);
    expect(isDial([...STEP, 'docker', 'system', 'info'])).toBe(false);
  });
});
