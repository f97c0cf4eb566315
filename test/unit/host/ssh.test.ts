import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DevenvError } from '../../../src/core/errors.js';
import { dialFailure } from '../../../src/docker/ssh-dial.js';
import { remoteCommand, type SshTarget, sshArgs, sshFailure, sshTargetOf } from '../../../src/host/ssh.js';

const stateHome = () => mkdtempSync(path.join(os.tmpdir(), 'devenv-ssh-test-'));
const target = (over: Partial<SshTarget> = {}): SshTarget => ({
  host: 'gpu-box',
  user: null,
  port: null,
  display: 'gpu-box',
  ...over,
});
const ALICE = target({ user: 'alice', port: 2222, display: 'alice@gpu-box:2222' });

/** The values given to `-o`, in order. */
const optionsOf = (args: string[]) => args.flatMap((arg, i) => (args[i - 1] === '-o' ? [arg] : []));
/** The value after a flag, or undefined when the flag is not there (before the `--`). */
const valueAfter = (args: string[], flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 && i < args.indexOf('--') ? args[i + 1] : undefined;
};

describe('sshTargetOf', () => {
  it.each<{ url: string; host: string; user: string | null; port: number | null; display: string }>([
    { url: 'ssh://gpu-box', host: 'gpu-box', user: null, port: null, display: 'gpu-box' },
    { url: 'ssh://alice@gpu-box', host: 'gpu-box', user: 'alice', port: null, display: 'alice@gpu-box' },
    {
      url: 'ssh://alice@gpu-box:2222',
      host: 'gpu-box',
      user: 'alice',
      port: 2222,
      display: 'alice@gpu-box:2222',
    },
    { url: 'ssh://gpu-box:22', host: 'gpu-box', user: null, port: 22, display: 'gpu-box:22' },
    { url: 'ssh://alice@[::1]:2222', host: '::1', user: 'alice', port: 2222, display: 'alice@[::1]:2222' },
    { url: 'ssh://[fe80::1]', host: 'fe80::1', user: null, port: null, display: '[fe80::1]' },
    { url: 'ssh://al%40ice@gpu-box', host: 'gpu-box', user: 'al@ice', port: null, display: 'al@ice@gpu-box' },
    { url: 'ssh://j%20doe@gpu-box', host: 'gpu-box', user: 'j doe', port: null, display: 'j doe@gpu-box' },
    {
      url: 'ssh://alice:secret@gpu-box',
      host: 'gpu-box',
      user: 'alice',
      port: null,
      display: 'alice@gpu-box',
    },
  ])('$url', ({ url, ...expected }) => {
    expect(sshTargetOf(new URL(url))).toEqual(expected);
  });
});

