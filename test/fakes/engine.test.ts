import { describe, expect, it } from 'vitest';
import type { ImageBuild } from '../../src/core/build-plan.js';
import type { ContainerCreateBody } from '../../src/core/container-plan.js';
import { RegistryFailure } from '../../src/core/engine.js';
import { ContainerNameTaken, DevenvError, ImageInUse } from '../../src/core/errors.js';
import { registryFailureKind } from '../../src/docker/errors.js';
import { FakeEngine, matchesLabels, REGISTRY_MESSAGES } from './engine.js';

/** The fake must answer as src/docker/engine.ts does over a real engine, or the app tests lie. */

function body(name: string, image: string, labels: Record<string, string> = {}): ContainerCreateBody {
  return {
    name,
    Image: image,
    Labels: labels,
    WorkingDir: '/',
    Env: [],
    Tty: false,
    HostConfig: {
      Init: true,
      Mounts: [],
      NetworkMode: 'bridge',
      PortBindings: { '8888/tcp': [{ HostIp: '127.0.0.1', HostPort: '8888' }] },
      ShmSize: 0,
      RestartPolicy: { Name: 'no' },
    },
  };
}

describe('matchesLabels', () => {
  it.each([
    { filters: ['a=1'], matches: true },
    { filters: ['a=2'], matches: false },
    { filters: ['a'], matches: true },
    { filters: ['c'], matches: false },
    { filters: ['a=1', 'b=x=y'], matches: true },
    { filters: ['a=1', 'b=x'], matches: false },
    { filters: ['b='], matches: false },
    { filters: [], matches: true },
  ])('$filters: $matches', ({ filters, matches }) => {
    expect(matchesLabels({ a: '1', b: 'x=y' }, filters)).toBe(matches);
  });
});

