/**
 * GPU leases on a shared server: which GPUs are free, which to take, and which of two
 * overlapping starts backs off. Pure: the ledger (leases read from the engine's container
 * list), nvidia-smi's live usage and the request in; the choice and the one line that explains
 * it out.
 *
 * A GPU is free for an env when no other env leases it (running, or a start in progress) and it
 * is not busy outside devenv: no compute process on it that is not the env's own, and less than
 * BUSY_MEMORY_MIB in use.
 */
import type { GpuRequest } from '../config/schema.js';
import { LABELS } from '../identity.js';
import { describeGpus, gib } from './describe.js';
import { leaseUuids } from './leased.js';
import type { HostGpu } from './nvidia-smi-parse.js';
import { includesGpu, sameGpu } from './uuid.js';

/** Live usage of one GPU (nvidia-smi --query-gpu=uuid,memory.used,utilization.gpu). */
export interface GpuUsage {
  uuid: string;
  memoryUsedMiB: number | null;
  utilizationPct: number | null;
}

/** One process on a GPU (nvidia-smi --query-compute-apps=pid,gpu_uuid,used_memory); container: the devenv container it runs in, or null. */
export interface GpuProcess {
  pid: number;
  gpuUuid: string;
  usedMemoryMiB: number | null;
  container: string | null;
}

/** A lease, as read from a devenv container's labels. */
export interface Lease {
  containerId: string;
  container: string;
  user: string;
  env: string;
  uuids: string[];
  /** ISO time the lease started: the container's creation. */
  since: string;
  /** The container is in state "created": a start in progress. */
  pending: boolean;
}

export type LeaseRequest =
  | { kind: 'count'; count: number; minMemoryGiB: number | null }
  | { kind: 'auto' }
  | { kind: 'all' }
  | { kind: 'list'; ids: Array<string | number> }
  | { kind: 'none' };

/**
 * Memory in use at which a GPU with no listed compute process still counts as busy. An idle card
 * shows some memory in use without any compute process: persistence mode and the driver's own
 * reservations take a few MiB, and a display server (Xorg, gnome-shell: graphics processes,
 * which --query-compute-apps does not list) a few hundred MiB. A CUDA context alone costs about
 * 300-500 MiB, so a real job crosses 1 GiB almost at once. The memory check is what catches the
 * jobs nvidia-smi cannot list (no process info on some drivers, vGPU and WSL).
 */
export const BUSY_MEMORY_MIB = 1024;

/**
 * How long a container in state "created" counts as a start in progress. A start creates and
 * starts within seconds; one that stays "created" longer crashed between the two and must not
 * hold its GPUs forever.
 */
export const PENDING_LEASE_MS = 60_000;

/**
 * The share of its nominal size nvidia-smi's memory.total must reach for a card to count as that
 * large for `minMemoryGiB`. memory.total is below what the card is sold as: ECC takes 1/16 of
 * GDDR memory (a "16 GB" T4 shows 15360 MiB, a "48 GB" L40S 46068 MiB) and the driver reserves
 * some on HBM cards (an "80 GB" H100 shows 81559 MiB). Asking for 48 GiB should get a 48 GB card.
 */
export const MEMORY_SIZE_TOLERANCE = 0.93;

// Memory in use is compared in steps this large when ranking free GPUs, so a few MiB of noise
// between idle cards does not reorder them: ties go to the lowest index.
const MEMORY_RANK_STEP_MIB = 256;

/** What the config's `gpus` asks of the ledger. An empty list asks for nothing, as "none" does. */
export function leaseRequestOf(gpus: GpuRequest): LeaseRequest {
  if (gpus === 'auto' || gpus === 'all' || gpus === 'none') return { kind: gpus };
  if (typeof gpus === 'number') return { kind: 'count', count: gpus, minMemoryGiB: null };
  if (Array.isArray(gpus)) return gpus.length === 0 ? { kind: 'none' } : { kind: 'list', ids: gpus };
  return { kind: 'count', count: gpus.count, minMemoryGiB: gpus.minMemoryGiB ?? null };
}

// States in which a container's processes hold its GPUs even though it is not "running".
const HOLDING_STATES = new Set(['running', 'paused', 'restarting']);

