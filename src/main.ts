import { fstatSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Readable } from 'node:stream';
import { DevenvError, ExitCode, signalExitCode } from './core/errors.js';
import type { Io } from './core/io.js';
import { type BuildInfo, bundleCaches, type Caches, NO_CACHES } from './host/caches.js';
import { configOwnerUid } from './host/config-file.js';

/**
 * One run of devenv in this process: the terminal's streams and signals as an Io, then `run`,
 * then the exit code. The only place that prints an error (once) and picks the exit code, for
 * both ways in: the commander program (cli.ts) and the everyday commands' own entry
 * (everyday.ts). `exitCodeOf` names the exit code of errors its caller knows (commander's usage
 * errors), before the general rules.
 */
export async function runMain(
  processRef: NodeJS.Process,
  build: BuildInfo | undefined,
  run: (io: Io, setExit: (code: number) => void, caches: Caches) => Promise<void>,
  exitCodeOf: (error: unknown) => number | undefined = () => undefined,
): Promise<number> {
  const controller = new AbortController();
  const restores = new Set<() => void>();
  let signalled: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = signal;
    for (const restore of restores) restore();
    controller.abort(new DevenvError(`interrupted by ${signal}`, { exitCode: signalExitCode(signal) }));
    // Give the command a moment to abort the engine request and clean up, then go.
    setTimeout(() => processRef.exit(signalExitCode(signal)), 10_000).unref();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const stdout = outputStream(processRef, 'stdout');
  const stderr = outputStream(processRef, 'stderr');
  for (const s of signals) processRef.on(s, onSignal);

  let stdin: NodeJS.ReadStream | undefined;
  const io: Io = {
    // On first use: making process.stdin a stream loads Node's file streams when it is a file or
    // /dev/null, and only exec, shells and init's questions read it.
    get stdin() {
      stdin ??= processRef === process && stdinIsDevNull() ? endedInput() : processRef.stdin;
      return stdin;
    },
    get stdout() {
      return stdout();
    },
    get stderr() {
      return stderr();
    },
    env: withHome(processRef.env),
    cwd: processRef.cwd(),
    onSignalRestore: (restore) => {
      restores.add(restore);
      return () => restores.delete(restore);
    },
    signal: controller.signal,
  };
  // From the bundle, what this build worked out before; from the sources (tests), nothing.
  const caches = build ? bundleCaches(build, configOwnerUid(io.env)) : NO_CACHES;
  let exitCode = 0;
  try {
    await run(
      io,
      (code) => {
        exitCode = code;
      },
      caches,
    );
  } catch (error) {
    const known = exitCodeOf(error);
    if (known !== undefined) {
      exitCode = known;
    } else if (signalled) {
      exitCode = signalExitCode(signalled);
      stderr().write(`devenv: interrupted by ${signalled}\n`);
    } else {
      exitCode = reportError(error, stderr(), processRef.env);
    }
  } finally {
    for (const s of signals) processRef.off(s, onSignal);
  }
  // Killed by a signal: report it as shells do (128+n), whatever the interrupted step returned.
  if (signalled) exitCode = signalExitCode(signalled);
  return exitCode;
}

/** Whether this process's stdin is /dev/null (cron, CI, `< /dev/null`, a service manager). */
/**
 * process.stdout or process.stderr, made on first use: Node makes each stream when it is first
 * read (~1 ms for the first), and a command that prints nothing on one never needs it. A reader
 * that went away (`devenv ls | head`, a dropped SSH session) is not an error to report.
 */
function outputStream(processRef: NodeJS.Process, name: 'stdout' | 'stderr'): () => NodeJS.WriteStream {
  let stream: NodeJS.WriteStream | undefined;
  return () => {
    if (stream) return stream;
    stream = processRef[name];
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'EIO') return;
      throw error;
    });
    return stream;
  };
}

function stdinIsDevNull(): boolean {
  try {
    const input = fstatSync(0);
    return input.isCharacterDevice() && input.rdev === statSync('/dev/null').rdev;
  } catch {
    return false;
  }
}

/**
 * What /dev/null gives, without making Node's file stream for it (~1 ms, the file streams module
 * and what it loads): an input that ends at once.
 */
function endedInput(): NodeJS.ReadStream {
  return Object.assign(Readable.from([]), { isTTY: false }) as unknown as NodeJS.ReadStream;
}

/** Prints an error once, as one line with its fix, and returns the exit code. */
export function reportError(error: unknown, stderr: NodeJS.WriteStream, env: NodeJS.ProcessEnv): number {
  const debug = env.DEVENV_DEBUG === '1';
  if (error instanceof DevenvError) {
    const lines = error.message.split('\n');
    for (const [i, line] of lines.entries()) {
      stderr.write(`devenv: ${line}${i === lines.length - 1 && error.hint ? ` — ${error.hint}` : ''}\n`);
    }
    if (debug) stderr.write(`${formatCauseChain(error)}\n`);
    return error.exitCode;
  }
  stderr.write(
    `devenv: unexpected error: ${(error as Error)?.message ?? String(error)} — run again with DEVENV_DEBUG=1 for details, and report it\n`,
  );
  if (debug) stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return ExitCode.internal;
}

function formatCauseChain(error: Error): string {
  const parts: string[] = [error.stack ?? error.message];
  let cause = error.cause as Error | undefined;
  while (cause) {
    parts.push(`caused by: ${cause.stack ?? String(cause)}`);
    cause = cause.cause as Error | undefined;
  }
  return parts.join('\n');
}

/** HOME, filled from the passwd entry when unset (`env -i`, cron), so every part sees the same home. */
function withHome(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.HOME) return env;
  try {
    return { ...env, HOME: userInfo().homedir };
  } catch {
    return env;
  }
}
