import { describe, expect, it } from 'vitest';
import type { GpuRequest } from '../../../src/core/config/schema.js';
import { DevenvError } from '../../../src/core/errors.js';
import { type LeaseRequest, leaseRequestOf } from '../../../src/core/gpu/lease.js';
import { choosePlacement, describeSurvey, gpusNeeded, type HostSurvey } from '../../../src/core/placement.js';

type Reachable = Extract<HostSurvey, { reachable: true }>;

/** A host that answered: `free` of `total` GPUs free, the env absent and its request met unless said. */
const up = (host: string, free: number, total = 8, over: Partial<Reachable> = {}): HostSurvey => ({
  host,
  reachable: true,
  env: 'absent',
  gpus: { total, free },
  fits: true,
  ...over,
});
const down = (host: string, problem = 'Connection refused'): HostSurvey => ({
  host,
  reachable: false,
  problem,
});

const TWO = leaseRequestOf(2);

function placementFailure(request: LeaseRequest, surveys: HostSurvey[], exitCode: number): DevenvError {
  try {
    choosePlacement({ request, surveys, lastPlaced: null });
  } catch (error) {
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(exitCode);
    expect((error as DevenvError).hint).toBeTruthy();
    return error as DevenvError;
  }
  throw new Error('expected a DevenvError');
}

describe('gpusNeeded', () => {
  it.each<{ gpus: GpuRequest; needed: number }>([
    { gpus: 3, needed: 3 },
    { gpus: { count: 2, minMemoryGiB: 40 }, needed: 2 },
    { gpus: { count: 1 }, needed: 1 },
    { gpus: 'auto', needed: 0 },
    { gpus: 'all', needed: 0 },
    { gpus: 'none', needed: 0 },
    { gpus: [0, 1], needed: 0 },
  ])('$gpus needs $needed', ({ gpus, needed }) => {
    expect(gpusNeeded(leaseRequestOf(gpus))).toBe(needed);
  });
});

describe('describeSurvey', () => {
  it.each([
    { survey: up('gpu1', 2, 8), says: 'gpu1: 2 of 8 GPUs free' },
    { survey: up('gpu1', 0, 8), says: 'gpu1: 0 of 8 GPUs free' },
    { survey: up('laptop', 1, 1), says: 'laptop: 1 of 1 GPU free' },
    { survey: up('cpu-box', 0, 0), says: 'cpu-box: 0 of 0 GPUs free' },
    { survey: down('gpu3'), says: 'gpu3: unreachable (Connection refused)' },
  ])('$says', ({ survey, says }) => {
    expect(describeSurvey(survey)).toBe(says);
  });
});