/**
 * The lease a container holds, or null: no lease label, or not part of the ledger (stopped or
 * exited, or "created" for longer than PENDING_LEASE_MS). `status` is the engine's state.
 */
export function leaseFromContainer(
  c: {
    id: string;
    name: string;
    labels: Record<string, string>;
    running: boolean;
    status: string;
    created: string;
  },
  now: Date,
): Lease | null {
  const uuids = leaseUuids(c.labels);
  if (uuids.length === 0) return null;
  const state = c.status.trim().toLowerCase();
  const holding = c.running || HOLDING_STATES.has(state);
  // An unreadable creation time counts as fresh: holding GPUs a minute too long beats sharing them.
  const age = now.getTime() - Date.parse(c.created);
  const pending = !holding && state === 'created' && !(age >= PENDING_LEASE_MS);
  if (!holding && !pending) return null;
  return {
    containerId: c.id,
    container: c.name,
    user: c.labels[LABELS.user] ?? 'an unknown user',
    env: c.labels[LABELS.env] ?? c.name,
    uuids,
    since: c.created,
    pending,
  };
}

export interface GpuSlot {
  gpu: HostGpu;
  usage: GpuUsage | null;
  heldBy: Lease | null;
  /** Processes not in any devenv container. */
  foreign: GpuProcess[];
  /** Why it counts as busy outside devenv, e.g. "1 process, 30 GiB in use", or null. */
  busy: string | null;
}

/**
 * Every host GPU with who holds it: the GPU map (`devenv gpus`) and the input of chooseGpus.
 * `self` (the env's own container name) is never a holder of its own GPUs, and its own processes
 * never make a GPU busy. Processes in another devenv container that does not lease the GPU (an
 * env wired by "auto" before leases existed, say) do.
 */
export function gpuSlots(input: {
  gpus: HostGpu[];
  usage: GpuUsage[];
  processes: GpuProcess[];
  leases: Lease[];
  self: string | null;
}): GpuSlot[] {
  const others = input.leases.filter((lease) => lease.container !== input.self);
  return [...input.gpus]
    .sort((a, b) => a.index - b.index)
    .map((gpu) => {
      const uuid = gpu.uuid;
      if (uuid === null) return { gpu, usage: null, heldBy: null, foreign: [], busy: null };
      const usage = input.usage.find((u) => sameGpu(u.uuid, uuid)) ?? null;
      const heldBy = others.filter((lease) => includesGpu(lease.uuids, uuid)).sort(raceOrder)[0] ?? null;
      const processes = input.processes.filter((p) => sameGpu(p.gpuUuid, uuid));
      const foreign = processes.filter((p) => p.container === null);
      return { gpu, usage, heldBy, foreign, busy: busyReason(usage, processes, heldBy, input.self) };
    });
}

/** Free for the env that read the slots: nobody else leases it and nothing outside devenv uses it. */
export function isFree(slot: GpuSlot): boolean {
  return slot.gpu.uuid !== null && slot.heldBy === null && slot.busy === null;
}

function busyReason(
  usage: GpuUsage | null,
  processes: GpuProcess[],
  heldBy: Lease | null,
  self: string | null,
): string | null {
  const accounted = (p: GpuProcess) =>
    p.container !== null && (p.container === self || p.container === heldBy?.container);
  const strangers = processes.filter((p) => !accounted(p));
  const accountedMiB = sum(processes.filter(accounted).map((p) => p.usedMemoryMiB ?? 0));
  const inUseMiB =
    usage?.memoryUsedMiB == null
      ? sum(strangers.map((p) => p.usedMemoryMiB ?? 0))
      : Math.max(0, usage.memoryUsedMiB - accountedMiB);
  if (strangers.length > 0) {
    const inContainers = [...new Set(strangers.map((p) => p.container).filter((c) => c !== null))];
    const where = inContainers.length === 0 ? '' : ` (in ${inContainers.join(', ')})`;
    const memory = inUseMiB > 0 ? `, ${gib(inUseMiB)} in use` : '';
    return `${plural(strangers.length, 'process', 'processes')}${where}${memory}`;
  }
  // With a holder, the memory in use is the holder's.
  if (heldBy === null && inUseMiB >= BUSY_MEMORY_MIB) return `${gib(inUseMiB)} in use by no listed process`;
  return null;
}

