import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { ExecIo, ExecRequest } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import type { EngineEndpoint } from './endpoint.js';
import { engineError, statusOf } from './errors.js';

/** Undo actions for the terminal, run on every way out (see cli.ts for signals). */
export type Restore = () => void;

/**
 * Runs a command in the container like `docker exec [-it]` and returns its exit code.
 * With a TTY: raw mode, the container's TTY sized to ours and resized on SIGWINCH, and the
 * terminal restored on every path (normal exit, error, the container stopping under us).
 */
export async function runExec(
  docker: Dockerode,
  endpoint: EngineEndpoint,
  request: ExecRequest,
  io: ExecIo,
  registerRestore: (restore: Restore) => () => void,
): Promise<number> {
  let exec: Dockerode.Exec;
  try {
    exec = await docker.getContainer(request.container).exec({
      Cmd: request.cmd,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: request.tty,
      Env: request.env,
      User: request.user,
      WorkingDir: request.workdir,
    });
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) {
      throw new DevenvError(`the env's container ${request.container} does not exist`, {
        hint: 'run `devenv start` first',
        code: 'notFound',
      });
    }
    if (status === 409) {
      throw new DevenvError(`the env's container ${request.container} is not running`, {
        hint: 'run `devenv start` first',
        code: 'notFound',
      });
    }
    throw engineError(error, endpoint, 'starting a command in the container');
  }
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: request.tty })) as unknown as Duplex;
  const cleanups: Array<() => void> = [];
  const restore = () => {
    while (cleanups.length > 0) cleanups.pop()?.();
  };
  // On a signal the terminal is restored at once and the stream closed, so the wait below ends.
  const unregister = registerRestore(() => {
    restore();
    stream.destroy();
  });
  try {
    if (request.tty && io.stdin.isTTY) {
      io.stdin.setRawMode(true);
      cleanups.push(() => io.stdin.setRawMode(false));
      const resize = () => {
        const { rows, columns } = io.stdout;
        if (rows && columns) exec.resize({ h: rows, w: columns }).catch(() => undefined);
      };
      resize();
      io.stdout.on('resize', resize);
      cleanups.push(() => io.stdout.off('resize', resize));
      stream.on('data', (chunk: Buffer) => io.stdout.write(chunk));
    } else {
      // Each output stream is made by the first write to it: `exec -- true` writes to neither.
      docker.modem.demuxStream(
        stream,
        writerTo(() => io.stdout),
        writerTo(() => io.stderr),
      );
    }
    const forward = (chunk: Buffer) => stream.write(chunk);
    const endInput = () => {
      // Half-close so the command sees EOF on stdin, as with `docker exec -i`.
      if (!request.tty) (stream as Duplex & { end(): void }).end();
    };
    io.stdin.on('data', forward);
    io.stdin.on('end', endInput);
    io.stdin.resume();
    cleanups.push(() => {
      io.stdin.off('data', forward);
      io.stdin.off('end', endInput);
      io.stdin.pause();
    });
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
  } finally {
    restore();
    unregister();
  }
  try {
    const result = await exec.inspect();
    return typeof result.ExitCode === 'number' ? result.ExitCode : 137;
  } catch {
    // The container went away under us (stopped or removed): like docker, report a kill.
    return 137;
  }
}

/** What demuxStream writes to (its only call is write), for a stream got when first written. */
function writerTo(stream: () => NodeJS.WriteStream): NodeJS.WritableStream {
  return { write: (chunk: Uint8Array) => stream().write(chunk) } as unknown as NodeJS.WritableStream;
}
