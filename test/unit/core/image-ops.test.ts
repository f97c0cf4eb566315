import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type BuildPlan,
  type ImageBuild,
  NO_PYTHON_FOR_VENV,
  VENV_ENV_LINE,
} from '../../../src/core/build-plan.js';
import { ensureContainer, findEnvContainer, removeEnvContainer } from '../../../src/core/container-ops.js';
import type { ContainerCreateBody } from '../../../src/core/container-plan.js';
import {
  type BuildEvents,
  BuildFailure,
  type ContainerState,
  type Engine,
  type EngineInfo,
  type ImageState,
  RegistryFailure,
} from '../../../src/core/engine.js';
import { ContainerNameTaken, DevenvError, ImageInUse } from '../../../src/core/errors.js';
import {
  type EnvIdentity,
  envIdentity,
  isSharedLayer,
  LABELS,
  ownerLabels,
  SHARED_LAYER_LABELS,
  sharedImageRef,
} from '../../../src/core/identity.js';
import {
  diagnosisFromLog,
  ensureImage,
  type ImageSupply,
  imageStatus,
  removeDanglingEnvImages,
  removeUnusedSharedImages,
  sharedHashesOf,
} from '../../../src/core/image-ops.js';
import type { BuildLog, Reporter } from '../../../src/core/ports.js';
import { noGpuDriver } from '../../../src/docker/errors.js';
// The shared fake keeps tags, parents and dangling images as the engine does (removing by id is
// refused while an image builds on it, and takes untagged parents along): what prune relies on.
import { sharedBuild as sharedBuildOf } from '../../fakes/builds.js';
import { FakeEngine as MemoryEngine } from '../../fakes/engine.js';

const alice = { name: 'alice', uid: 1000, gid: 1000 };
const bob = { name: 'bob', uid: 1001, gid: 1001 };
const identity = envIdentity('podcastllm', alice, '/srv/envs/podcastllm');
const BASE = 'ubuntu:24.04';
const LOG_PATH = '/home/alice/.cache/devenv/build-podcastllm.log';
const SHARED_HASH = 'shared-hash';
const SHARED = sharedImageRef(SHARED_HASH);

/** The shared layers' build of this file's base. */
const sharedBuild = (hash = SHARED_HASH) => sharedBuildOf(hash, BASE);

/** An env's build: its user layer on `shared`. */
function buildPlan(
  hash = 'hash-new',
  options: { identity?: EnvIdentity; shared?: ImageBuild } = {},
): BuildPlan {
  const id = options.identity ?? identity;
  const shared = options.shared ?? sharedBuild();
  return {
    imageRef: id.imageRef,
    baseImage: BASE,
    buildArgs: { SHARED_IMAGE: shared.imageRef, USER_NAME: id.user.name },
    files: [],
    hash,
    labels: { ...ownerLabels(id), [LABELS.layer]: 'env', [LABELS.buildHash]: hash },
    shared,
  };
}

function containerPlan(settingsHash = 'create-new'): { body: ContainerCreateBody; settingsHash: string } {
  return {
    settingsHash,
    body: {
      name: identity.containerName,
      Image: identity.imageRef,
      Labels: { ...ownerLabels(identity), [LABELS.createHash]: settingsHash },
      WorkingDir: '/home/alice/projects',
      Env: [],
      Tty: false,
      HostConfig: { Init: true, Mounts: [], NetworkMode: 'host', ShmSize: 0, RestartPolicy: { Name: 'no' } },
    },
  };
}

/** What the engine reports when `RUN setup` (step 2/2) exits with `code`. */
function failedRun(code: number, logTail: string[]): BuildFailure {
  return new BuildFailure({
    engineMessage: `The command '/bin/sh -c setup' returned a non-zero code: ${code}`,
    step: { number: 2, total: 2, instruction: 'RUN setup' },
    exitCode: code,
    diskFull: false,
    logTail,
  });
}

/**
 * An in-memory engine: images by ref, containers by id, and a record of every call that changes
 * something. A build records its image on the one it is built FROM (SHARED_IMAGE, else
 * BASE_IMAGE) as its parent, with that image's labels under its own; removing an image by id is
 * refused (409) while a container uses it or another image has it as parent.
 */
class FakeEngine implements Engine {
  images = new Map<string, ImageState>();
  /** Untagged images nothing builds on: what `docker images --filter dangling=true` lists. */
  dangling: ImageState[] = [];
  /** Image ids a container uses: removing them is a conflict. */
  inUse = new Set<string>();
  containers = new Map<string, ContainerState>();
  calls: string[] = [];
  /** Each build's image ref and --no-cache, in order. */
  builds: Array<{ ref: string; noCache: boolean }> = [];
  buildOutput: string[] = ['Step 1/2 : FROM ubuntu:24.04', 'Step 2/2 : RUN setup'];
  buildFailure: Error | null = null;
  /** The id the env's image gets; a shared-layers build's image gets one of its hash. */
  buildImageId = 'sha256:built';
  startFailure: Error | null = null;
  lastBuildOptions: { noCache: boolean } | null = null;
  /** What a registry holds, by ref; `registryFailure` set: every push and pull fails with it. */
  registry = new Map<string, ImageState>();
  registryFailure: RegistryFailure | null = null;
  private nextId = 1;

