import { constants } from 'node:os';
import { describeHolder, freeHint, type PortHolder } from './published-ports.js';

/**
 * Every failure a user can cause or fix is a DevenvError: one line saying what went wrong,
 * a hint saying how to fix it, and the exit code documented in docs/exit-codes.md.
 * Only src/cli.ts prints them.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  config: 3,
  engine: 4,
  image: 5,
  notFound: 6,
  conflict: 7,
  gpu: 8,
  git: 9,
  declined: 10,
  host: 11,
  unhealthy: 12,
  scheduler: 13,
} as const;

export type ExitCodeName = keyof typeof ExitCode;

export class DevenvError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(
    message: string,
    options: { hint?: string; code?: ExitCodeName; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DevenvError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode[options.code ?? 'internal'];
  }
}

/** The engine's "a container with that name exists": src/docker/ says it, the core decides what it means. */
export class ContainerNameTaken extends DevenvError {
  constructor(name: string, cause: unknown) {
    super(`a container named ${name} already exists`, { code: 'conflict', cause });
    this.name = 'ContainerNameTaken';
  }
}

/** The engine's "image is being used by a container" on removal. */
export class ImageInUse extends DevenvError {
  constructor(id: string, cause: unknown) {
    super(`image ${id} is still used by a container`, { code: 'conflict', cause });
    this.name = 'ImageInUse';
  }
}

/**
 * A host port in "ports" that something else holds: found by devenv before it creates anything,
 * or said by the engine when the container starts (src/docker/ maps that text to this).
 */
export class HostPortTaken extends DevenvError {
  constructor(
    readonly address: string,
    readonly holder: PortHolder,
    cause?: unknown,
  ) {
    super(`host port ${address} is already taken (${describeHolder(holder)})`, {
      hint: freeHint(holder),
      code: 'conflict',
      cause,
    });
    this.name = 'HostPortTaken';
  }
}

/** Exit code for a process ended by a signal, as shells report it: 128 + the signal's number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
