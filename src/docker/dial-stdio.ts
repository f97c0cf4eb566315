import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { Duplex } from 'node:stream';

/**
 * An HTTP agent whose connections are a `docker system dial-stdio` child each, as the docker CLI
 * makes them over ssh: the engine's API through whatever reaches the engine's host (ssh, a
 * Slurm job step). Kept alive, so one command's requests share one dial; an idle one does not
 * hold the process. `failure` says why a dial that exits before answering failed.
 */
export function dialStdioAgent(
  dial: () => ChildProcess,
  failure: (code: number | null, stderr: string) => Error,
): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  (agent as unknown as { createConnection: () => Duplex }).createConnection = () =>
    new DialStdio(dial(), failure);
  return agent;
}

/** A child's stdin and stdout as the socket http expects. */
export class DialStdio extends Duplex {
  private stderr = '';
  private answered = false;

  constructor(
    private readonly child: ChildProcess,
    private readonly failure: (code: number | null, stderr: string) => Error,
  ) {
    super();
    child.stdout?.on('data', (chunk: Buffer) => {
      this.answered = true;
      if (!this.push(chunk)) child.stdout?.pause();
    });
    // The end of the stream is decided at 'close', once the exit code says whether the dial failed.
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    child.stdin?.on('error', () => undefined);
    child.on('error', (error) => this.destroy(error));
    child.on('close', (code) => {
      if (code !== 0 && !this.answered) this.destroy(this.failure(code, this.stderr));
      else this.push(null);
    });
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    // A write to a dial that failed (EPIPE) is not the error to report: its exit, at 'close', is.
    if (this.child.stdin?.writable) this.child.stdin.write(chunk, () => done());
    else done();
  }

  override _final(done: () => void): void {
    this.child.stdin?.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (this.child.exitCode === null) this.child.kill();
    done(error);
  }

  // What http.Agent asks of a socket it keeps alive.
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(_ms: number, onTimeout?: () => void): this {
    if (onTimeout) this.once('timeout', onTimeout);
    return this;
  }
  ref(): this {
    this.child.ref();
    for (const pipe of [this.child.stdin, this.child.stdout, this.child.stderr])
      (pipe as unknown as { ref?: () => void } | null)?.ref?.();
    return this;
  }
  unref(): this {
    this.child.unref();
    for (const pipe of [this.child.stdin, this.child.stdout, this.child.stderr])
      (pipe as unknown as { unref?: () => void } | null)?.unref?.();
    return this;
  }
}