  async info(): Promise<EngineInfo> {
    return {
      serverVersion: '27.0',
      apiVersion: '1.46',
      os: 'linux',
      runtimes: {},
      cdiSpecDirs: [],
      dockerRootDir: '/var/lib/docker',
    };
  }
  async inspectContainer(nameOrId: string) {
    const found =
      this.containers.get(nameOrId) ?? [...this.containers.values()].find((c) => c.name === nameOrId);
    return found ? { ...found, health: null, healthcheck: null, ports: [] } : null;
  }
  async listContainers() {
    return [...this.containers.values()];
  }
  async listPublishedPorts() {
    return [];
  }
  async inspectImage(ref: string) {
    return this.images.get(ref) ?? null;
  }
  async listImages() {
    return [...this.images.values()];
  }
  /** Untagged leaves, filtered by label as the engine does ("key=value", all must match). */
  async listDanglingImages(labelFilters: string[]) {
    return this.dangling.filter((image) =>
      labelFilters.every((filter) => {
        const [key = '', value] = filter.split(/=(.*)/s);
        return image.labels[key] === value;
      }),
    );
  }
  async pullImage(ref: string) {
    this.calls.push(`pull ${ref}`);
    this.images.set(ref, { id: `sha256:${ref}`, labels: {}, created: '', size: 1, parent: '' });
  }
  async pullFromRegistry(ref: string) {
    this.calls.push(`pull-registry ${ref}`);
    if (this.registryFailure) throw this.registryFailure;
    const stored = this.registry.get(ref);
    if (!stored) throw new RegistryFailure('missing', 'manifest unknown');
    this.images.set(ref, { ...stored, parent: '' });
  }
  async pushImage(ref: string) {
    this.calls.push(`push ${ref}`);
    const image = this.images.get(ref);
    if (!image) throw new RegistryFailure('missing', `An image does not exist locally with the tag: ${ref}`);
    if (this.registryFailure) throw this.registryFailure;
    this.registry.set(ref, { ...image });
  }
  async tagImage(source: string, target: string) {
    this.calls.push(`tag ${source} ${target}`);
    const image = this.images.get(source) ?? [...this.images.values()].find((i) => i.id === source);
    if (!image) throw new DevenvError(`No such image: ${source}`, { code: 'engine' });
    this.images.set(target, image);
  }
  /** The name goes; the image with it when that was its last and nothing needs it, else it dangles. */
  async untagImage(ref: string) {
    this.calls.push(`untag ${ref}`);
    const image = this.images.get(ref);
    if (!image) return;
    this.images.delete(ref);
    const named = [...this.images.values()].some((i) => i.id === image.id);
    if (!named && (this.inUse.has(image.id) || this.hasChildren(image.id))) this.dangling.push(image);
  }
  async exportImages(refs: string[]) {
    this.calls.push(`export ${refs.join(' ')}`);
    const saved = refs.map((ref) => {
      const image = this.images.get(ref);
      if (!image) throw new DevenvError(`No such image: ${ref}`, { code: 'engine' });
      return { ref, image };
    });
    return Readable.from([Buffer.from(JSON.stringify(saved))]);
  }
  async importImages(tar: NodeJS.ReadableStream) {
    this.calls.push('import');
    const chunks: Buffer[] = [];
    for await (const chunk of tar) chunks.push(Buffer.from(chunk as Uint8Array));
    const saved = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<{
      ref: string;
      image: ImageState;
    }>;
    for (const { ref, image } of saved) this.images.set(ref, { ...image, parent: '' });
  }
  async buildImage(plan: ImageBuild, options: BuildEvents & { noCache: boolean }) {
    this.calls.push(`build ${plan.imageRef}`);
    this.builds.push({ ref: plan.imageRef, noCache: options.noCache });
    this.lastBuildOptions = { noCache: options.noCache };
    this.buildOutput.forEach((line, i) => {
      options.onLine?.(line);
      if (line.startsWith('Step ')) options.onStep?.(i + 1, this.buildOutput.length, line);
    });
    if (this.buildFailure) throw this.buildFailure;
    const from = plan.buildArgs.SHARED_IMAGE ?? plan.buildArgs.BASE_IMAGE ?? '';
    const parent = this.images.get(from);
    if (!parent) throw new Error(`pull access denied for ${from}, repository does not exist`);
    const id = isSharedLayer(plan.labels) ? `sha256:shared-${plan.hash}` : this.buildImageId;
    this.images.set(plan.imageRef, {
      id,
      labels: { ...parent.labels, ...plan.labels },
      created: '',
      size: 1,
      parent: parent.id,
    });
    return id;
  }
  async createContainer(body: ContainerCreateBody) {
    const id = `c${this.nextId++}`;
    this.calls.push(`create ${body.name}`);
    this.containers.set(id, {
      id,
      name: body.name,
      running: false,
      status: 'created',
      labels: body.Labels,
      imageId: body.Image,
      created: '',
    });
    return id;
  }
  async startContainer(id: string) {
    this.calls.push(`start ${id}`);
    if (this.startFailure) throw this.startFailure;
    const container = this.containers.get(id);
    if (container) Object.assign(container, { running: true, status: 'running' });
  }
  async stopContainer(id: string) {
    this.calls.push(`stop ${id}`);
    const container = this.containers.get(id);
    if (container) Object.assign(container, { running: false, status: 'exited' });
  }
  async removeContainer(id: string) {
    this.calls.push(`remove ${id}`);
    this.containers.delete(id);
  }
  async removeImage(id: string) {
    this.calls.push(`rmi ${id}`);
    if (this.inUse.has(id)) throw new ImageInUse(id, new Error('conflict: image is being used'));
    if (this.hasChildren(id))
      throw new ImageInUse(
        id,
        new Error('conflict: unable to delete (cannot be forced) - image has dependent child images'),
      );
    for (const [ref, image] of this.images) if (image.id === id) this.images.delete(ref);
    this.dangling = this.dangling.filter((image) => image.id !== id);
  }
  async containerLogs() {}
  async containerChanges() {
    return [];
  }
  async exec() {
    return 0;
  }

  addImage(ref: string, id: string, labels: Record<string, string>, parent = '') {
    this.images.set(ref, { id, labels, created: '', size: 1, parent });
  }
  addContainer(state: Partial<ContainerState> & { id: string }) {
    this.containers.set(state.id, {
      name: identity.containerName,
      running: false,
      status: 'exited',
      labels: {},
      imageId: '',
      created: '',
      ...state,
    });
  }
  count(prefix: string) {
    return this.calls.filter((call) => call.startsWith(`${prefix} `)).length;
  }
  private hasChildren(id: string) {
    return [...this.images.values(), ...this.dangling].some(
      (image) => image.parent === id && image.id !== id,
    );
  }
}

function fakeUi() {
  const events = { warnings: [] as string[], details: [] as string[], failed: 0, succeeded: [] as string[] };
  const ui: Reporter = {
    progress: () => ({
      update: () => undefined,
      succeed: (text) => events.succeeded.push(text ?? ''),
      fail: () => {
        events.failed += 1;
      },
      stop: () => undefined,
    }),
    info: () => undefined,
    warn: (text) => events.warnings.push(text),
    detail: (text) => events.details.push(text),
  };
  return { ui, events };
}

function fakeLog() {
  const state = { lines: [] as string[], opened: 0, closed: 0 };
  const openLog = (): BuildLog => {
    state.opened += 1;
    return {
      path: LOG_PATH,
      write: (line) => state.lines.push(line),
      close: () => {
        state.closed += 1;
      },
    };
  };
  return { openLog, state };
}

async function failure(promise: Promise<unknown>, exitCode: number): Promise<DevenvError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DevenvError);
  expect((error as DevenvError).exitCode).toBe(exitCode);
  return error as DevenvError;
}

const mine = (extra: Record<string, string> = {}) => ({ ...ownerLabels(identity), ...extra });

