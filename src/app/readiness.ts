import { formatDuration } from '../core/duration.js';
import type { ContainerDetails, Engine } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import {
  DOCKER_HEALTH_DEFAULTS,
  describeProbe,
  type HealthProbe,
  healthWaitLimitMs,
} from '../core/health.js';
import type { Io } from '../core/io.js';
import type { Reporter } from '../core/ports.js';
import { sleep } from './sleep.js';

/** How often the container's health is read while waiting (one inspect each). */
const POLL_MS = 500;

/**
 * Waits until the env's container passes its healthcheck, so "exit 0" means ready: one progress
 * line with the time waited and the last probe's output. Unhealthy, past the limit (health.ts) or
 * stopped: an error with exit code 12, the container left as it is. Ctrl-C rejects with the
 * abort reason (exit 130), the container still running.
 */
export async function waitUntilHealthy(
  ctx: { io: Pick<Io, 'signal'>; ui: Reporter },
  engine: Engine,
  container: ContainerDetails,
): Promise<void> {
  if (container.health === null || container.health.status === 'healthy') return;
  const name = container.name;
  const limitMs = healthWaitLimitMs(container.healthcheck ?? DOCKER_HEALTH_DEFAULTS);
  const started = Date.now();
  const progress = ctx.ui.progress(
    `waiting for ${name} to pass its healthcheck (up to ${formatDuration(limitMs)}; --no-wait skips this)`,
  );
  let current: ContainerDetails = container;
  try {
    for (;;) {
      const waited = formatDuration(Date.now() - started);
      const probe = current.health?.lastProbe ?? null;
      if (!current.running) throw stoppedWhileWaiting(name, current.status, probe);
      if (current.health?.status === 'healthy') {
        progress.succeed(`${name} is healthy (after ${waited})`);
        return;
      }
      if (current.health?.status === 'unhealthy')
        throw notHealthy(
          `container ${name} is unhealthy after ${waited}; last probe ${describeProbe(probe)}`,
        );
      if (Date.now() - started >= limitMs)
        throw notHealthy(
          `container ${name} is still not healthy after ${waited} (the limit its healthcheck's timing allows); last probe ${describeProbe(probe)}`,
        );
      progress.update(`waiting for ${name} to be healthy: ${waited}, last probe ${describeProbe(probe)}`);
      await sleep(POLL_MS, ctx.io.signal);
      const next = await engine.inspectContainer(container.id);
      if (!next) throw stoppedWhileWaiting(name, 'removed', probe);
      current = next;
    }
  } catch (error) {
    progress.fail();
    throw error;
  }
}

function notHealthy(message: string): DevenvError {
  return new DevenvError(message, {
    hint: 'it is left running: look with `devenv logs` or `devenv exec -- <command>`, then `devenv start` waits again (`--no-wait` skips the wait)',
    code: 'unhealthy',
  });
}

function stoppedWhileWaiting(name: string, state: string, probe: HealthProbe | null): DevenvError {
  return new DevenvError(
    `container ${name} stopped (${state}) before it was healthy; last probe ${describeProbe(probe)}`,
    { hint: 'see why with `devenv logs`, then run `devenv start` again', code: 'unhealthy' },
  );
}
