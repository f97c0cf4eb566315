import { describe, expect, it } from 'vitest';
import {
  BUSY_MEMORY_MIB,
  chooseGpus,
  describeHolder,
  type GpuProcess,
  type GpuUsage,
  gpuSlots,
  isFree,
  type Lease,
  type LeaseRequest,
  leaseFromContainer,
  leaseRequestOf,
  raceOutcome,
} from '../../../../src/core/gpu/lease.js';
import { describeLeased, leasedGpus, leaseLabels, leaseUuids } from '../../../../src/core/gpu/leased.js';
import type { HostGpu } from '../../../../src/core/gpu/nvidia-smi-parse.js';
import { LABELS } from '../../../../src/core/identity.js';

// An 8x H100 server (memory.total as nvidia-smi shows it), unless a test says otherwise.
const H100 = 'NVIDIA H100 80GB HBM3';
const uuid = (i: number) => `GPU-${String(i).repeat(8)}-1a2b-3c4d-5e6f-0123456789ab`;
const gpu = (index: number, memoryMiB: number | null = 81559, name = H100): HostGpu => ({
  index,
  uuid: uuid(index),
  name,
  pciBusId: `00000000:${String(index + 0x18).padStart(2, '0')}:00.0`,
  memoryMiB,
  driverVersion: '565.57.01',
  computeCap: '9.0',
});
const server = (n = 8) => Array.from({ length: n }, (_, i) => gpu(i));
const idle = (i: number, over: Partial<GpuUsage> = {}): GpuUsage => ({
  uuid: uuid(i),
  memoryUsedMiB: 1,
  utilizationPct: 0,
  ...over,
});

const SELF = 'devenv-podcast-alice';
const SINCE = '2026-12-01T14:02:00.000Z';
const bob = (uuids: string[], over: Partial<Lease> = {}): Lease => ({
  containerId: 'b0b',
  container: 'devenv-x-bob',
  user: 'bob',
  env: 'x',
  uuids,
  since: SINCE,
  pending: false,
  ...over,
});
const carol = (uuids: string[], over: Partial<Lease> = {}): Lease =>
  bob(uuids, {
    containerId: 'ca1',
    container: 'devenv-y-carol',
    user: 'carol',
    env: 'y',
    since: '2026-12-01T09:30:00.000Z',
    ...over,
  });
const BOB = 'bob (env x, container devenv-x-bob) since 2026-12-01 14:02';
const foreign = (i: number, usedMemoryMiB: number | null = 30720, pid = 4242): GpuProcess => ({
  pid,
  gpuUuid: uuid(i),
  usedMemoryMiB,
  container: null,
});

interface World {
  gpus?: HostGpu[];
  usage?: Partial<Record<number, Partial<GpuUsage>>>;
  processes?: GpuProcess[];
  leases?: Lease[];
}

function slotsOf(world: World = {}) {
  const gpus = world.gpus ?? server();
  return gpuSlots({
    gpus,
    usage: gpus.map((g) => idle(g.index, world.usage?.[g.index])),
    processes: world.processes ?? [],
    leases: world.leases ?? [],
    self: SELF,
  });
}

function choose(request: LeaseRequest, world: World = {}, previous: number[] = [], exclude: number[] = []) {
  return chooseGpus({
    request,
    slots: slotsOf(world),
    previous: previous.map(uuid),
    exclude: exclude.map(uuid),
    timeZone: 'UTC',
  });
}

const count = (n: number, minMemoryGiB: number | null = null): LeaseRequest => ({
  kind: 'count',
  count: n,
  minMemoryGiB,
});

describe('leaseRequestOf: the config value as a request', () => {
  it.each([
    { gpus: 'auto' as const, request: { kind: 'auto' } },
    { gpus: 'all' as const, request: { kind: 'all' } },
    { gpus: 'none' as const, request: { kind: 'none' } },
    { gpus: [], request: { kind: 'none' } },
    { gpus: [0, 'GPU-abc'], request: { kind: 'list', ids: [0, 'GPU-abc'] } },
    { gpus: 2, request: { kind: 'count', count: 2, minMemoryGiB: null } },
    { gpus: { count: 2 }, request: { kind: 'count', count: 2, minMemoryGiB: null } },
    { gpus: { count: 1, minMemoryGiB: 40 }, request: { kind: 'count', count: 1, minMemoryGiB: 40 } },
  ])('$gpus', ({ gpus, request }) => {
    expect(leaseRequestOf(gpus)).toEqual(request);
  });
});

