/**
 * Host processes: which Docker container a process runs in, so the GPU map can tell a devenv
 * env's process from a foreign one. Read from procfs; Linux only (elsewhere: null).
 */
import path from 'node:path';
import type { Host } from '../core/host.js';

/**
 * The full ID of the Docker container host process `pid` runs in; null when it runs in none, has
 * gone, or its cgroup cannot be read. A PID from nvidia-smi on the host is that host's PID.
 */
export async function containerOfPid(host: Host, pid: number, procRoot = '/proc'): Promise<string | null> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  const text = await host.readFile(path.join(procRoot, String(pid), 'cgroup')).catch(() => null);
  return text === null ? null : containerIdFromCgroup(text.toString());
}

// dockerd puts a container's processes in `<parent>/<id>` with the cgroupfs driver (parent
// `/docker` by default) and in `docker-<id>.scope` with the systemd driver, on cgroup v1 and v2.
// A sub-cgroup may follow (`.../docker-<id>.scope/init.scope`).
const DOCKER_CGROUP = /\/docker(?:\/([0-9a-f]{64})|-([0-9a-f]{64})\.scope)(?=\/|$)/;

/**
 * The Docker container ID in the text of `/proc/<pid>/cgroup` (`hierarchy:controllers:path`
 * lines; cgroup v2 has the one line `0::<path>`), or null. With Docker in Docker the path holds
 * two IDs: the first is the container the host's engine knows.
 */
export function containerIdFromCgroup(text: string): string | null {
  for (const line of text.split('\n')) {
    const cgroupPath = line.split(':').slice(2).join(':');
    const match = DOCKER_CGROUP.exec(cgroupPath);
    const id = match?.[1] ?? match?.[2];
    if (id !== undefined) return id;
  }
  return null;
}
