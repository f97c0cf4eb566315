import { describe, expect, it } from 'vitest';
import type { ContainerCreateBody } from '../../src/core/container-plan.js';
import { ContainerNameTaken, DevenvError, ImageInUse } from '../../src/core/errors.js';
import { FakeEngine, matchesLabels } from './engine.js';

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
      baseImage: 'ubuntu:24.04',
      buildArgs: {},
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