describe('leaseFromContainer: the ledger is the running containers and fresh starts', () => {
  const now = new Date('2026-12-01T15:00:00.000Z');
  const labels = { [LABELS.gpuLease]: `${uuid(4)},${uuid(5)}`, [LABELS.user]: 'bob', [LABELS.env]: 'x' };
  const container = (over: {
    running?: boolean;
    status?: string;
    created?: string;
    labels?: Record<string, string>;
  }) => ({
    id: 'b0b',
    name: 'devenv-x-bob',
    labels,
    running: false,
    status: 'exited',
    created: '2026-12-01T14:02:00.000Z',
    ...over,
  });
  const lease = (pending: boolean, since = '2026-12-01T14:02:00.000Z') => ({
    containerId: 'b0b',
    container: 'devenv-x-bob',
    user: 'bob',
    env: 'x',
    uuids: [uuid(4), uuid(5)],
    since,
    pending,
  });

  it.each([
    { label: 'running', c: container({ running: true, status: 'running' }), lease: lease(false) },
    {
      label: 'paused: its processes still hold the GPUs',
      c: container({ status: 'paused' }),
      lease: lease(false),
    },
    { label: 'restarting', c: container({ status: 'restarting' }), lease: lease(false) },
    { label: 'exited', c: container({ status: 'exited' }), lease: null },
    { label: 'dead', c: container({ status: 'dead' }), lease: null },
    {
      label: 'created 10 s ago: a start in progress',
      c: container({ status: 'created', created: '2026-12-01T14:59:50.000Z' }),
      lease: lease(true, '2026-12-01T14:59:50.000Z'),
    },
    {
      label: 'created 59 s ago',
      c: container({ status: 'created', created: '2026-12-01T14:59:01.000Z' }),
      lease: lease(true, '2026-12-01T14:59:01.000Z'),
    },
    {
      label: 'created 60 s ago: a start that died between create and start',
      c: container({ status: 'created', created: '2026-12-01T14:59:00.000Z' }),
      lease: null,
    },
    { label: 'created an hour ago', c: container({ status: 'created' }), lease: null },
    {
      label: 'running, no lease label',
      c: container({ running: true, status: 'running', labels: { [LABELS.user]: 'bob' } }),
      lease: null,
    },
    {
      label: 'running, an empty lease label',
      c: container({ running: true, status: 'running', labels: { ...labels, [LABELS.gpuLease]: '' } }),
      lease: null,
    },
  ])('$label', ({ c, lease }) => {
    expect(leaseFromContainer(c, now)).toEqual(lease);
  });

  it('reads spaces around the UUIDs, and names the container when the owner labels are missing', () => {
    const c = container({
      running: true,
      status: 'running',
      labels: { [LABELS.gpuLease]: ` ${uuid(1)} , ${uuid(2)} ` },
    });
    expect(leaseFromContainer(c, now)).toMatchObject({
      uuids: [uuid(1), uuid(2)],
      env: 'devenv-x-bob',
      user: 'an unknown user',
    });
  });

  it('leaseLabels and leaseUuids are each other’s inverse', () => {
    expect(leaseLabels([uuid(4), uuid(5)])).toEqual({ [LABELS.gpuLease]: `${uuid(4)},${uuid(5)}` });
    expect(leaseUuids(leaseLabels([uuid(4), uuid(5)]))).toEqual([uuid(4), uuid(5)]);
    expect(leaseLabels([])).toEqual({});
    expect(leaseUuids({})).toEqual([]);
  });
});

