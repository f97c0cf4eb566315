import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envOn } from '../../../src/app/env.js';
import { LostRace } from '../../../src/app/gpu-allocator.js';
import { leaseAllocator } from '../../../src/app/lease-allocator.js';
import { DevenvError } from '../../../src/core/errors.js';
import { leaseRequestOf } from '../../../src/core/gpu/lease.js';
import { envIdentity, LABELS, ownerLabels } from '../../../src/core/identity.js';
import { detectHostGpus } from '../../../src/host/gpu.js';
import { FakeEngine } from '../../fakes/engine.js';
import { checkedConfig } from '../../fakes/env-context.js';
import { FakeHost } from '../../fakes/host.js';
import { type FakeIo, fakeIo } from '../../fakes/io.js';
import { FakeLeaseStore } from '../../fakes/lease-store.js';
import { type GpuActivity, machineGpus, nvidiaSmi } from '../../fakes/nvidia-smi.js';
import { RecordingUi } from '../../fakes/ui.js';

const NOW = Date.parse('2026-12-07T09:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const GPUS = machineGpus();
const uuid = (index: number) => GPUS[index]?.uuid as string;

let io: FakeIo;
let ui: RecordingUi;
let host: FakeHost;
let engine: FakeEngine;
let store: FakeLeaseStore;
let activity: GpuActivity;

beforeEach(() => {
  io = fakeIo();
  ui = new RecordingUi();
  activity = {};
  host = new FakeHost().script(
    'nvidia-smi',
    nvidiaSmi(undefined, () => activity),
  );
  engine = new FakeEngine();
  store = new FakeLeaseStore();
});
afterEach(() => io.cleanup());

function allocator() {
  return leaseAllocator(
    { host, engine: async () => engine, hostGpus: () => detectHostGpus({ env: io.env, host }) },
    store,
    { ui, signal: io.signal },
    { now: () => NOW },
  );
}

const env = (gpus: unknown = 2) => envOn(host, checkedConfig({ gpus }));

/** Another user's env container, leasing `indexes` by its label. */
function leased(
  user: string,
  indexes: number[],
  state: { running?: boolean; status?: string; created?: string },
) {
  const identity = envIdentity(user, { name: user, uid: 2000, gid: 2000 }, `/home/${user}/${user}`);
  return engine.addContainer({
    name: identity.containerName,
    labels: { ...ownerLabels(identity), [LABELS.gpuLease]: indexes.map(uuid).join(',') },
    running: state.running ?? false,
    ...(state.status ? { status: state.status } : {}),
    created: state.created ?? ago(3_600_000),
  });
}

/**
 * A busy server: bob's env runs on GPUs 0,1 (with a process of his on 0); carol's start is in
 * progress on 2; dave's start died half way five minutes ago on 3; erin's env is stopped on 4; a
 * job outside devenv runs on 5; GPU 6 has memory in use with no process listed; 7 is idle.
 */
function busyServer() {
  const bob = leased('bob', [0, 1], { running: true });
  leased('carol', [2], { status: 'created', created: ago(10_000) });
  leased('dave', [3], { status: 'created', created: ago(300_000) });
  leased('erin', [4], { status: 'exited' });
  activity = {
    usage: [
      { uuid: uuid(0), memoryUsedMiB: 20_000, utilizationPct: 90 },
      { uuid: uuid(5), memoryUsedMiB: 30_000, utilizationPct: 100 },
      { uuid: uuid(6), memoryUsedMiB: 2_048, utilizationPct: 0 },
    ],
    processes: [
      { pid: 777, gpuUuid: uuid(0), usedMemoryMiB: 20_000 },
      { pid: 4242, gpuUuid: uuid(5), usedMemoryMiB: 30_000 },
    ],
  };
  host.putFile('/proc/777/cgroup', `0::/system.slice/docker-${bob}.scope\n`);
  host.putFile('/proc/4242/cgroup', '0::/user.slice/user-1001.slice/session-4.scope\n');
  return { bob };
}

describe('leaseAllocator.ledger', () => {
  it("reads leases from the containers' labels and nvidia-smi's processes from the host", async () => {
    busyServer();

    const { slots, processes } = await allocator().ledger(null);

    expect(
      slots.map((s) => [s.gpu.index, s.heldBy?.user ?? null, s.heldBy?.pending ?? null, s.busy]),
    ).toEqual([
      [0, 'bob', false, null],
      [1, 'bob', false, null],
      [2, 'carol', true, null],
      [3, null, null, null],
      [4, null, null, null],
      [5, null, null, '1 process, 29 GiB in use'],
      [6, null, null, '2 GiB in use by no listed process'],
      [7, null, null, null],
    ]);
    expect(processes.map((p) => [p.pid, p.container])).toEqual([
      [777, 'devenv-bob-bob'],
      [4242, null],
    ]);
  });

  it('a GPU the env itself holds counts as its own', async () => {
    busyServer();

    const { slots } = await allocator().ledger('devenv-bob-bob');

    expect(slots[0]?.heldBy).toBeNull();
    expect(slots[0]?.busy).toBeNull();
  });
});

describe('leaseAllocator.room and allocate', () => {
  it('room: the free GPUs and what the request would get', async () => {
    busyServer();

    const room = await allocator().room(env(), leaseRequestOf(2));

    expect(room.slots).toHaveLength(8);
    expect(room.choice).toMatchObject({ ok: true, indexes: [3, 4] });
    const tooMany = await allocator().room(env(), leaseRequestOf(4));
    expect(tooMany.choice).toMatchObject({ ok: false, free: 3, canWait: true });
  });

  it('allocate: the free GPUs, leaving out excluded ones; none free enough is exit 8', async () => {
    busyServer();
    const gpus = allocator();

    expect((await gpus.allocate(env(), leaseRequestOf(2), { waitMs: null, exclude: [] })).indexes).toEqual([
      3, 4,
    ]);
    expect(
      (await gpus.allocate(env(), leaseRequestOf(2), { waitMs: null, exclude: [uuid(3)] })).indexes,
    ).toEqual([4, 7]);
    const error = await gpus
      .allocate(env(), leaseRequestOf(4), { waitMs: null, exclude: [] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(8);
    expect((error as DevenvError).message).toContain(
      'GPUs 0,1 held by bob (env bob, container devenv-bob-bob)',
    );
    expect((error as DevenvError).message).toContain('GPU 5 busy outside devenv (1 process, 29 GiB in use)');
  });

  it('remember: the next allocation prefers the GPUs the env had, while they are free', async () => {
    busyServer();
    const gpus = allocator();
    const mine = env(1);

    gpus.remember(mine, [uuid(7)]);

    expect(store.read('devenv-proj-me')).toEqual([uuid(7)]);
    expect((await gpus.allocate(mine, leaseRequestOf(1), { waitMs: null, exclude: [] })).indexes).toEqual([
      7,
    ]);
  });
});

describe('leaseAllocator.confirm', () => {
  it('stands when no other lease overlaps', async () => {
    busyServer();
    const mine = env(1);
    const id = engine.addContainer({
      name: mine.identity.containerName,
      status: 'created',
      created: ago(100),
      labels: { ...ownerLabels(mine.identity), [LABELS.gpuLease]: uuid(3) },
    });

    await expect(allocator().confirm(mine, id, [uuid(3)])).resolves.toBeUndefined();
  });

  it('is a lost race when a running env holds one of the GPUs', async () => {
    busyServer();
    const mine = env(2);
    const id = engine.addContainer({
      name: mine.identity.containerName,
      status: 'created',
      created: ago(100),
      labels: { ...ownerLabels(mine.identity), [LABELS.gpuLease]: `${uuid(1)},${uuid(3)}` },
    });

    const error = await allocator()
      .confirm(mine, id, [uuid(1), uuid(3)])
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LostRace);
    expect((error as LostRace).taken).toEqual([uuid(1)]);
  });

  it('is a lost race when the rival labelled the same GPU in another case', async () => {
    const mine = env(1);
    const id = engine.addContainer({
      name: mine.identity.containerName,
      status: 'created',
      created: ago(100),
      labels: { ...ownerLabels(mine.identity), [LABELS.gpuLease]: uuid(3) },
    });
    engine.addContainer({
      name: 'devenv-other-frank',
      running: true,
      created: ago(500),
      labels: {
        ...ownerLabels(envIdentity('other', { name: 'frank', uid: 5001, gid: 5001 }, '/srv/frank')),
        [LABELS.gpuLease]: uuid(3).toUpperCase(),
      },
    });

    const error = await allocator()
      .confirm(mine, id, [uuid(3)])
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LostRace);
    expect((error as LostRace).taken).toEqual([uuid(3)]);
  });

  it('waits while a later start on the same GPUs has not decided, and stands once it backs off', async () => {
    const mine = env(1);
    const id = engine.addContainer({
      name: mine.identity.containerName,
      status: 'created',
      created: ago(200),
      labels: { ...ownerLabels(mine.identity), [LABELS.gpuLease]: uuid(7) },
    });
    const later = leased('frank', [7], { status: 'created', created: ago(100) });
    // frank sees us at his own check and removes his container before our second read.
    engine.when('listContainers', 2, () => engine.removeContainer(later));

    await allocator().confirm(mine, id, [uuid(7)]);

    expect(engine.count('listContainers')).toBe(2);
  });
});
