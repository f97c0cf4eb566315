import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { upEnv } from '../../../src/app/up.js';
import { DevenvError, ExitCode } from '../../../src/core/errors.js';
import { envIdentity, LABELS, ownerLabels } from '../../../src/core/identity.js';
import type { FakeEngine } from '../../fakes/engine.js';
import { ENV_ROOT, envContext } from '../../fakes/env-context.js';
import { FakeAllocator } from '../../fakes/gpu-allocator.js';
import { FakeHost } from '../../fakes/host.js';
import { type FakeIo, fakeIo } from '../../fakes/io.js';
import { machineGpus, nvidiaSmi } from '../../fakes/nvidia-smi.js';
import { type FakeSite, fakeSite } from '../../fakes/site.js';
import { RecordingUi } from '../../fakes/ui.js';

const CONTAINER = 'devenv-proj-me';
const IMAGE = 'devenv-proj-me:latest';
const GPUS = machineGpus();
const uuid = (index: number) => GPUS[index]?.uuid as string;
const bob = { name: 'bob', uid: 1001, gid: 1001 };

let io: FakeIo;
let ui: RecordingUi;

beforeEach(() => {
  io = fakeIo();
  ui = new RecordingUi();
});
afterEach(() => {
  // A start a failed test left waiting stops as at Ctrl-C.
  io.controller.abort();
  vi.useRealTimers();
  io.cleanup();
});

/** This machine with no GPU (nvidia-smi is not installed). */
function cpuSite(): FakeSite {
  return fakeSite({ io, ui });
}

/** A server with the eight H100s of the fixtures and an engine with the NVIDIA hook. */
function gpuSite(options: { gpus?: FakeAllocator } = {}): FakeSite {
  const host = new FakeHost().script('nvidia-smi', nvidiaSmi());
  host.commands.add('nvidia-container-runtime-hook');
  return fakeSite({ io, ui, host, ...(options.gpus ? { gpus: options.gpus } : {}) });
}

/** Another user's running env on the same engine, leasing `indexes`. */
function bobHolds(engine: FakeEngine, indexes: number[]): string {
  const identity = envIdentity('train', bob, '/home/bob/train');
  return engine.addContainer({
    name: identity.containerName,
    running: true,
    labels: { ...ownerLabels(identity), [LABELS.gpuLease]: indexes.map(uuid).join(',') },
  });
}

function ours(site: FakeSite) {
  return site.fakeEngine.container(CONTAINER);
}

/** Runs `work` under fake timers, advancing them until it settles; resolves to its error or null. */
async function settleWithFakeTime(work: Promise<unknown>, stepMs = 500, limitMs = 120_000): Promise<unknown> {
  let settled = false;
  const outcome = work.then(
    () => null,
    (error: unknown) => error,
  );
  void outcome.then(() => {
    settled = true;
  });
  for (let waited = 0; !settled && waited < limitMs; waited += stepMs)
    await vi.advanceTimersByTimeAsync(stepMs);
  expect(settled, 'the start settled within the time limit').toBe(true);
  return outcome;
}

async function failure(work: Promise<unknown>): Promise<DevenvError> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DevenvError);
  return error as DevenvError;
}