describe('gpuSlots: who holds each GPU, and what is busy outside devenv', () => {
  const slot = (index: number, world: World) => slotsOf(world).find((s) => s.gpu.index === index);

  it.each([
    { label: 'idle, no lease: free', world: {}, heldBy: null, busy: null },
    {
      label: "another env's running lease",
      world: { leases: [bob([uuid(3)])] },
      heldBy: 'devenv-x-bob',
      busy: null,
    },
    {
      label: "another env's start in progress",
      world: { leases: [bob([uuid(3)], { pending: true })] },
      heldBy: 'devenv-x-bob',
      busy: null,
    },
    {
      label: 'its own lease is no holder',
      world: { leases: [bob([uuid(3)], { container: SELF })] },
      heldBy: null,
      busy: null,
    },
    {
      label: 'two leases on one GPU (a race): the first holds it',
      world: { leases: [bob([uuid(3)]), carol([uuid(3)])] },
      heldBy: 'devenv-y-carol',
      busy: null,
    },
    {
      label: 'a process outside devenv',
      world: { processes: [foreign(3)], usage: { 3: { memoryUsedMiB: 30720, utilizationPct: 97 } } },
      heldBy: null,
      busy: '1 process, 30 GiB in use',
    },
    {
      label: 'processes nvidia-smi lists without memory',
      world: { processes: [foreign(3, null, 1), foreign(3, null, 2)], usage: { 3: { memoryUsedMiB: null } } },
      heldBy: null,
      busy: '2 processes',
    },
    {
      label: 'memory in use with no process listed',
      world: { usage: { 3: { memoryUsedMiB: 2048 } } },
      heldBy: null,
      busy: '2 GiB in use by no listed process',
    },
    {
      label: `just under the threshold (${BUSY_MEMORY_MIB - 1} MiB: a display, say)`,
      world: { usage: { 3: { memoryUsedMiB: BUSY_MEMORY_MIB - 1 } } },
      heldBy: null,
      busy: null,
    },
    {
      label: `at the threshold (${BUSY_MEMORY_MIB} MiB)`,
      world: { usage: { 3: { memoryUsedMiB: BUSY_MEMORY_MIB } } },
      heldBy: null,
      busy: '1 GiB in use by no listed process',
    },
    {
      label: "its own processes (a running env re-reading) don't make it busy",
      world: {
        processes: [{ ...foreign(3), container: SELF }],
        usage: { 3: { memoryUsedMiB: 30720 + 300 } },
      },
      heldBy: null,
      busy: null,
    },
    {
      label: 'a process in another devenv env that does not lease it',
      world: {
        processes: [{ ...foreign(3, 10240), container: 'devenv-z-dave' }],
        usage: { 3: { memoryUsedMiB: 10240 } },
      },
      heldBy: null,
      busy: '1 process (in devenv-z-dave), 10 GiB in use',
    },
    {
      label: "the holder's processes and memory are the holder's",
      world: {
        leases: [bob([uuid(3)])],
        processes: [{ ...foreign(3), container: 'devenv-x-bob' }],
        usage: { 3: { memoryUsedMiB: 30720 } },
      },
      heldBy: 'devenv-x-bob',
      busy: null,
    },
    {
      label: 'held, with a process outside devenv besides',
      world: {
        leases: [bob([uuid(3)])],
        processes: [{ ...foreign(3), container: 'devenv-x-bob' }, foreign(3, 1536, 77)],
        usage: { 3: { memoryUsedMiB: 30720 + 1536 } },
      },
      heldBy: 'devenv-x-bob',
      busy: '1 process, 1.5 GiB in use',
    },
  ])('$label', ({ world, heldBy, busy }) => {
    const s = slot(3, world);
    expect(s?.heldBy?.container ?? null).toBe(heldBy);
    expect(s?.busy).toBe(busy);
    expect(s && isFree(s)).toBe(heldBy === null && busy === null);
  });

  it('keeps the processes outside devenv, in index order of the GPUs', () => {
    const gpus = [gpu(2), gpu(0), gpu(1)];
    const slots = slotsOf({ gpus, processes: [foreign(1), { ...foreign(1, 5, 9), container: SELF }] });
    expect(slots.map((s) => s.gpu.index)).toEqual([0, 1, 2]);
    expect(slots[1]?.foreign).toEqual([foreign(1)]);
    expect(slots[1]?.usage).toEqual(idle(1));
  });

  it('a GPU nvidia-smi gives no UUID is never free', () => {
    const [slot] = slotsOf({ gpus: [{ ...gpu(0), uuid: null }] });
    expect(slot).toMatchObject({ usage: null, heldBy: null, busy: null });
    expect(slot && isFree(slot)).toBe(false);
  });
});

describe('chooseGpus: a count leases free GPUs', () => {
  it.each([
    { label: 'an idle server: the lowest indexes', n: 2, world: {}, indexes: [0, 1] },
    { label: 'one GPU', n: 1, world: {}, indexes: [0] },
    {
      label: 'held and busy GPUs are skipped',
      n: 2,
      world: { leases: [bob([uuid(0), uuid(1)])], processes: [foreign(2)] },
      indexes: [3, 4],
    },
    {
      label: 'a few MiB of noise does not reorder idle cards',
      n: 2,
      world: { usage: { 0: { memoryUsedMiB: 9 }, 1: { memoryUsedMiB: 7 }, 2: { memoryUsedMiB: 0 } } },
      indexes: [0, 1],
    },
    {
      label: 'idle ones first: GPU 0 has some load, GPU 1 drives a display',
      n: 2,
      world: { usage: { 0: { utilizationPct: 40, memoryUsedMiB: 900 }, 1: { memoryUsedMiB: 600 } } },
      indexes: [2, 3],
    },
    {
      label: 'then the least used: the display before the loaded one',
      n: 7,
      world: { usage: { 0: { utilizationPct: 40, memoryUsedMiB: 900 }, 1: { memoryUsedMiB: 600 } } },
      indexes: [1, 2, 3, 4, 5, 6, 7],
    },
    { label: 'every GPU', n: 8, world: {}, indexes: [0, 1, 2, 3, 4, 5, 6, 7] },
    {
      label: 'a start in progress holds its GPUs too',
      n: 2,
      world: { leases: [bob([uuid(0)], { pending: true })] },
      indexes: [1, 2],
    },
    {
      label: 'its own lease does not count against it',
      n: 2,
      world: { leases: [bob([uuid(0), uuid(1)], { container: SELF })] },
      indexes: [0, 1],
    },
  ])('$label', ({ n, world, indexes }) => {
    expect(choose(count(n), world)).toEqual({
      ok: true,
      indexes,
      uuids: indexes.map(uuid),
      explanation: `leased ${indexes.length === 1 ? 'GPU' : 'GPUs'} ${indexes.join(',')} (${indexes.map(uuid).join(', ')})`,
      notice: null,
    });
  });

  it('says which GPUs it leased, by index and UUID', () => {
    const choice = choose(count(2), { leases: [bob([0, 1, 2, 3].map(uuid))] });
    expect(choice).toMatchObject({ ok: true, explanation: `leased GPUs 4,5 (${uuid(4)}, ${uuid(5)})` });
  });

  it('never picks a GPU lost in a race', () => {
    expect(choose(count(2), {}, [], [0, 2])).toMatchObject({ ok: true, indexes: [1, 3] });
  });
});

