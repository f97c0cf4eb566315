import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirOwned } from './daily-kit.js';
import { containerId, devenv, makeEnvDir, quickRc, removeEnvObjects, TEST_USER } from './harness.js';

/**
 * Which engine devenv talks to: DOCKER_HOST, docker contexts (made by hand, as `docker context
 * create` would), and a remote engine, here a TCP endpoint on another loopback address that
 * forwards to the local socket.
 */
describe('engine endpoints: DOCKER_HOST, docker contexts, remote engines', () => {
  const container = 'devenv-dailyremote-devtest';
  let dir: string;
  let dockerConfig: string;
  let proxy: ChildProcess | undefined;
  let remoteHost = '';
  const run = (args: string[], env: Record<string, string> = {}) => devenv(TEST_USER, dir, args, { env });
  const engineLine = (stdout: string) => /^engine: +(.*)$/m.exec(stdout)?.[1];

  beforeAll(async () => {
    dir = makeEnvDir('dailyremote', TEST_USER, quickRc('dailyremote'));
    dockerConfig = mkdirOwned(path.join(dir, 'docker-config'), TEST_USER);
    const meta = mkdirOwned(
      path.join(dockerConfig, 'contexts/meta', createHash('sha256').update('viasock').digest('hex')),
      TEST_USER,
    );
    writeFileSync(
      path.join(meta, 'meta.json'),
      JSON.stringify({ Name: 'viasock', Endpoints: { docker: { Host: 'unix:///var/run/docker.sock' } } }),
    );
    writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify({ currentContext: 'viasock' }));

    // A "remote" engine: 127.0.0.2 is this machine, but not an address devenv takes for local.
    proxy = spawn(
      process.execPath,
      [
        '-e',
        `const net = require('node:net');
         const server = net.createServer((client) => {
           const engine = net.connect('/var/run/docker.sock');
           client.on('error', () => engine.destroy());
           engine.on('error', () => client.destroy());
           client.pipe(engine).pipe(client);
         });
         server.listen(0, '127.0.0.2', () => console.log(server.address().port));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const port = await new Promise<string>((resolve, reject) => {
      proxy?.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      proxy?.once('exit', (code) => reject(new Error(`the engine proxy exited with ${code}`)));
    });
    remoteHost = `tcp://127.0.0.2:${port}`;
    expect(run(['start', '--detach']).code).toBe(0);
  });
  afterAll(() => {
    proxy?.kill();
    removeEnvObjects(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('DOCKER_HOST=unix:///var/run/docker.sock: status works and says where the engine came from', () => {
    const result = run(['status'], { DOCKER_HOST: 'unix:///var/run/docker.sock' });
    expect(result.code, result.stderr).toBe(0);
    expect(engineLine(result.stdout)).toBe('unix:///var/run/docker.sock (from DOCKER_HOST)');
    expect(result.stdout).toMatch(new RegExp(`^container: +${container} \\(running`, 'm'));
    const json = JSON.parse(run(['status', '--json'], { DOCKER_HOST: 'unix:///var/run/docker.sock' }).stdout);
    expect(json.engine).toEqual({ url: 'unix:///var/run/docker.sock', source: 'DOCKER_HOST', remote: false });
  });

  it("uses the docker CLI's current context from DOCKER_CONFIG/config.json", () => {
    const result = run(['status'], { DOCKER_CONFIG: dockerConfig });
    expect(result.code, result.stderr).toBe(0);
    expect(engineLine(result.stdout)).toBe('unix:///var/run/docker.sock (from context viasock)');
    expect(result.stdout).toMatch(/\(running/);
  });

  it.each<{ how: string; args: string[]; env: Record<string, string>; source: string }>([
    { how: 'DOCKER_CONTEXT', args: [], env: { DOCKER_CONTEXT: 'viasock' }, source: 'DOCKER_CONTEXT=viasock' },
    { how: '--context', args: ['--context', 'viasock'], env: {}, source: '--context viasock' },
  ])('uses a context named by $how', ({ args, env, source }) => {
    const result = run([...args, 'status'], { DOCKER_CONFIG: dockerConfig, ...env });
    expect(result.code, result.stderr).toBe(0);
    expect(engineLine(result.stdout)).toBe(`unix:///var/run/docker.sock (from ${source})`);
  });

  it('--context nosuch fails with exit 4 and one line naming it', () => {
    const result = run(['--context', 'nosuch', 'status'], { DOCKER_CONFIG: dockerConfig });
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^devenv: docker context "nosuch".*not found/);
  });

  it('a remote engine: status marks it, start warns once that mount sources and UIDs are its host', () => {
    const status = run(['status'], { DOCKER_HOST: remoteHost });
    expect(status.code, status.stderr).toBe(0);
    expect(engineLine(status.stdout)).toBe(`${remoteHost} (from DOCKER_HOST) [remote]`);

    expect(run(['stop']).code).toBe(0);
    const start = run(['start', '--detach'], { DOCKER_HOST: remoteHost });
    expect(start.code, start.stderr).toBe(0);
    const warnings = start.stderr.split('\n').filter((line) => line.includes('is remote'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^devenv: warning: the engine at tcp:\/\/127\.0\.0\.2:\d+ is remote: bind-mount sources are folders on that host, and UID 4242 there/,
    );
    expect(containerId(container)).not.toBeNull();
  });

  it('the local socket gives no remote warning', () => {
    expect(run(['stop']).code).toBe(0);
    const start = run(['start', '--detach']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).not.toMatch(/is remote/);
  });
});
