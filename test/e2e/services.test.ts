import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  devenv,
  docker,
  makeEnvDir,
  quickRc,
  removeEnvObjects,
  spawnDevenv,
  TEST_USER,
  writeRc,
} from './harness.js';
import {
  createNetwork,
  ensureServiceImages,
  freePort,
  inspect,
  removeNetwork,
  SERVICE,
  SERVICE_HC,
} from './services-kit.js';

/**
 * Services in the env (issue 13): `entrypoint: "base"` runs the base image's service; `start`
 * returns once its healthcheck passes (exit 0 = ready), `--no-wait` at once; the base's own
 * HEALTHCHECK counts unless "none"; "ports" publishes it on the host's loopback. Each describe
 * keeps one env (one image build): healthcheck and env values are container settings, so the
 * tests change them freely without a rebuild, and start each from no container.
 */
const NETWORK = `svc-net-${process.pid}`;
const quickCheck = { command: 'svc-probe', interval: '1s', timeout: '2s', retries: 3 };

beforeAll(() => {
  ensureServiceImages();
  createNetwork(NETWORK);
});
afterAll(() => removeNetwork(NETWORK));

describe('services and readiness: a service in the base image, waited for', () => {
  const name = 'svcready';
  const container = `devenv-${name}-devtest`;
  let dir: string;
  let port: number;
  const rc = (extra: Record<string, unknown>) =>
    writeRc(
      dir,
      TEST_USER,
      quickRc(name, { baseImage: SERVICE, entrypoint: 'base', network: NETWORK, ...extra }),
    );
  const run = (args: string[]) => devenv(TEST_USER, dir, args);
  const status = () => JSON.parse(run(['status', '--json']).stdout);

  beforeAll(async () => {
    port = await freePort();
    dir = makeEnvDir(name, TEST_USER);
  });
  afterAll(() => removeEnvObjects(dir));

  it('healthy after a delay: start returns only once the service answers, on its published port', async () => {
    rc({
      env: { SVC_DELAY: '4' },
      healthcheck: { ...quickCheck, startPeriod: '20s' },
      ports: [`127.0.0.1:${port}:8000`],
    });
    const began = Date.now();
    const started = run(['start', '--detach']);
    const tookMs = Date.now() - began;
    expect(started.code, started.stderr).toBe(0);
    expect(tookMs).toBeGreaterThan(4000);
    expect(started.stderr).toMatch(
      new RegExp(
        `^devenv: waiting for ${container} to pass its healthcheck \\(up to 1m; --no-wait skips this\\)$`,
        'm',
      ),
    );
    expect(started.stderr).toMatch(
      new RegExp(`^devenv: done: ${container} is healthy \\(after \\d+s\\)$`, 'm'),
    );
    // Ready means ready: the service answers through the published port at once.
    const answer = await fetch(`http://127.0.0.1:${port}/`);
    expect(answer.status).toBe(200);

    const text = run(['status']);
    expect(text.stdout).toMatch(/^health: +healthy$/m);
    expect(text.stdout).toMatch(new RegExp(`^ports: +127\\.0\\.0\\.1:${port} -> 8000/tcp$`, 'm'));
    const json = status();
    expect(json.health).toBe('healthy');
    expect(json.lastProbe).toEqual({ exitCode: 0, output: 'service answers on 8000\n' });
    expect(json.ports).toEqual([
      { hostIp: '127.0.0.1', hostPort: port, containerPort: 8000, protocol: 'tcp' },
    ]);

    // Already healthy: the next start neither waits nor says anything about it.
    const again = run(['start', '--detach']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/healthcheck|healthy/);
  });

  it('--no-wait returns at once; status says starting', () => {
    expect(run(['stop']).code).toBe(0);
    rc({ env: { SVC_DELAY: '60' }, healthcheck: { ...quickCheck, startPeriod: '2m' } });
    const began = Date.now();
    const started = run(['start', '--detach', '--no-wait']);
    expect(started.code, started.stderr).toBe(0);
    expect(Date.now() - began).toBeLessThan(15_000);
    expect(started.stderr).not.toMatch(/healthcheck|healthy/);
    expect(status().health).toBe('starting');
    expect(run(['status']).stdout).toMatch(/^health: +starting$/m);
  });

  it('Ctrl-C while waiting: exit 130, the container keeps running', async () => {
    expect(run(['stop']).code).toBe(0);
    rc({ env: { SVC_DELAY: '600' }, healthcheck: { ...quickCheck, startPeriod: '5m' } });
    const running = spawnDevenv(TEST_USER, dir, ['start', '--detach']);
    await running.waitForStderr(/waiting for .* to pass its healthcheck/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    process.kill(running.pid(), 'SIGINT');
    const { code } = await running.done;
    expect(code, running.stderr()).toBe(130);
    expect(running.stderr()).toMatch(/^devenv: interrupted by SIGINT$/m);
    expect(running.stderr()).not.toMatch(/\n\s+at /);
    expect(inspect(container)?.State.Running).toBe(true);
    expect(status().health).toBe('starting');
  });

  it('a healthcheck change recreates the container at the next start, and never rebuilds the image', () => {
    expect(run(['stop']).code).toBe(0);
    rc({ healthcheck: quickCheck });
    expect(run(['start', '--detach']).code).toBe(0);
    const before = inspect(container);
    expect(before?.Config.Healthcheck?.Test).toEqual(['CMD-SHELL', 'svc-probe']);

    rc({ healthcheck: { ...quickCheck, command: 'svc-probe && echo checked', interval: '2s' } });
    // Running: left as it is, with a word that its settings are out of date.
    const running = run(['start', '--detach']);
    expect(running.code, running.stderr).toBe(0);
    expect(running.stderr).toMatch(/made from older settings/);
    expect(inspect(container)?.Id).toBe(before?.Id);

    // Stopped (as after a reboot): the next start recreates it from the same image.
    docker(['stop', '-t', '1', container]);
    const next = run(['start', '--detach']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toMatch(/building image/);
    const after = inspect(container);
    expect(after?.Id).not.toBe(before?.Id);
    expect(after?.Image).toBe(before?.Image);
    expect(after?.Config.Healthcheck).toMatchObject({
      Test: ['CMD-SHELL', 'svc-probe && echo checked'],
      Interval: 2_000_000_000,
    });
    expect(after?.State.Health?.Status).toBe('healthy');
  });
});

describe("services and readiness: the base image's own HEALTHCHECK", () => {
  const name = 'svcownhc';
  const container = `devenv-${name}-devtest`;
  let dir: string;
  const rc = (extra: Record<string, unknown>) =>
    writeRc(dir, TEST_USER, quickRc(name, { baseImage: SERVICE_HC, network: NETWORK, ...extra }));
  const run = (args: string[]) => devenv(TEST_USER, dir, args);

  beforeAll(() => {
    dir = makeEnvDir(name, TEST_USER);
  });
  afterAll(() => removeEnvObjects(dir));

  it('is waited for when .devenvrc sets no healthcheck (entrypoint "base")', () => {
    rc({ entrypoint: 'base', env: { SVC_DELAY: '3' } });
    const began = Date.now();
    const started = run(['start', '--detach']);
    expect(started.code, started.stderr).toBe(0);
    expect(Date.now() - began).toBeGreaterThan(3000);
    expect(started.stderr).toMatch(new RegExp(`done: ${container} is healthy`));
    expect(inspect(container)?.Config.Healthcheck?.Test).toEqual(['CMD-SHELL', 'svc-probe']);
    expect(inspect(container)?.State.Health?.Status).toBe('healthy');
    expect(run(['status']).stdout).toMatch(/^health: +healthy$/m);
  });

  it('"none" turns it off: no wait, and status shows no health', () => {
    expect(run(['stop']).code).toBe(0);
    rc({ entrypoint: 'base', env: { SVC_DELAY: '60' }, healthcheck: 'none' });
    const started = run(['start', '--detach']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).not.toMatch(/healthcheck|healthy/);
    expect(inspect(container)?.Config.Healthcheck?.Test).toEqual(['NONE']);
    expect(inspect(container)?.State.Health).toBeUndefined();
    const status = run(['status']);
    expect(status.stdout).not.toMatch(/^health:/m);
    const json = JSON.parse(run(['status', '--json']).stdout);
    expect(json.health).toBeNull();
    expect(json.lastProbe).toBeNull();
  });

  it("under devenv's own entrypoint it is off too: the base's service never starts there", () => {
    expect(run(['stop']).code).toBe(0);
    rc({});
    const started = run(['start', '--detach']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).not.toMatch(/healthcheck|healthy/);
    expect(inspect(container)?.Config.Healthcheck?.Test).toEqual(['NONE']);
    expect(JSON.parse(run(['status', '--json']).stdout).health).toBeNull();
  });
});
