import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerId, devenv, makeEnvDir, quickRc, removeEnvObjects, TEST_USER, userEnv } from './harness.js';

/** Runs a host command as the test user, with a clean environment plus `env`. */
function asUser(command: string[], env: Record<string, string> = {}) {
  return spawnSync(
    'runuser',
    ['-u', TEST_USER.name, '--', 'env', '-i', ...userEnv(TEST_USER, env), ...command],
    {
      encoding: 'utf8',
    },
  );
}

/** "sshAgent": true: the host user's agent (SSH_AUTH_SOCK) is reachable inside the env. */
describe('sshAgent: the host SSH agent inside the env', () => {
  let dir: string;
  let socket: string;
  let agentPid: number | null = null;
  const run = (args: string[], env: Record<string, string> = {}) =>
    devenv(TEST_USER, dir, args, { env: { SSH_AUTH_SOCK: socket, ...env } });

  beforeAll(() => {
    if (spawnSync('sh', ['-c', 'command -v ssh-agent']).status !== 0) {
      execFileSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq openssh-client >/dev/null']);
    }
    dir = makeEnvDir(
      'dailyssh',
      TEST_USER,
      quickRc('dailyssh', { sshAgent: true, aptPackages: ['openssh-client'] }),
    );
    socket = path.join(dir, 'agent.sock');
    const started = asUser(['ssh-agent', '-s', '-a', socket]);
    expect(started.status, started.stderr).toBe(0);
    agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(started.stdout)?.[1]);
  });
  afterAll(() => {
    if (agentPid) process.kill(agentPid, 'SIGTERM');
    removeEnvObjects(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ssh-add -l inside reaches the agent (exit 1: it holds no identities yet)', () => {
    const start = run(['start', '--detach']);
    expect(start.code, start.stderr).toBe(0);
    const result = run([
      'exec',
      '--',
      'sh',
      '-c',
      'echo "sock=$SSH_AUTH_SOCK"; ssh-add -l; echo "ssh-add=$?"',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^sock=\/run\/devenv\/agent\/agent\.sock$/m);
    expect(result.stdout).toMatch(/agent has no identities/);
    expect(result.stdout).toMatch(/^ssh-add=1$/m);
  });

  it('a key added on the host is listed inside, with the same fingerprint', () => {
    const key = path.join(dir, 'id_daily');
    expect(asUser(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'daily-key', '-f', key]).status).toBe(
      0,
    );
    const added = asUser(['ssh-add', key], { SSH_AUTH_SOCK: socket });
    expect(added.status, added.stderr).toBe(0);
    const fingerprint = asUser(['ssh-keygen', '-lf', `${key}.pub`]).stdout.split(' ')[1];
    expect(fingerprint).toMatch(/^SHA256:/);

    const result = run(['exec', '--', 'ssh-add', '-l']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(fingerprint);
    expect(result.stdout).toContain('daily-key');
    expect(readFileSync(`${key}.pub`, 'utf8')).toContain('daily-key');
  });

  it('ssh-add on a socket that is not there exits 2, so the checks above are real', () => {
    const result = run([
      'exec',
      '--',
      'sh',
      '-c',
      'SSH_AUTH_SOCK=/run/devenv/none.sock ssh-add -l; echo "ssh-add=$?"',
    ]);
    expect(result.stdout).toMatch(/^ssh-add=2$/m);
  });

  it('after a reconnect (a new agent socket), the running env reaches the new agent', () => {
    const socket2 = path.join(dir, 'agent2.sock');
    const started = asUser(['ssh-agent', '-s', '-a', socket2]);
    expect(started.status, started.stderr).toBe(0);
    const pid2 = Number(/SSH_AGENT_PID=(\d+)/.exec(started.stdout)?.[1]);
    try {
      const key = path.join(dir, 'id_second');
      expect(
        asUser(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'second-session', '-f', key]).status,
      ).toBe(0);
      expect(asUser(['ssh-add', key], { SSH_AUTH_SOCK: socket2 }).status).toBe(0);
      const before = containerId('devenv-dailyssh-devtest');
      const result = devenv(TEST_USER, dir, ['exec', '--', 'ssh-add', '-l'], {
        env: { SSH_AUTH_SOCK: socket2 },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('second-session');
      expect(result.stdout).not.toContain('daily-key');
      expect(containerId('devenv-dailyssh-devtest')).toBe(before);
    } finally {
      process.kill(pid2, 'SIGTERM');
    }
  });
});
