import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EnvContext } from '../../../src/app/context.js';
import { waitUntilHealthy } from '../../../src/app/readiness.js';
import type { ContainerDetails, Engine } from '../../../src/core/engine.js';
import { DevenvError } from '../../../src/core/errors.js';
import type { HealthState } from '../../../src/core/health.js';

/** A container whose health the test scripts, one answer per inspect; the last answer repeats. */
function scripted(answers: Array<Partial<ContainerDetails> & { health: HealthState | null }>) {
  const base: ContainerDetails = {
    id: 'c1',
    name: 'devenv-svc-alice',
    running: true,
    status: 'running',
    labels: {},
    imageId: 'i1',
    created: '',
    health: { status: 'starting', lastProbe: null },
    healthcheck: { intervalMs: 1000, timeoutMs: 1000, startPeriodMs: 0, retries: 2 },
    ports: [],
  };
  const states = answers.map((a) => ({ ...base, ...a }));
  let inspections = 0;
  const engine = {
    inspectContainer: async () => states[Math.min(++inspections, states.length - 1)] ?? null,
  } as unknown as Engine;
  return { first: states[0] as ContainerDetails, engine, inspections: () => inspections };
}

function context(signal = new AbortController().signal) {
  const lines: string[] = [];
  const ctx = {
    io: { signal },
    ui: {
      progress: (text: string) => {
        lines.push(`start: ${text}`);
        return {
          update: (t: string) => lines.push(`update: ${t}`),
          succeed: (t?: string) => lines.push(`succeed: ${t}`),
          fail: () => lines.push('fail'),
        };
      },
    },
  } as unknown as EnvContext;
  return { ctx, lines };
}

const probe = (exitCode: number, output: string) => ({ exitCode, output });

describe('waitUntilHealthy', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns at once, without a line, for a container with no healthcheck or one already healthy', async () => {
    for (const health of [null, { status: 'healthy' as const, lastProbe: probe(0, 'ok') }]) {
      const { first, engine, inspections } = scripted([{ health }]);
      const { ctx, lines } = context();
      await waitUntilHealthy(ctx, engine, first);
      expect(lines).toEqual([]);
      expect(inspections()).toBe(0);
    }
  });

  it('waits while starting, showing the last probe, and returns once healthy', async () => {
    const { first, engine } = scripted([
      { health: { status: 'starting', lastProbe: null } },
      { health: { status: 'starting', lastProbe: probe(1, 'connection refused\n') } },
      { health: { status: 'healthy', lastProbe: probe(0, 'ok') } },
    ]);
    const { ctx, lines } = context();
    const waiting = waitUntilHealthy(ctx, engine, first);
    await vi.advanceTimersByTimeAsync(2000);
    await waiting;
    expect(lines[0]).toBe(
      'start: waiting for devenv-svc-alice to pass its healthcheck (up to 1m; --no-wait skips this)',
    );
    expect(lines).toContain(
      'update: waiting for devenv-svc-alice to be healthy: 1s, last probe (exit 1): connection refused',
    );
    expect(lines.at(-1)).toMatch(/^succeed: devenv-svc-alice is healthy \(after 1s\)$/);
  });

  it('unhealthy: exit 12 with the last probe, and how to look and retry', async () => {
    const { first, engine } = scripted([
      { health: { status: 'starting', lastProbe: null } },
      { health: { status: 'unhealthy', lastProbe: probe(1, 'db not ready: connection refused\ntrace') } },
    ]);
    const { ctx, lines } = context();
    const waiting = waitUntilHealthy(ctx, engine, first).catch((e) => e);
    await vi.advanceTimersByTimeAsync(1000);
    const error = (await waiting) as DevenvError;
    expect(error.exitCode).toBe(12);
    expect(error.message).toBe(
      'container devenv-svc-alice is unhealthy after 1s; last probe (exit 1): db not ready: connection refused',
    );
    expect(error.hint).toContain('`devenv logs`');
    expect(error.hint).toContain('`devenv exec -- <command>`');
    expect(error.hint).toContain('`devenv start`');
    expect(lines.at(-1)).toBe('fail');
  });

  it("still starting at the limit: exit 12, after the healthcheck's worst case (here the one-minute floor)", async () => {
    const { first, engine } = scripted([{ health: { status: 'starting', lastProbe: probe(1, 'slow') } }]);
    const { ctx } = context();
    let settled = false;
    const waiting = waitUntilHealthy(ctx, engine, first)
      .catch((e) => e)
      .finally(() => {
        settled = true;
      });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    const error = (await waiting) as DevenvError;
    expect(error.exitCode).toBe(12);
    expect(error.message).toMatch(
      /^container devenv-svc-alice is still not healthy after 1m .*; last probe \(exit 1\): slow$/,
    );
  });

  it('a container that stops while starting: exit 12, saying so', async () => {
    const { first, engine } = scripted([
      { health: { status: 'starting', lastProbe: null } },
      { running: false, status: 'exited', health: { status: 'unhealthy', lastProbe: probe(1, 'gone') } },
    ]);
    const { ctx } = context();
    const waiting = waitUntilHealthy(ctx, engine, first).catch((e) => e);
    await vi.advanceTimersByTimeAsync(1000);
    const error = (await waiting) as DevenvError;
    expect(error.exitCode).toBe(12);
    expect(error.message).toBe(
      'container devenv-svc-alice stopped (exited) before it was healthy; last probe (exit 1): gone',
    );
  });

  it('Ctrl-C rejects with the abort reason (exit 130) and leaves the container alone', async () => {
    const { first, engine } = scripted([{ health: { status: 'starting', lastProbe: null } }]);
    const controller = new AbortController();
    const { ctx, lines } = context(controller.signal);
    const waiting = waitUntilHealthy(ctx, engine, first).catch((e) => e);
    await vi.advanceTimersByTimeAsync(1200);
    const interrupt = new DevenvError('interrupted by SIGINT', { exitCode: 130 });
    controller.abort(interrupt);
    expect(await waiting).toBe(interrupt);
    expect(lines.at(-1)).toBe('fail');
  });
});
