import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { expectNothingCreated, expectOneLineError, snapshot } from './errors-kit.js';
import {
  agentEnv,
  BASE_READY,
  devenv,
  docker,
  makeEnvDir,
  quickRc,
  REMOTES,
  remoteDocker,
  remoteDockerOk,
  removeEnvObjects,
  TEST_USER,
  userEnv,
  writeRc,
} from './harness.js';
import {
  createNetwork,
  ensureServiceImages,
  freePort,
  inspect,
  removeNetwork,
  SERVICE,
} from './services-kit.js';

/**
 * Services that do not come up, and host ports that are taken (issue 13): one line, the
 * documented exit code. A service that never gets healthy leaves its container running for a
 * look; a taken port is refused before anything is made, naming what holds it when devenv can
 * tell (another container, a process of the user's, or just "another process").
 */
const NETWORK = `svc-errnet-${process.pid}`;
const dirs: string[] = [];
const envDir = (label: string, rc: Record<string, unknown>) => {
  const dir = makeEnvDir(label, TEST_USER, quickRc(label, rc));
  dirs.push(dir);
  return dir;
};

beforeAll(() => {
  ensureServiceImages();
  createNetwork(NETWORK);
});
afterAll(() => {
  for (const dir of dirs) removeEnvObjects(dir);
  removeNetwork(NETWORK);
});

describe('a service that never gets healthy: exit 12, the container left running', () => {
  it('S01 never healthy: one line with the last probe output, how to look and retry', () => {
    const dir = envDir('errsvcbad', {
      baseImage: SERVICE,
      entrypoint: 'base',
      network: NETWORK,
      healthcheck: {
        command: 'echo "db not ready: connection refused"; exit 1',
        interval: '1s',
        timeout: '2s',
        retries: 2,
      },
    });
    const result = devenv(TEST_USER, dir, ['start', '--detach', '-q']);
    expectOneLineError(
      result,
      ExitCode.unhealthy,
      /container devenv-errsvcbad-devtest is unhealthy after \d+s; last probe \(exit 1\): db not ready: connection refused — it is left running: look with `devenv logs` or `devenv exec -- <command>`, then `devenv start` waits again/,
    );
    expect(inspect('devenv-errsvcbad-devtest')?.State.Running).toBe(true);
    // Left for a look: exec and status work, and say the same.
    const look = devenv(TEST_USER, dir, ['exec', '--', 'svc-probe']);
    expect(look.stdout).toMatch(/^service answers on 8000$/m);
    expect(devenv(TEST_USER, dir, ['status']).stdout).toMatch(
      /^health: +unhealthy \(last output: db not ready: connection refused\)$/m,
    );
    const json = JSON.parse(devenv(TEST_USER, dir, ['status', '--json']).stdout);
    expect(json.health).toBe('unhealthy');
    // A start on the unhealthy env says so again, at once: exit 0 would not mean ready.
    const again = devenv(TEST_USER, dir, ['start', '--detach', '-q']);
    expect(again.code, again.stderr).toBe(ExitCode.unhealthy);
  });
});

