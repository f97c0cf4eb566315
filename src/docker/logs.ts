import { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { LogsIo, LogsOptions } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import type { EngineEndpoint } from './endpoint.js';
import { engineError, statusOf } from './errors.js';

/**
 * Copies a container's logs like `docker logs [-f]`. Without a TTY the engine multiplexes
 * stdout and stderr into one stream; they are split again here. Ends when the engine ends the
 * stream (the container stopped), when `signal` aborts (Ctrl-C), or when the reader of our
 * stdout goes away (`devenv logs | head`).
 */
export async function copyLogs(
  docker: Dockerode,
  endpoint: EngineEndpoint,
  nameOrId: string,
  options: LogsOptions,
  out: LogsIo,
): Promise<void> {
  const container = docker.getContainer(nameOrId);
  let tty: boolean;
  try {
    tty = Boolean((await container.inspect()).Config.Tty);
  } catch (error) {
    if (statusOf(error) === 404) {
      throw new DevenvError(`the env's container ${nameOrId} does not exist`, {
        hint: 'run `devenv start` first',
        code: 'notFound',
      });
    }
    throw engineError(error, endpoint, 'reading the container');
  }
  if (options.signal?.aborted) return;
  let source: NodeJS.ReadableStream;
  try {
    const common = {
      stdout: true,
      stderr: true,
      ...(options.signal ? { abortSignal: options.signal } : {}),
    } as Dockerode.ContainerLogsOptions;
    const answer: NodeJS.ReadableStream | Buffer = options.follow
      ? await container.logs({ ...common, follow: true })
      : await container.logs({ ...common, follow: false });
    source = Buffer.isBuffer(answer) ? Readable.from([answer]) : answer;
  } catch (error) {
    if (options.signal?.aborted) return;
    throw engineError(error, endpoint, 'reading the container logs');
  }
  let onOutputError: (error: NodeJS.ErrnoException) => void = () => {};
  let stop = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      stop = () => {
        (source as Readable).destroy?.();
        resolve();
      };
      onOutputError = (error) => (error.code === 'EPIPE' ? stop() : reject(error));
      out.stdout.on('error', onOutputError);
      out.stderr.on('error', onOutputError);
      options.signal?.addEventListener('abort', stop, { once: true });
      if (tty) source.on('data', (chunk: Buffer) => out.stdout.write(chunk));
      else docker.modem.demuxStream(source, out.stdout, out.stderr);
      source.on('end', resolve);
      source.on('close', resolve);
      source.on('error', (error: Error) => (options.signal?.aborted ? resolve() : reject(error)));
    });
  } finally {
    out.stdout.off('error', onOutputError);
    out.stderr.off('error', onOutputError);
    options.signal?.removeEventListener('abort', stop);
  }
}