describe('chooseGpus: an env keeps its GPUs from last time when they are still free', () => {
  it.each([
    {
      label: 'both still free, though not the most idle',
      n: 2,
      previous: [5, 6],
      world: {},
      indexes: [5, 6],
    },
    {
      label: 'kept over idler ones',
      n: 2,
      previous: [5, 6],
      world: { usage: { 5: { utilizationPct: 3, memoryUsedMiB: 700 } } },
      indexes: [5, 6],
    },
    { label: 'asks for fewer now: keeps some of them', n: 1, previous: [5, 6], world: {}, indexes: [5] },
    {
      label: 'asks for more now: keeps them and adds',
      n: 3,
      previous: [5, 6],
      world: {},
      indexes: [0, 5, 6],
    },
  ])('$label', ({ n, previous, world, indexes }) => {
    expect(choose(count(n), world, previous)).toMatchObject({ ok: true, indexes, notice: null });
  });

  it.each([
    {
      label: 'one of them is held now: keeps the other, says so',
      previous: [5, 6],
      world: { leases: [bob([uuid(6)])] },
      indexes: [0, 5],
      notice: `GPU 6 it had last time is taken now (6 held by ${BOB}); leased 0,5`,
    },
    {
      label: 'both are taken now, one held and one busy',
      previous: [4, 5],
      world: { leases: [bob([uuid(4)])], processes: [foreign(5)], usage: { 5: { memoryUsedMiB: 30720 } } },
      indexes: [0, 1],
      notice: `GPUs 4,5 it had last time are taken now (4 held by ${BOB}; 5 busy outside devenv (1 process, 30 GiB in use)); leased 0,1`,
    },
  ])('$label', ({ previous, world, indexes, notice }) => {
    expect(choose(count(2), world, previous)).toMatchObject({ ok: true, indexes, notice });
  });

  it('a GPU gone from the host is named by its UUID', () => {
    const choice = chooseGpus({
      request: count(1),
      slots: slotsOf(),
      previous: ['GPU-deadbeef-0000-0000-0000-000000000000'],
      timeZone: 'UTC',
    });
    expect(choice).toMatchObject({
      ok: true,
      indexes: [0],
      notice:
        'GPU GPU-deadbeef-0000-0000-0000-000000000000 it had last time is taken now (GPU-deadbeef-0000-0000-0000-000000000000 gone from this host); leased 0',
    });
  });
});

describe('chooseGpus: not enough free GPUs', () => {
  const crowded: World = {
    leases: [bob([0, 1, 2, 3].map(uuid)), carol([uuid(4), uuid(5)], { pending: true })],
    processes: [foreign(6)],
    usage: { 6: { memoryUsedMiB: 30720 } },
  };

  it('one line: how many are free, who holds the others and since when', () => {
    expect(choose(count(2), crowded)).toEqual({
      ok: false,
      message:
        `gpus: 2 GPUs requested, but only 1 of the 8 GPUs is free: GPUs 0,1,2,3 held by ${BOB}; ` +
        'GPUs 4,5 held by carol (env y, container devenv-y-carol, starting) since 2026-12-01 09:30; ' +
        'GPU 6 busy outside devenv (1 process, 30 GiB in use)',
      hint: '`devenv gpus` shows who holds what; `devenv start --wait` waits until 2 are free; or ask for fewer',
      free: 1,
      canWait: true,
    });
  });

  it('none free', () => {
    const choice = choose(count(1), { leases: [bob(server().map((g) => uuid(g.index)))] });
    expect(choice).toMatchObject({
      ok: false,
      message: `gpus: 1 GPU requested, but none of the 8 GPUs is free: GPUs 0,1,2,3,4,5,6,7 held by ${BOB}`,
      free: 0,
      canWait: true,
    });
  });

  it('GPUs lost in a race are named as such', () => {
    const choice = choose(count(8), {}, [], [3]);
    expect(choice).toMatchObject({
      ok: false,
      message:
        'gpus: 8 GPUs requested, but only 7 of the 8 GPUs are free: GPU 3 just leased by another start',
    });
  });

  it.each([
    {
      label: 'more than the host has: waiting cannot help',
      request: count(9),
      gpus: server(),
      message: `gpus: 9 GPUs requested, but this host has only 8 GPUs: 8x ${H100} (80 GiB)`,
      hint: 'ask for at most 8 ("gpus": 8)',
      free: 8,
    },
    {
      label: 'no GPU at all',
      request: count(1),
      gpus: [],
      message: 'gpus: 1 GPU requested, but nvidia-smi lists no NVIDIA GPU on this host',
      hint: 'set "gpus" to a count this host can give, or "none"',
      free: 0,
    },
  ])('$label', ({ request, gpus, message, hint, free }) => {
    expect(choose(request, { gpus })).toEqual({ ok: false, message, hint, free, canWait: false });
  });
});

