import { describe, expect, it } from 'vitest';
import {
  DOCKER_HEALTH_DEFAULTS,
  describeHealth,
  describeProbe,
  healthTimes,
  healthWaitLimitMs,
  probeLine,
} from '../../../src/core/health.js';

describe("healthTimes: the engine's Healthcheck, with Docker's defaults for what is 0 or missing", () => {
  it.each([
    { label: 'nothing set', config: { Test: ['CMD-SHELL', 'true'] }, times: DOCKER_HEALTH_DEFAULTS },
    { label: 'no healthcheck at all', config: null, times: DOCKER_HEALTH_DEFAULTS },
    {
      label: 'everything set',
      config: { Test: ['CMD', 'x'], Interval: 2e9, Timeout: 5e8, StartPeriod: 3e10, Retries: 5 },
      times: { intervalMs: 2000, timeoutMs: 500, startPeriodMs: 30_000, retries: 5 },
    },
    {
      label: 'zeros',
      config: { Test: ['CMD', 'x'], Interval: 0, Timeout: 0, StartPeriod: 0, Retries: 0 },
      times: DOCKER_HEALTH_DEFAULTS,
    },
  ])('$label', ({ config, times }) => {
    expect(healthTimes(config)).toEqual(times);
  });
});

describe('healthWaitLimitMs: startPeriod + (interval + timeout) × (retries + 1) + 10s, at least 60s', () => {
  it.each([
    { label: "Docker's defaults", times: DOCKER_HEALTH_DEFAULTS, ms: (30_000 + 30_000) * 4 + 10_000 },
    {
      label: 'a quick check: the one-minute floor',
      times: { intervalMs: 1000, timeoutMs: 1000, startPeriodMs: 0, retries: 2 },
      ms: 60_000,
    },
    {
      label: 'a long start period',
      times: { intervalMs: 2000, timeoutMs: 5000, startPeriodMs: 120_000, retries: 3 },
      ms: 120_000 + 7000 * 4 + 10_000,
    },
  ])('$label', ({ times, ms }) => {
    expect(healthWaitLimitMs(times)).toBe(ms);
  });
});

describe('probeLine: the first line of a probe, fit for one line of output', () => {
  it.each([
    [
      'curl: (7) Failed to connect to localhost port 8888\n',
      'curl: (7) Failed to connect to localhost port 8888',
    ],
    ['\n\n  first  \nsecond\n', 'first'],
    ['', '(no output)'],
    [' \n \n', '(no output)'],
    ['x'.repeat(300), `${'x'.repeat(199)}…`],
  ])('%j -> %j', (output, line) => {
    expect(probeLine(output)).toBe(line);
  });
});

describe('describeHealth and describeProbe, as status and errors say them', () => {
  const probe = { exitCode: 1, output: 'connection refused\nmore' };
  it.each([
    { health: { status: 'healthy' as const, lastProbe: probe }, text: 'healthy' },
    { health: { status: 'starting' as const, lastProbe: null }, text: 'starting' },
    {
      health: { status: 'unhealthy' as const, lastProbe: probe },
      text: 'unhealthy (last output: connection refused)',
    },
    { health: { status: 'unhealthy' as const, lastProbe: null }, text: 'unhealthy' },
  ])('$text', ({ health, text }) => {
    expect(describeHealth(health)).toBe(text);
  });

  it('names the exit code and the output, or that no probe ran yet', () => {
    expect(describeProbe(probe)).toBe('(exit 1): connection refused');
    expect(describeProbe(null)).toBe(': none ran yet');
  });
});