export type GpuChoice =
  | {
      ok: true;
      uuids: string[];
      indexes: number[];
      /** e.g. "leased GPUs 4,5 (GPU-…, GPU-…)"; for auto "wiring GPUs 0,1,2; left out …". */
      explanation: string;
      /** e.g. "GPUs 4,5 it had last time are taken now (…); leased 6,7". */
      notice: string | null;
    }
  | {
      ok: false;
      message: string;
      hint: string;
      /** How many GPUs could be leased for this request right now. */
      free: number;
      /** False when waiting cannot help: the host has no such GPUs, or not that many. */
      canWait: boolean;
    };

type Refusal = Extract<GpuChoice, { ok: false }>;

/**
 * The GPUs for the env. A count takes free GPUs: the ones it had last time when still free, then
 * the least used, then the lowest index. "auto" takes every free GPU (none is fine: it then means
 * CPU). "all" and a list take exactly those, refused when another env holds one of them.
 * `exclude`: GPUs just lost in a race, never picked. `timeZone` is for the times in messages
 * (the host's when unset).
 */
export function chooseGpus(input: {
  request: LeaseRequest;
  slots: GpuSlot[];
  previous: string[];
  exclude?: string[];
  timeZone?: string;
}): GpuChoice {
  const { request } = input;
  const ctx: ChoiceContext = {
    slots: [...input.slots].sort((a, b) => a.gpu.index - b.gpu.index),
    excluded: (slot) => slot.gpu.uuid !== null && includesGpu(input.exclude ?? [], slot.gpu.uuid),
    timeZone: input.timeZone,
  };
  switch (request.kind) {
    case 'none':
      return {
        ok: true,
        uuids: [],
        indexes: [],
        explanation: 'no GPU requested (gpus: "none")',
        notice: null,
      };
    case 'count':
      return chooseCount(request.count, request.minMemoryGiB, input.previous, ctx);
    case 'auto':
      return chooseAuto(ctx);
    case 'all':
      return chooseNamed('"all"', ctx.slots, ctx, true);
    case 'list':
      return chooseListed(request.ids, ctx);
  }
}

interface ChoiceContext {
  slots: GpuSlot[];
  excluded: (slot: GpuSlot) => boolean;
  timeZone: string | undefined;
}

/** Why the env cannot lease this GPU now, or null when it is free. */
function takenReason(slot: GpuSlot, ctx: ChoiceContext): string | null {
  if (slot.gpu.uuid === null) return 'has no UUID in nvidia-smi to lease it by';
  if (ctx.excluded(slot)) return 'just leased by another start';
  if (slot.heldBy !== null) return `held by ${describeHolder(slot.heldBy, ctx.timeZone)}`;
  if (slot.busy !== null) return `busy outside devenv (${slot.busy})`;
  return null;
}

function largeEnough(gpu: HostGpu, minMemoryGiB: number | null): boolean {
  if (minMemoryGiB === null) return true;
  return gpu.memoryMiB !== null && gpu.memoryMiB >= minMemoryGiB * 1024 * MEMORY_SIZE_TOLERANCE;
}

function chooseCount(
  count: number,
  minMemoryGiB: number | null,
  previous: string[],
  ctx: ChoiceContext,
): GpuChoice {
  const want = `${plural(count, 'GPU')}${minMemoryGiB === null ? '' : ` of at least ${minMemoryGiB} GiB`}`;
  const sized = minMemoryGiB === null ? '' : ` with at least ${minMemoryGiB} GiB`;
  const candidates = ctx.slots.filter(
    (slot) => slot.gpu.uuid !== null && largeEnough(slot.gpu, minMemoryGiB),
  );
  const free = candidates.filter((slot) => takenReason(slot, ctx) === null);
  if (candidates.length < count) return tooFewOnHost(want, minMemoryGiB, candidates.length, free.length, ctx);
  if (free.length < count) {
    const taken = candidates.filter((slot) => takenReason(slot, ctx) !== null);
    return {
      ok: false,
      message: `gpus: ${want} requested, but ${freeOf(free.length, candidates.length)}${sized}: ${groupedReasons(taken, ctx)}`,
      hint: `\`devenv gpus\` shows who holds what; \`devenv start --wait\` waits until ${count} ${count === 1 ? 'is' : 'are'} free; or ask for fewer`,
      free: free.length,
      canWait: true,
    };
  }
  const hadBefore = (slot: GpuSlot) => slot.gpu.uuid !== null && includesGpu(previous, slot.gpu.uuid);
  const ranked = [...free].sort(byIdleness);
  const chosen = [...ranked.filter(hadBefore), ...ranked.filter((slot) => !hadBefore(slot))]
    .slice(0, count)
    .sort((a, b) => a.gpu.index - b.gpu.index);
  const indexes = chosen.map((slot) => slot.gpu.index);
  const uuids = chosen.map((slot) => slot.gpu.uuid as string);
  return {
    ok: true,
    uuids,
    indexes,
    explanation: `leased ${plural(indexes.length, 'GPU', 'GPUs', false)} ${indexes.join(',')} (${uuids.join(', ')})`,
    notice: lostNotice(previous, free, indexes, ctx),
  };
}