describe('chooseGpus: minMemoryGiB filters by memory.total', () => {
  // A mixed server: 4x H100 80 GB (81559 MiB), 4x RTX 4090 24 GB (24564 MiB).
  const RTX = 'NVIDIA GeForce RTX 4090';
  const mixed = [0, 1, 2, 3].map((i) => gpu(i)).concat([4, 5, 6, 7].map((i) => gpu(i, 24564, RTX)));

  it.each([
    { label: '40 GiB: the H100s', n: 2, min: 40, world: { gpus: mixed }, indexes: [0, 1] },
    {
      label: '40 GiB with the H100s partly held: the free H100s, never a 4090',
      n: 2,
      min: 40,
      world: { gpus: mixed, leases: [bob([uuid(0), uuid(1)])] },
      indexes: [2, 3],
    },
    {
      label: '24 GiB: a "24 GB" card qualifies though nvidia-smi shows 24564 MiB',
      n: 6,
      min: 24,
      world: { gpus: mixed },
      indexes: [0, 1, 2, 3, 4, 5],
    },
    { label: '80 GiB: an "80 GB" H100 shows 81559 MiB', n: 1, min: 80, world: { gpus: mixed }, indexes: [0] },
    {
      label: '48 GiB: a "48 GB" card with ECC shows 46068 MiB',
      n: 1,
      min: 48,
      world: { gpus: [gpu(0, 46068, 'NVIDIA L40S')] },
      indexes: [0],
    },
  ])('$label', ({ n, min, world, indexes }) => {
    expect(choose(count(n, min), world)).toMatchObject({ ok: true, indexes });
  });

  it('not enough large ones free: counts only the large ones', () => {
    const choice = choose(count(2, 40), { gpus: mixed, leases: [bob([0, 1, 2].map(uuid))] });
    expect(choice).toMatchObject({
      ok: false,
      message: `gpus: 2 GPUs of at least 40 GiB requested, but only 1 of the 4 GPUs is free with at least 40 GiB: GPUs 0,1,2 held by ${BOB}`,
      free: 1,
      canWait: true,
    });
  });

  it.each([
    {
      min: 40,
      n: 5,
      message: `gpus: 5 GPUs of at least 40 GiB requested, but this host has only 4 GPUs with at least 40 GiB: 4x ${H100} (80 GiB), 4x ${RTX} (24 GiB)`,
      hint: 'ask for at most 4, or a smaller "minMemoryGiB"',
    },
    {
      min: 100,
      n: 1,
      message: `gpus: 1 GPU of at least 100 GiB requested, but this host has no GPUs with at least 100 GiB: 4x ${H100} (80 GiB), 4x ${RTX} (24 GiB)`,
      hint: 'set "gpus" to a count this host can give (or a smaller "minMemoryGiB"), or "none"',
    },
  ])('$n of at least $min GiB: the host cannot', ({ min, n, message, hint }) => {
    expect(choose(count(n, min), { gpus: mixed })).toMatchObject({
      ok: false,
      message,
      hint,
      canWait: false,
    });
  });

  it('a GPU whose memory nvidia-smi does not know is not taken for a size', () => {
    expect(choose(count(1, 8), { gpus: [gpu(0, null), gpu(1)] })).toMatchObject({ ok: true, indexes: [1] });
  });
});

describe('chooseGpus: "auto" wires the free GPUs and says which it left out', () => {
  it.each([
    {
      label: 'all free',
      world: {},
      indexes: [0, 1, 2, 3, 4, 5, 6, 7],
      explanation: 'wiring GPUs 0,1,2,3,4,5,6,7',
    },
    {
      label: 'held and busy ones left out, with why',
      world: { leases: [bob([uuid(3)])], processes: [foreign(5)], usage: { 5: { memoryUsedMiB: 30720 } } },
      indexes: [0, 1, 2, 4, 6, 7],
      explanation: `wiring GPUs 0,1,2,4,6,7; left out GPU 3 held by ${BOB}; GPU 5 busy outside devenv (1 process, 30 GiB in use)`,
    },
    {
      label: 'none free: starts without GPUs, and says why',
      world: { gpus: server(2), leases: [bob([uuid(0), uuid(1)])] },
      indexes: [],
      explanation: `starting without GPUs: none of the 2 GPUs is free (GPUs 0,1 held by ${BOB})`,
    },
    {
      label: 'no GPU on the host',
      world: { gpus: [] },
      indexes: [],
      explanation: 'no NVIDIA GPU on this host; starting without GPUs',
    },
  ])('$label', ({ world, indexes, explanation }) => {
    expect(choose({ kind: 'auto' }, world, [6])).toEqual({
      ok: true,
      indexes,
      uuids: indexes.map(uuid),
      explanation,
      notice: null,
    });
  });
});

