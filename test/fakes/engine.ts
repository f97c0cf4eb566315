import { createHash } from 'node:crypto';
import type { BuildPlan } from '../../src/core/build-plan.js';
import type { ContainerCreateBody } from '../../src/core/container-plan.js';
import type {
  BuildEvents,
  ContainerDetails,
  ContainerState,
  Engine,
  EngineInfo,
  ExecIo,
  ExecRequest,
  ImageState,
  LogsIo,
  LogsOptions,
} from '../../src/core/engine.js';
import { BuildFailure, ENGINE_CHANGES } from '../../src/core/engine.js';
import { ContainerNameTaken, DevenvError, ImageInUse } from '../../src/core/errors.js';
import { type HealthState, healthTimes } from '../../src/core/health.js';
import {
  mappingsFromBindings,
  type PortMapping,
  type PublishedPort,
} from '../../src/core/published-ports.js';

export type EngineMethod = keyof Engine;

/** A container as the fake engine keeps it: what inspect says, plus what it was created from. */
export interface FakeContainer extends ContainerDetails {
  /** The create request; null for a container a test put there. */
  body: ContainerCreateBody | null;
  /** What `docker diff` says changed in its writable layer. */
  changes: Array<{ path: string; kind: 'changed' | 'added' | 'deleted' }>;
}

/** An image as the fake engine keeps it: untagged (no `tags`) is dangling. */
export interface FakeImage extends ImageState {
  tags: string[];
}

/** What a test puts on the engine before the code under test runs: another user's env, a foreign container. */
export interface ContainerSeed {
  name: string;
  labels?: Record<string, string>;
  running?: boolean;
  /** The engine's state; "running" or "exited" from `running` unless given (e.g. "created"). */
  status?: string;
  image?: string;
  created?: string;
  ports?: PortMapping[];
  health?: HealthState | null;
}

export interface ImageSeed {
  tags?: string[];
  labels?: Record<string, string>;
  created?: string;
  size?: number;
}

/**
 * An in-memory Docker engine implementing the Engine port (src/core/engine.ts) as src/docker/
 * does it over dockerode: containers and images found by name, id or id prefix and by label
 * filters (`key=value` and bare `key`); a 304 (start a running one, stop a stopped one) and a 404
 * on remove are success; a taken name is ContainerNameTaken; removing an image a container uses is
 * ImageInUse. Every call is recorded, and `when`/`failOn` make the Nth call of a method do
 * something first or fail (an engine failing half way).
 */
export class FakeEngine implements Engine {
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Map<string, FakeImage>();
  /** Every call, in order, with its arguments. */
  readonly calls: Array<{ method: EngineMethod; args: unknown[] }> = [];
  /** Each build's plan and options, in order. */
  readonly builds: Array<{ plan: BuildPlan; noCache: boolean }> = [];
  readonly pulls: string[] = [];
  readonly execs: ExecRequest[] = [];
  /** Lines every build prints after its steps (what a RUN step says). */
  buildOutput: string[] = [];
  /** Set: builds fail after their output with this engine message, as a RUN step that exits non-zero does. */
  buildFailure: string | null = null;
  /** What every exec exits with. */
  execExitCode = 0;
  /** What `docker logs` prints, by container id. */
  readonly logs = new Map<string, { stdout: string; stderr: string }>();
  infoAnswer: EngineInfo = {
    serverVersion: '27.5.1',
    apiVersion: '1.47',
    os: 'Debian GNU/Linux 12 (bookworm)',
    runtimes: { runc: { path: 'runc' } },
    cdiSpecDirs: [],
    dockerRootDir: '/var/lib/docker',
  };

  private readonly counts = new Map<EngineMethod, number>();
  private readonly hooks: Array<{ method: EngineMethod; nth: number; action: () => void | Promise<void> }> =
    [];
  private serial = 0;

  /** How many times `method` was called. */
  count(method: EngineMethod): number {
    return this.counts.get(method) ?? 0;
  }

  /** The calls that change something on the engine (what a run on a current env must not make). */
  changes(): EngineMethod[] {
    return this.calls.map((c) => c.method).filter((m) => ENGINE_CHANGES.has(m));
  }

