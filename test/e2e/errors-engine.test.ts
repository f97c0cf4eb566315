import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { devenvWithout, expectNothingCreated, expectOneLineError, snapshot } from './errors-kit.js';
import {
  containerId,
  devenv,
  makeEnvDir,
  NODOCKER_USER,
  quickRc,
  removeEnvObjects,
  TEST_USER,
} from './harness.js';

/**
 * A Docker engine that only knows /_ping, /version and /info, and says it speaks API 1.30
 * (Docker 17.06): too old for DeviceRequests. It runs in its own process because the tests
 * run devenv synchronously. Every request it gets is appended to `log`.
 */
const OLD_ENGINE = `
const http = require('node:http');
const fs = require('node:fs');
const [socket, log] = process.argv.slice(1);
fs.rmSync(socket, { force: true });
const answers = {
  '/version': { Version: '17.06.2-ce', ApiVersion: '1.30', MinAPIVersion: '1.12', Os: 'linux', Arch: 'amd64' },
  '/info': { ServerVersion: '17.06.2-ce', OperatingSystem: 'Old Linux', Runtimes: { runc: { path: 'docker-runc' } }, DockerRootDir: '/var/lib/docker' },
};
http.createServer((req, res) => {
  fs.appendFileSync(log, req.method + ' ' + req.url + '\\n');
  const route = req.url.replace(/^\\/v[0-9.]+/, '').split('?')[0];
  const headers = { 'Api-Version': '1.30', Server: 'Docker/17.06.2-ce (linux)' };
  if (route === '/_ping') { res.writeHead(200, { ...headers, 'Content-Type': 'text/plain' }); res.end('OK'); return; }
  const body = answers[route];
  res.writeHead(body ? 200 : 404, { ...headers, 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body ?? { message: 'page not found' }));
}).listen(socket, () => { fs.chmodSync(socket, 0o666); process.stdout.write('ready\\n'); });
`;

function startOldEngine(socket: string, log: string): Promise<ChildProcess> {
  rmSync(log, { force: true });
  const child = spawn(process.execPath, ['-e', OLD_ENGINE, socket, log], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fake engine exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
  });
}

/**
 * Catalogue cases N01–N05 (docs/errors.md): the environment devenv runs in — no HOME, an
 * unusable DOCKER_HOST, a socket the user may not open, an engine too old.
 */
describe('the environment: no HOME works; engine problems are one line, exit 4', () => {
  const dirs: string[] = [];
  const oldSocket = `/tmp/devenv-err-old-engine-${process.pid}.sock`;
  const oldLog = `/tmp/devenv-err-old-engine-${process.pid}.log`;
  let oldEngine: ChildProcess | undefined;

  beforeAll(() => {
    rmSync('/tmp/nope.sock', { force: true });
  });
  afterAll(() => {
    oldEngine?.kill();
    rmSync(oldSocket, { force: true });
    rmSync(oldLog, { force: true });
    for (const dir of dirs) removeEnvObjects(dir);
  });

  function envDir(label: string, owner = TEST_USER) {
    const dir = makeEnvDir(label, owner, quickRc(label));
    dirs.push(dir);
    return { dir, before: snapshot(dir) };
  }

  it('N01 without HOME, start still works and keeps its build log in the passwd home', () => {
    const { dir } = envDir('errhome');
    const container = 'devenv-errhome-devtest';
    const log = `/home/${TEST_USER.name}/.local/state/devenv/logs/${container}-build.log`;
    rmSync(log, { force: true });
    const started = Date.now();
    const result = devenvWithout(TEST_USER, dir, ['start', '--detach'], { unset: ['HOME'] });
    expect(result.stderr).not.toMatch(/^\s+at |unexpected error|HOME/m);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(containerId(container)).not.toBeNull();
    expect(statSync(log).mtimeMs).toBeGreaterThanOrEqual(started - 1000);
    expect(statSync(log).uid).toBe(TEST_USER.uid);
    expect(existsSync(`/tmp/devenv-${TEST_USER.uid}/devenv/logs/${container}-build.log`)).toBe(false);
    // The other commands need no HOME either.
    expect(devenvWithout(TEST_USER, dir, ['status', '--json'], { unset: ['HOME'] }).code).toBe(ExitCode.ok);
    expect(devenvWithout(TEST_USER, dir, ['stop'], { unset: ['HOME'] }).code).toBe(ExitCode.ok);
    expect(containerId(container)).toBeNull();
  });

  it('N02 a DOCKER_HOST devenv cannot use', () => {
    const { dir, before } = envDir('errbogus');
    const result = devenv(TEST_USER, dir, ['start', '--detach'], { env: { DOCKER_HOST: 'bogus://x' } });
    expectOneLineError(
      result,
      ExitCode.engine,
      /cannot use Docker endpoint "bogus:\/\/x" \(from DOCKER_HOST\) — use unix:/,
    );
    expectNothingCreated(dir, before);
  });

  it('N03 a DOCKER_HOST socket that does not exist', () => {
    const { dir, before } = envDir('errnosock');
    const result = devenv(TEST_USER, dir, ['start', '--detach'], {
      env: { DOCKER_HOST: 'unix:///tmp/nope.sock' },
    });
    expectOneLineError(
      result,
      ExitCode.engine,
      /cannot reach the Docker engine at unix:\/\/\/tmp\/nope\.sock \(from DOCKER_HOST\) — start Docker/,
    );
    expectNothingCreated(dir, before);
  });

  it('N04 a user outside the docker group gets the docker-group hint', () => {
    const { dir, before } = envDir('errperm', NODOCKER_USER);
    expectOneLineError(
      devenv(NODOCKER_USER, dir, ['status']),
      ExitCode.engine,
      /permission denied on the Docker socket unix:\/\/\/var\/run\/docker\.sock — add yourself to the docker group/,
    );
    expectOneLineError(
      devenv(NODOCKER_USER, dir, ['start', '--detach']),
      ExitCode.engine,
      /permission denied on the Docker socket .*docker group/,
    );
    expectNothingCreated(dir, before);
  });

  it('N05 an engine older than API 1.40 is refused with its version, after one request', async () => {
    oldEngine = await startOldEngine(oldSocket, oldLog);
    const { dir, before } = envDir('errold');
    const result = devenv(TEST_USER, dir, ['start', '--detach'], {
      env: { DOCKER_HOST: `unix://${oldSocket}` },
    });
    expectOneLineError(
      result,
      ExitCode.engine,
      /Docker engine at unix:\/\/\S+ \(from DOCKER_HOST\) is too old \(Docker 17\.06\.2-ce, API 1\.30\); devenv needs API 1\.40/,
    );
    // One /version request is the whole cost of the check, and nothing was asked to be made.
    const requests = readFileSync(oldLog, 'utf8').trim().split('\n');
    expect(requests.filter((r) => r === 'GET /version')).toHaveLength(1);
    expect(requests.filter((r) => !r.startsWith('GET '))).toEqual([]);
    expectNothingCreated(dir, before);
  });
});
