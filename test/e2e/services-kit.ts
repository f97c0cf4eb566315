import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { BASE_READY, docker, ensureTestImage } from './harness.js';

/**
 * Base images whose entrypoint starts a service, as Jupyter or inference images do (issue 13):
 * `svc-start` serves HTTP (python3 -m http.server, on every address, port SVC_PORT, 8000 unless set) after
 * SVC_DELAY seconds (0 unless set), then runs the command; `svc-probe` says whether it answers, as a
 * healthcheck's command would. SERVICE_HC also has a HEALTHCHECK of its own that runs svc-probe.
 */
export const SERVICE = 'devenv-test-base:service';
export const SERVICE_HC = 'devenv-test-base:service-hc';

const START = [
  '#!/bin/sh',
  '( sleep "$SVC_DELAY"; cd /tmp && exec python3 -m http.server "$SVC_PORT" ) >/tmp/svc.log 2>&1 &',
  'exec "$@"',
];
const PROBE = [
  '#!/usr/bin/env python3',
  'import os, sys, urllib.request',
  'port = os.environ.get("SVC_PORT", "8000")',
  'try:',
  '    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)',
  '    print(f"service answers on {port}")',
  'except Exception as error:',
  '    print(f"service not answering on {port}: {error}")',
  '    sys.exit(1)',
];
const printf = (lines: string[], file: string) =>
  `printf '%s\\n' ${lines.map((l) => `'${l.replace(/'/g, `'\\''`)}'`).join(' ')} > ${file} && chmod +x ${file}`;

export function ensureServiceImages(): void {
  ensureTestImage(
    SERVICE,
    [
      `FROM ${BASE_READY}`,
      'ENV SVC_DELAY=0 SVC_PORT=8000',
      `RUN ${printf(START, '/usr/local/bin/svc-start')} && ${printf(PROBE, '/usr/local/bin/svc-probe')}`,
      'ENTRYPOINT ["/usr/local/bin/svc-start"]',
      'CMD ["sleep", "infinity"]',
    ].join('\n'),
  );
  ensureTestImage(
    SERVICE_HC,
    `FROM ${SERVICE}\nHEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD svc-probe`,
  );
}

/** A user-defined bridge network of the test's own (the engine here has no default "bridge"). */
export function createNetwork(name: string, dockerHost?: string): string {
  dockerCli(['network', 'create', name], dockerHost);
  return name;
}

export function removeNetwork(name: string, dockerHost?: string): void {
  spawnSync('docker', ['network', 'rm', name], { stdio: 'ignore', env: engineEnv(dockerHost) });
}

function dockerCli(args: string[], dockerHost?: string): string {
  if (!dockerHost) return docker(args);
  const result = spawnSync('docker', args, { encoding: 'utf8', env: engineEnv(dockerHost) });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

function engineEnv(dockerHost?: string): NodeJS.ProcessEnv {
  return dockerHost ? { ...process.env, DOCKER_HOST: dockerHost } : process.env;
}

/** A loopback port nothing listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `docker inspect` of one container as JSON, or null when it is gone. */
export function inspect(name: string): {
  Id: string;
  Image: string;
  State: { Running: boolean; Health?: { Status: string } };
  Config: { Healthcheck?: { Test: string[]; Interval?: number } };
} | null {
  const result = spawnSync('docker', ['inspect', name], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  return JSON.parse(result.stdout)[0];
}