  /**
   * Runs `action` when `method` is called for the `nth` time since the fake was made (1-based),
   * before the call does anything; an action that throws makes the call fail with that error.
   */
  when(method: EngineMethod, nth: number, action: () => void | Promise<void>): void {
    this.hooks.push({ method, nth, action });
  }

  /** The `nth` call of `method` fails with `error` (an engine error, exit 4, unless given). */
  failOn(method: EngineMethod, nth: number, error?: Error): void {
    this.when(method, nth, () => {
      throw (
        error ??
        new DevenvError(`the engine failed while ${method} (injected failure)`, {
          hint: 'check the engine',
          code: 'engine',
        })
      );
    });
  }

  // --- what a test puts there, and reads back ---

  addContainer(seed: ContainerSeed): string {
    const id = this.nextId('container');
    const running = seed.running ?? false;
    this.containers.set(id, {
      id,
      name: seed.name,
      running,
      status: seed.status ?? (running ? 'running' : 'exited'),
      labels: { ...(seed.labels ?? {}) },
      imageId: seed.image ? (this.findImage(seed.image)?.id ?? seed.image) : '',
      created: seed.created ?? new Date().toISOString(),
      health: seed.health ?? null,
      healthcheck: null,
      ports: seed.ports ?? [],
      body: null,
      changes: [],
    });
    return id;
  }

  addImage(seed: ImageSeed = {}): string {
    const id = `sha256:${this.nextId('image')}`;
    for (const tag of seed.tags ?? []) this.untag(tag);
    this.images.set(id, {
      id,
      tags: (seed.tags ?? []).map(normalizeRef),
      labels: { ...(seed.labels ?? {}) },
      created: seed.created ?? new Date().toISOString(),
      size: seed.size ?? 100_000_000,
    });
    return id;
  }

  /** The container of that name or id, as the engine holds it now; undefined when there is none. */
  container(nameOrId: string): FakeContainer | undefined {
    return this.findContainer(nameOrId);
  }

  image(ref: string): FakeImage | undefined {
    return this.findImage(ref);
  }

  /** Sets what a container's healthcheck says now. */
  setHealth(nameOrId: string, health: HealthState | null): void {
    const container = this.findContainer(nameOrId);
    if (!container) throw new Error(`fake engine: no container ${nameOrId}`);
    container.health = health;
  }

  // --- the Engine port ---

  async checkCompatible(): Promise<void> {
    await this.enter('checkCompatible', []);
  }

  async info(): Promise<EngineInfo> {
    await this.enter('info', []);
    return structuredClone(this.infoAnswer);
  }

  async inspectContainer(nameOrId: string): Promise<ContainerDetails | null> {
    await this.enter('inspectContainer', [nameOrId]);
    const c = this.findContainer(nameOrId);
    return c ? details(c) : null;
  }

  async listContainers(labelFilters: string[]): Promise<ContainerState[]> {
    await this.enter('listContainers', [labelFilters]);
    return [...this.containers.values()]
      .filter((c) => matchesLabels(c.labels, labelFilters))
      .map(({ id, name, running, status, labels, imageId, created }) => ({
        id,
        name,
        running,
        status,
        labels: { ...labels },
        imageId,
        created,
      }));
  }

  async listPublishedPorts(): Promise<PublishedPort[]> {
    await this.enter('listPublishedPorts', []);
    return [...this.containers.values()]
      .filter((c) => c.running)
      .flatMap((c) =>
        c.ports.map((p) => ({
          containerId: c.id,
          container: c.name,
          hostIp: p.hostIp,
          hostPort: p.hostPort,
          protocol: p.protocol,
        })),
      );
  }

  async inspectImage(ref: string): Promise<ImageState | null> {
    await this.enter('inspectImage', [ref]);
    const image = this.findImage(ref);
    return image ? imageState(image) : null;
  }

  async listImages(labelFilters: string[]): Promise<ImageState[]> {
    await this.enter('listImages', [labelFilters]);
    return [...this.images.values()].filter((i) => matchesLabels(i.labels, labelFilters)).map(imageState);
  }

  async listDanglingImages(labelFilters: string[]): Promise<ImageState[]> {
    await this.enter('listDanglingImages', [labelFilters]);
    return [...this.images.values()]
      .filter((i) => i.tags.length === 0 && matchesLabels(i.labels, labelFilters))
      .map(imageState);
  }