describe('chooseGpus: "all" and lists take exactly those, unless another env holds one', () => {
  it.each([
    {
      label: 'all, free',
      request: { kind: 'all' } as LeaseRequest,
      world: {},
      indexes: [0, 1, 2, 3, 4, 5, 6, 7],
      explanation: 'leased all 8 GPUs (0,1,2,3,4,5,6,7)',
    },
    {
      label: 'all, one busy outside devenv: wired as asked, and said',
      request: { kind: 'all' } as LeaseRequest,
      world: { gpus: server(2), processes: [foreign(1)], usage: { 1: { memoryUsedMiB: 30720 } } },
      indexes: [0, 1],
      explanation:
        'leased all 2 GPUs (0,1); GPU 1 busy outside devenv (1 process, 30 GiB in use), wired anyway as asked',
    },
    {
      label: 'all, its own lease',
      request: { kind: 'all' } as LeaseRequest,
      world: { gpus: server(2), leases: [bob([uuid(0)], { container: SELF })] },
      indexes: [0, 1],
      explanation: 'leased all 2 GPUs (0,1)',
    },
    {
      label: 'a list of an index, a UUID and an index as text, each once',
      request: { kind: 'list', ids: [3, uuid(0).toUpperCase(), '3'] } as LeaseRequest,
      world: {},
      indexes: [0, 3],
      explanation: `leased GPUs 0,3 (${uuid(0)}, ${uuid(3)})`,
    },
  ])('$label', ({ request, world, indexes, explanation }) => {
    expect(choose(request, world)).toEqual({
      ok: true,
      indexes,
      uuids: indexes.map(uuid),
      explanation,
      notice: null,
    });
  });

  it.each([
    {
      label: 'all, one GPU held by another env: refused, naming the holder',
      request: { kind: 'all' } as LeaseRequest,
      message: `gpus: "all" requested, but some are leased by another env: GPU 3 held by ${BOB}`,
    },
    {
      label: 'a list with a GPU held by another env',
      request: { kind: 'list', ids: [2, 3] } as LeaseRequest,
      message: `gpus: [2, 3] requested, but some are leased by another env: GPU 3 held by ${BOB}`,
    },
    {
      label: 'a list of one held GPU',
      request: { kind: 'list', ids: [uuid(3)] } as LeaseRequest,
      message: `gpus: ["${uuid(3)}"] requested, but it is leased by another env: GPU 3 held by ${BOB}`,
    },
  ])('$label', ({ request, message }) => {
    expect(choose(request, { leases: [bob([uuid(3)])] })).toEqual({
      ok: false,
      message,
      hint: expect.stringMatching(/^ask for a number of GPUs instead .*`devenv gpus` shows who holds what$/),
      free: 7,
      canWait: true,
    });
  });

  it('a list naming GPUs that do not exist: names them and what exists', () => {
    const choice = choose({ kind: 'list', ids: [0, 8, 'GPU-nope'] }, { gpus: server(2) });
    expect(choice).toEqual({
      ok: false,
      message: 'gpus: no GPU 8, GPU-nope on this host',
      hint: `use an index or UUID of: 0 (${H100}, ${uuid(0)}); 1 (${H100}, ${uuid(1)})`,
      free: 2,
      canWait: false,
    });
  });

  it('all without GPUs', () => {
    expect(choose({ kind: 'all' }, { gpus: [] })).toMatchObject({
      ok: false,
      message: 'gpus: "all" requested, but nvidia-smi lists no NVIDIA GPU on this host',
      canWait: false,
    });
  });

  it('none asks for nothing', () => {
    expect(choose({ kind: 'none' })).toMatchObject({ ok: true, uuids: [], indexes: [] });
  });
});

