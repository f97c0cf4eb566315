import { beforeEach, describe, expect, it } from 'vitest';
import { type BuildPlan, NO_PYTHON_FOR_VENV, VENV_ENV_LINE } from '../../../src/core/build-plan.js';
import { ensureContainer, findEnvContainer, removeEnvContainer } from '../../../src/core/container-ops.js';
import type { ContainerCreateBody } from '../../../src/core/container-plan.js';
import {
  type BuildEvents,
  BuildFailure,
  type ContainerState,
  type Engine,
  type EngineInfo,
  type ImageState,
} from '../../../src/core/engine.js';
import { ContainerNameTaken, DevenvError, ImageInUse } from '../../../src/core/errors.js';
import { envIdentity, LABELS, ownerLabels } from '../../../src/core/identity.js';
import {
  diagnosisFromLog,
  ensureImage,
  imageStatus,
  removeDanglingEnvImages,
} from '../../../src/core/image-ops.js';
import type { BuildLog, Reporter } from '../../../src/core/ports.js';
import { noGpuDriver } from '../../../src/docker/errors.js';

const alice = { name: 'alice', uid: 1000, gid: 1000 };
const bob = { name: 'bob', uid: 1001, gid: 1001 };
const identity = envIdentity('podcastllm', alice, '/srv/envs/podcastllm');
const BASE = 'ubuntu:24.04';
const LOG_PATH = '/home/alice/.cache/devenv/build-podcastllm.log';

function buildPlan(hash = 'hash-new'): BuildPlan {
  return {
    imageRef: identity.imageRef,
    baseImage: BASE,
    buildArgs: { USER_NAME: 'alice' },
    files: [],
    hash,
    labels: { ...ownerLabels(identity), [LABELS.buildHash]: hash },
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

/** An in-memory engine: images by ref, containers by id, and a record of every call that changes something. */
class FakeEngine implements Engine {
  images = new Map<string, ImageState>();
  /** Untagged images nothing builds on: what `docker images --filter dangling=true` lists. */
  dangling: ImageState[] = [];
  /** Image ids a container uses: removing them is a conflict. */
  inUse = new Set<string>();
  containers = new Map<string, ContainerState>();
  calls: string[] = [];
  buildOutput: string[] = ['Step 1/2 : FROM ubuntu:24.04', 'Step 2/2 : RUN setup'];
  buildFailure: Error | null = null;
  buildImageId = 'sha256:built';
  startFailure: Error | null = null;
  lastBuildOptions: { noCache: boolean } | null = null;
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
    this.images.set(ref, { id: `sha256:${ref}`, labels: {}, created: '', size: 1 });
  }
  async buildImage(plan: BuildPlan, options: BuildEvents & { noCache: boolean }) {
    this.calls.push(`build ${plan.imageRef}`);
    this.lastBuildOptions = { noCache: options.noCache };
    this.buildOutput.forEach((line, i) => {
      options.onLine?.(line);
      if (line.startsWith('Step ')) options.onStep?.(i + 1, this.buildOutput.length, line);
    });
    if (this.buildFailure) throw this.buildFailure;
    this.images.set(plan.imageRef, { id: this.buildImageId, labels: plan.labels, created: '', size: 1 });
    return this.buildImageId;
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

  addImage(ref: string, id: string, labels: Record<string, string>) {
    this.images.set(ref, { id, labels, created: '', size: 1 });
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

  it('builds once when there is no image, and logs the build', async () => {
    expect(await ensure()).toEqual({ built: true, stale: false, replaced: null });
    expect(engine.count('build')).toBe(1);
    expect(engine.count('pull')).toBe(0);
    expect(engine.images.get(identity.imageRef)?.labels[LABELS.buildHash]).toBe('hash-new');
    expect(log.state.lines).toEqual(engine.buildOutput);
    expect(log.state.closed).toBe(1);
    expect(ui.events.warnings).toEqual([]);
  });

  it('does not build a fresh image', async () => {
    engine.addImage(identity.imageRef, 'sha256:old', mine({ [LABELS.buildHash]: 'hash-new' }));
    expect(await ensure()).toEqual({ built: false, stale: false, replaced: null });
    expect(engine.calls).toEqual([]);
    expect(log.state.opened).toBe(0);
    expect(ui.events.warnings).toEqual([]);
  });

  it('does not rebuild a stale image behind your back, but says so', async () => {
    engine.addImage(identity.imageRef, 'sha256:old', mine({ [LABELS.buildHash]: 'hash-old' }));
    expect(await ensure()).toEqual({ built: false, stale: true, replaced: null });
    expect(engine.calls).toEqual([]);
    expect(ui.events.warnings).toHaveLength(1);
    expect(ui.events.warnings[0]).toContain('devenv rebuild');
    expect(ui.events.warnings[0]).toContain(identity.imageRef);
  });

  it('treats an image without a build hash as stale', async () => {
    engine.addImage(identity.imageRef, 'sha256:old', mine());
    expect(await ensure()).toEqual({ built: false, stale: true, replaced: null });
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
    });
    expect(engine.count('build')).toBe(1);
    expect(engine.lastBuildOptions).toEqual({ noCache: true });
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
    expect(engine.calls).toEqual([`pull ${BASE}`, `build ${identity.imageRef}`]);
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
    const withRecipe = (): BuildPlan => ({
      ...buildPlan(),
      files: [{ path: 'Dockerfile', content: Buffer.from(recipe) }],
    });
    let dockerfiles: string[];
    /** The venv step as setup-python.sh runs it in an image with no python3 and no Python settings. */
    const venvStepExits = (code: number) => {
      const build = engine.buildImage.bind(engine);
      engine.buildImage = async (plan, options) => {
        const dockerfile = Buffer.from(plan.files[0]?.content ?? []).toString('utf8');
        dockerfiles.push(dockerfile);
        if (dockerfile.includes('VIRTUAL_ENV')) {
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

    it('is built again without the venv line, same hash, and no failure shown', async () => {
      venvStepExits(NO_PYTHON_FOR_VENV);
      expect(await ensure(undefined, withRecipe())).toEqual({ built: true, stale: false, replaced: null });
      expect(dockerfiles).toEqual([recipe, recipe.replace(`${VENV_ENV_LINE}\n`, '')]);
      expect(engine.count('build')).toBe(2);
      expect(engine.images.get(identity.imageRef)?.labels[LABELS.buildHash]).toBe('hash-new');
      expect(ui.events.failed).toBe(0);
      expect(log.state.closed).toBe(1);
    });

    it('any other failure of the step is the build failing, built once', async () => {
      venvStepExits(68);
      const error = await failure(ensure(undefined, withRecipe()), 5);
      expect(error.message).toMatch(/^image build failed: no python3 in the image/);
      expect(dockerfiles).toEqual([recipe]);
    });
  });

  it('a DevenvError from the engine during the build passes through', async () => {
    engine.buildFailure = new DevenvError('cannot reach the Docker engine', { code: 'engine' });
    const error = await failure(ensure(), 4);
    expect(error.message).toBe('cannot reach the Docker engine');
    expect(log.state.closed).toBe(1);
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