  async pullImage(ref: string, onLine?: (line: string) => void): Promise<void> {
    await this.enter('pullImage', [ref]);
    this.pulls.push(ref);
    onLine?.(`${normalizeRef(ref)}: Pull complete`);
    if (!this.findImage(ref)) this.addImage({ tags: [ref] });
  }

  async buildImage(
    plan: BuildPlan,
    options: BuildEvents & { noCache: boolean; signal?: AbortSignal },
  ): Promise<string> {
    await this.enter('buildImage', [plan, options]);
    this.builds.push({ plan, noCache: options.noCache });
    if (!this.findImage(plan.baseImage))
      throw new Error(`pull access denied for ${plan.baseImage}, repository does not exist`);
    const steps = [`FROM ${plan.baseImage}`, 'RUN /opt/devenv/setup.sh'];
    steps.forEach((instruction, i) => {
      options.onLine?.(`Step ${i + 1}/${steps.length} : ${instruction}`);
      options.onStep?.(i + 1, steps.length, instruction);
    });
    for (const line of this.buildOutput) options.onLine?.(line);
    if (options.signal?.aborted) throw options.signal.reason;
    if (this.buildFailure !== null) {
      const exit = /non-zero code: (\d+)/.exec(this.buildFailure)?.[1];
      throw new BuildFailure({
        engineMessage: this.buildFailure,
        step: { number: steps.length, total: steps.length, instruction: steps.at(-1) ?? '' },
        exitCode: exit === undefined ? null : Number(exit),
        diskFull: /no space left on device/i.test(this.buildFailure),
        logTail: this.buildOutput,
      });
    }
    const id = this.addImage({ tags: [plan.imageRef], labels: plan.labels });
    options.onLine?.(`Successfully built ${id.slice('sha256:'.length, 'sha256:'.length + 12)}`);
    return id;
  }

