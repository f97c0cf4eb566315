import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { Duplex } from 'node:stream';
import { DevenvError } from '../core/errors.js';
import { firstLine } from '../core/first-line.js';
import { type SshTarget, spawnSsh, sshFailure } from '../host/ssh.js';

/**
 * An HTTP agent whose connections are `ssh HOST docker system dial-stdio`, as the docker CLI
 * makes them: the engine's API over the system ssh and its shared connection (host/ssh.ts).
 * Kept alive, so one command's requests share one dial; an idle one does not hold the process.
 */
export function sshEngineAgent(target: SshTarget, hostName: string, env: NodeJS.ProcessEnv): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  (agent as unknown as { createConnection: () => Duplex }).createConnection = () =>
    new DialStdio(spawnSsh(target, ['docker', 'system', 'dial-stdio'], env), hostName, target);
  return agent;
}

/** A child's stdin and stdout as the socket http expects. */
class DialStdio extends Duplex {
  private stderr = '';
  private answered = false;

  constructor(
    private readonly child: ChildProcess,
    private readonly hostName: string,
    private readonly target: SshTarget,
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
      if (code !== 0 && !this.answered)
        this.destroy(dialFailure(this.target, this.hostName, code, this.stderr));
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

/** Why the dial failed: ssh itself (exit 255), no docker there, no engine, or no right to its socket. */
export function dialFailure(
  target: SshTarget,
  hostName: string,
  code: number | null,
  stderr: string,
): DevenvError {
  if (code === 255) return sshFailure(target, stderr);
  const account = target.user ?? 'your account';
  const usermod = `sudo usermod -aG docker ${target.user ?? 'YOUR_USER'}`;
  if (code === 127 || /command not found|docker: not found/i.test(stderr))
    return new DevenvError(`no Docker engine on ${hostName}: the docker command is not installed there`, {
      hint: 'install Docker on that host, or choose another host (--on, "hosts")',
      code: 'engine',
    });
  if (/permission denied/i.test(stderr))
    return new DevenvError(
      `${account} on ${hostName} may not use the Docker engine there (not in the docker group)`,
      {
        hint: `ask an admin of ${hostName} to run \`${usermod}\`; it takes effect at the next login`,
        code: 'engine',
      },
    );
  const said = firstLine(stderr) ?? `exit ${code}`;
  return new DevenvError(`no Docker engine answers on ${hostName}: ${said}`, {
    hint: `start it there (sudo systemctl start docker), or choose another host (--on, "hosts")`,
    code: 'engine',
  });
}