/** The host has fewer GPUs (of that size) than asked for: waiting cannot help. */
function tooFewOnHost(
  want: string,
  minMemoryGiB: number | null,
  large: number,
  free: number,
  ctx: ChoiceContext,
): Refusal {
  if (ctx.slots.length === 0) {
    return refusal(
      `gpus: ${want} requested, but nvidia-smi lists no NVIDIA GPU on this host`,
      'set "gpus" to a count this host can give, or "none"',
      free,
      false,
    );
  }
  const sized = minMemoryGiB === null ? '' : ` with at least ${minMemoryGiB} GiB`;
  const has = large === 0 ? 'no GPUs' : `only ${plural(large, 'GPU')}`;
  const smaller = minMemoryGiB === null ? '' : 'a smaller "minMemoryGiB"';
  let hint: string;
  if (large === 0)
    hint = `set "gpus" to a count this host can give${smaller && ` (or ${smaller})`}, or "none"`;
  else
    hint = smaller
      ? `ask for at most ${large}, or ${smaller}`
      : `ask for at most ${large} ("gpus": ${large})`;
  return refusal(
    `gpus: ${want} requested, but this host has ${has}${sized}: ${describeGpus(ctx.slots.map((slot) => slot.gpu))}`,
    hint,
    free,
    false,
  );
}

/** "GPUs 4,5 it had last time are taken now (…); leased 6,7", or null when it kept them all. */
function lostNotice(
  previous: string[],
  free: GpuSlot[],
  indexes: number[],
  ctx: ChoiceContext,
): string | null {
  const lost = previous.filter(
    (uuid) => !free.some((slot) => slot.gpu.uuid !== null && sameGpu(slot.gpu.uuid, uuid)),
  );
  if (lost.length === 0) return null;
  const reasons = lost.map((uuid) => {
    const slot = ctx.slots.find((s) => s.gpu.uuid !== null && sameGpu(s.gpu.uuid, uuid));
    if (slot === undefined) return { name: uuid, why: 'gone from this host' };
    return { name: String(slot.gpu.index), why: takenReason(slot, ctx) ?? 'too small for this request' };
  });
  const names = reasons.map((r) => r.name);
  const whys = reasons.map((r) => `${r.name} ${r.why}`).join('; ');
  const verb = lost.length === 1 ? 'is' : 'are';
  return `${plural(lost.length, 'GPU', 'GPUs', false)} ${names.join(',')} it had last time ${verb} taken now (${whys}); leased ${indexes.join(',')}`;
}

function chooseAuto(ctx: ChoiceContext): GpuChoice {
  if (ctx.slots.length === 0) {
    return {
      ok: true,
      uuids: [],
      indexes: [],
      explanation: 'no NVIDIA GPU on this host; starting without GPUs',
      notice: null,
    };
  }
  const taken = ctx.slots.filter((slot) => takenReason(slot, ctx) !== null);
  const chosen = ctx.slots.filter((slot) => takenReason(slot, ctx) === null);
  const indexes = chosen.map((slot) => slot.gpu.index);
  const explanation =
    chosen.length === 0
      ? `starting without GPUs: none of the ${plural(ctx.slots.length, 'GPU')} is free (${groupedReasons(taken, ctx)})`
      : `wiring ${plural(indexes.length, 'GPU', 'GPUs', false)} ${indexes.join(',')}${taken.length === 0 ? '' : `; left out ${groupedReasons(taken, ctx)}`}`;
  return {
    ok: true,
    uuids: chosen.map((slot) => slot.gpu.uuid as string),
    indexes,
    explanation,
    notice: null,
  };
}