  async createContainer(body: ContainerCreateBody): Promise<string> {
    await this.enter('createContainer', [body]);
    if (this.findContainer(body.name)) throw new ContainerNameTaken(body.name, new Error('409 Conflict'));
    const image = this.findImage(body.Image);
    if (!image)
      throw new DevenvError(
        `the engine refused creating container ${body.name}: No such image: ${body.Image}`,
        {
          code: 'engine',
        },
      );
    const id = this.nextId('container');
    const check = body.Healthcheck;
    const hasCheck = Boolean(check?.Test.length) && check?.Test[0] !== 'NONE';
    this.containers.set(id, {
      id,
      name: body.name,
      running: false,
      status: 'created',
      labels: { ...body.Labels },
      imageId: image.id,
      created: new Date().toISOString(),
      health: null,
      healthcheck: hasCheck ? healthTimes(check) : null,
      ports: mappingsFromBindings(body.HostConfig.PortBindings),
      body: structuredClone(body),
      changes: [],
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    await this.enter('startContainer', [id]);
    const c = this.mustFind(id, 'starting the container');
    if (c.running) return; // 304: already started
    c.running = true;
    c.status = 'running';
    if (c.healthcheck) c.health = { status: 'starting', lastProbe: null };
  }

  async stopContainer(id: string): Promise<void> {
    await this.enter('stopContainer', [id]);
    const c = this.findContainer(id);
    if (!c || !c.running) return; // 404 or 304: nothing to stop
    c.running = false;
    c.status = 'exited';
  }

  async removeContainer(id: string): Promise<void> {
    await this.enter('removeContainer', [id]);
    const c = this.findContainer(id);
    if (c) this.containers.delete(c.id); // forced, as src/docker/ removes; 404 is success
  }

  async removeImage(id: string): Promise<void> {
    await this.enter('removeImage', [id]);
    const image = this.findImage(id);
    if (!image) return;
    if ([...this.containers.values()].some((c) => c.imageId === image.id))
      throw new ImageInUse(id, new Error('409 Conflict: image is being used by a container'));
    this.images.delete(image.id);
  }

  async containerChanges(id: string): Promise<FakeContainer['changes']> {
    await this.enter('containerChanges', [id]);
    return [...this.mustFind(id, 'listing container changes').changes];
  }

  async exec(
    request: ExecRequest,
    _io: ExecIo,
    _registerRestore: (restore: () => void) => () => void,
  ): Promise<number> {
    await this.enter('exec', [request]);
    const c = this.findContainer(request.container);
    if (!c)
      throw new DevenvError(`the env's container ${request.container} does not exist`, { code: 'notFound' });
    if (!c.running)
      throw new DevenvError(`the env's container ${request.container} is not running`, { code: 'notFound' });
    this.execs.push(request);
    return this.execExitCode;
  }

  async containerLogs(nameOrId: string, _options: LogsOptions, out: LogsIo): Promise<void> {
    await this.enter('containerLogs', [nameOrId]);
    const c = this.mustFind(nameOrId, 'reading the logs');
    const logs = this.logs.get(c.id);
    if (logs?.stdout) out.stdout.write(logs.stdout);
    if (logs?.stderr) out.stderr.write(logs.stderr);
  }

  // --- inside ---

  private async enter(method: EngineMethod, args: unknown[]): Promise<void> {
    const nth = this.count(method) + 1;
    this.counts.set(method, nth);
    this.calls.push({ method, args });
    for (const hook of this.hooks.filter((h) => h.method === method && h.nth === nth)) await hook.action();
  }

  private nextId(kind: string): string {
    this.serial += 1;
    return createHash('sha256').update(`${kind}-${this.serial}`).digest('hex');
  }

  private findContainer(nameOrId: string): FakeContainer | undefined {
    const all = [...this.containers.values()];
    const name = nameOrId.replace(/^\//, '');
    return (
      this.containers.get(nameOrId) ??
      all.find((c) => c.name === name) ??
      // The engine takes a unique prefix of an id.
      (nameOrId.length >= 4 ? onlyOne(all.filter((c) => c.id.startsWith(nameOrId))) : undefined)
    );
  }

  private mustFind(nameOrId: string, doing: string): FakeContainer {
    const c = this.findContainer(nameOrId);
    if (!c)
      throw new DevenvError(`the engine refused ${doing}: No such container: ${nameOrId}`, {
        code: 'engine',
      });
    return c;
  }

  private findImage(ref: string): FakeImage | undefined {
    const all = [...this.images.values()];
    const bare = ref.replace(/^sha256:/, '');
    return (
      all.find((i) => i.tags.includes(normalizeRef(ref))) ??
      all.find((i) => i.id === ref || i.id === `sha256:${bare}`) ??
      (bare.length >= 4 && /^[0-9a-f]+$/.test(bare)
        ? onlyOne(all.filter((i) => i.id.startsWith(`sha256:${bare}`)))
        : undefined)
    );
  }

  /** A new image with a tag takes it from the image that had it, which is left dangling if that was its last. */
  private untag(tag: string): void {
    for (const image of this.images.values()) image.tags = image.tags.filter((t) => t !== normalizeRef(tag));
  }
}

/** The engine's label filters: `key=value` matches that value, a bare `key` any value; all must match. */
export function matchesLabels(labels: Record<string, string>, filters: string[]): boolean {
  return filters.every((filter) => {
    const at = filter.indexOf('=');
    if (at === -1) return Object.hasOwn(labels, filter);
    return labels[filter.slice(0, at)] === filter.slice(at + 1);
  });
}

/** "ubuntu" is "ubuntu:latest", as the engine reads a reference without a tag. */
function normalizeRef(ref: string): string {
  const lastPart = ref.split('/').at(-1) ?? ref;
  return lastPart.includes(':') || ref.includes('@') ? ref : `${ref}:latest`;
}

function onlyOne<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}

function details(c: FakeContainer): ContainerDetails {
  return {
    id: c.id,
    name: c.name,
    running: c.running,
    status: c.status,
    labels: { ...c.labels },
    imageId: c.imageId,
    created: c.created,
    health: c.health && structuredClone(c.health),
    healthcheck: c.healthcheck && { ...c.healthcheck },
    ports: c.ports.map((p) => ({ ...p })),
  };
}

function imageState(i: FakeImage): ImageState {
  return { id: i.id, labels: { ...i.labels }, created: i.created, size: i.size };
}
