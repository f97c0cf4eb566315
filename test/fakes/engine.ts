import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ImageBuild } from '../../src/core/build-plan.js';
import type { ContainerCreateBody } from '../../src/core/container-plan.js';
import type {
  BuildEvents,
  ContainerDetails,
  ContainerState,
  Engine,
  EngineInfo,
  EngineLock,
  ExecIo,
  ExecRequest,
  ImageState,
  LogsIo,
  LogsOptions,
  RegistryAuth,
} from '../../src/core/engine.js';
import { BuildFailure, ENGINE_CHANGES, RegistryFailure } from '../../src/core/engine.js';
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

/** An image as the fake engine keeps it: untagged (no `tags`) and no image's parent is dangling. */
export interface FakeImage extends ImageState {
  tags: string[];
  /** The image it was built on ('' for none): removing that one by id is refused while this exists. */
  parent: string;
}

/** An image as a registry holds it: what a pull gives back (same id, labels; no parent). */
export interface RegistryImage {
  id: string;
  labels: Record<string, string>;
  created: string;
  size: number;
}

/** A registry the fake engines push to and pull from, by reference (repo:tag); share one between engines. */
export type FakeRegistry = Map<string, RegistryImage>;

/** What the engine says when a registry refuses, by kind (as src/docker/errors.ts classifies it). */
export const REGISTRY_MESSAGES: Record<RegistryFailure['kind'], string> = {
  missing: 'manifest unknown: manifest unknown',
  unreachable: 'Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused',
  denied: 'unauthorized: authentication required',
  other: 'received unexpected HTTP status: 500 Internal Server Error',
};

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
  /** The id of the image it builds on (a failed build's leftover builds on what it started from). */
  parent?: string;
  /** The id it gets; a new one unless given (an image loaded or pulled keeps the id it had). */
  id?: string;
}

let engineInstances = 0;

/**
 * An in-memory Docker engine implementing the Engine port (src/core/engine.ts) as src/docker/
 * does it over dockerode: containers and images found by name, id or id prefix and by label
 * filters (`key=value` and bare `key`); a 304 (start a running one, stop a stopped one) and a 404
 * on remove are success; a taken name is ContainerNameTaken. Removing an image by id is ImageInUse
 * (the engine's 409) while a container uses it, another image has it as parent, or it has names
 * in more than one repository; it takes its untagged parents that nothing else uses with it.
 * A build is one image on the one its Dockerfile's FROM names (build args expanded), with that
 * image's labels under the build's, as the engine inherits them. Pushes and pulls go to
 * `registry`; export and import hand the images over in memory. Every call is recorded, and
 * `when`/`failOn` make the Nth call of a method do something first or fail (an engine failing
 * half way).
 */
export class FakeEngine implements Engine {
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Map<string, FakeImage>();
  /** Every call, in order, with its arguments. */
  readonly calls: Array<{ method: EngineMethod; args: unknown[] }> = [];
  /** Each build's plan and options, in order. */
  readonly builds: Array<{ plan: ImageBuild; noCache: boolean }> = [];
  readonly pulls: string[] = [];
  /** Each push and pull from a registry, in order, with the credentials it was given. */
  readonly registryCalls: Array<{ kind: 'push' | 'pull'; ref: string; auth: RegistryAuth | null }> = [];
  /** What the registry says to a push or pull, by kind; unset: it does what it is asked. */
  readonly registryRefuses: { push?: RegistryFailure['kind']; pull?: RegistryFailure['kind'] } = {};
  readonly registry: FakeRegistry;
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
  /** Ids differ between engines, as two engines' builds do. */
  private readonly instance = ++engineInstances;

