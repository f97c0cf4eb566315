import type { DevenvConfig } from './config/schema.js';
import { parseDockerDuration } from './duration.js';
import { firstLine } from './first-line.js';

/**
 * The container's healthcheck and what devenv makes of its answers: the create body's
 * Healthcheck from .devenvrc, how long `start` waits for a verdict, and how a probe reads.
 */

/** The Engine API's HealthConfig: durations in nanoseconds; 0 or absent means the image's, else Docker's default. */
export interface ContainerHealthcheck {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

export type HealthcheckSetting = DevenvConfig['healthcheck'];

const NS_PER_MS = 1_000_000;
const ns = (duration: string | undefined) => {
  const ms = duration === undefined ? null : parseDockerDuration(duration);
  return ms === null ? undefined : ms * NS_PER_MS;
};

/**
 * The Healthcheck the container is created with; undefined leaves the image's own. Unset, the
 * image's own runs only with "entrypoint": "base": under devenv's entrypoint the base's services
 * never start, so its HEALTHCHECK could only ever fail.
 */
export function healthcheckBody(
  setting: HealthcheckSetting,
  entrypoint: DevenvConfig['entrypoint'],
): ContainerHealthcheck | undefined {
  if (setting === null) return entrypoint === 'base' ? undefined : { Test: ['NONE'] };
  if (setting === 'none') return { Test: ['NONE'] };
  const body: ContainerHealthcheck = { Test: ['CMD-SHELL', setting.command] };
  const interval = ns(setting.interval);
  const timeout = ns(setting.timeout);
  const startPeriod = ns(setting.startPeriod);
  if (interval !== undefined) body.Interval = interval;
  if (timeout !== undefined) body.Timeout = timeout;
  if (startPeriod !== undefined) body.StartPeriod = startPeriod;
  if (setting.retries !== undefined) body.Retries = setting.retries;
  return body;
}

/** A healthcheck's timing, in milliseconds, with Docker's defaults for what it leaves at 0. */
export interface HealthTimes {
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
}

/** Docker's own defaults (`docker run --help`: interval 30s, timeout 30s, start period 0s, 3 retries). */
export const DOCKER_HEALTH_DEFAULTS: HealthTimes = {
  intervalMs: 30_000,
  timeoutMs: 30_000,
  startPeriodMs: 0,
  retries: 3,
};

/** The timing of a container's Healthcheck as the engine reports it (merged with the image's). */
export function healthTimes(config: Partial<ContainerHealthcheck> | null | undefined): HealthTimes {
  const ms = (value: number | undefined, fallback: number) =>
    value && value > 0 ? Math.round(value / NS_PER_MS) : fallback;
  return {
    intervalMs: ms(config?.Interval, DOCKER_HEALTH_DEFAULTS.intervalMs),
    timeoutMs: ms(config?.Timeout, DOCKER_HEALTH_DEFAULTS.timeoutMs),
    startPeriodMs: ms(config?.StartPeriod, DOCKER_HEALTH_DEFAULTS.startPeriodMs),
    retries: config?.Retries && config.Retries > 0 ? config.Retries : DOCKER_HEALTH_DEFAULTS.retries,
  };
}

/** Slack for the engine's own scheduling and devenv's polling, on top of the healthcheck's time. */
export const HEALTH_WAIT_MARGIN_MS = 10_000;
export const MIN_HEALTH_WAIT_MS = 60_000;

/**
 * How long `start` waits for a verdict: the longest a healthcheck can take to reach "unhealthy"
 * (its start period, then a probe per interval that may run until its timeout, retries + 1
 * times) plus a margin, and never less than a minute.
 */
export function healthWaitLimitMs(times: HealthTimes): number {
  const worst = times.startPeriodMs + (times.intervalMs + times.timeoutMs) * (times.retries + 1);
  return Math.max(MIN_HEALTH_WAIT_MS, worst + HEALTH_WAIT_MARGIN_MS);
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthProbe {
  exitCode: number;
  /** The probe's output, as the engine keeps it (up to 4 KiB). */
  output: string;
}

/** A container's health as the engine reports it; a container without a healthcheck has none. */
export interface HealthState {
  status: HealthStatus;
  lastProbe: HealthProbe | null;
}

const MAX_PROBE_LINE = 200;

/** The first line of a probe's output, trimmed and cut to fit on a line; "(no output)" when empty. */
export function probeLine(output: string): string {
  const trimmed = firstLine(output);
  if (trimmed === null) return '(no output)';
  return trimmed.length > MAX_PROBE_LINE ? `${trimmed.slice(0, MAX_PROBE_LINE - 1)}…` : trimmed;
}

/** "healthy", "starting", or "unhealthy (last output: …)", as `status` shows it. */
export function describeHealth(health: HealthState): string {
  if (health.status !== 'unhealthy') return health.status;
  return health.lastProbe ? `unhealthy (last output: ${probeLine(health.lastProbe.output)})` : 'unhealthy';
}

/** "(exit 1): curl: (7) Failed to connect…" for a message about the last probe. */
export function describeProbe(probe: HealthProbe | null): string {
  return probe ? `(exit ${probe.exitCode}): ${probeLine(probe.output)}` : ': none ran yet';
}