function chooseListed(ids: Array<string | number>, ctx: ChoiceContext): GpuChoice {
  const selected: GpuSlot[] = [];
  const unknown: string[] = [];
  for (const id of ids) {
    const slot = findSlot(id, ctx.slots);
    if (slot === undefined) unknown.push(String(id));
    else if (!selected.includes(slot)) selected.push(slot);
  }
  if (unknown.length > 0) {
    const exists = ctx.slots.map(
      (slot) => `${slot.gpu.index} (${slot.gpu.name}${slot.gpu.uuid === null ? '' : `, ${slot.gpu.uuid}`})`,
    );
    return {
      ok: false,
      message: `gpus: no GPU ${unknown.join(', ')} on this host`,
      hint:
        exists.length === 0
          ? 'nvidia-smi lists no NVIDIA GPU here: set "gpus" to "auto" or "none"'
          : `use an index or UUID of: ${exists.join('; ')}`,
      free: ctx.slots.filter((slot) => takenReason(slot, ctx) === null).length,
      canWait: false,
    };
  }
  return chooseNamed(
    `[${ids.map((id) => JSON.stringify(id)).join(', ')}]`,
    selected.sort((a, b) => a.gpu.index - b.gpu.index),
    ctx,
    false,
  );
}

function findSlot(id: string | number, slots: GpuSlot[]): GpuSlot | undefined {
  const text = String(id).trim();
  if (/^\d+$/.test(text)) return slots.find((slot) => slot.gpu.index === Number(text));
  return slots.find((slot) => slot.gpu.uuid !== null && sameGpu(slot.gpu.uuid, text));
}

/** "all" or a list: exactly these GPUs, refused when another env holds any of them. */
function chooseNamed(label: string, selected: GpuSlot[], ctx: ChoiceContext, all: boolean): GpuChoice {
  const free = ctx.slots.filter((slot) => takenReason(slot, ctx) === null).length;
  if (selected.length === 0) {
    return refusal(
      `gpus: ${label} requested, but nvidia-smi lists no NVIDIA GPU on this host`,
      'run on a host with an NVIDIA GPU, or set "gpus" to "auto" or "none"',
      free,
      false,
    );
  }
  const held = selected.filter((slot) => slot.heldBy !== null || ctx.excluded(slot));
  if (held.length > 0) {
    return refusal(
      `gpus: ${label} requested, but ${held.length === selected.length ? (selected.length === 1 ? 'it is' : 'they are') : 'some are'} leased by another env: ${groupedReasons(held, ctx)}`,
      `ask for a number of GPUs instead ("gpus": ${selected.length}) or "auto", which take free ones, or ask the holder to stop their env; \`devenv gpus\` shows who holds what`,
      free,
      true,
    );
  }
  const wired = selected.filter((slot) => slot.gpu.uuid !== null);
  const unleasable = selected.filter((slot) => slot.gpu.uuid === null);
  const busy = wired.filter((slot) => slot.busy !== null);
  const indexes = wired.map((slot) => slot.gpu.index);
  const uuids = wired.map((slot) => slot.gpu.uuid as string);
  const what = all
    ? `all ${plural(wired.length, 'GPU')} (${indexes.join(',')})`
    : `${plural(indexes.length, 'GPU', 'GPUs', false)} ${indexes.join(',')} (${uuids.join(', ')})`;
  const notes = [
    ...(busy.length === 0 ? [] : [`${groupedReasons(busy, ctx)}, wired anyway as asked`]),
    ...(unleasable.length === 0 ? [] : [`left out ${groupedReasons(unleasable, ctx)}`]),
  ];
  return { ok: true, uuids, indexes, explanation: [`leased ${what}`, ...notes].join('; '), notice: null };
}

function refusal(message: string, hint: string, free: number, canWait: boolean): Refusal {
  return { ok: false, message, hint, free, canWait };
}