describe('upEnv on a fresh env', () => {
  it('builds the image, makes the folders on the host, creates and starts the container', async () => {
    const site = cpuSite();
    const ctx = envContext({ io, ui, site, config: { gpus: 'none' } });

    const result = await upEnv(ctx, {});

    expect(result.workdir).toBe('/home/me/projects');
    const engine = site.fakeEngine;
    // The shared layers first, then the user's layer on them.
    const sharedRef = engine.builds[0]?.plan.imageRef ?? '';
    expect(sharedRef).toMatch(/^devenv-shared:[0-9a-f]+$/);
    expect(engine.builds.map((b) => b.plan.imageRef)).toEqual([sharedRef, IMAGE]);
    expect(engine.pulls).toEqual(['ubuntu:24.04']);
    expect(engine.image(IMAGE)?.labels[LABELS.buildHash]).toBe(engine.builds[1]?.plan.hash);
    expect(engine.image(IMAGE)?.parent).toBe(engine.image(sharedRef)?.id);
    const container = ours(site);
    expect(container?.running).toBe(true);
    expect(container?.labels[LABELS.configHash]).toBe(ctx.env.configHash);
    expect(container?.labels[LABELS.gpus]).toBe('none');
    expect(container?.body?.HostConfig.Mounts.map((m) => m.Source)).toEqual([
      `${ENV_ROOT}/projects`,
      `${ENV_ROOT}/temp/.vscode-server`,
    ]);
    expect(site.host.kind(`${ENV_ROOT}/projects`)).toBe('dir');
    expect(site.host.kind(`${ENV_ROOT}/temp/.vscode-server`)).toBe('dir');
    expect(site.host.clones).toEqual([]);
    const attach = site.host.text(
      `/home/me/.vscode-server/data/User/globalStorage/ms-vscode-remote.remote-containers/nameConfigs/${CONTAINER}.json`,
    );
    expect(JSON.parse(attach ?? '{}')).toMatchObject({
      remoteUser: 'me',
      workspaceFolder: '/home/me/projects',
    });
    expect(ui.said('succeed')).toEqual([
      'pulled base image ubuntu:24.04',
      `built shared layers ${sharedRef}`,
      `built image ${IMAGE}`,
      `container ${CONTAINER} is running`,
    ]);
  });

  it('clones the configured repo on the host and installs its requirements', async () => {
    const site = cpuSite();
    site.host.repoFiles.set('requirements.txt', 'numpy==2.1\n');
    const ctx = envContext({
      io,
      ui,
      site,
      config: { gpus: 'none', repo: 'https://github.com/example/podcast.git', branch: 'main' },
    });

    const result = await upEnv(ctx, {});

    expect(result.workdir).toBe('/home/me/projects/podcast');
    expect(site.host.clones.map(({ repo, branch, dest, root }) => ({ repo, branch, dest, root }))).toEqual([
      {
        repo: 'https://github.com/example/podcast.git',
        branch: 'main',
        dest: `${ENV_ROOT}/projects/podcast`,
        root: ENV_ROOT,
      },
    ]);
    expect(site.host.kind(`${ENV_ROOT}/projects/podcast/.git`)).toBe('dir');
    // The requirements are in the shared layers' build.
    const shared = site.fakeEngine.builds.find((b) => b.plan.imageRef.startsWith('devenv-shared:'));
    const files = shared?.plan.files ?? [];
    const requirements = files.find((f) => f.path === 'python/requirements.txt');
    expect(requirements?.content.toString()).toBe('numpy==2.1\n');
    expect(ui.said('succeed')).toContain(
      `cloned https://github.com/example/podcast.git into ${ENV_ROOT}/projects/podcast`,
    );
  });

  it('a failed clone stops the start before anything is built, and takes back the folder it made', async () => {
    const site = cpuSite();
    site.host.cloneFailure = new DevenvError(
      'cloning https://github.com/example/private.git failed: Authentication failed',
      {
        code: 'git',
      },
    );
    const ctx = envContext({
      io,
      ui,
      site,
      config: { gpus: 'none', repo: 'https://github.com/example/private.git' },
    });

    const error = await failure(upEnv(ctx, {}));

    expect(error.exitCode).toBe(9);
    expect(site.host.kind(`${ENV_ROOT}/projects`)).toBeNull();
    expect(site.fakeEngine.builds).toEqual([]);
    expect(site.fakeEngine.containers.size).toBe(0);
  });

  it('on a remote host, makes the folders under ~/devenv/<name> there', async () => {
    const host = new FakeHost({ remote: true, name: 'me@gpu1' });
    const site = fakeSite({ io, ui, host });
    const ctx = envContext({ io, ui, site, config: { gpus: 'none' } });

    await upEnv(ctx, {});

    expect(host.kind('/home/me/devenv/proj/projects')).toBe('dir');
    expect(ours(site)?.labels[LABELS.root]).toBe('/home/me/devenv/proj');
    expect(host.kind(`${ENV_ROOT}/projects`)).toBeNull();
  });
});