  constructor(options: { registry?: FakeRegistry } = {}) {
    this.registry = options.registry ?? new Map();
  }

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
    const id = seed.id ?? `sha256:${this.nextId('image')}`;
    for (const tag of seed.tags ?? []) this.untag(tag);
    const existing = this.images.get(id);
    if (existing) {
      existing.tags = [...new Set([...existing.tags, ...(seed.tags ?? []).map(normalizeRef)])];
      return id;
    }
    this.images.set(id, {
      id,
      tags: (seed.tags ?? []).map(normalizeRef),
      labels: { ...(seed.labels ?? {}) },
      created: seed.created ?? new Date().toISOString(),
      size: seed.size ?? 100_000_000,
      parent: seed.parent ?? '',
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
    // Only an inspect says what the image was built on.
    return image ? { ...imageState(image), parent: image.parent } : null;
  }

  async listImages(labelFilters: string[]): Promise<ImageState[]> {
    await this.enter('listImages', [labelFilters]);
    return [...this.images.values()].filter((i) => matchesLabels(i.labels, labelFilters)).map(imageState);
  }

  async listDanglingImages(labelFilters: string[]): Promise<ImageState[]> {
    await this.enter('listDanglingImages', [labelFilters]);
    return [...this.images.values()]
      .filter((i) => i.tags.length === 0 && !this.hasChildren(i.id) && matchesLabels(i.labels, labelFilters))
      .map(imageState);
  }

  async pullImage(ref: string, onLine?: (line: string) => void): Promise<void> {
    await this.enter('pullImage', [ref]);
    this.pulls.push(ref);
    onLine?.(`${normalizeRef(ref)}: Pull complete`);
    if (!this.findImage(ref)) this.addImage({ tags: [ref] });
  }

  async pullFromRegistry(
    ref: string,
    auth: RegistryAuth | null,
    onLine?: (line: string) => void,
  ): Promise<void> {
    await this.enter('pullFromRegistry', [ref, auth]);
    this.registryCalls.push({ kind: 'pull', ref, auth });
    const refused = this.registryRefuses.pull;
    if (refused) throw new RegistryFailure(refused, REGISTRY_MESSAGES[refused]);
    const stored = this.registry.get(normalizeRef(ref));
    if (!stored) throw new RegistryFailure('missing', REGISTRY_MESSAGES.missing);
    onLine?.(`${normalizeRef(ref)}: Pull complete`);
    // The same image as was pushed (same id and labels), with nothing it was built on here.
    this.addImage({ ...stored, tags: [ref] });
  }

  async pushImage(ref: string, auth: RegistryAuth | null, onLine?: (line: string) => void): Promise<void> {
    await this.enter('pushImage', [ref, auth]);
    this.registryCalls.push({ kind: 'push', ref, auth });
    const image = this.images.get(this.findImage(ref)?.id ?? '');
    if (!image || !image.tags.includes(normalizeRef(ref)))
      throw new RegistryFailure('missing', `An image does not exist locally with the tag: ${ref}`);
    const refused = this.registryRefuses.push;
    if (refused) throw new RegistryFailure(refused, REGISTRY_MESSAGES[refused]);
    this.registry.set(normalizeRef(ref), {
      id: image.id,
      labels: { ...image.labels },
      created: image.created,
      size: image.size,
    });
    onLine?.(`${normalizeRef(ref)}: Pushed`);
  }

  async tagImage(source: string, target: string): Promise<void> {
    await this.enter('tagImage', [source, target]);
    const image = this.findImage(source);
    if (!image)
      throw new DevenvError(`the engine refused naming image ${target}: No such image: ${source}`, {
        code: 'engine',
      });
    this.untag(target);
    image.tags.push(normalizeRef(target));
  }

  async untagImage(ref: string): Promise<void> {
    await this.enter('untagImage', [ref]);
    this.remove(ref, { prune: false });
  }

  async exportImages(refs: string[]): Promise<NodeJS.ReadableStream> {
    await this.enter('exportImages', [refs]);
    const saved = refs.map((ref) => {
      const image = this.findImage(ref);
      if (!image)
        throw new DevenvError(`the engine refused exporting ${refs.join(', ')}: No such image: ${ref}`, {
          code: 'engine',
        });
      const tags = image.tags.filter((t) => t === normalizeRef(ref));
      return { id: image.id, tags, labels: image.labels, created: image.created, size: image.size };
    });
    // What `docker save` writes, in memory: the images with the names asked for, nothing they were built on.
    return Readable.from([Buffer.from(JSON.stringify(saved))]);
  }

  async importImages(tar: NodeJS.ReadableStream): Promise<void> {
    await this.enter('importImages', []);
    const chunks: Buffer[] = [];
    for await (const chunk of tar) chunks.push(Buffer.from(chunk as Uint8Array));
    let saved: Array<Required<Omit<ImageSeed, 'parent'>>>;
    try {
      saved = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new DevenvError('the engine refused loading images: unexpected EOF', { code: 'engine' });
    }
    for (const image of saved) this.addImage(image);
  }

  /**
   * The engine-wide lock as the real one makes it: a running container of that name, with the
   * labels given, gone on release. Another holder's lock is `addContainer({name, running: true})`.
   */
  async takeLock(name: string, image: string, labels: Record<string, string>): Promise<EngineLock | null> {
    await this.enter('takeLock', [name]);
    if ([...this.containers.values()].some((c) => c.name === name)) return null;
    const id = this.addContainer({ name, image, labels, running: true });
    return {
      release: async () => {
        this.containers.delete(id);
      },
    };
  }

  async buildImage(
    plan: ImageBuild,
    options: BuildEvents & { noCache: boolean; signal?: AbortSignal },
  ): Promise<string> {
    await this.enter('buildImage', [plan, options]);
    this.builds.push({ plan, noCache: options.noCache });
    const from = fromOf(plan);
    const parent = this.findImage(from);
    // The builder pulls a FROM image it lacks; these are in no registry it can reach.
    if (!parent) throw new Error(`pull access denied for ${from}, repository does not exist`);
    const steps = [`FROM ${from}`, 'RUN /opt/devenv/setup.sh'];
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
    const id = this.addImage({
      tags: [plan.imageRef],
      labels: { ...parent.labels, ...plan.labels },
      parent: parent.id,
    });
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
    this.remove(id, { prune: true });
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
    return createHash('sha256').update(`${this.instance}-${kind}-${this.serial}`).digest('hex');
  }

  private hasChildren(id: string): boolean {
    return [...this.images.values()].some((i) => i.parent === id);
  }

  /** Why the engine refuses to remove this image (its 409), or null when it can go. */
  private conflict(image: FakeImage): string | null {
    if (this.hasChildren(image.id)) return 'image has dependent child images';
    if ([...this.containers.values()].some((c) => c.imageId === image.id))
      return 'image is being used by a container';
    return null;
  }

  /**
   * `docker rmi` as the engine does it. By name: the name goes, and the image with it when that
   * was its last one and nothing needs it (else it stays, untagged, without a word). By id: the
   * image and its name, refused (409) while anything needs it or it has more than one name.
   * `prune` takes the untagged parents only this image built on as well.
   */
  private remove(ref: string, options: { prune: boolean }): void {
    const image = this.findImage(ref);
    if (!image) return; // 404: gone already
    const byName = image.tags.includes(normalizeRef(ref));
    if (byName) {
      image.tags = image.tags.filter((t) => t !== normalizeRef(ref));
      if (image.tags.length > 0 || this.conflict(image)) return;
    } else {
      // The engine removes an image by id with its one name, not with two (`must be forced`).
      const conflict =
        image.tags.length > 1 ? 'image is referenced in multiple repositories' : this.conflict(image);
      if (conflict)
        throw new ImageInUse(ref, new Error(`409 Conflict: unable to delete ${ref}: ${conflict}`));
    }
    this.images.delete(image.id);
    let parent = options.prune ? this.images.get(image.parent) : undefined;
    while (parent && parent.tags.length === 0 && !this.conflict(parent)) {
      this.images.delete(parent.id);
      parent = this.images.get(parent.parent);
    }
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

/**
 * The image a build starts from: its Dockerfile's FROM with the build args (or the ARG defaults)
 * put in, as the builder reads it; without a Dockerfile, SHARED_IMAGE or BASE_IMAGE.
 */
function fromOf(plan: ImageBuild): string {
  const dockerfile = plan.files.find((f) => f.path === 'Dockerfile');
  if (!dockerfile) {
    const named = plan.buildArgs.SHARED_IMAGE ?? plan.buildArgs.BASE_IMAGE;
    if (!named) throw new Error('fake engine: the build has no Dockerfile and no BASE_IMAGE or SHARED_IMAGE');
    return named;
  }
  const defaults: Record<string, string> = {};
  for (const line of Buffer.from(dockerfile.content).toString('utf8').split('\n')) {
    const from = /^\s*FROM\s+(\S+)/i.exec(line);
    if (from?.[1])
      return from[1].replace(
        /\$\{?(\w+)\}?/g,
        (_, name: string) => plan.buildArgs[name] ?? defaults[name] ?? '',
      );
    const arg = /^\s*ARG\s+(.+)$/i.exec(line);
    for (const part of arg?.[1]?.split(/\s+/) ?? []) {
      const [name = '', value] = part.split('=');
      if (value !== undefined) defaults[name] = value.replace(/^"|"$/g, '');
    }
  }
  throw new Error('fake engine: the Dockerfile has no FROM line');
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