describe('ensureImage', () => {
  let engine: FakeEngine;
  let ui: ReturnType<typeof fakeUi>;
  let log: ReturnType<typeof fakeLog>;
  const ensure = (options = { rebuild: false, noCache: false }, plan = buildPlan()) =>
    ensureImage({ engine, ui: ui.ui, openLog: log.openLog }, plan, options);

  beforeEach(() => {
    engine = new FakeEngine();
    engine.addImage(BASE, 'sha256:base', {});
    ui = fakeUi();
    log = fakeLog();
  });

  it('builds the shared layers, then the user layer on them, when there is no image, and logs both builds', async () => {
    expect(await ensure()).toEqual({
      built: true,
      stale: false,
      replaced: null,
      replacedShared: null,
      fetched: false,
    });
    expect(engine.calls).toEqual([`build ${SHARED}`, `build ${identity.imageRef}`]);
    expect(engine.images.get(identity.imageRef)?.labels[LABELS.buildHash]).toBe('hash-new');
    expect(engine.images.get(identity.imageRef)?.parent).toBe(engine.images.get(SHARED)?.id);
    expect(engine.images.get(SHARED)?.parent).toBe('sha256:base');
    expect(log.state.lines).toEqual([...engine.buildOutput, ...engine.buildOutput]);
    expect(log.state.opened).toBe(1);
    expect(log.state.closed).toBe(1);
    expect(ui.events.succeeded).toEqual([
      `built shared layers ${SHARED}`,
      `built image ${identity.imageRef}`,
    ]);
    expect(ui.events.warnings).toEqual([]);
  });

  it('does not build a fresh image', async () => {
    engine.addImage(identity.imageRef, 'sha256:old', mine({ [LABELS.buildHash]: 'hash-new' }));
    expect(await ensure()).toEqual({
      built: false,
      stale: false,
      replaced: null,
      replacedShared: null,
      fetched: false,
    });
    expect(engine.calls).toEqual([]);
    expect(log.state.opened).toBe(0);
    expect(ui.events.warnings).toEqual([]);
  });

  /** What ensureImage says when it keeps a stale image: nothing built, fetched or replaced. */
  const KEPT_STALE = { built: false, stale: true, replaced: null, replacedShared: null, fetched: false };

  it('does not rebuild a stale image behind your back, but says so', async () => {
    engine.addImage(identity.imageRef, 'sha256:old', mine({ [LABELS.buildHash]: 'hash-old' }));
    expect(await ensure()).toEqual(KEPT_STALE);
    expect(engine.calls).toEqual([]);
    expect(ui.events.warnings).toHaveLength(1);
    expect(ui.events.warnings[0]).toContain('devenv rebuild');
    expect(ui.events.warnings[0]).toContain(identity.imageRef);
  });

  it('treats an image without a build hash as stale', async () => {
    engine.addImage(identity.imageRef, 'sha256:old', mine());
    expect(await ensure()).toEqual(KEPT_STALE);
  });

  it.each([
    { label: 'a stale image', hash: 'hash-old' },
    { label: 'a fresh image', hash: 'hash-new' },
  ])('rebuild builds over $label and removes the image it replaced', async ({ hash }) => {
    engine.addImage(identity.imageRef, 'sha256:old', mine({ [LABELS.buildHash]: hash }));
    expect(await ensure({ rebuild: true, noCache: true })).toEqual({
      built: true,
      stale: false,
      replaced: null,
      replacedShared: null,
      fetched: false,
    });
    expect(engine.builds).toEqual([
      { ref: SHARED, noCache: true },
      { ref: identity.imageRef, noCache: true },
    ]);
    expect(engine.calls).toContain('rmi sha256:old');
    expect(engine.images.get(identity.imageRef)?.id).toBe('sha256:built');
  });

  it('rebuild keeps the image when the build produced the same one', async () => {
    engine.addImage(identity.imageRef, 'sha256:built', mine({ [LABELS.buildHash]: 'hash-new' }));
    await ensure({ rebuild: true, noCache: false });
    expect(engine.count('rmi')).toBe(0);
    expect(engine.lastBuildOptions).toEqual({ noCache: false });
  });

  it('rebuild still succeeds when the replaced image is in use', async () => {
    engine.addImage(identity.imageRef, 'sha256:old', mine({ [LABELS.buildHash]: 'hash-old' }));
    engine.removeImage = async (id) => {
      throw new ImageInUse(id, new Error('conflict: image is being used by running container'));
    };
    expect(await ensure({ rebuild: true, noCache: false })).toEqual({
      built: true,
      stale: false,
      replaced: 'sha256:old',
      replacedShared: null,
      fetched: false,
    });
  });

  it('a replaced image that cannot be removed for another reason fails the rebuild', async () => {
    engine.addImage(identity.imageRef, 'sha256:old', mine({ [LABELS.buildHash]: 'hash-old' }));
    engine.removeImage = async () => {
      throw new DevenvError('cannot reach the Docker engine at unix:///var/run/docker.sock', {
        code: 'engine',
      });
    };
    await failure(ensure({ rebuild: true, noCache: false }), 4);
  });

  it.each<{ label: string; labels: Record<string, string> }>([
    { label: 'without labels', labels: {} },
    { label: 'made by another tool', labels: { [LABELS.managedBy]: 'compose' } },
  ])('refuses an image $label at the same ref, for start and rebuild', async ({ labels }) => {
    engine.addImage(identity.imageRef, 'sha256:theirs', labels);
    for (const rebuild of [false, true]) {
      const error = await failure(ensure({ rebuild, noCache: false }), 7);
      expect(error.message).toContain(identity.imageRef);
      expect(error.hint).toContain(`docker rmi ${identity.imageRef}`);
    }
    expect(engine.calls).toEqual([]);
    expect(engine.images.get(identity.imageRef)?.id).toBe('sha256:theirs');
  });

  it('pulls a missing base image before building', async () => {
    engine.images.delete(BASE);
    await ensure();
    expect(engine.calls).toEqual([`pull ${BASE}`, `build ${SHARED}`, `build ${identity.imageRef}`]);
  });

  it('a failed pull fails before any build', async () => {
    engine.images.delete(BASE);
    engine.pullImage = async () => {
      throw new DevenvError('pull access denied for ubuntu', { code: 'image' });
    };
    await failure(ensure(), 5);
    expect(engine.count('build')).toBe(0);
  });

  it('a failed build says why from the last devenv: line and points at the log', async () => {
    engine.buildOutput = [
      'Step 1/3 : FROM ubuntu:24.04',
      'devenv: installing apt packages: git vim',
      'devenv: apt-get could not find package "vimx"',
      'E: Unable to locate package vimx',
      'devenv: the apt package list is wrong; check "aptPackages" in .devenvrc',
      'devenv: installing python packages',
    ];
    engine.buildFailure = failedRun(100, engine.buildOutput);
    const error = await failure(ensure(), 5);
    expect(error.message).toBe(
      'image build failed: the apt package list is wrong; check "aptPackages" in .devenvrc',
    );
    expect(error.hint).toContain(LOG_PATH);
    expect(log.state.lines).toEqual(engine.buildOutput);
    expect(log.state.closed).toBe(1);
    expect(ui.events.failed).toBe(1);
    expect(engine.images.has(identity.imageRef)).toBe(false);
  });

  it("a failed build with no devenv: line uses the engine's message", async () => {
    engine.buildFailure = failedRun(1, engine.buildOutput);
    const error = await failure(ensure(), 5);
    expect(error.message).toBe(
      "image build failed: The command '/bin/sh -c setup' returned a non-zero code: 1",
    );
    expect(error.hint).toContain(LOG_PATH);
  });

  it("a full disk is diagnosed from the failure's diskFull, whatever the engine's words", async () => {
    engine.buildFailure = new BuildFailure({
      engineMessage: 'failed to register layer: write /var/lib/docker/overlay2/x: ENOSPC',
      step: { number: 2, total: 2, instruction: 'RUN setup' },
      exitCode: null,
      diskFull: true,
      logTail: engine.buildOutput,
    });
    const error = await failure(ensure(), 5);
    expect(error.message).toBe(
      'image build failed: the disk where Docker keeps its images is full (No space left on device)',
    );
  });

  it('an error other than a BuildFailure (the stream broke) says its own message', async () => {
    engine.buildOutput = ['Step 1/2 : FROM ubuntu:24.04', 'devenv: not a diagnosis the engine reported'];
    engine.buildFailure = new Error('socket hang up');
    const error = await failure(ensure(), 5);
    expect(error.message).toBe('image build failed: socket hang up');
    expect(error.hint).toContain(LOG_PATH);
  });

  describe('an image with no python3 for the venv its ENV names', () => {
    const recipe = `FROM ubuntu:24.04\n${VENV_ENV_LINE}\nRUN sh /opt/devenv/setup-python.sh venv\n`;
    const userRecipe = 'FROM devenv-shared\nRUN sh /opt/devenv/setup-user.sh\n';
    const withRecipe = (): BuildPlan => {
      const plan = buildPlan();
      return {
        ...plan,
        files: [{ path: 'Dockerfile', content: Buffer.from(userRecipe) }],
        shared: { ...plan.shared, files: [{ path: 'Dockerfile', content: Buffer.from(recipe) }] },
      };
    };
    let dockerfiles: Array<[string, string]>;
    /**
     * A step as setup-python.sh's venv step runs in an image with no python3 and no Python
     * settings: the build of a Dockerfile that has `failing` in it exits with `code`.
     */
    const stepExits = (code: number, failing = 'VIRTUAL_ENV') => {
      const build = engine.buildImage.bind(engine);
      engine.buildImage = async (plan, options) => {
        const dockerfile = Buffer.from(plan.files[0]?.content ?? []).toString('utf8');
        dockerfiles.push([plan.imageRef, dockerfile]);
        if (dockerfile.includes(failing)) {
          engine.calls.push(`build ${plan.imageRef}`);
          throw new BuildFailure({
            engineMessage: `The command '/bin/sh -c sh /opt/devenv/setup-python.sh venv' returned a non-zero code: ${code}`,
            step: { number: 3, total: 3, instruction: 'RUN sh /opt/devenv/setup-python.sh venv' },
            exitCode: code,
            diskFull: false,
            logTail: [
              'devenv: no python3 in the image and no Python settings: building it again without the venv',
            ],
          });
        }
        return build(plan, options);
      };
    };
    beforeEach(() => {
      dockerfiles = [];
    });

    it('the shared layers are built again without the venv line, same hash, and no failure shown; the user layer once on them', async () => {
      stepExits(NO_PYTHON_FOR_VENV);
      expect(await ensure(undefined, withRecipe())).toEqual({
        built: true,
        stale: false,
        replaced: null,
        replacedShared: null,
        fetched: false,
      });
      expect(dockerfiles).toEqual([
        [SHARED, recipe],
        [SHARED, recipe.replace(`${VENV_ENV_LINE}\n`, '')],
        [identity.imageRef, userRecipe],
      ]);
      expect(engine.count('build')).toBe(3);
      expect(engine.images.get(SHARED)?.labels[LABELS.sharedHash]).toBe(SHARED_HASH);
      expect(engine.images.get(identity.imageRef)?.labels[LABELS.buildHash]).toBe('hash-new');
      expect(ui.events.failed).toBe(0);
      expect(log.state.closed).toBe(1);
    });

    it('any other failure of the step is the build failing, built once, and no user layer is built', async () => {
      stepExits(68);
      const error = await failure(ensure(undefined, withRecipe()), 5);
      expect(error.message).toMatch(/^image build failed: no python3 in the image/);
      expect(dockerfiles).toEqual([[SHARED, recipe]]);
    });

    it('the user layer exiting with the same code is a failed build: it has no venv line to drop', async () => {
      stepExits(NO_PYTHON_FOR_VENV, 'setup-user.sh');
      await failure(ensure(undefined, withRecipe()), 5);
      expect(dockerfiles.map(([ref]) => ref)).toEqual([SHARED, identity.imageRef]);
      expect(engine.images.has(identity.imageRef)).toBe(false);
    });
  });

  it('a DevenvError from the engine during the build passes through', async () => {
    engine.buildFailure = new DevenvError('cannot reach the Docker engine', { code: 'engine' });
    const error = await failure(ensure(), 4);
    expect(error.message).toBe('cannot reach the Docker engine');
    expect(log.state.closed).toBe(1);
  });
});

