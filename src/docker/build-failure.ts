import { BuildFailure, type BuildStep } from '../core/engine.js';

/** How many lines of build output a failure keeps for its diagnosis. */
export const BUILD_LOG_TAIL = 200;

// The engine's words for a full disk: the classic builder's "failed to register layer: …: no
// space left on device", or a write error inside a step that reaches its message.
const NO_SPACE = /no space left on device/i;
// The classic builder's message for a RUN step that exited non-zero.
const RUN_EXIT = /returned a non-zero code: (\d+)/;

/**
 * The engine's message for a failed build as a BuildFailure, with the step that was running and
 * the output before it: the engine's wording is read here and nowhere else.
 */
export function buildFailureOf(
  engineMessage: string,
  step: BuildStep | null,
  logTail: readonly string[],
): BuildFailure {
  const exit = RUN_EXIT.exec(engineMessage)?.[1];
  return new BuildFailure({
    engineMessage,
    step,
    exitCode: exit === undefined ? null : Number(exit),
    diskFull: NO_SPACE.test(engineMessage),
    logTail: logTail.slice(-BUILD_LOG_TAIL),
  });
}

/** The step a line of build output announces ("Step 8/34 : RUN …"), or null. */
export function stepOf(line: string): BuildStep | null {
  const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
  return step ? { number: Number(step[1]), total: Number(step[2]), instruction: step[3] ?? '' } : null;
}