describe('upEnv on an env that exists', () => {
  it('running with the current config: one inspect, nothing built or changed', async () => {
    const site = cpuSite();
    await upEnv(envContext({ io, ui, site, config: { gpus: 'none' } }), {});
    const engine = site.fakeEngine;
    const before = engine.calls.length;

    await upEnv(envContext({ io, ui, site, config: { gpus: 'none' } }), {});

    expect(engine.calls.slice(before).map((c) => c.method)).toEqual(['inspectContainer']);
    expect(engine.builds).toHaveLength(2);
    expect(ui.said('detail')).toContain(`container ${CONTAINER} is already running`);
  });

  it('running with a changed config: keeps the running container and says how to apply the change', async () => {
    const site = cpuSite();
    await upEnv(envContext({ io, ui, site, config: { gpus: 'none' } }), {});
    const firstId = ours(site)?.id;

    await upEnv(envContext({ io, ui, site, config: { gpus: 'none', env: { HF_HOME: '/data/hf' } } }), {});

    expect(ours(site)?.id).toBe(firstId);
    expect(ours(site)?.running).toBe(true);
    expect(ui.warnings).toContain(
      'the running env was made from older settings or an older image; run `devenv stop` then `devenv start` to apply them',
    );
    expect(site.fakeEngine.builds).toHaveLength(2);
  });

  it('stopped with a changed config: recreates the container from the same image', async () => {
    const site = cpuSite();
    await upEnv(envContext({ io, ui, site, config: { gpus: 'none' } }), {});
    const first = ours(site);
    await site.fakeEngine.stopContainer(first?.id ?? '');
    const changed = envContext({ io, ui, site, config: { gpus: 'none', env: { HF_HOME: '/data/hf' } } });

    await upEnv(changed, {});

    const second = ours(site);
    expect(second?.id).not.toBe(first?.id);
    expect(site.fakeEngine.container(first?.id ?? '')).toBeUndefined();
    expect(second?.running).toBe(true);
    expect(second?.labels[LABELS.configHash]).toBe(changed.env.configHash);
    expect(second?.body?.Env).toContain('HF_HOME=/data/hf');
    expect(site.fakeEngine.builds).toHaveLength(2);
  });

  it("with a changed recipe: says the image is stale and does not rebuild it behind the user's back", async () => {
    const site = cpuSite();
    await upEnv(envContext({ io, ui, site, config: { gpus: 'none' } }), {});

    await upEnv(envContext({ io, ui, site, config: { gpus: 'none', aptPackages: ['git', 'ffmpeg'] } }), {});

    expect(site.fakeEngine.builds).toHaveLength(2);
    expect(ui.warnings).toContain(
      `image ${IMAGE} is stale: the recipe, build args or requirements changed since it was built; run \`devenv rebuild\``,
    );
  });

  it('rebuild: a new image, a new container, and the replaced image removed', async () => {
    const site = cpuSite();
    await upEnv(envContext({ io, ui, site, config: { gpus: 'none' } }), {});
    const oldImage = site.fakeEngine.image(IMAGE)?.id ?? '';
    const oldContainer = ours(site)?.id;

    await upEnv(envContext({ io, ui, site, config: { gpus: 'none', aptPackages: ['git', 'ffmpeg'] } }), {
      rebuild: true,
    });

    const engine = site.fakeEngine;
    // New apt packages are new shared layers, and a new user layer on them.
    const refs = engine.builds.map((b) => b.plan.imageRef);
    expect(refs).toEqual([refs[0], IMAGE, refs[2], IMAGE]);
    expect(refs[2]).not.toBe(refs[0]);
    expect(ours(site)?.id).not.toBe(oldContainer);
    expect(ours(site)?.imageId).toBe(engine.image(IMAGE)?.id);
    expect(engine.image(oldImage)).toBeUndefined();
  });
});