describe('ensureImage and the shared layers', () => {
  const bobs = envIdentity('train', bob, '/home/bob/train');
  const alicesOther = envIdentity('other', alice, '/srv/envs/other');
  let engine: FakeEngine;
  let ui: ReturnType<typeof fakeUi>;
  let log: ReturnType<typeof fakeLog>;
  const ensure = (plan: BuildPlan, options = { rebuild: false, noCache: false }, supply?: ImageSupply) =>
    ensureImage({ engine, ui: ui.ui, openLog: log.openLog, ...(supply ? { supply } : {}) }, plan, options);

  /** A supply that has (or not) the env's image and the shared layers, and records what it is asked. */
  function fakeSupply(has: { env?: boolean; shared?: boolean } = {}) {
    const asked: string[] = [];
    const supply: ImageSupply = {
      fetchEnvImage: async (plan) => {
        asked.push(`fetch env ${plan.imageRef}`);
        if (has.env) engine.addImage(plan.imageRef, 'sha256:fetched-env', plan.labels);
        return has.env ?? false;
      },
      fetchSharedImage: async (shared) => {
        asked.push(`fetch shared ${shared.imageRef}`);
        if (has.shared) engine.addImage(shared.imageRef, 'sha256:fetched-shared', shared.labels);
        return has.shared ?? false;
      },
      publish: async (plan) => {
        asked.push(`publish ${plan.imageRef}`);
      },
    };
    return { supply, asked };
  }

  beforeEach(() => {
    engine = new FakeEngine();
    engine.addImage(BASE, 'sha256:base', {});
    ui = fakeUi();
    log = fakeLog();
  });

  it.each([
    { label: "another user's env", other: bobs },
    { label: 'another env of the same user', other: alicesOther },
  ])(
    '$label with the same shared inputs reuses the shared image: one build, of its user layer',
    async ({ other }) => {
      await ensure(buildPlan());
      engine.calls = [];
      engine.buildImageId = 'sha256:built-other';

      expect(await ensure(buildPlan('hash-other', { identity: other }))).toMatchObject({ built: true });

      expect(engine.calls).toEqual([`build ${other.imageRef}`]);
      expect(ui.events.details).toContain(`reusing the shared layers ${SHARED}`);
      expect(engine.images.get(other.imageRef)?.parent).toBe(engine.images.get(SHARED)?.id);
      // Both env images build on the one shared image, which carries no user's labels.
      expect(engine.images.get(identity.imageRef)?.parent).toBe(engine.images.get(SHARED)?.id);
      expect(engine.images.get(SHARED)?.labels[LABELS.user]).toBeUndefined();
    },
  );

  it('other shared inputs are another shared image: built, and the first one left as it was', async () => {
    await ensure(buildPlan());
    const first = engine.images.get(SHARED);
    engine.calls = [];

    await ensure(buildPlan('hash-other', { identity: bobs, shared: sharedBuild('shared-other') }));

    expect(engine.calls).toEqual([`build ${sharedImageRef('shared-other')}`, `build ${bobs.imageRef}`]);
    expect(engine.images.get(SHARED)).toEqual(first);
  });

  it.each<{ label: string; labels: Record<string, string> }>([
    {
      label: 'shared layers of other inputs (another hash)',
      labels: { ...SHARED_LAYER_LABELS, [LABELS.sharedHash]: 'shared-other' },
    },
    {
      label: 'an image with a user label',
      labels: { ...SHARED_LAYER_LABELS, ...ownerLabels(bobs), [LABELS.sharedHash]: SHARED_HASH },
    },
    {
      label: "an image devenv's labels do not call shared",
      labels: { [LABELS.managedBy]: 'devenv', [LABELS.sharedHash]: SHARED_HASH },
    },
    { label: 'an image without labels', labels: {} },
  ])('$label at the shared tag is not reused: the shared layers are built', async ({ labels }) => {
    engine.addImage(SHARED, 'sha256:squatter', labels, 'sha256:base');

    await ensure(buildPlan());

    expect(engine.calls).toEqual([`build ${SHARED}`, `build ${identity.imageRef}`]);
    expect(ui.events.details).not.toContain(`reusing the shared layers ${SHARED}`);
    expect(engine.images.get(identity.imageRef)?.parent).toBe(`sha256:shared-${SHARED_HASH}`);
  });

  it('--no-cache builds the shared layers again, even when they are there', async () => {
    await ensure(buildPlan());
    engine.calls = [];
    engine.builds = [];

    await ensure(buildPlan(), { rebuild: true, noCache: true });

    expect(engine.builds).toEqual([
      { ref: SHARED, noCache: true },
      { ref: identity.imageRef, noCache: true },
    ]);
  });

  it('a rebuild without --no-cache reuses the shared layers and builds the user layer again', async () => {
    await ensure(buildPlan());
    engine.calls = [];

    await ensure(buildPlan(), { rebuild: true, noCache: false });

    expect(engine.calls).toEqual([`build ${identity.imageRef}`]);
  });

  it('the base image is pulled only when the shared layers are built', async () => {
    engine.images.delete(BASE);
    engine.addImage(SHARED, 'sha256:shared', sharedBuild().labels, 'sha256:gone-base');

    await ensure(buildPlan());

    expect(engine.calls).toEqual([`build ${identity.imageRef}`]);
  });

  it('a failing shared build fails with exit 5, and no user layer is built', async () => {
    engine.buildOutput = ['Step 1/2 : FROM ubuntu:24.04', 'devenv: apt-get could not find package "vimx"'];
    engine.buildFailure = failedRun(100, engine.buildOutput);
    const { supply, asked } = fakeSupply();

    const error = await failure(ensure(buildPlan(), undefined, supply), 5);

    expect(error.message).toBe('image build failed: apt-get could not find package "vimx"');
    expect(engine.calls).toEqual([`build ${SHARED}`]);
    expect(engine.images.has(identity.imageRef)).toBe(false);
    expect(asked).not.toContain(`publish ${identity.imageRef}`);
    expect(log.state.closed).toBe(1);
  });

  describe('with an image supply (a registry, another host)', () => {
    it('an env image it has is taken as it is: no build at all, nothing published', async () => {
      const { supply, asked } = fakeSupply({ env: true });

      expect(await ensure(buildPlan(), undefined, supply)).toEqual({
        built: false,
        stale: false,
        replaced: null,
        replacedShared: null,
        fetched: true,
      });

      expect(asked).toEqual([`fetch env ${identity.imageRef}`]);
      expect(engine.count('build')).toBe(0);
      expect(log.state.opened).toBe(0);
    });

    it('shared layers it has are taken: only the user layer is built, on them, then published once', async () => {
      const { supply, asked } = fakeSupply({ shared: true });

      expect(await ensure(buildPlan(), undefined, supply)).toMatchObject({ built: true, fetched: false });

      expect(engine.calls).toEqual([`build ${identity.imageRef}`]);
      expect(engine.images.get(identity.imageRef)?.parent).toBe('sha256:fetched-shared');
      expect(asked).toEqual([
        `fetch env ${identity.imageRef}`,
        `fetch shared ${SHARED}`,
        `publish ${identity.imageRef}`,
      ]);
    });

    it('when it has neither: both built, published once, after the builds', async () => {
      const { supply, asked } = fakeSupply();
      const publishedAfter: string[] = [];
      const publish = supply.publish;
      supply.publish = async (plan) => {
        publishedAfter.push(...engine.calls);
        await publish(plan);
      };

      await ensure(buildPlan(), undefined, supply);

      expect(asked.filter((a) => a.startsWith('publish'))).toEqual([`publish ${identity.imageRef}`]);
      expect(publishedAfter).toEqual([`build ${SHARED}`, `build ${identity.imageRef}`]);
    });

    it('shared layers already on the engine are not asked of it', async () => {
      engine.addImage(SHARED, 'sha256:shared', sharedBuild().labels, 'sha256:base');
      const { supply, asked } = fakeSupply({ shared: true });

      await ensure(buildPlan(), undefined, supply);

      expect(asked).toEqual([`fetch env ${identity.imageRef}`, `publish ${identity.imageRef}`]);
    });

    it('an image that is there (fresh or stale) is neither fetched nor published', async () => {
      for (const hash of ['hash-new', 'hash-old']) {
        engine.addImage(identity.imageRef, 'sha256:old', { ...mine(), [LABELS.buildHash]: hash });
        const { supply, asked } = fakeSupply({ env: true, shared: true });
        await ensure(buildPlan(), undefined, supply);
        expect(asked).toEqual([]);
      }
      expect(engine.count('build')).toBe(0);
    });

    it('rebuild builds here: the env image is not fetched; --no-cache asks for no shared layers either', async () => {
      const { supply, asked } = fakeSupply({ env: true, shared: true });
      await ensure(buildPlan(), { rebuild: true, noCache: false }, supply);
      expect(asked).toEqual([`fetch shared ${SHARED}`, `publish ${identity.imageRef}`]);
      expect(engine.calls).toEqual([`build ${identity.imageRef}`]);

      const again = fakeSupply({ env: true, shared: true });
      engine.calls = [];
      await ensure(buildPlan(), { rebuild: true, noCache: true }, again.supply);
      expect(again.asked).toEqual([`publish ${identity.imageRef}`]);
      expect(engine.calls).toEqual([`build ${SHARED}`, `build ${identity.imageRef}`]);
    });
  });
});

