/**
 * The system `ssh`, the one way devenv reaches a remote host: for its commands and for the
 * engine's API (`docker system dial-stdio`, as the docker CLI does). Chosen over ssh2 (already in
 * the tree through docker-modem) because it reads the user's ~/.ssh/config (aliases, ProxyJump,
 * IdentityFile), checks host keys against known_hosts (ssh2 checks none unless told), forwards
 * the agent for the clone, and shares one connection between every step of a command and the
 * next ones through ControlMaster: the handshake is paid once, not once per engine request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DevenvError } from '../core/errors.js';
import { shellQuote } from '../core/vscode-attach.js';
import { stateDir } from './fs-ops.js';

/** Where an ssh:// endpoint points. */
export interface SshTarget {
  host: string;
  user: string | null;
  port: number | null;
  /** user@host:port as written, for messages. */
  display: string;
}

export function sshTargetOf(url: URL): SshTarget {
  const user = url.username ? decodeURIComponent(url.username) : null;
  const port = url.port ? Number(url.port) : null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { host, user, port, display: `${user ? `${user}@` : ''}${url.hostname}${port ? `:${port}` : ''}` };
}

/** How long a shared connection outlives the command that opened it. */
const CONTROL_PERSIST = '60s';

/** The `ssh` arguments up to and including the destination. */
export function sshArgs(
  target: SshTarget,
  env: NodeJS.ProcessEnv,
  options: { forwardAgent?: boolean } = {},
): string[] {
  // A shared connection forwards the agent of the command that opened it, or none: a step that
  // needs the agent (the clone) gets a connection of its own, with this command's agent.
  const args = [
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-o',
    'ServerAliveInterval=15',
    ...(options.forwardAgent
      ? ['-o', 'ControlMaster=no', '-o', 'ControlPath=none', '-A']
      : controlOptions(env)),
  ];
  if (target.port) args.push('-p', String(target.port));
  if (target.user) args.push('-l', target.user);
  args.push('--', target.host);
  return args;
}

function controlOptions(env: NodeJS.ProcessEnv): string[] {
  if (env.DEVENV_SSH_MULTIPLEX === '0') return ['-o', 'ControlMaster=no', '-o', 'ControlPath=none'];
  // %C hashes host, port and user, so the path stays short (unix sockets allow ~104 bytes).
  let dir = path.join(stateDir(env), 'ssh');
  if (dir.length > 60) dir = path.join(os.tmpdir(), `devenv-ssh-${process.getuid?.() ?? 0}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return ['-o', 'ControlMaster=no', '-o', 'ControlPath=none'];
  }
  return [
    '-o',
    'ControlMaster=auto',
    '-o',
    `ControlPath=${path.join(dir, '%C')}`,
    '-o',
    `ControlPersist=${CONTROL_PERSIST}`,
  ];
}

/** The remote command line: ssh hands the remote shell one string, so each argument is quoted. */
export function remoteCommand(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

export function spawnSsh(
  target: SshTarget,
  argv: string[],
  env: NodeJS.ProcessEnv,
  options: { forwardAgent?: boolean } = {},
): ChildProcess {
  return spawn('ssh', [...sshArgs(target, env, options), remoteCommand(argv)], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export interface SshRunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `argv` on the host; rejects with a DevenvError when ssh itself fails (exit 255). */
export function runSsh(
  target: SshTarget,
  argv: string[],
  env: NodeJS.ProcessEnv,
  options: {
    forwardAgent?: boolean;
    timeoutMs?: number;
    input?: string;
    signal?: AbortSignal;
    onStdout?: (text: string) => void;
  } = {},
): Promise<SshRunResult & { timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawnSsh(target, argv, env, options);
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      out.push(chunk);
      options.onStdout?.(chunk.toString());
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new DevenvError(`cannot run ssh to reach ${target.display}: ${error.message}`, {
          hint: 'install the OpenSSH client (apt-get install openssh-client)',
          code: 'engine',
          cause: error,
        }),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) return reject(options.signal.reason);
      if (code === 255 && !timedOut) return reject(sshFailure(target, err));
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err, timedOut });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** What ssh's own failure (exit 255) means, in one line with a fix. */
export function sshFailure(target: SshTarget, stderr: string): DevenvError {
  const said = sshSaid(stderr);
  const where = target.display;
  const port = target.port ?? 22;
  const tryIt = `\`ssh ${target.port ? `-p ${target.port} ` : ''}${target.user ? `${target.user}@` : ''}${target.host}\``;
  if (/Permission denied \(|Too many authentication failures|no mutual signature/i.test(stderr))
    return new DevenvError(`${where} refused your SSH key (${said})`, {
      hint: `load the key that host accepts into your agent with \`ssh-add\` (\`ssh-add -l\` lists what it holds), then try ${tryIt}`,
      code: 'engine',
    });
  if (
    /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(
      stderr,
    )
  )
    return new DevenvError(`the SSH host key of ${where} is not known or has changed`, {
      hint: `connect once with ${tryIt} to check and accept its key`,
      code: 'engine',
    });
  return new DevenvError(`cannot reach ${where} over SSH: ${said}`, {
    hint: `check that the host is up and its sshd listens on port ${port}: ${tryIt}`,
    code: 'engine',
  });
}

/** ssh's message without its "ssh: connect to host …:" preamble and its warnings. */
function sshSaid(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^Warning: Permanently added/i.test(line));
  const last = lines.at(-1) ?? 'ssh exited with 255';
  return last.replace(/^ssh: connect to host \S+ port \d+: /, '').replace(/^ssh: /, '');
}