describe('raceOutcome: of two overlapping leases, the later backs off', () => {
  const lease = (containerId: string, since: string, uuids: number[], pending = true): Lease =>
    bob(uuids.map(uuid), { containerId, container: `devenv-${containerId}-bob`, since, pending });
  const T = '2026-12-01T14:02:00';

  it.each([
    {
      label: 'no overlap',
      mine: lease('m', `${T}.500Z`, [1]),
      other: lease('o', `${T}.100Z`, [2]),
      loses: false,
    },
    {
      label: 'an earlier start',
      mine: lease('m', `${T}.500Z`, [1, 2]),
      other: lease('o', `${T}.100Z`, [2, 3]),
      loses: true,
    },
    {
      label: 'a later start',
      mine: lease('m', `${T}.100Z`, [1]),
      other: lease('o', `${T}.500Z`, [1]),
      loses: false,
    },
    {
      label: 'same time, smaller id wins',
      mine: lease('b', `${T}.000Z`, [1]),
      other: lease('a', `${T}.000Z`, [1]),
      loses: true,
    },
    {
      label: 'same time, mine the smaller id',
      mine: lease('a', `${T}.000Z`, [1]),
      other: lease('b', `${T}.000Z`, [1]),
      loses: false,
    },
    {
      label: 'below the millisecond (the engine gives nanoseconds)',
      mine: lease('a', `${T}.123456789Z`, [1]),
      other: lease('b', `${T}.1234567Z`, [1]),
      loses: true,
    },
    {
      label: 'a running lease came first, whatever its time says',
      mine: lease('m', `${T}.100Z`, [1]),
      other: lease('o', `${T}.500Z`, [1], false),
      loses: true,
    },
    {
      label: 'mine runs: a pending one never beats it',
      mine: lease('m', `${T}.500Z`, [1], false),
      other: lease('o', `${T}.100Z`, [1]),
      loses: false,
    },
    {
      label: 'both run: the earlier',
      mine: lease('m', `${T}.500Z`, [1], false),
      other: lease('o', `${T}.100Z`, [1], false),
      loses: true,
    },
    {
      label: 'its own entry in the ledger',
      mine: lease('m', `${T}.500Z`, [1]),
      other: lease('m', `${T}.100Z`, [1], false),
      loses: false,
    },
  ])('$label', ({ mine, other, loses }) => {
    expect(raceOutcome(mine, [mine, other]).outcome === 'lost').toBe(loses);
  });

  it('exactly one of two overlapping starts that see each other backs off', () => {
    const times = [`${T}.100Z`, `${T}.100Z`, `${T}.900Z`];
    for (const [i, ta] of times.entries()) {
      for (const [j, tb] of times.entries()) {
        for (const [pa, pb] of [
          [true, true],
          [true, false],
          [false, true],
          [false, false],
        ] as const) {
          const a = lease(`a${i}`, ta, [1, 2], pa);
          const b = lease(`b${j}`, tb, [2, 3], pb);
          const lost = [raceOutcome(a, [a, b]), raceOutcome(b, [a, b])].filter((r) => r.outcome === 'lost');
          expect(lost).toHaveLength(1);
        }
      }
    }
  });

  it('raceOutcome: lost to the first, waits on later starts, wins when alone', () => {
    const mine = lease('m', `${T}.500Z`, [1, 2]);
    const early = lease('e', `${T}.100Z`, [2]);
    const earlier = lease('f', `${T}.050Z`, [1]);
    const later = lease('l', `${T}.900Z`, [1]);
    expect(raceOutcome(mine, [mine, early, earlier, later])).toEqual({ outcome: 'lost', to: earlier });
    expect(raceOutcome(mine, [mine, later])).toEqual({ outcome: 'wait', on: [later] });
    expect(raceOutcome(mine, [mine])).toEqual({ outcome: 'won' });
    expect(raceOutcome({ ...mine, pending: false }, [mine, later])).toEqual({ outcome: 'won' });
  });
});

/**
 * Two starts on one GPU, every interleaving of: become listed (create), read the ledger and
 * decide, start. Whatever `since` says (the engine may list containers in another order than
 * their creation times), starting only on raceOutcome's `won` never puts both on the GPU, and
 * exactly one gets it; starting on anything but `lost` (treating `wait` as `won`) can put both on it.
 */
describe('the race, in every interleaving of two starts', () => {
  type Phase = 'new' | 'listed' | 'won' | 'running' | 'gone';
  interface Start {
    lease: Lease;
    phase: Phase;
    reads: number;
  }
  type Rule = (mine: Lease, ledger: Lease[]) => 'won' | 'lost' | 'wait';
  const safe: Rule = (mine, ledger) => raceOutcome(mine, ledger).outcome;
  const naive: Rule = (mine, ledger) => (raceOutcome(mine, ledger).outcome === 'lost' ? 'lost' : 'won');
  const MAX_READS = 4;

  function outcomes(rule: Rule, sinceA: string, sinceB: string): Array<Phase[]> {
    const results: Array<Phase[]> = [];
    const explore = (starts: Start[]) => {
      const ledger = starts
        .filter((s) => s.phase === 'listed' || s.phase === 'won' || s.phase === 'running')
        .map((s) => ({ ...s.lease, pending: s.phase !== 'running' }));
      let moved = false;
      starts.forEach((start, i) => {
        const next = (phase: Phase, reads = start.reads) =>
          explore(starts.map((s, j) => (j === i ? { ...s, phase, reads } : s)));
        if (start.phase === 'new') {
          moved = true;
          next('listed');
        } else if (start.phase === 'won') {
          moved = true;
          next('running');
        } else if (start.phase === 'listed' && start.reads < MAX_READS) {
          moved = true;
          const mine = ledger.find((l) => l.containerId === start.lease.containerId) as Lease;
          const decision = rule(mine, ledger);
          next(decision === 'won' ? 'won' : decision === 'lost' ? 'gone' : 'listed', start.reads + 1);
        }
      });
      if (!moved) results.push(starts.map((s) => s.phase));
    };
    const start = (id: string, since: string): Start => ({
      lease: bob([uuid(0)], { containerId: id, container: `devenv-${id}`, since, pending: true }),
      phase: 'new',
      reads: 0,
    });
    explore([start('a', sinceA), start('b', sinceB)]);
    return results;
  }

  it.each([
    ['a created first', '2026-12-01T14:02:00.100Z', '2026-12-01T14:02:00.900Z'],
    ['b created first', '2026-12-01T14:02:00.900Z', '2026-12-01T14:02:00.100Z'],
    ['the same second, as the container list says', '2026-12-01T14:02:00.000Z', '2026-12-01T14:02:00.000Z'],
  ])('%s: never both, always one', (_label, sinceA, sinceB) => {
    const ends = outcomes(safe, sinceA, sinceB);
    expect(ends.length).toBeGreaterThan(0);
    for (const end of ends) {
      // Only waits cut short by MAX_READS may end without a winner; never with two.
      expect(end.filter((phase) => phase === 'running').length).toBeLessThanOrEqual(1);
      if (!end.includes('listed')) expect(end.filter((phase) => phase === 'running')).toHaveLength(1);
    }
  });

  it('starting unless lost (not waiting) lets both start when the later-listed one has the earlier time', () => {
    const ends = outcomes(naive, '2026-12-01T14:02:00.900Z', '2026-12-01T14:02:00.100Z');
    expect(ends.some((end) => end.every((phase) => phase === 'running'))).toBe(true);
  });
});