describe('imageStatus', () => {
  it.each([
    { label: 'no image', labels: null, status: { image: null, stale: false } },
    { label: 'a fresh image', labels: mine({ [LABELS.buildHash]: 'hash-new' }), status: { stale: false } },
    { label: 'a stale image', labels: mine({ [LABELS.buildHash]: 'hash-old' }), status: { stale: true } },
  ])('$label', async ({ labels, status }) => {
    const engine = new FakeEngine();
    if (labels) engine.addImage(identity.imageRef, 'sha256:x', labels);
    expect(await imageStatus(engine, buildPlan())).toMatchObject(status);
  });
});

describe('removeDanglingEnvImages', () => {
  const dangling = (id: string, labels: Record<string, string>): ImageState => ({
    id,
    labels,
    created: '',
    size: 1,
  });
  const otherEnv = ownerLabels(envIdentity('other', alice, '/srv/envs/other'));
  const bobsSameName = ownerLabels(envIdentity('podcastllm', bob, '/srv/envs/podcastllm'));

  it("removes this env's dangling images and no one else's", async () => {
    const engine = new FakeEngine();
    engine.addImage(identity.imageRef, 'sha256:current', mine({ [LABELS.buildHash]: 'hash-new' }));
    engine.dangling = [
      dangling('sha256:failed-apt', mine()),
      dangling('sha256:replaced', mine({ [LABELS.buildHash]: 'hash-old' })),
      dangling('sha256:other-env', otherEnv),
      dangling('sha256:bob', bobsSameName),
      dangling('sha256:same-name-other-uid', mine({ [LABELS.uid]: '4242' })),
      dangling('sha256:unlabelled', {}),
    ];
    expect(await removeDanglingEnvImages(engine, identity)).toEqual({
      removed: ['sha256:failed-apt', 'sha256:replaced'],
      inUse: [],
    });
    expect(engine.calls).toEqual(['rmi sha256:failed-apt', 'rmi sha256:replaced']);
    expect(engine.dangling.map((image) => image.id)).toEqual([
      'sha256:other-env',
      'sha256:bob',
      'sha256:same-name-other-uid',
      'sha256:unlabelled',
    ]);
    expect(engine.images.get(identity.imageRef)?.id).toBe('sha256:current');
  });

  it('never removes an image without the labels, even if the engine listed it', async () => {
    const engine = new FakeEngine();
    engine.listDanglingImages = async () => [dangling('sha256:bob', bobsSameName), dangling('sha256:x', {})];
    expect(await removeDanglingEnvImages(engine, identity)).toEqual({ removed: [], inUse: [] });
    expect(engine.calls).toEqual([]);
  });

  it('keeps one a container still uses, and says so', async () => {
    const engine = new FakeEngine();
    engine.dangling = [dangling('sha256:replaced', mine()), dangling('sha256:failed', mine())];
    engine.inUse.add('sha256:replaced');
    expect(await removeDanglingEnvImages(engine, identity)).toEqual({
      removed: ['sha256:failed'],
      inUse: ['sha256:replaced'],
    });
  });

  it('nothing dangling: nothing removed', async () => {
    const engine = new FakeEngine();
    expect(await removeDanglingEnvImages(engine, identity)).toEqual({ removed: [], inUse: [] });
    expect(engine.calls).toEqual([]);
  });

  it('an engine failure while removing is not taken for "in use"', async () => {
    const engine = new FakeEngine();
    engine.dangling = [dangling('sha256:failed', mine())];
    engine.removeImage = async () => {
      throw new DevenvError('cannot reach the Docker engine at unix:///var/run/docker.sock', {
        code: 'engine',
      });
    };
    await failure(removeDanglingEnvImages(engine, identity), 4);
  });
});