describe('choosePlacement: which host', () => {
  it.each<{
    label: string;
    request?: LeaseRequest;
    surveys: HostSurvey[];
    lastPlaced?: string | null;
    host: string;
    explanation: string;
  }>([
    {
      label: 'the host where the env runs keeps it, though another has more free GPUs',
      surveys: [up('gpu1', 8), up('gpu2', 0, 8, { env: 'running', fits: false })],
      lastPlaced: 'gpu1',
      host: 'gpu2',
      explanation: 'on gpu2, where the env runs',
    },
    {
      label: 'a host with the env stopped there beats one with more free GPUs',
      surveys: [up('gpu1', 8), up('gpu2', 2, 8, { env: 'stopped' })],
      host: 'gpu2',
      explanation: "placed on gpu2: the env's container is there, 2 of 8 GPUs free",
    },
    {
      label: 'a host with only the env image beats one with more free GPUs',
      surveys: [up('gpu1', 8), up('gpu2', 2, 8, { env: 'image' })],
      host: 'gpu2',
      explanation: "placed on gpu2: the env's image is there, 2 of 8 GPUs free",
    },
    {
      label: "a host with the env's container that has no room does not win",
      surveys: [up('gpu1', 3), up('gpu2', 1, 8, { env: 'stopped', fits: false })],
      host: 'gpu1',
      explanation: 'placed on gpu1: 3 of 8 GPUs free',
    },
    {
      label: 'the env objects beat the last placement',
      surveys: [up('gpu1', 4), up('gpu2', 2, 8, { env: 'image' })],
      lastPlaced: 'gpu1',
      host: 'gpu2',
      explanation: "placed on gpu2: the env's image is there, 2 of 8 GPUs free",
    },
    {
      label: 'the last placement beats more free GPUs',
      surveys: [up('gpu1', 8), up('gpu2', 2)],
      lastPlaced: 'gpu2',
      host: 'gpu2',
      explanation: 'placed on gpu2: 2 of 8 GPUs free',
    },
    {
      label: 'a last placement that has no room does not win',
      surveys: [up('gpu1', 3), up('gpu2', 1, 8, { fits: false })],
      lastPlaced: 'gpu2',
      host: 'gpu1',
      explanation: 'placed on gpu1: 3 of 8 GPUs free',
    },
    {
      label: 'otherwise the most free GPUs',
      surveys: [up('gpu1', 2), up('gpu2', 4), up('gpu3', 3)],
      host: 'gpu2',
      explanation: 'placed on gpu2: 4 of 8 GPUs free',
    },
    {
      label: 'a last placement no longer in the list changes nothing',
      surveys: [up('gpu1', 2), up('gpu2', 4)],
      lastPlaced: 'gpu9',
      host: 'gpu2',
      explanation: 'placed on gpu2: 4 of 8 GPUs free',
    },
    {
      label: 'a tie goes to the first in the list',
      surveys: [up('gpu1', 4), up('gpu2', 4)],
      host: 'gpu1',
      explanation: 'placed on gpu1: 4 of 8 GPUs free',
    },
    {
      label: 'a tie goes to the first in the list, whatever its name',
      surveys: [up('zeta', 4), up('alpha', 4)],
      host: 'zeta',
      explanation: 'placed on zeta: 4 of 8 GPUs free',
    },
    {
      label: 'a host that does not fit is passed over, however many GPUs are free',
      surveys: [up('gpu1', 8, 8, { fits: false }), up('gpu2', 2)],
      host: 'gpu2',
      explanation: 'placed on gpu2: 2 of 8 GPUs free',
    },
    {
      label: 'an unreachable host is skipped',
      surveys: [down('gpu1'), up('gpu2', 2)],
      lastPlaced: 'gpu1',
      host: 'gpu2',
      explanation: 'placed on gpu2: 2 of 8 GPUs free',
    },
    {
      label: 'one GPU is said in the singular',
      request: leaseRequestOf(1),
      surveys: [up('laptop', 1, 1)],
      host: 'laptop',
      explanation: 'placed on laptop: 1 of 1 GPU free',
    },
    {
      label: 'a request with a memory floor places the same way',
      request: leaseRequestOf({ count: 2, minMemoryGiB: 40 }),
      surveys: [up('gpu1', 2), up('gpu2', 6)],
      host: 'gpu2',
      explanation: 'placed on gpu2: 6 of 8 GPUs free',
    },
    {
      label: '"auto" takes the most free GPUs',
      request: leaseRequestOf('auto'),
      surveys: [up('gpu1', 1), up('gpu2', 5)],
      host: 'gpu2',
      explanation: 'placed on gpu2: 5 of 8 GPUs free',
    },
    {
      label: '"none" goes by the list: it does not take the GPU server with the most free GPUs',
      request: leaseRequestOf('none'),
      surveys: [up('cpu-box', 0, 0), up('gpu2', 8)],
      host: 'cpu-box',
      explanation: 'placed on cpu-box: 0 of 0 GPUs free',
    },
    {
      label: '"none" still prefers where its image is',
      request: leaseRequestOf('none'),
      surveys: [up('gpu1', 8), up('gpu2', 0, 8, { env: 'image' })],
      host: 'gpu2',
      explanation: "placed on gpu2: the env's image is there, 0 of 8 GPUs free",
    },
    {
      label: '"none" goes on a host without GPUs too',
      request: leaseRequestOf('none'),
      surveys: [down('gpu1'), up('cpu-box', 0, 0)],
      host: 'cpu-box',
      explanation: 'placed on cpu-box: 0 of 0 GPUs free',
    },
  ])('$label', ({ request, surveys, lastPlaced, host, explanation }) => {
    expect(choosePlacement({ request: request ?? TWO, surveys, lastPlaced: lastPlaced ?? null })).toEqual({
      host,
      explanation,
    });
  });
});