describe('a host port in "ports" that is taken: exit 7, nothing created', () => {
  const start = (label: string, port: number) => {
    const dir = envDir(label, { network: NETWORK, ports: [`127.0.0.1:${port}:8000`] });
    const before = snapshot(dir);
    const result = devenv(TEST_USER, dir, ['start', '--detach']);
    return { result, nothingCreated: () => expectNothingCreated(dir, before) };
  };

  it('S02 held by another container: it is named', async () => {
    const port = await freePort();
    const holder = `svc-holder-${process.pid}`;
    docker([
      'run',
      '-d',
      '--name',
      holder,
      '--network',
      NETWORK,
      '-p',
      `127.0.0.1:${port}:8000`,
      BASE_READY,
      'sleep',
      'infinity',
    ]);
    try {
      const { result, nothingCreated } = start('errsvcctr', port);
      expectOneLineError(
        result,
        ExitCode.conflict,
        /host port 127\.0\.0\.1:\d+ is already taken \(held by container svc-holder-\d+\) — stop that container \(docker stop svc-holder-\d+\) or choose another host port in "ports"; nothing was created/,
      );
      expect(result.stderr).toContain(`127.0.0.1:${port} `);
      nothingCreated();
    } finally {
      docker(['rm', '-f', holder]);
    }
  });

  it("S03 held by a process of the user's: named by its name and pid", async () => {
    const port = await freePort();
    const server = spawn(
      'runuser',
      [
        '-u',
        TEST_USER.name,
        '--',
        'env',
        '-i',
        ...userEnv(TEST_USER),
        'python3',
        '-m',
        'http.server',
        String(port),
        '--bind',
        '127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    try {
      await listening(port);
      const { result, nothingCreated } = start('errsvcproc', port);
      expectOneLineError(
        result,
        ExitCode.conflict,
        /host port 127\.0\.0\.1:\d+ is already taken \(held by python3 \(pid \d+\) on this machine\) — stop python3 \(pid \d+\)/,
      );
      const pid = /pid (\d+)/.exec(result.stderr)?.[1];
      expect(pid && execCommand(Number(pid))).toMatch(/http\.server/);
      nothingCreated();
    } finally {
      stop(server);
    }
  });

  it("S04 held by another user's process: devenv cannot see whose, and says it is taken", async () => {
    const port = await freePort();
    // This test runs as root: devtest may not read root's /proc/<pid>/fd.
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port }, resolve));
    try {
      const { result, nothingCreated } = start('errsvcroot', port);
      expectOneLineError(
        result,
        ExitCode.conflict,
        /host port 127\.0\.0\.1:\d+ is already taken \(held by another process on this machine\) — stop what holds it or choose another host port/,
      );
      nothingCreated();
    } finally {
      server.close();
    }
  });

  it('S05 "ports" with the default "network": "host": a config error, before anything', () => {
    const dir = envDir('errsvchost', { ports: ['8888:8888'] });
    const before = snapshot(dir);
    const result = devenv(TEST_USER, dir, ['start', '--detach']);
    expectOneLineError(
      result,
      ExitCode.config,
      /\.devenvrc:\d+:\d+: "ports" cannot be used with "network": "host" \(the default: the container shares the host's ports already\) — set "network" to a bridge network/,
    );
    expectNothingCreated(dir, before);
  });
});

describe('a taken host port on a remote engine: the engine says so, and the container goes', () => {
  const server = REMOTES.r1;
  const socket = server.socket as string;
  const network = `svc-r1net-${process.pid}`;
  const name = 'errsvcremote';
  let dir: string;
  beforeAll(() => {
    if (!remoteDockerOk(server, ['image', 'inspect', BASE_READY]))
      throw new Error(`${BASE_READY} is missing on r1: the e2e global setup loads it`);
    createNetwork(network, socket);
    dir = makeEnvDir(name, TEST_USER, quickRc(name, { network }));
  });
  afterAll(() => {
    remoteDocker(server, ['rm', '-f', `devenv-${name}-devtest`]);
    if (remoteDockerOk(server, ['image', 'inspect', `devenv-${name}-devtest:latest`]))
      remoteDocker(server, ['rmi', `devenv-${name}-devtest:latest`]);
    removeNetwork(network, socket);
    rmSync(`${server.home(TEST_USER)}/devenv/${name}`, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it("S06 a port held on the remote host (no local check over ssh): the engine's refusal, the container removed", async () => {
    const port = await freePort();
    // r1 is this machine's network: a port held here is held on r1, where the engine binds it.
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port }, resolve));
    try {
      writeRc(dir, TEST_USER, quickRc(name, { network, ports: [`127.0.0.1:${port}:8000`] }));
      const result = devenv(TEST_USER, dir, ['start', '--detach', '-q'], {
        env: { ...agentEnv(TEST_USER), DOCKER_HOST: server.url(TEST_USER) },
      });
      expectOneLineError(
        result,
        ExitCode.conflict,
        /host port 127\.0\.0\.1:\d+ is already taken \(the Docker engine says: address already in use\) — stop what holds it or choose another host port in "ports"; the container was removed/,
      );
      expect(remoteDocker(server, ['ps', '-aq', '--filter', `name=^devenv-${name}-devtest$`])).toBe('');
    } finally {
      holder.close();
    }
  });
});

/** Resolves once something accepts connections on the loopback port. */
async function listening(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function execCommand(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Ends the server runuser started (its child), then runuser. */
function stop(child: ChildProcess): void {
  if (!child.pid) return;
  let pids: number[] = [];
  try {
    pids = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    // no children left
  }
  for (const pid of [...pids, child.pid]) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