describe('removeUnusedSharedImages', () => {
  const bobs = envIdentity('train', bob, '/home/bob/train');
  let engine: MemoryEngine;
  let base: string;
  const build = (plan: ImageBuild) => engine.buildImage(plan, { noCache: false });
  const removals = () => engine.count('removeImage');

  beforeEach(() => {
    engine = new MemoryEngine();
    base = engine.addImage({ tags: [BASE] });
  });

  it("removes the shared image a pruned env's image built on once nothing else builds on it", async () => {
    const shared = await build(sharedBuild());
    const mineId = await build(buildPlan());
    const hashes = sharedHashesOf([(await engine.inspectImage(mineId)) as ImageState]);
    expect(hashes).toEqual([SHARED_HASH]);
    await engine.removeImage(mineId);

    expect(await removeUnusedSharedImages(engine, hashes)).toEqual([shared]);

    expect(await engine.inspectImage(SHARED)).toBeNull();
    expect(await engine.inspectImage(base)).not.toBeNull();
  });

  it("keeps it while another user's image builds on it (the engine's 409), and removes it after the last", async () => {
    const shared = await build(sharedBuild());
    const mineId = await build(buildPlan());
    const bobsId = await build(buildPlan('hash-bob', { identity: bobs }));
    await engine.removeImage(mineId);

    expect(await removeUnusedSharedImages(engine, [SHARED_HASH])).toEqual([]);
    expect((await engine.inspectImage(SHARED))?.id).toBe(shared);
    expect((await engine.inspectImage(bobs.imageRef))?.parent).toBe(shared);

    await engine.removeImage(bobsId);
    expect(await removeUnusedSharedImages(engine, [SHARED_HASH])).toEqual([shared]);
  });

  it('a hash given twice (two images of the env on the same layers) is removed once', async () => {
    const shared = await build(sharedBuild());
    expect(await removeUnusedSharedImages(engine, [SHARED_HASH, SHARED_HASH])).toEqual([shared]);
    expect(removals()).toBe(1);
  });

  it("removes failed shared builds' dangling leftovers, with the untagged steps below them", async () => {
    const step = engine.addImage({ labels: { ...SHARED_LAYER_LABELS }, parent: base });
    const leftover = engine.addImage({ labels: { ...SHARED_LAYER_LABELS }, parent: step });
    const other = engine.addImage({ labels: { ...SHARED_LAYER_LABELS }, parent: base });

    expect(await removeUnusedSharedImages(engine, [])).toEqual([leftover, other]);

    expect([...engine.images.keys()]).toEqual([base]);
  });

  it('never removes a dangling image with a user label, nor anything not shared', async () => {
    const withUser = engine.addImage({
      labels: { ...SHARED_LAYER_LABELS, [LABELS.user]: 'bob' },
      parent: base,
    });
    engine.addImage({ labels: { ...ownerLabels(bobs), [LABELS.layer]: 'env' }, parent: base });
    engine.addImage({ labels: {}, parent: base });
    // The engine's filter lets the one with a user label through: the labels decide.
    expect((await engine.listDanglingImages(['dev.devenv.layer=shared'])).map((i) => i.id)).toContain(
      withUser,
    );

    expect(await removeUnusedSharedImages(engine, [])).toEqual([]);

    expect(removals()).toBe(0);
    expect(engine.images.size).toBe(4);
  });

  it.each<{ label: string; labels: Record<string, string> }>([
    { label: 'no labels', labels: {} },
    {
      label: "another tool's labels",
      labels: { [LABELS.managedBy]: 'compose', [LABELS.layer]: 'shared', [LABELS.sharedHash]: SHARED_HASH },
    },
    {
      label: "devenv's, not shared",
      labels: { [LABELS.managedBy]: 'devenv', [LABELS.sharedHash]: SHARED_HASH },
    },
    {
      label: 'shared, with a user label',
      labels: { ...SHARED_LAYER_LABELS, ...ownerLabels(bobs), [LABELS.sharedHash]: SHARED_HASH },
    },
    {
      label: 'shared layers of other inputs',
      labels: { ...SHARED_LAYER_LABELS, [LABELS.sharedHash]: 'shared-other' },
    },
  ])('ignores an image at the shared tag with $label', async ({ labels }) => {
    const id = engine.addImage({ tags: [SHARED], labels, parent: base });

    expect(await removeUnusedSharedImages(engine, [SHARED_HASH])).toEqual([]);

    expect(removals()).toBe(0);
    expect((await engine.inspectImage(SHARED))?.id).toBe(id);
  });

  it('an engine failure while removing is not taken for "in use"', async () => {
    await build(sharedBuild());
    engine.failOn('removeImage', 1);
    await failure(removeUnusedSharedImages(engine, [SHARED_HASH]), 4);
  });
});