describe('choosePlacement: no host', () => {
  it('none with room is a GPU error (exit 8) naming every host, reachable or not', () => {
    const error = placementFailure(
      TWO,
      [
        up('gpu1', 1, 8, { fits: false }),
        down('gpu2', 'Connection refused'),
        up('gpu3', 0, 4, { fits: false }),
      ],
      8,
    );
    expect(error.message).toBe(
      'no host has 2 free GPUs: gpu1: 1 of 8 GPUs free; gpu2: unreachable (Connection refused); gpu3: 0 of 4 GPUs free',
    );
    expect(error.hint).toContain('--wait');
  });

  it.each<{ request: LeaseRequest; wants: string }>([
    { request: leaseRequestOf(1), wants: 'no host has 1 free GPU: ' },
    { request: leaseRequestOf({ count: 4, minMemoryGiB: 80 }), wants: 'no host has 4 free GPUs: ' },
    { request: leaseRequestOf('auto'), wants: 'no host has the GPUs this env asks for: ' },
  ])('says what was asked: $wants', ({ request, wants }) => {
    const error = placementFailure(request, [up('gpu1', 0, 1, { fits: false })], 8);
    expect(error.message).toBe(`${wants}gpu1: 0 of 1 GPU free`);
  });

  it('none reachable is an engine error (exit 4) naming each problem', () => {
    const error = placementFailure(
      TWO,
      [down('gpu1', 'Connection refused'), down('gpu2', 'gpu2 refused your SSH key')],
      4,
    );
    expect(error.message).toBe(
      'no host in "hosts" answers: gpu1: unreachable (Connection refused); gpu2: unreachable (gpu2 refused your SSH key)',
    );
    expect(error.hint).toContain('--on HOST');
  });

  it('an unreachable host does not keep the env, even when it was last placed there', () => {
    expect(() => choosePlacement({ request: TWO, surveys: [down('gpu1')], lastPlaced: 'gpu1' })).toThrow(
      /no host in "hosts" answers/,
    );
  });
});

describe('choosePlacement: start --wait', () => {
  it('with no host free now, places where waiting can succeed: enough GPUs in all, its image first', () => {
    const surveys = [
      up('small', 0, 2, { fits: false }),
      up('big', 0, 8, { fits: false }),
      up('bigger', 1, 8, { fits: false, env: 'image' }),
    ];
    expect(choosePlacement({ request: leaseRequestOf(4), surveys, lastPlaced: null, waiting: true })).toEqual(
      {
        host: 'bigger',
        explanation: 'placed on bigger to wait for GPUs: 1 of 8 GPUs free',
      },
    );
  });

  it('a host with room now still wins over waiting', () => {
    const surveys = [up('busy', 0, 8, { fits: false }), up('free', 4)];
    expect(choosePlacement({ request: TWO, surveys, lastPlaced: null, waiting: true }).host).toBe('free');
  });

  it('when no host has that many GPUs at all, waiting cannot help: exit 8', () => {
    const surveys = [up('a', 0, 2, { fits: false }), up('b', 1, 2, { fits: false })];
    expect(() =>
      choosePlacement({ request: leaseRequestOf(4), surveys, lastPlaced: null, waiting: true }),
    ).toThrow(/no host has 4 free GPUs: a: 0 of 2 GPUs free; b: 1 of 2 GPUs free/);
  });
});
