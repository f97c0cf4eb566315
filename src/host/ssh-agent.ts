import { linkSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type AgentLink = { dir: string } | { problem: string };

/**
 * Makes the current SSH agent socket reachable at a path that does not change between SSH
 * logins: a hard link in a private folder, refreshed by every command. The container mounts the
 * folder, so after a reconnect (a new /tmp/ssh-XXXX/agent.N) `git push` inside still works.
 */
export function linkAgentSocket(env: NodeJS.ProcessEnv, uid: number): AgentLink {
  const socket = env.SSH_AUTH_SOCK;
  if (!socket)
    return {
      problem: 'sshAgent is on but SSH_AUTH_SOCK is not set: connect with `ssh -A`, or start an ssh-agent',
    };
  const dir = path.join(os.tmpdir(), `devenv-agent-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      return { problem: `cannot create ${dir}: ${(error as Error).message}` };
  }
  const stat = statSync(dir);
  if (stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    return {
      problem: `${dir} is not yours alone (owner uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}); remove it to forward the agent`,
    };
  }
  const link = path.join(dir, 'agent.sock');
  const staging = `${link}.${process.pid}`;
  try {
    rmSync(staging, { force: true });
    linkSync(socket, staging);
    renameSync(staging, link);
  } catch (error) {
    rmSync(staging, { force: true });
    return {
      problem: `cannot link the agent socket ${socket} into ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    };
  }
  return { dir };
}
