import type { BuildFailure } from './engine.js';

/** A failed build whose cause the build output shows, said in words a user can act on. */
export interface BuildDiagnosis {
  message: string;
  hint: string;
}

// What a tool in a build step prints when it cannot write: apt's "(28: No space left on device)",
// Python's "[Errno 28] No space left on device".
const DISK_FULL = /no space left on device/i;
const APT_MISSING = /E: (?:Unable to locate package (\S+)|Package '([^']+)' has no installation candidate)/;

/**
 * Recognises build failures with a known cause, so the error names the cause instead of
 * "RUN … returned a non-zero code: 100". A full disk explains any other symptom, so it comes
 * first: the engine says so in `diskFull`, a tool in the step (apt, pip) in the output. The
 * recipe's own diagnosis (`recipeSaid`: its last `devenv: …` line) outranks apt's wording.
 * Returns null for anything else.
 */
export function diagnoseBuildFailure(
  failure: Pick<BuildFailure, 'diskFull' | 'logTail'>,
  recipeSaid: string | null,
  logPath: string,
): BuildDiagnosis | null {
  if (failure.diskFull || failure.logTail.some((line) => DISK_FULL.test(line))) {
    return {
      message: 'the disk where Docker keeps its images is full (No space left on device)',
      hint: `see what uses it with \`docker system df\`, free space with \`devenv prune\` or \`docker image prune\`, then try again; build log: ${logPath}`,
    };
  }
  if (recipeSaid !== null) return null;
  for (const line of failure.logTail) {
    const missing = APT_MISSING.exec(line);
    const name = missing?.[1] ?? missing?.[2];
    if (name) {
      return {
        message: `apt has no package ${name} in the base image's package sources`,
        hint: `check the name in "aptPackages" (\`apt-cache search\` finds the right one); build log: ${logPath}`,
      };
    }
  }
  return null;
}
