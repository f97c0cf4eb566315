import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirOwned } from './daily-kit.js';
import { devenv, makeEnvDir, quickRc, removeEnvObjects, TEST_USER } from './harness.js';

/**
 * Which engine devenv talks to: DOCKER_HOST, docker contexts (made by hand, as `docker context
 * create` would), and a remote tcp:// engine, here a TCP endpoint on another loopback address that
 * forwards to the local socket, which devenv refuses: it reaches an engine's host only over SSH.
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
    expect(json.host).toBe('this machine');
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

  it('a tcp:// engine on another machine is refused in one line (exit 4) pointing to ssh://, and nothing changes', () => {
    const before = run(['status', '--json']);
    expect(before.code, before.stderr).toBe(0);
    for (const args of [['status'], ['start', '--detach'], ['stop']]) {
      const result = run(args, { DOCKER_HOST: remoteHost });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(4);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^devenv: devenv cannot use the engine at tcp:\/\/127\.0\.0\.2:\d+ \(from DOCKER_HOST\): it reaches an engine's host only over SSH.* — use ssh:\/\/USER@127\.0\.0\.2 instead/,
      );
    }
    // The env on the local engine is as it was: the refusal came before any engine request.
    expect(JSON.parse(run(['status', '--json']).stdout).container).toEqual(
      JSON.parse(before.stdout).container,
    );
  });

  it('the local socket gives no remote warning', () => {
    expect(run(['stop']).code).toBe(0);
    const start = run(['start', '--detach']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).not.toMatch(/is remote/);
  });
});