describe('sshArgs', () => {
  it.each<{ label: string; target: SshTarget; forwardAgent?: boolean; p?: string; l?: string; A: boolean }>([
    { label: 'host only', target: target(), A: false },
    { label: 'user and port', target: ALICE, p: '2222', l: 'alice', A: false },
    { label: 'user only', target: target({ user: 'bob' }), l: 'bob', A: false },
    { label: 'port only', target: target({ port: 2200 }), p: '2200', A: false },
    { label: 'explicit port 22', target: target({ port: 22 }), p: '22', A: false },
    { label: 'agent forwarding', target: ALICE, forwardAgent: true, p: '2222', l: 'alice', A: true },
    { label: 'agent forwarding off', target: ALICE, forwardAgent: false, p: '2222', l: 'alice', A: false },
  ])('$label', ({ target: t, forwardAgent, p, l, A }) => {
    const args = sshArgs(t, { XDG_STATE_HOME: stateHome() }, { forwardAgent });
    expect(args.slice(-2)).toEqual(['--', t.host]);
    expect(optionsOf(args)).toContain('BatchMode=yes');
    expect(valueAfter(args, '-p')).toBe(p);
    expect(valueAfter(args, '-l')).toBe(l);
    expect(args.slice(0, -2).includes('-A')).toBe(A);
  });

  it('agent forwarding uses a connection of its own: a shared one forwards only the agent of its opener', () => {
    const args = sshArgs(ALICE, { XDG_STATE_HOME: stateHome() }, { forwardAgent: true });
    expect(optionsOf(args)).toEqual(expect.arrayContaining(['ControlMaster=no', 'ControlPath=none']));
    expect(optionsOf(args).some((o) => o.startsWith('ControlPersist'))).toBe(false);
    expect(optionsOf(sshArgs(ALICE, { XDG_STATE_HOME: stateHome() }))).toContain('ControlMaster=auto');
  });

  it('puts a host that looks like an option after --, where ssh takes it as the destination', () => {
    const args = sshArgs(target({ host: '-oProxyCommand=touch /tmp/pwned' }), {
      XDG_STATE_HOME: stateHome(),
    });
    expect(args.slice(-2)).toEqual(['--', '-oProxyCommand=touch /tmp/pwned']);
    expect(optionsOf(args).some((o) => o.startsWith('ProxyCommand'))).toBe(false);
  });

  it('passes an IPv6 host without brackets, as ssh wants it', () => {
    const args = sshArgs(sshTargetOf(new URL('ssh://alice@[::1]:2222')), { XDG_STATE_HOME: stateHome() });
    expect(args.slice(-2)).toEqual(['--', '::1']);
    expect(valueAfter(args, '-p')).toBe('2222');
  });

  it('shares one connection through a ControlMaster socket under XDG_STATE_HOME (0700)', () => {
    const state = stateHome();
    const options = optionsOf(sshArgs(ALICE, { XDG_STATE_HOME: state }));
    const dir = path.join(state, 'devenv', 'ssh');
    expect(options).toContain('ControlMaster=auto');
    expect(options).toContain(`ControlPath=${path.join(dir, '%C')}`);
    expect(options.some((o) => /^ControlPersist=\d+s$/.test(o))).toBe(true);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('keeps the socket path short enough for a unix socket when XDG_STATE_HOME is deep', () => {
    const deep = path.join(stateHome(), 'a-rather-long-folder-name-for-state', 'and-another-level-below-it');
    const options = optionsOf(sshArgs(ALICE, { XDG_STATE_HOME: deep }));
    const controlPath = options.find((o) => o.startsWith('ControlPath='))?.slice('ControlPath='.length);
    expect(controlPath).toBeDefined();
    expect(controlPath?.startsWith(deep)).toBe(false);
    // ssh expands %C to 40 hex digits; unix socket paths hold about 104 bytes.
    expect(Buffer.byteLength(controlPath?.replace('%C', 'f'.repeat(40)) ?? '')).toBeLessThan(104);
    expect(options).toContain('ControlMaster=auto');
  });

  it('does not multiplex with DEVENV_SSH_MULTIPLEX=0', () => {
    const args = sshArgs(ALICE, { XDG_STATE_HOME: stateHome(), DEVENV_SSH_MULTIPLEX: '0' });
    const options = optionsOf(args);
    expect(options).toContain('BatchMode=yes');
    expect(options).toContain('ControlMaster=no');
    expect(options).toContain('ControlPath=none');
    expect(options.some((o) => o.startsWith('ControlPersist'))).toBe(false);
  });

  it('does not multiplex when the socket folder cannot be made', () => {
    const state = stateHome();
    writeFileSync(path.join(state, 'devenv'), 'a file where the folder should be');
    const options = optionsOf(sshArgs(ALICE, { XDG_STATE_HOME: state }));
    expect(options).toContain('ControlMaster=no');
    expect(options).toContain('ControlPath=none');
  });
});

describe('remoteCommand', () => {
  // Arguments a POSIX shell would split, expand or run if they reached it unquoted.
  const awkward = [
    'plain',
    'a b',
    "it's",
    '"double"',
    '$HOME',
    '$((6*7))',
    'a;b',
    'a && b',
    'a|b',
    '>out',
    '`id`',
    '$(id)',
    '*',
    '~',
    '~/x',
    '',
    'two\nlines',
    'tab\there',
    'back\\slash',
    '!bang',
    '#comment',
    "''",
    '-n',
    '%s',
    'ünïcode',
    'k=v',
  ];

  /** The arguments a shell receives when it runs `printf '%s\0' <quoted>`: what `sh -c` would see. */
  function argsSeenBy(shell: string, quoted: string): string[] {
    const out = execFileSync(shell, ['-c', `printf '%s\\000' ${quoted}`], { encoding: 'utf8' });
    return out.split('\0').slice(0, -1);
  }

  it.each(['sh', 'bash'])('%s receives every argument unchanged', (shell) => {
    expect(argsSeenBy(shell, remoteCommand(awkward))).toEqual(awkward);
  });

  it.each(awkward.map((arg) => [arg]))('%j on its own reaches sh unchanged', (arg) => {
    expect(argsSeenBy('sh', remoteCommand([arg]))).toEqual([arg]);
  });

  it('carries a script and its arguments through the remote shell to sh -c, as the SSH host runs them', () => {
    const script = 'for a in "$@"; do printf "%s\\000" "$a"; done';
    const line = remoteCommand(['sh', '-c', script, 'sh', ...awkward]);
    const out = execFileSync('sh', ['-c', line], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(awkward);
  });

  it('leaves plain words bare, so the remote command reads as typed', () => {
    expect(remoteCommand(['docker', 'system', 'dial-stdio'])).toBe('docker system dial-stdio');
  });
});

describe('sshFailure', () => {
  it.each<{ label: string; stderr: string; message: string; hint: string; on?: SshTarget }>([
    {
      label: 'a refused key',
      stderr: 'alice@gpu-box: Permission denied (publickey).\r\n',
      message: 'alice@gpu-box:2222 refused your SSH key (alice@gpu-box: Permission denied (publickey).)',
      hint: 'ssh -p 2222 alice@gpu-box',
    },
    {
      label: 'too many keys offered',
      stderr: 'Received disconnect from 10.0.0.5 port 22:2: Too many authentication failures\r\n',
      message: 'alice@gpu-box:2222 refused your SSH key (',
      hint: 'ssh-add',
    },
    {
      label: 'an unknown host key',
      stderr:
        'No ED25519 host key is known for [gpu-box]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n',
      message: 'the SSH host key of alice@gpu-box:2222 is not known or has changed',
      hint: 'ssh -p 2222 alice@gpu-box',
    },
    {
      label: 'a changed host key',
      stderr: [
        '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
        '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
        '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
        'Host key for [gpu-box]:2222 has changed and you have requested strict checking.',
        'Host key verification failed.',
      ].join('\r\n'),
      message: 'the SSH host key of alice@gpu-box:2222 is not known or has changed',
      hint: 'to check and accept its key',
    },
    {
      label: 'host key verification alone',
      stderr: 'Host key verification failed.\r\n',
      message: 'host key',
      hint: 'ssh -p 2222 alice@gpu-box',
    },
    {
      label: 'a refused connection',
      stderr: 'ssh: connect to host 127.0.0.1 port 2299: Connection refused\r\n',
      message: 'cannot reach alice@gpu-box:2222 over SSH: Connection refused',
      hint: 'sshd listens on port 2222',
    },
    {
      label: 'a refused connection to an IPv6 address',
      stderr: 'ssh: connect to host ::1 port 2299: Connection refused\r\n',
      message: 'cannot reach alice@gpu-box:2222 over SSH: Connection refused',
      hint: 'port 2222',
    },
    {
      label: 'a timeout',
      stderr: 'ssh: connect to host gpu-box port 22: Connection timed out\r\n',
      message: 'cannot reach alice@gpu-box:2222 over SSH: Connection timed out',
      hint: 'check that the host is up',
    },
    {
      label: 'an unknown name',
      stderr: 'ssh: Could not resolve hostname nope: Name or service not known\r\n',
      message:
        'cannot reach alice@gpu-box:2222 over SSH: Could not resolve hostname nope: Name or service not known',
      hint: 'ssh -p 2222 alice@gpu-box',
    },
    {
      label: 'a closed connection after the known_hosts warning',
      stderr:
        "Warning: Permanently added '[127.0.0.1]:2299' (ED25519) to the list of known hosts.\r\nConnection closed by 127.0.0.1 port 2299\r\n",
      message: 'cannot reach alice@gpu-box:2222 over SSH: Connection closed by 127.0.0.1 port 2299',
      hint: 'port 2222',
    },
    {
      label: 'nothing said but the known_hosts warning',
      stderr: "Warning: Permanently added 'gpu-box' (ED25519) to the list of known hosts.\r\n",
      message: 'cannot reach alice@gpu-box:2222 over SSH: ssh exited with 255',
      hint: 'port 2222',
    },
    {
      label: 'nothing said at all',
      stderr: '',
      message: 'cannot reach alice@gpu-box:2222 over SSH: ssh exited with 255',
      hint: 'port 2222',
    },
    {
      label: 'a refused key on the default port',
      on: target({ user: 'alice', display: 'alice@gpu-box' }),
      stderr: 'alice@gpu-box: Permission denied (publickey,password).\r\n',
      message: 'alice@gpu-box refused your SSH key',
      hint: 'then try `ssh alice@gpu-box`',
    },
  ])('$label', ({ stderr, message, hint, on }) => {
    const error = sshFailure(on ?? ALICE, stderr);
    expect(error).toBeInstanceOf(DevenvError);
    expect(error.exitCode).toBe(4);
    expect(error.message).toContain(message);
    expect(error.message).not.toMatch(/Warning: Permanently added|\r|\n/);
    expect(error.hint).toContain(hint);
  });

  it('tells how to load a refused key into the agent', () => {
    const error = sshFailure(ALICE, 'alice@gpu-box: Permission denied (publickey).');
    expect(error.hint).toContain('ssh-add');
  });
});

describe('dialFailure: why `ssh HOST docker system dial-stdio` gave no engine', () => {
  const SOCKET = 'unix:///var/run/docker.sock';
  it.each<{ label: string; code: number | null; stderr: string; message: string; hint: string }>([
    {
      label: 'ssh itself failed (255)',
      code: 255,
      stderr: 'ssh: connect to host 10.0.0.5 port 2222: Connection refused\r\n',
      message: 'cannot reach alice@gpu-box:2222 over SSH: Connection refused',
      hint: 'sshd listens on port 2222',
    },
    {
      label: 'ssh refused the key (255)',
      code: 255,
      stderr: 'alice@gpu-box: Permission denied (publickey).\r\n',
      message: 'alice@gpu-box:2222 refused your SSH key (alice@gpu-box: Permission denied (publickey).)',
      hint: 'ssh-add',
    },
    {
      label: 'no docker command (127)',
      code: 127,
      stderr: 'bash: line 1: docker: command not found\n',
      message: 'no Docker engine on gpu1: the docker command is not installed there',
      hint: 'install Docker on that host',
    },
    {
      label: 'no docker command, as bash says it',
      code: 1,
      stderr: 'bash: docker: command not found\n',
      message: 'no Docker engine on gpu1: the docker command is not installed there',
      hint: 'install Docker',
    },
    {
      label: 'no docker command, as dash says it',
      code: 127,
      stderr: 'sh: 1: docker: not found\n',
      message: 'no Docker engine on gpu1: the docker command is not installed there',
      hint: 'install Docker',
    },
    {
      label: 'not in the docker group',
      code: 1,
      stderr: `permission denied while trying to connect to the Docker daemon socket at ${SOCKET}: Get "http://%2Fvar%2Frun%2Fdocker.sock/_ping": dial unix /var/run/docker.sock: connect: permission denied\n`,
      message: 'alice on gpu1 may not use the Docker engine there (not in the docker group)',
      hint: 'sudo usermod -aG docker alice',
    },
    {
      label: 'no engine listening',
      code: 1,
      stderr:
        'failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: no such file or directory\n',
      message:
        'no Docker engine answers on gpu1: failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: no such file or directory',
      hint: 'systemctl start docker',
    },
    {
      label: 'no engine, said after a blank line',
      code: 1,
      stderr:
        '\n  Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
      message:
        'no Docker engine answers on gpu1: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      hint: 'another host',
    },
    {
      label: 'nothing said',
      code: 1,
      stderr: '',
      message: 'no Docker engine answers on gpu1: exit 1',
      hint: 'systemctl start docker',
    },
  ])('$label', ({ code, stderr, message, hint }) => {
    const error = dialFailure(ALICE, 'gpu1', code, stderr);
    expect(error).toBeInstanceOf(DevenvError);
    expect(error.exitCode).toBe(4);
    expect(error.message).toBe(message);
    expect(error.hint).toContain(hint);
  });

  it('names the account when the ssh:// URL gives no user', () => {
    const error = dialFailure(
      target(),
      'gpu1',
      1,
      'permission denied while trying to connect to the Docker daemon socket',
    );
    expect(error.message).toBe(
      'your account on gpu1 may not use the Docker engine there (not in the docker group)',
    );
    expect(error.exitCode).toBe(4);
  });
});
