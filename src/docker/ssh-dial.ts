import type http from 'node:http';
import { DevenvError } from '../core/errors.js';
import { firstLine } from '../core/first-line.js';
import { type SshTarget, spawnSsh, sshFailure } from '../host/ssh.js';
import { dialStdioAgent } from './dial-stdio.js';

/**
 * An HTTP agent whose connections are `ssh HOST docker system dial-stdio`, as the docker CLI
 * makes them: the engine's API over the system ssh and its shared connection (host/ssh.ts).
 * Kept alive, so one command's requests share one dial; an idle one does not hold the process.
 */
export function sshEngineAgent(target: SshTarget, hostName: string, env: NodeJS.ProcessEnv): http.Agent {
  return dialStdioAgent(
    () => spawnSsh(target, ['docker', 'system', 'dial-stdio'], env),
    (code, stderr) => dialFailure(target, hostName, code, stderr),
  );
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