describe('upEnv and the GPU lease', () => {
  it('leases free GPUs, labels the container with them and remembers them', async () => {
    const site = gpuSite();
    bobHolds(site.fakeEngine, [0]);
    const ctx = envContext({ io, ui, site, config: { gpus: 2 } });

    await upEnv(ctx, {});

    expect(ours(site)?.labels[LABELS.gpuLease]).toBe(`${uuid(1)},${uuid(2)}`);
    expect(ours(site)?.body?.HostConfig.DeviceRequests?.[0]?.DeviceIDs).toEqual([uuid(1), uuid(2)]);
    expect(site.leases.read(CONTAINER)).toEqual([uuid(1), uuid(2)]);
    expect(ui.infos).toContain(`leased GPUs 1,2 (${uuid(1)}, ${uuid(2)})`);
  });

  it('a lost race (the real ledger): the half-made container goes, and the start takes other GPUs', async () => {
    const site = gpuSite();
    const engine = site.fakeEngine;
    // Between our allocation and our create, bob's start takes GPU 0 and runs.
    let bobId = '';
    engine.when('createContainer', 1, () => {
      bobId = bobHolds(engine, [0]);
    });

    await upEnv(envContext({ io, ui, site, config: { gpus: 1 } }), {});

    expect(engine.count('createContainer')).toBe(2);
    const firstId = engine.calls.find((c) => c.method === 'removeContainer')?.args[0] as string;
    expect(engine.container(firstId)).toBeUndefined();
    expect(ours(site)?.running).toBe(true);
    expect(ours(site)?.labels[LABELS.gpuLease]).toBe(uuid(1));
    expect(engine.container(bobId)?.running).toBe(true);
    expect(site.leases.read(CONTAINER)).toEqual([uuid(1)]);
    expect(ui.said('detail')).toContain(
      `GPUs ${uuid(0)} were leased by another env at the same moment; picking again`,
    );
    expect(ui.infos).toEqual([`leased GPU 0 (${uuid(0)})`, `leased GPU 1 (${uuid(1)})`]);
  });

  it('a lost race (scripted): allocates again without the GPUs just taken', async () => {
    const allocator = new FakeAllocator(GPUS).loseRaces(1);
    const site = gpuSite({ gpus: allocator });

    await upEnv(envContext({ io, ui, site, config: { gpus: 2 } }), {});

    expect(allocator.allocations.map((a) => a.exclude)).toEqual([[], [uuid(0), uuid(1)]]);
    expect(allocator.confirms).toHaveLength(2);
    expect(site.fakeEngine.containers.size).toBe(1);
    expect(ours(site)?.labels[LABELS.gpuLease]).toBe(`${uuid(2)},${uuid(3)}`);
    expect(allocator.remembered.get(CONTAINER)).toEqual([uuid(2), uuid(3)]);
  });

  it('gives up after five lost races with exit 8, leaving no container and no lease behind', async () => {
    const allocator = new FakeAllocator(GPUS).loseRaces(Number.POSITIVE_INFINITY);
    const site = gpuSite({ gpus: allocator });

    const error = await upEnv(envContext({ io, ui, site, config: { gpus: 1 } }), {}).then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(ExitCode.gpu);
    expect((error as DevenvError).message).toMatch(/^gave up after 5 tries to get GPUs/);
    expect(allocator.allocations).toHaveLength(5);
    expect(site.fakeEngine.count('createContainer')).toBe(5);
    expect(site.fakeEngine.containers.size).toBe(0);
    expect(allocator.remembered.size).toBe(0);
  });

  it('no room: exit 8 naming the holder, and nothing built, created or made on the host', async () => {
    const site = gpuSite();
    bobHolds(site.fakeEngine, [0, 1, 2, 3, 4, 5, 6]);

    const error = await failure(upEnv(envContext({ io, ui, site, config: { gpus: 2 } }), {}));

    expect(error.exitCode).toBe(8);
    expect(error.message).toMatch(
      /^gpus: 2 GPUs requested, but only 1 of the 8 GPUs is free: GPUs 0,1,2,3,4,5,6 held by bob \(env train/,
    );
    expect(error.hint).toContain('devenv start --wait');
    expect(site.fakeEngine.builds).toEqual([]);
    expect(ours(site)).toBeUndefined();
    expect(site.host.kind(`${ENV_ROOT}/projects`)).toBeNull();
    expect(site.leases.saved.size).toBe(0);
  });

  it('--wait: polls until the GPUs are free, then starts with them', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-07T09:00:00Z') });
    const site = gpuSite();
    const bobId = bobHolds(site.fakeEngine, [0, 1, 2, 3, 4, 5, 6, 7]);
    // Bob stops his env 5 s after our start began to wait.
    setTimeout(() => void site.fakeEngine.removeContainer(bobId), 5_000);
    const started = Date.now();

    const error = await settleWithFakeTime(
      upEnv(envContext({ io, ui, site, config: { gpus: 2 } }), { waitMs: 60_000 }),
    );

    expect(error).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(5_000);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(ours(site)?.labels[LABELS.gpuLease]).toBe(`${uuid(0)},${uuid(1)}`);
    expect(ui.said('progress')[0]).toMatch(
      /^waiting for GPUs: gpus: 2 GPUs requested, but none of the 8 GPUs is free: GPUs 0,1,2,3,4,5,6,7 held by bob/,
    );
    expect(ui.said('succeed')[0]).toBe(`the GPUs are free: leased GPUs 0,1 (${uuid(0)}, ${uuid(1)})`);
  });

  it('--wait: past the deadline, exit 8 and nothing made', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-07T09:00:00Z') });
    const site = gpuSite();
    bobHolds(site.fakeEngine, [0, 1, 2, 3, 4, 5, 6, 7]);
    const started = Date.now();

    const error = await settleWithFakeTime(
      upEnv(envContext({ io, ui, site, config: { gpus: 2 } }), { waitMs: 6_000 }),
      500,
      20_000,
    );

    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(8);
    expect(Date.now() - started).toBeGreaterThanOrEqual(6_000);
    expect(Date.now() - started).toBeLessThan(8_000);
    const polls = site.host.runs.filter((argv) => argv.some((a) => a.startsWith('--query-compute-apps=')));
    expect(polls).toHaveLength(4); // at 0, 2, 4 and 6 s
    expect(ui.failedSteps).toEqual([ui.said('progress')[0]]);
    expect(site.fakeEngine.builds).toEqual([]);
    expect(ours(site)).toBeUndefined();
  });

  it('--wait does not wait for what cannot come: more GPUs than the host has is exit 8 at once', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-07T09:00:00Z') });
    const site = gpuSite();
    const started = Date.now();

    const error = await settleWithFakeTime(
      upEnv(envContext({ io, ui, site, config: { gpus: 9 } }), { waitMs: 60_000 }),
    );

    expect((error as DevenvError).exitCode).toBe(8);
    expect((error as DevenvError).message).toContain('this host has only 8 GPUs');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('upEnv when the engine fails half way', () => {
  it('start fails: the created container is removed, the error surfaces, no lease is remembered', async () => {
    const site = gpuSite();
    site.fakeEngine.failOn('startContainer', 1);

    const error = await failure(upEnv(envContext({ io, ui, site, config: { gpus: 1 } }), {}));

    expect(error.exitCode).toBe(4);
    expect(error.message).toContain('startContainer');
    expect(ours(site)).toBeUndefined();
    expect(site.leases.saved.size).toBe(0);
    expect(ui.failedSteps).toEqual([`creating container ${CONTAINER}`]);
    // What was made before the failure stays for the next start: the image and the folders.
    expect(site.fakeEngine.image(IMAGE)).toBeDefined();
    expect(site.host.kind(`${ENV_ROOT}/projects`)).toBe('dir');

    await upEnv(envContext({ io, ui, site, config: { gpus: 1 } }), {});
    expect(site.fakeEngine.builds).toHaveLength(2);
    expect(ours(site)?.running).toBe(true);
    expect(site.leases.read(CONTAINER)).toEqual([uuid(0)]);
  });

  it('create fails: no container, the error surfaces, no lease is remembered', async () => {
    const site = gpuSite();
    site.fakeEngine.failOn('createContainer', 1);

    const error = await failure(upEnv(envContext({ io, ui, site, config: { gpus: 1 } }), {}));

    expect(error.exitCode).toBe(4);
    expect(site.fakeEngine.containers.size).toBe(0);
    expect(site.leases.saved.size).toBe(0);
  });

  it('a build step fails: exit 5 saying why, the build log kept, no container', async () => {
    const site = cpuSite();
    site.fakeEngine.buildOutput = ['Reading package lists...', 'E: Unable to locate package ffmpegg'];
    site.fakeEngine.buildFailure =
      "The command '/bin/sh -c /opt/devenv/setup.sh' returned a non-zero code: 100";
    const ctx = envContext({ io, ui, site, config: { gpus: 'none', aptPackages: ['git', 'ffmpegg'] } });

    const error = await failure(upEnv(ctx, {}));

    expect(error.exitCode).toBe(5);
    expect(error.message).toBe(
      "image build failed: apt has no package ffmpegg in the base image's package sources",
    );
    const log = path.join(io.env.XDG_STATE_HOME ?? '', 'devenv', 'logs', `${CONTAINER}-build.log`);
    expect(error.hint).toContain(log);
    expect(readFileSync(log, 'utf8')).toContain('E: Unable to locate package ffmpegg');
    expect(site.fakeEngine.image(IMAGE)).toBeUndefined();
    expect(site.fakeEngine.containers.size).toBe(0);
  });

  it('a host port another container publishes: exit 7 naming it, before anything is made', async () => {
    const site = cpuSite();
    site.fakeEngine.addContainer({
      name: 'jupyter',
      running: true,
      ports: [{ hostIp: null, hostPort: 8888, containerPort: 8888, protocol: 'tcp' }],
    });
    const ctx = envContext({
      io,
      ui,
      site,
      config: { gpus: 'none', network: 'bridge', ports: ['8888:8888'] },
    });

    const error = await failure(upEnv(ctx, {}));

    expect(error.exitCode).toBe(7);
    expect(error.message).toContain('jupyter');
    expect(site.fakeEngine.builds).toEqual([]);
    expect(ours(site)).toBeUndefined();
  });
});