describe('sharedHashesOf', () => {
  it('the shared hash each image carries, skipping those without one', () => {
    const image = (labels: Record<string, string>): ImageState => ({ id: 'x', labels, created: '', size: 1 });
    expect(
      sharedHashesOf([
        image({ [LABELS.sharedHash]: 'a' }),
        image(mine()),
        image({ [LABELS.sharedHash]: '' }),
        image({ [LABELS.sharedHash]: 'b' }),
      ]),
    ).toEqual(['a', 'b']);
  });
});

describe('diagnosisFromLog', () => {
  it.each([
    { lines: [], diagnosis: null },
    { lines: ['Step 1/2 : FROM x', 'ok'], diagnosis: null },
    { lines: ['devenv: first', 'x', 'devenv: second', 'y'], diagnosis: 'second' },
    { lines: ['devenv: the cause', 'devenv: installing torch'], diagnosis: 'the cause' },
    { lines: ['devenv: installing torch'], diagnosis: null },
    { lines: ['   devenv: padded   '], diagnosis: 'padded' },
    { lines: ['#12 0.53 devenv: not at the start'], diagnosis: null },
    { lines: ['devenv:'], diagnosis: null },
  ])('$lines -> $diagnosis', ({ lines, diagnosis }) => {
    expect(diagnosisFromLog(lines)).toBe(diagnosis);
  });
});

describe('findEnvContainer', () => {
  it.each([
    { label: 'no container', labels: null, found: null },
    { label: 'the env container', labels: mine(), found: 'c-mine' },
  ])('$label', async ({ labels, found }) => {
    const engine = new FakeEngine();
    if (labels) engine.addContainer({ id: 'c-mine', labels });
    expect((await findEnvContainer(engine, identity))?.id ?? null).toBe(found);
  });

  it.each([
    { label: 'unlabelled', labels: {} },
    { label: "another user's", labels: ownerLabels(envIdentity('podcastllm', bob, '/srv/envs/podcastllm')) },
    { label: 'same name, other uid', labels: mine({ [LABELS.uid]: '4242' }) },
    { label: 'another env of the same user', labels: mine({ [LABELS.env]: 'other' }) },
  ])('refuses a container with the env name that is $label', async ({ labels }) => {
    const engine = new FakeEngine();
    engine.addContainer({ id: 'c-theirs', labels });
    const error = await failure(findEnvContainer(engine, identity), 7);
    expect(error.message).toContain(identity.containerName);
  });
});

describe('ensureContainer', () => {
  let engine: FakeEngine;
  let ui: ReturnType<typeof fakeUi>;
  const ensure = (plan = containerPlan()) => ensureContainer({ engine, ui: ui.ui }, identity, plan);

  beforeEach(() => {
    engine = new FakeEngine();
    ui = fakeUi();
  });

  it('creates and starts a container when there is none', async () => {
    const { container, outcome } = await ensure();
    expect(outcome).toBe('created');
    expect(container.running).toBe(true);
    expect(container.labels[LABELS.createHash]).toBe('create-new');
    expect(engine.calls).toEqual([`create ${identity.containerName}`, 'start c1']);
  });

  it('refuses an unlabelled container with the env name and creates nothing', async () => {
    engine.addContainer({ id: 'c-theirs', labels: {}, running: false });
    await failure(ensure(), 7);
    expect(engine.calls).toEqual([]);
    expect([...engine.containers.keys()]).toEqual(['c-theirs']);
  });

  it('removes a container it created when it cannot start (no half-made container)', async () => {
    engine.startFailure = new DevenvError('Docker engine error while starting: port is already allocated', {
      code: 'engine',
    });
    const error = await failure(ensure(), 4);
    expect(error.message).toContain('port is already allocated');
    expect(engine.calls).toEqual([`create ${identity.containerName}`, 'start c1', 'remove c1']);
    expect(engine.containers.size).toBe(0);
  });

  it('explains a GPU start failure as a GPU error, and removes the container', async () => {
    engine.startFailure = noGpuDriver(
      new Error('could not select device driver "" with capabilities: [[gpu]]'),
    );
    const error = await failure(ensure(), 8);
    expect(error.hint).toContain('nvidia-ctk');
    expect(engine.containers.size).toBe(0);
  });

  it('a name taken while creating is a conflict', async () => {
    engine.createContainer = async () => {
      throw new ContainerNameTaken(
        identity.containerName,
        new Error('Conflict. The container name "/devenv-podcastllm-alice" is already in use'),
      );
    };
    const error = await failure(ensure(), 7);
    expect(error.hint).toContain('again');
  });

  it('recreates a stopped container made from older settings', async () => {
    engine.addContainer({ id: 'c-old', labels: mine({ [LABELS.createHash]: 'create-old' }), running: false });
    const { container, outcome } = await ensure();
    expect(outcome).toBe('created');
    expect(engine.calls).toEqual(['remove c-old', `create ${identity.containerName}`, 'start c1']);
    expect(container.labels[LABELS.createHash]).toBe('create-new');
    expect([...engine.containers.keys()]).toEqual(['c1']);
  });

  it('starts a stopped container made from the same settings', async () => {
    engine.addContainer({
      id: 'c-same',
      labels: mine({ [LABELS.createHash]: 'create-new' }),
      running: false,
    });
    const { container, outcome } = await ensure();
    expect(outcome).toBe('started');
    expect(container.running).toBe(true);
    expect(engine.calls).toEqual(['start c-same']);
  });

  it('does not remove an existing container that fails to start', async () => {
    engine.addContainer({
      id: 'c-same',
      labels: mine({ [LABELS.createHash]: 'create-new' }),
      running: false,
    });
    engine.startFailure = new DevenvError('Docker engine error while starting: boom', { code: 'engine' });
    await failure(ensure(), 4);
    expect(engine.containers.has('c-same')).toBe(true);
  });

  it.each([
    { label: 'up to date', hash: 'create-new', warnings: 0 },
    { label: 'made from older settings', hash: 'create-old', warnings: 1 },
  ])('leaves a running container $label running', async ({ hash, warnings }) => {
    engine.addContainer({
      id: 'c-run',
      labels: mine({ [LABELS.createHash]: hash }),
      running: true,
      status: 'running',
    });
    const { container, outcome } = await ensure();
    expect(outcome).toBe('running');
    expect(container.id).toBe('c-run');
    expect(engine.calls).toEqual([]);
    expect(ui.events.warnings).toHaveLength(warnings);
    if (warnings) expect(ui.events.warnings[0]).toContain('devenv stop');
  });
});

