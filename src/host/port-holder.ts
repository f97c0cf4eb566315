/**
 * Is a host port free on this machine, and who holds it: a bind that is closed at once, then
 * procfs (/proc/net/tcp and the processes' socket links). Linux; only for a local engine, whose
 * published ports are this machine's.
 */
import { createSocket } from 'node:dgram';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type { PortMapping, PortProtocol } from '../core/published-ports.js';

export type BindOutcome = 'free' | 'taken' | 'unknown';

/**
 * Binds the mapping's host address and port and lets go at once. "taken" only for EADDRINUSE;
 * anything else (a port below 1024 for a normal user, an address this machine lacks) is the
 * engine's to judge.
 */
export function bindProbe(
  mapping: Pick<PortMapping, 'hostIp' | 'hostPort' | 'protocol'>,
): Promise<BindOutcome> {
  const host = mapping.hostIp ?? '0.0.0.0';
  const outcome = (error: NodeJS.ErrnoException | null): BindOutcome =>
    error === null ? 'free' : error.code === 'EADDRINUSE' ? 'taken' : 'unknown';
  return new Promise((resolve) => {
    if (mapping.protocol === 'udp') {
      const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      socket.once('error', (error) => {
        socket.close();
        resolve(outcome(error));
      });
      socket.bind({ address: host, port: mapping.hostPort, exclusive: true }, () =>
        socket.close(() => resolve('free')),
      );
      return;
    }
    const server = createServer();
    server.once('error', (error) => resolve(outcome(error)));
    server.listen({ host, port: mapping.hostPort, exclusive: true }, () =>
      server.close(() => resolve('free')),
    );
  });
}

// /proc/net/tcp: "sl local_address rem_address st ... uid timeout inode"; ports in hex; a listening
// TCP socket is state 0A, a bound UDP socket 07.
const LISTENING: Record<PortProtocol, string> = { tcp: '0A', udp: '07' };

/** The inodes of the sockets listening on `port` in a /proc/net/{tcp,udp}[6] table. */
export function listeningInodes(table: string, port: number, protocol: PortProtocol): string[] {
  const inodes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const state = fields[3];
    const inode = fields[9];
    if (!local || !inode || inode === '0' || state !== LISTENING[protocol]) continue;
    if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.push(inode);
  }
  return inodes;
}

/**
 * The process holding a socket that listens on `port`, when procfs lets this user see it: its
 * /proc/<pid>/fd links are readable only for the user's own processes (not root's docker-proxy).
 */
export async function localPortHolder(
  port: number,
  protocol: PortProtocol,
  procRoot = '/proc',
): Promise<{ pid: number; name: string } | null> {
  const tables = await Promise.all(
    [protocol, `${protocol}6`].map((name) =>
      readFile(path.join(procRoot, 'net', name), 'utf8').catch(() => ''),
    ),
  );
  const inodes = new Set(tables.flatMap((table) => listeningInodes(table, port, protocol)));
  if (inodes.size === 0) return null;
  const pids = (await readdir(procRoot).catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const fdDir = path.join(procRoot, pid, 'fd');
    const fds = await readdir(fdDir).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(path.join(fdDir, fd)).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) {
        const name = (await readFile(path.join(procRoot, pid, 'comm'), 'utf8').catch(() => '')).trim();
        return { pid: Number(pid), name: name || 'a process' };
      }
    }
  }
  return null;
}