/** Least used first: utilization, then memory in use (in coarse steps), then the lowest index. */
function byIdleness(a: GpuSlot, b: GpuSlot): number {
  const utilization = (slot: GpuSlot) => slot.usage?.utilizationPct ?? 0;
  const memoryStep = (slot: GpuSlot) => Math.floor((slot.usage?.memoryUsedMiB ?? 0) / MEMORY_RANK_STEP_MIB);
  return utilization(a) - utilization(b) || memoryStep(a) - memoryStep(b) || a.gpu.index - b.gpu.index;
}

/** "GPUs 0,1 held by alice (…) since …; GPU 6 busy outside devenv (…)": one entry per reason. */
function groupedReasons(slots: GpuSlot[], ctx: ChoiceContext): string {
  const groups = new Map<string, number[]>();
  for (const slot of slots) {
    const why = takenReason(slot, ctx) ?? 'free';
    groups.set(why, [...(groups.get(why) ?? []), slot.gpu.index]);
  }
  return [...groups]
    .map(([why, indexes]) => `${plural(indexes.length, 'GPU', 'GPUs', false)} ${indexes.join(',')} ${why}`)
    .join('; ');
}

function freeOf(free: number, of: number): string {
  if (free === 0) return `none of the ${plural(of, 'GPU')} is free`;
  return `only ${free} of the ${plural(of, 'GPU')} ${free === 1 ? 'is' : 'are'} free`;
}

/**
 * What `mine` should do after re-reading the ledger, in every interleaving of two starts:
 * - `lost`: an overlapping lease came first (see `raceOrder`); remove the container, pick again.
 * - `wait`: only later starts overlap, and they have not decided yet; re-read shortly. Each of
 *   them either sees `mine` and backs off, or re-read before `mine` was listed and starts, which
 *   makes it come first: neither can be known from one read.
 * - `won`: no overlapping lease is left (or `mine` already runs): start.
 * Starting only on `won` keeps two envs off one GPU even when the engine lists the containers in
 * another order than their creation times say; the order only decides who waits for whom.
 */
export type RaceOutcome =
  | { outcome: 'won' }
  | { outcome: 'lost'; to: Lease }
  | { outcome: 'wait'; on: Lease[] };

export function raceOutcome(mine: Lease, ledger: Lease[]): RaceOutcome {
  const rivals = ledger.filter(
    (lease) =>
      lease.containerId !== mine.containerId &&
      lease.container !== mine.container &&
      lease.uuids.some((u) => includesGpu(mine.uuids, u)),
  );
  const first = rivals.filter((rival) => raceOrder(rival, mine) < 0).sort(raceOrder)[0];
  if (first !== undefined) return { outcome: 'lost', to: first };
  if (!mine.pending || rivals.length === 0) return { outcome: 'won' };
  return { outcome: 'wait', on: rivals };
}

/** Which of two leases came first: a running lease before a pending one, then by `since`, then by id. */
function raceOrder(a: Lease, b: Lease): number {
  if (a.pending !== b.pending) return a.pending ? 1 : -1;
  return (
    compareInstants(a.since, b.since) ||
    (a.containerId < b.containerId ? -1 : a.containerId > b.containerId ? 1 : 0)
  );
}

/** ISO times, to the nanosecond the engine gives (Date.parse stops at the millisecond). */
function compareInstants(a: string, b: string): number {
  const [ms, other] = [Date.parse(a), Date.parse(b)];
  if (Number.isNaN(ms) || Number.isNaN(other)) return a < b ? -1 : a > b ? 1 : 0;
  if (ms !== other) return ms - other;
  const fraction = (iso: string) => (/\.(\d+)/.exec(iso)?.[1] ?? '').padEnd(9, '0');
  const [fa, fb] = [fraction(a), fraction(b)];
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

/**
 * The one-line holder text used in errors and the map: "alice (env podcast, container
 * devenv-podcast-alice) since 2026-12-01 14:02", in `timeZone` (the host's when unset).
 */
export function describeHolder(lease: Lease, timeZone?: string): string {
  const starting = lease.pending ? ', starting' : '';
  return `${lease.user} (env ${lease.env}, container ${lease.container}${starting}) since ${formatSince(lease.since, timeZone)}`;
}

function formatSince(iso: string, timeZone: string | undefined): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** "1 GPU", "2 GPUs"; without the number: "GPU", "GPUs". */
function plural(n: number, one: string, many = `${one}s`, withNumber = true): string {
  const word = n === 1 ? one : many;
  return withNumber ? `${n} ${word}` : word;
}