/**
 * nvidia-smi prints UUIDs in lower case; a lease label (or a config list) may hold the same GPU
 * in upper case. Either way round it is one GPU: held, shown and raced for as such.
 */
describe('one GPU, whatever the case of its UUID', () => {
  const upper = (i: number) => uuid(i).toUpperCase();
  const upperServer = () => server().map((g) => ({ ...g, uuid: upper(g.index) }));

  it('choosing: a lease in upper case holds the GPU nvidia-smi lists in lower case', () => {
    const slots = slotsOf({ leases: [bob([upper(0)])] });
    expect(slots[0]?.heldBy?.user).toBe('bob');
    expect(choose(count(8), { leases: [bob([upper(0)])] })).toMatchObject({ ok: false, free: 7 });
    expect(choose(count(1), { leases: [bob([upper(0)])] })).toMatchObject({ ok: true, indexes: [1] });
  });

  it('choosing: a lease in lower case holds the GPU listed in upper case', () => {
    const slots = slotsOf({ gpus: upperServer(), leases: [bob([uuid(0)])] });
    expect(slots[0]?.heldBy?.user).toBe('bob');
    expect(slots[0]?.usage?.uuid).toBe(uuid(0));
    expect(chooseGpus({ request: count(1), slots, previous: [], timeZone: 'UTC' })).toMatchObject({
      ok: true,
      indexes: [1],
    });
  });

  it("choosing: last time's GPUs and the GPUs just lost, in another case", () => {
    const slots = slotsOf();
    const request = count(1);
    expect(chooseGpus({ request, slots, previous: [upper(5)] })).toMatchObject({
      indexes: [5],
      notice: null,
    });
    expect(chooseGpus({ request, slots, previous: [], exclude: [upper(0)] })).toMatchObject({ indexes: [1] });
  });

  it('leased-GPU display: the host index of a lease in either case', () => {
    const labels = leaseLabels([upper(3), uuid(4)]);
    const gpus = leasedGpus(labels, server());
    expect(gpus.map((g) => g.index)).toEqual([3, 4]);
    expect(describeLeased(gpus)).toBe('3,4');
    expect(leasedGpus(labels, upperServer()).map((g) => g.index)).toEqual([3, 4]);
  });

  it('race detection: leases of one GPU in two cases overlap', () => {
    const mine = bob([uuid(1)], { containerId: 'm', container: 'devenv-m', pending: true });
    const first = carol([upper(1)], { pending: false });
    expect(raceOutcome(mine, [mine, first])).toEqual({ outcome: 'lost', to: first });
    const upperMine = { ...mine, uuids: [upper(1)] };
    const lowerFirst = { ...first, uuids: [uuid(1)] };
    expect(raceOutcome(upperMine, [upperMine, lowerFirst])).toEqual({ outcome: 'lost', to: lowerFirst });
  });
});

describe('describeHolder', () => {
  it('user, env, container and since, in the given time zone', () => {
    expect(describeHolder(bob([uuid(0)]), 'UTC')).toBe(BOB);
    expect(describeHolder(bob([uuid(0)]), 'Asia/Taipei')).toBe(
      'bob (env x, container devenv-x-bob) since 2026-12-01 22:02',
    );
    expect(describeHolder(bob([uuid(0)], { pending: true, since: 'not a time' }), 'UTC')).toBe(
      'bob (env x, container devenv-x-bob, starting) since not a time',
    );
  });
});