describe('removeEnvContainer', () => {
  it.each([
    {
      label: 'a running container is stopped, then removed',
      running: true,
      calls: ['stop c-mine', 'remove c-mine'],
    },
    { label: 'a stopped container is removed', running: false, calls: ['remove c-mine'] },
  ])('$label', async ({ running, calls }) => {
    const engine = new FakeEngine();
    engine.addContainer({ id: 'c-mine', labels: mine(), running });
    expect((await removeEnvContainer(engine, identity))?.id).toBe('c-mine');
    expect(engine.calls).toEqual(calls);
    expect(engine.containers.size).toBe(0);
  });

  it('returns null when there is no container', async () => {
    const engine = new FakeEngine();
    expect(await removeEnvContainer(engine, identity)).toBeNull();
    expect(engine.calls).toEqual([]);
  });

  it('never touches a container devenv did not make', async () => {
    const engine = new FakeEngine();
    engine.addContainer({ id: 'c-theirs', labels: {}, running: true });
    await failure(removeEnvContainer(engine, identity), 7);
    expect(engine.calls).toEqual([]);
    expect(engine.containers.get('c-theirs')?.running).toBe(true);
  });
});

describe('interruption during container creation', () => {
  it('a signal arriving while the container is created leaves no half-made container', async () => {
    const engine = new FakeEngine();
    const controller = new AbortController();
    const create = engine.createContainer.bind(engine);
    engine.createContainer = async (body) => {
      const id = await create(body);
      controller.abort(new DevenvError('interrupted by SIGINT', { exitCode: 130 }));
      return id;
    };
    const silent: Reporter = {
      progress: () => ({ update() {}, succeed() {}, fail() {}, stop() {} }),
      info() {},
      warn() {},
      detail() {},
    };
    await expect(
      ensureContainer({ engine, ui: silent, signal: controller.signal }, identity, containerPlan()),
    ).rejects.toMatchObject({ exitCode: 130 });
    expect(engine.containers.size).toBe(0);
    expect(engine.calls).toEqual(['create devenv-podcastllm-alice', 'remove c1']);
  });
});

describe('shared layers a rebuild leaves, and builds of the same ones at once', () => {
  const bobs = envIdentity('train', bob, '/home/bob/train');
  const OLD = sharedImageRef('old-hash');
  let engine: MemoryEngine;
  let ui: ReturnType<typeof fakeUi>;
  let log: ReturnType<typeof fakeLog>;
  let sleeps: number;
  /** What happens while a start waits for the lock (another's build ending). */
  let whileWaiting: () => Promise<void>;
  const ensure = (plan: BuildPlan, options = { rebuild: false, noCache: false }) =>
    ensureImage(
      {
        engine,
        ui: ui.ui,
        openLog: log.openLog,
        sleep: async () => {
          sleeps += 1;
          await whileWaiting();
        },
      },
      plan,
      options,
    );

  beforeEach(async () => {
    engine = new MemoryEngine();
    engine.addImage({ tags: [BASE] });
    ui = fakeUi();
    log = fakeLog();
    sleeps = 0;
    whileWaiting = async () => undefined;
  });

  it('a rebuild onto other shared layers (a dependency bump) removes the ones the replaced image built on', async () => {
    await ensure(buildPlan('hash-old', { shared: sharedBuild('old-hash') }));
    expect(await engine.inspectImage(OLD)).not.toBeNull();

    const result = await ensure(buildPlan('hash-new'), { rebuild: true, noCache: false });

    expect(result).toMatchObject({ built: true, replaced: null, replacedShared: null });
    expect(await engine.inspectImage(OLD)).toBeNull();
    expect((await engine.inspectImage(SHARED))?.labels[LABELS.sharedHash]).toBe(SHARED_HASH);
  });

  it("keeps the old shared layers while another user's image builds on them", async () => {
    await ensure(buildPlan('hash-old', { shared: sharedBuild('old-hash') }));
    await ensure(buildPlan('hash-bob', { identity: bobs, shared: sharedBuild('old-hash') }));

    await ensure(buildPlan('hash-new'), { rebuild: true, noCache: false });

    expect(await engine.inspectImage(OLD)).not.toBeNull();
    expect((await engine.inspectImage(bobs.imageRef))?.parent).toBe((await engine.inspectImage(OLD))?.id);
  });

  it('the replaced image in use: its shared layers are named for the caller to remove after it', async () => {
    await ensure(buildPlan('hash-old', { shared: sharedBuild('old-hash') }));
    const old = (await engine.inspectImage(identity.imageRef))?.id;
    engine.addContainer({ name: identity.containerName, image: old, running: true });

    const result = await ensure(buildPlan('hash-new'), { rebuild: true, noCache: false });

    expect(result).toMatchObject({ built: true, replaced: old, replacedShared: 'old-hash' });
    expect(await engine.inspectImage(OLD)).not.toBeNull();
  });

  it('waits while another start builds the same shared layers, then builds only its own layer on theirs', async () => {
    const theirs = engine.addContainer({
      name: `devenv-shared-build-${SHARED_HASH}`,
      running: true,
      labels: { ...SHARED_LAYER_LABELS, [LABELS.layer]: 'build-lock' },
    });
    whileWaiting = async () => {
      if (sleeps < 2) return;
      await engine.buildImage(sharedBuild(), { noCache: false });
      engine.containers.delete(theirs);
    };

    expect(await ensure(buildPlan())).toMatchObject({ built: true });

    expect(sleeps).toBe(2);
    expect(engine.count('buildImage')).toBe(2);
    expect(ui.events.succeeded).toContain(`the other build of ${SHARED} ended`);
    expect(ui.events.succeeded).not.toContain(`built shared layers ${SHARED}`);
    expect([...engine.containers.values()].map((c) => c.name)).toEqual([]);
  });

  it('holds the lock for its own shared build only, and lets it go when the build fails', async () => {
    engine.failOn('buildImage', 1, new Error('the build broke'));
    await expect(ensure(buildPlan())).rejects.toThrow(/image build failed/);
    expect(engine.count('takeLock')).toBe(1);
    expect(engine.containers.size).toBe(0);
  });

  it("prune leaves failed shared builds' leftovers alone while a shared build holds its lock", async () => {
    const base = (await engine.inspectImage(BASE))?.id ?? '';
    const leftover = engine.addImage({ labels: { ...SHARED_LAYER_LABELS }, parent: base });
    const lock = engine.addContainer({
      name: 'devenv-shared-build-x',
      running: true,
      labels: { ...SHARED_LAYER_LABELS, [LABELS.layer]: 'build-lock' },
    });

    expect(await removeUnusedSharedImages(engine, [])).toEqual([]);

    engine.containers.delete(lock);
    expect(await removeUnusedSharedImages(engine, [])).toEqual([leftover]);
  });
});