describe('FakeEngine', () => {
  it('creates, starts, stops and removes as the engine does: 304 and 404 are success, a taken name is refused', async () => {
    const engine = new FakeEngine();
    engine.addImage({ tags: ['ubuntu:24.04'] });
    const id = await engine.createContainer(body('web', 'ubuntu:24.04', { app: 'web' }));
    expect((await engine.inspectContainer('web'))?.status).toBe('created');
    await expect(engine.createContainer(body('web', 'ubuntu:24.04'))).rejects.toBeInstanceOf(
      ContainerNameTaken,
    );

    await engine.startContainer(id);
    await engine.startContainer(id);
    expect(await engine.listPublishedPorts()).toEqual([
      { containerId: id, container: 'web', hostIp: '127.0.0.1', hostPort: 8888, protocol: 'tcp' },
    ]);
    expect((await engine.listContainers(['app'])).map((c) => c.name)).toEqual(['web']);
    expect((await engine.inspectContainer(id.slice(0, 12)))?.running).toBe(true);
    await engine.stopContainer(id);
    await engine.stopContainer(id);
    expect(await engine.listPublishedPorts()).toEqual([]);
    await engine.removeContainer(id);
    await engine.removeContainer(id);
    expect(await engine.inspectContainer('web')).toBeNull();
  });

  it('refuses to create from an image it does not have', async () => {
    const engine = new FakeEngine();
    const error = await engine.createContainer(body('web', 'nope:1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(4);
  });

  it('a build labels its image and takes the tag, leaving the image it replaced dangling and in use', async () => {
    const engine = new FakeEngine();
    engine.addImage({ tags: ['ubuntu:24.04'] });
    const plan = {
      imageRef: 'devenv-x-me:latest',
      buildArgs: { BASE_IMAGE: 'ubuntu:24.04' },
      files: [],
      hash: 'h1',
      labels: { 'dev.devenv.env': 'x' },
    };
    const first = await engine.buildImage(plan, { noCache: false });
    await engine.createContainer(body('devenv-x-me', 'devenv-x-me:latest'));
    const second = await engine.buildImage({ ...plan, hash: 'h2' }, { noCache: true });

    expect(engine.builds.map((b) => [b.plan.hash, b.noCache])).toEqual([
      ['h1', false],
      ['h2', true],
    ]);
    expect((await engine.inspectImage('devenv-x-me:latest'))?.id).toBe(second);
    expect((await engine.listDanglingImages(['dev.devenv.env=x'])).map((i) => i.id)).toEqual([first]);
    await expect(engine.removeImage(first)).rejects.toBeInstanceOf(ImageInUse);
    await engine.removeContainer('devenv-x-me');
    await engine.removeImage(first);
    await engine.removeImage(first);
    expect(await engine.inspectImage(first)).toBeNull();
  });

  it("a build starts from its Dockerfile's FROM (build args, else ARG defaults) and inherits that image's labels", async () => {
    const engine = new FakeEngine();
    const base = engine.addImage({ tags: ['debian:12'], labels: { vendor: 'debian', layer: 'base' } });
    const dockerfile = (from: string): ImageBuild['files'] => [
      {
        path: 'Dockerfile',
        content: Buffer.from(`ARG BASE_IMAGE=debian:12 OTHER\nFROM ${from}\nRUN true\n`),
      },
    ];
    const build = (from: string, buildArgs: Record<string, string>, imageRef: string) =>
      engine.buildImage(
        { imageRef, buildArgs, files: dockerfile(from), hash: 'h', labels: { layer: imageRef } },
        { noCache: false },
      );

    /** `${NAME}`, as a Dockerfile writes an ARG in FROM. */
    const braced = (name: string) => `\${${name}}`;
    const shared = await build(braced('BASE_IMAGE'), {}, 'shared:1');
    const user = await build('$SHARED_IMAGE', { SHARED_IMAGE: 'shared:1' }, 'user:1');

    expect(await engine.inspectImage(shared)).toMatchObject({
      parent: base,
      labels: { vendor: 'debian', layer: 'shared:1' },
    });
    expect(await engine.inspectImage(user)).toMatchObject({
      parent: shared,
      labels: { vendor: 'debian', layer: 'user:1' },
    });
    await expect(build(braced('SHARED_IMAGE'), { SHARED_IMAGE: 'gone:1' }, 'user:2')).rejects.toThrow(
      /pull access denied for gone:1/,
    );
  });

  it('refuses to remove by id an image another builds on (409), lists only leaves as dangling, and prunes untagged parents', async () => {
    const engine = new FakeEngine();
    const base = engine.addImage({ tags: ['debian:12'] });
    const step = engine.addImage({ parent: base, labels: { a: '1' } });
    const leaf = engine.addImage({ parent: step, labels: { a: '1' } });
    const tagged = engine.addImage({ tags: ['shared:1'], parent: base, labels: { a: '1' } });
    engine.addImage({ tags: ['user:1'], parent: tagged });

    expect((await engine.listDanglingImages(['a=1'])).map((i) => i.id)).toEqual([leaf]);
    for (const id of [step, tagged, base])
      await expect(engine.removeImage(id)).rejects.toBeInstanceOf(ImageInUse);
    await engine.removeImage(leaf);
    // Its untagged parent went with it; the tagged base, which another image builds on, stayed.
    expect(await engine.inspectImage(step)).toBeNull();
    expect(await engine.inspectImage(base)).not.toBeNull();
    await engine.removeImage('user:1');
    await engine.removeImage(tagged);
    expect([...engine.images.keys()]).toEqual([base]);
  });

  it('names an image, and removes a name without the image while it has another or something builds on it', async () => {
    const engine = new FakeEngine();
    const id = engine.addImage({ tags: ['shared:1'] });
    await engine.tagImage('shared:1', 'registry.lab:5000/devenv/shared:1');
    expect(engine.image(id)?.tags).toEqual(['shared:1', 'registry.lab:5000/devenv/shared:1']);
    // By id, an image with two names is refused, as the engine's "must be forced".
    await expect(engine.removeImage(id)).rejects.toBeInstanceOf(ImageInUse);

    await engine.untagImage('registry.lab:5000/devenv/shared:1');
    await engine.untagImage('registry.lab:5000/devenv/shared:1');
    expect(engine.image(id)?.tags).toEqual(['shared:1']);
    const child = engine.addImage({ tags: ['user:1'], parent: id });
    await engine.untagImage('shared:1');
    expect(engine.image(id)?.tags).toEqual([]);
    await engine.removeImage(child);
    expect(engine.images.size).toBe(0);
    await expect(engine.tagImage('nope:1', 'x:1')).rejects.toMatchObject({ exitCode: 4 });
  });

  it('pushes to and pulls from a registry engines share: the same image, built on nothing there', async () => {
    const here = new FakeEngine();
    const there = new FakeEngine({ registry: here.registry });
    const auth = { username: 'me', password: 'pw', serveraddress: 'registry.lab:5000' };
    const ref = 'registry.lab:5000/devenv/shared:1';
    const base = here.addImage({ tags: ['debian:12'] });
    const id = here.addImage({ tags: [ref], parent: base, labels: { a: '1' } });

    await here.pushImage(ref, auth);
    await there.pullFromRegistry(ref, null);

    expect(await there.inspectImage(ref)).toMatchObject({ id, labels: { a: '1' }, parent: '' });
    expect([...here.registryCalls, ...there.registryCalls]).toEqual([
      { kind: 'push', ref, auth },
      { kind: 'pull', ref, auth: null },
    ]);
    await expect(there.pullFromRegistry(`${ref}x`, null)).rejects.toMatchObject({ kind: 'missing' });
    await expect(here.pushImage('registry.lab:5000/devenv/none:1', null)).rejects.toMatchObject({
      kind: 'missing',
    });
  });

  it.each(['unreachable', 'denied', 'missing', 'other'] as const)(
    'a registry told to refuse with %s rejects with a RegistryFailure of that kind, in words the engine maps to it',
    async (kind) => {
      const engine = new FakeEngine();
      engine.addImage({ tags: ['r:5000/x:1'] });
      engine.registryRefuses.push = kind;
      engine.registryRefuses.pull = kind;
      for (const call of [
        engine.pushImage('r:5000/x:1', null),
        engine.pullFromRegistry('r:5000/x:1', null),
      ]) {
        const error = await call.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RegistryFailure);
        expect(error).toMatchObject({ kind });
      }
      expect(registryFailureKind(REGISTRY_MESSAGES[kind])).toBe(kind);
      expect(engine.registry.size).toBe(0);
    },
  );

  it('exports images one engine has and another imports them, same id and names', async () => {
    const here = new FakeEngine();
    const there = new FakeEngine();
    const id = here.addImage({ tags: ['devenv-x-me:latest'], labels: { a: '1' } });

    await there.importImages(await here.exportImages(['devenv-x-me:latest']));

    expect(await there.inspectImage('devenv-x-me:latest')).toMatchObject({ id, labels: { a: '1' } });
    await expect(here.exportImages(['nope:1'])).rejects.toMatchObject({ exitCode: 4 });
  });

  it('fails the Nth call of a method, and only that one', async () => {
    const engine = new FakeEngine();
    engine.failOn('info', 2);

    await engine.info();
    await expect(engine.info()).rejects.toMatchObject({ exitCode: 4 });
    await engine.info();
    expect(engine.count('info')).toBe(3);
  });

  it('exec exits with the set code in a running container, and says a stopped one is not running', async () => {
    const engine = new FakeEngine();
    const running = engine.addContainer({ name: 'a', running: true });
    engine.addContainer({ name: 'b' });
    engine.execExitCode = 3;
    const request = { cmd: ['pytest'], user: 'me', workdir: '/', env: [], tty: false };
    const io = {} as Parameters<FakeEngine['exec']>[1];

    expect(await engine.exec({ ...request, container: running }, io, () => () => {})).toBe(3);
    await expect(engine.exec({ ...request, container: 'b' }, io, () => () => {})).rejects.toMatchObject({
      exitCode: 6,
    });
    expect(engine.execs.map((e) => e.cmd)).toEqual([['pytest']]);
  });
});
