import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ConnectEngine,
  envImageSupply,
  imageSupply,
  type OtherHost,
} from '../../../src/app/image-supply.js';
import type { SiteJob } from '../../../src/app/site-job.js';
import type { BuildPlan } from '../../../src/core/build-plan.js';
import type { Engine, RegistryAuth, RegistryFailure } from '../../../src/core/engine.js';
import { DevenvError } from '../../../src/core/errors.js';
import { envIdentity, LABELS, ownerLabels } from '../../../src/core/identity.js';
import { readImageOrigin } from '../../../src/host/image-origins.js';
import { sharedBuild as sharedBuildOf } from '../../fakes/builds.js';
import { FakeEngine, REGISTRY_MESSAGES } from '../../fakes/engine.js';
import { envContext } from '../../fakes/env-context.js';
import { FakeHost } from '../../fakes/host.js';
import { type FakeIo, fakeIo } from '../../fakes/io.js';
import { fakeSite } from '../../fakes/site.js';
import { RecordingUi } from '../../fakes/ui.js';

const REGISTRY = 'registry.lab:5000/devenv';
const AUTH: RegistryAuth = { username: 'me', password: 'pw', serveraddress: 'registry.lab:5000' };
const BASE = 'debian:12';
const identity = envIdentity('proj', { name: 'alice', uid: 1000, gid: 1000 }, '/srv/envs/proj');

/** The shared layers' build of this file's base. */
const sharedBuild = (hash = 'shared-1') => sharedBuildOf(hash, BASE);

/** An env's build: its user layer on `shared`, with build hash `hash`. */
function envPlan(hash = 'env-1', shared = sharedBuild()): BuildPlan {
  return {
    imageRef: identity.imageRef,
    baseImage: BASE,
    buildArgs: { SHARED_IMAGE: shared.imageRef },
    files: [],
    hash,
    labels: { ...ownerLabels(identity), [LABELS.layer]: 'env', [LABELS.buildHash]: hash },
    shared,
  };
}

/** Builds `plan` on `engine` as a start would: the base, the shared layers, the user layer. */
async function buildOn(
  engine: FakeEngine,
  plan: BuildPlan,
  only: 'all' | 'shared' = 'all',
): Promise<{ env: string; shared: string }> {
  if (!engine.image(BASE)) engine.addImage({ tags: [BASE] });
  const shared = await engine.buildImage(plan.shared, { noCache: false });
  const env = only === 'all' ? await engine.buildImage(plan, { noCache: false }) : '';
  return { env, shared };
}

interface Harness {
  supply: ReturnType<typeof imageSupply>;
  ui: RecordingUi;
  /** What recordOrigin was told, by image id. */
  origins: Map<string, string>;
  /** How many times the credentials were read. */
  credentialReads(): number;
}

function supplyFor(
  engine: FakeEngine,
  options: {
    registry?: string;
    otherHosts?: OtherHost[];
    credentials?: { auth: RegistryAuth | null; problem: string | null };
  } = {},
): Harness {
  const ui = new RecordingUi();
  const origins = new Map<string, string>();
  let reads = 0;
  const supply = imageSupply({
    engine,
    ui,
    registry: options.registry ?? null,
    credentials: async () => {
      reads += 1;
      return options.credentials ?? { auth: AUTH, problem: null };
    },
    otherHosts: options.otherHosts ?? [],
    recordOrigin: (id, origin) => origins.set(id, origin),
  });
  return { supply, ui, origins, credentialReads: () => reads };
}

/** Another of the env's hosts: its engine, and how many times it was opened. */
function otherHost(name: string, engine: FakeEngine | (() => never)): OtherHost & { opened: number } {
  const host = {
    name,
    opened: 0,
    engine: async () => {
      host.opened += 1;
      return typeof engine === 'function' ? engine() : engine;
    },
  };
  return host;
}

/** Every text the user was shown, lines and steps alike. */
function everything(ui: RecordingUi): string[] {
  return ui.events.flatMap((e) => (e.text === null ? [] : [e.text]));
}

describe('imageSupply with a registry', () => {
  const plan = envPlan();
  const envRemote = `${REGISTRY}/devenv-proj-alice:env-1`;
  const sharedRemote = `${REGISTRY}/devenv-shared:shared-1`;

  it('pulls the env image by its build hash, names it as the env names it, drops the registry name, and notes where it came from', async () => {
    const builder = new FakeEngine();
    const { env } = await buildOn(builder, plan);
    await supplyFor(builder, { registry: REGISTRY }).supply.publish(plan);
    const here = new FakeEngine({ registry: builder.registry });
    const { supply, ui, origins, credentialReads } = supplyFor(here, { registry: REGISTRY });

    expect(await supply.fetchEnvImage(plan)).toBe(true);

    expect(here.registryCalls).toEqual([{ kind: 'pull', ref: envRemote, auth: AUTH }]);
    expect(here.image(plan.imageRef)).toMatchObject({ id: env, tags: [plan.imageRef] });
    expect(here.image(envRemote)).toBeUndefined();
    expect([...origins]).toEqual([[env, `pulled from ${REGISTRY}`]]);
    expect(ui.warnings).toEqual([]);
    expect(credentialReads()).toBe(1);
  });

  it('a registry without the image is no warning: the shared layers are asked for next, and a build is pushed', async () => {
    const here = new FakeEngine();
    const { supply, ui, origins, credentialReads } = supplyFor(here, { registry: REGISTRY });

    expect(await supply.fetchEnvImage(plan)).toBe(false);
    expect(await supply.fetchSharedImage(plan.shared)).toBe(false);
    await buildOn(here, plan);
    await supply.publish(plan);

    expect(here.registryCalls.map((c) => [c.kind, c.ref])).toEqual([
      ['pull', envRemote],
      ['pull', sharedRemote],
      ['push', sharedRemote],
      ['push', envRemote],
    ]);
    expect(ui.warnings).toEqual([]);
    expect(ui.failedSteps).toEqual([]);
    expect(origins.size).toBe(0);
    // Read once, and given to every pull and push.
    expect(credentialReads()).toBe(1);
    expect(here.registryCalls.every((c) => c.auth === AUTH)).toBe(true);
  });

  it('pulls the shared layers by their hash when only they are there', async () => {
    const builder = new FakeEngine();
    const { shared } = await buildOn(builder, plan, 'shared');
    await builder.tagImage(plan.shared.imageRef, sharedRemote);
    await builder.pushImage(sharedRemote, null);
    const here = new FakeEngine({ registry: builder.registry });
    const { supply, origins } = supplyFor(here, { registry: REGISTRY });

    expect(await supply.fetchEnvImage(plan)).toBe(false);
    expect(await supply.fetchSharedImage(plan.shared)).toBe(true);

    expect(here.image(plan.shared.imageRef)).toMatchObject({ id: shared, tags: [plan.shared.imageRef] });
    expect([...origins]).toEqual([[shared, `pulled from ${REGISTRY}`]]);
  });

  it.each(['unreachable', 'denied', 'other'] as const)(
    'a registry that fails a pull (%s) is one warning line, and is not asked again by that start',
    async (kind: RegistryFailure['kind']) => {
      const here = new FakeEngine();
      here.registryRefuses.pull = kind;
      const { supply, ui } = supplyFor(here, { registry: REGISTRY });

      expect(await supply.fetchEnvImage(plan)).toBe(false);
      expect(await supply.fetchSharedImage(plan.shared)).toBe(false);
      await buildOn(here, plan);
      await supply.publish(plan);

      expect(ui.warnings).toHaveLength(1);
      expect(ui.warnings[0]).toContain(`registry ${REGISTRY}`);
      expect(ui.warnings[0]).toContain(REGISTRY_MESSAGES[kind]);
      expect(ui.warnings[0]).toMatch(/; building here instead$/);
      expect(ui.warnings[0]).not.toContain('\n');
      expect(here.registryCalls).toEqual([{ kind: 'pull', ref: envRemote, auth: AUTH }]);
      expect(here.count('tagImage')).toBe(0);
      expect(here.registry.size).toBe(0);
    },
  );

  it('a credentials problem is told only inside a refusal', async () => {
    const credentials = { auth: null, problem: 'docker-credential-secretservice failed' };
    const told = async (kind: RegistryFailure['kind'] | null) => {
      const here = new FakeEngine();
      if (kind) here.registryRefuses.pull = kind;
      const { supply, ui } = supplyFor(here, { registry: REGISTRY, credentials });
      await supply.fetchEnvImage(plan);
      await supply.fetchSharedImage(plan.shared);
      expect(here.registryCalls.every((c) => c.auth === null)).toBe(true);
      return everything(ui).filter((text) => text.includes(credentials.problem));
    };

    expect(await told(null)).toEqual([]);
    expect(await told('missing')).toEqual([]);
    expect(await told('unreachable')).toEqual([]);
    expect(await told('other')).toEqual([]);
    const denied = await told('denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toContain('docker login');
    expect(denied[0]).toContain(`(${credentials.problem})`);
  });

  it('publish pushes the shared layers, then the env image, by their hashes, and leaves no registry name here', async () => {
    const here = new FakeEngine();
    const { env, shared } = await buildOn(here, plan);
    const { supply, ui } = supplyFor(here, { registry: REGISTRY });

    await supply.publish(plan);

    expect(here.registryCalls).toEqual([
      { kind: 'push', ref: sharedRemote, auth: AUTH },
      { kind: 'push', ref: envRemote, auth: AUTH },
    ]);
    expect(here.registry.get(sharedRemote)?.id).toBe(shared);
    expect(here.registry.get(envRemote)?.id).toBe(env);
    expect(here.image(env)?.tags).toEqual([plan.imageRef]);
    expect(here.image(shared)?.tags).toEqual([plan.shared.imageRef]);
    expect(ui.warnings).toEqual([]);
  });

  it.each(['unreachable', 'denied', 'other'] as const)(
    'a push refused (%s) is one line saying the image stays; the image is still here, without the registry name',
    async (kind: RegistryFailure['kind']) => {
      const here = new FakeEngine();
      const { env, shared } = await buildOn(here, plan);
      here.registryRefuses.push = kind;
      const { supply, ui } = supplyFor(here, { registry: REGISTRY });

      await expect(supply.publish(plan)).resolves.toBeUndefined();

      expect(ui.warnings).toHaveLength(1);
      expect(ui.warnings[0]).toContain(`could not push ${plan.shared.imageRef} to ${REGISTRY}`);
      expect(ui.warnings[0]).toContain(REGISTRY_MESSAGES[kind]);
      expect(ui.warnings[0]).toContain('the image built here stays');
      // The env image is not pushed once the registry refused its shared layers.
      expect(here.registryCalls.map((c) => c.ref)).toEqual([sharedRemote]);
      expect(here.image(shared)?.tags).toEqual([plan.shared.imageRef]);
      expect(here.image(env)?.tags).toEqual([plan.imageRef]);
    },
  );

  it('a push refused for the env image after its shared layers went: one line, and its registry name is gone', async () => {
    const here = new FakeEngine();
    const { env } = await buildOn(here, plan);
    here.when('pushImage', 2, () => {
      here.registryRefuses.push = 'denied';
    });
    const { supply, ui } = supplyFor(here, { registry: REGISTRY });

    await supply.publish(plan);

    expect([...here.registry.keys()]).toEqual([sharedRemote]);
    expect(ui.warnings).toHaveLength(1);
    expect(ui.warnings[0]).toContain(`could not push ${plan.imageRef}`);
    expect(here.image(env)?.tags).toEqual([plan.imageRef]);
    expect(here.image(envRemote)).toBeUndefined();
  });

  it('never asks the other hosts', async () => {
    const here = new FakeEngine();
    const there = new FakeEngine();
    await buildOn(there, plan);
    const host = otherHost('gpu2', there);
    const { supply } = supplyFor(here, { registry: REGISTRY, otherHosts: [host] });

    expect(await supply.fetchEnvImage(plan)).toBe(false);
    expect(await supply.fetchSharedImage(plan.shared)).toBe(false);

    expect(host.opened).toBe(0);
    expect(there.count('exportImages')).toBe(0);
  });
});

describe('imageSupply without a registry', () => {
  const plan = envPlan();

  it('with no other host: nothing to fetch, nothing to publish, nothing asked', async () => {
    const here = new FakeEngine();
    const { supply, credentialReads } = supplyFor(here);

    expect(await supply.fetchEnvImage(plan)).toBe(false);
    expect(await supply.fetchSharedImage(plan.shared)).toBe(false);
    await supply.publish(plan);

    expect(here.calls).toEqual([]);
    expect(credentialReads()).toBe(0);
  });

  it('copies the env image and its shared layers from a host that has it at the same build hash', async () => {
    const here = new FakeEngine();
    const there = new FakeEngine();
    const { env, shared } = await buildOn(there, plan);
    const { supply, ui, origins } = supplyFor(here, { otherHosts: [otherHost('gpu2', there)] });

    expect(await supply.fetchEnvImage(plan)).toBe(true);

    expect(there.calls.filter((c) => c.method === 'exportImages').map((c) => c.args)).toEqual([
      [[plan.imageRef, plan.shared.imageRef]],
    ]);
    expect(here.image(plan.imageRef)?.id).toBe(env);
    expect(here.image(plan.shared.imageRef)?.id).toBe(shared);
    expect(origins).toEqual(
      new Map([
        [env, 'copied from gpu2'],
        [shared, 'copied from gpu2'],
      ]),
    );
    expect(ui.warnings).toEqual([]);
    await supply.publish(plan);
    expect(there.count('exportImages')).toBe(1);
  });

  it('copies the env image alone from a host that no longer has its shared layers tagged', async () => {
    const here = new FakeEngine();
    const there = new FakeEngine();
    const { env } = await buildOn(there, plan);
    await there.untagImage(plan.shared.imageRef);
    const { supply, origins } = supplyFor(here, { otherHosts: [otherHost('gpu2', there)] });

    expect(await supply.fetchEnvImage(plan)).toBe(true);

    expect(there.calls.find((c) => c.method === 'exportImages')?.args).toEqual([[plan.imageRef]]);
    expect([...origins]).toEqual([[env, 'copied from gpu2']]);
  });

  it('builds the user layer instead when the shared layers are here already (faster than a copy)', async () => {
    const here = new FakeEngine();
    await buildOn(here, plan, 'shared');
    const there = new FakeEngine();
    await buildOn(there, plan);
    const host = otherHost('gpu2', there);
    const { supply } = supplyFor(here, { otherHosts: [host] });

    expect(await supply.fetchEnvImage(plan)).toBe(false);

    expect(host.opened).toBe(0);
    expect(here.image(plan.imageRef)).toBeUndefined();
  });

  it('does not copy an env image of another build hash; the shared layers of the same hash are copied, and the hosts asked once', async () => {
    const here = new FakeEngine();
    const there = new FakeEngine();
    const { shared } = await buildOn(there, envPlan('env-old'));
    const host = otherHost('gpu2', there);
    const { supply, origins } = supplyFor(here, { otherHosts: [host] });

    expect(await supply.fetchEnvImage(plan)).toBe(false);
    expect(here.image(plan.imageRef)).toBeUndefined();
    expect(await supply.fetchSharedImage(plan.shared)).toBe(true);

    expect(there.calls.find((c) => c.method === 'exportImages')?.args).toEqual([[plan.shared.imageRef]]);
    expect(here.image(plan.shared.imageRef)?.id).toBe(shared);
    expect([...origins]).toEqual([[shared, 'copied from gpu2']]);
    expect(host.opened).toBe(1);
    expect(there.count('inspectImage')).toBe(2);
  });

  it('copies the shared layers only from a host whose image of that name is devenv’s shared layers of that hash', async () => {
    const here = new FakeEngine();
    const impostor = new FakeEngine();
    impostor.addImage({ tags: [plan.shared.imageRef], labels: { [LABELS.managedBy]: 'someone-else' } });
    const holder = new FakeEngine();
    const { shared } = await buildOn(holder, plan, 'shared');
    const { supply, origins } = supplyFor(here, {
      otherHosts: [otherHost('gpu2', impostor), otherHost('gpu3', holder)],
    });

    expect(await supply.fetchSharedImage(plan.shared)).toBe(true);

    expect(impostor.count('exportImages')).toBe(0);
    expect([...origins]).toEqual([[shared, 'copied from gpu3']]);
  });

  it('skips a host it cannot reach with a detail line, and copies from the next one', async () => {
    const here = new FakeEngine();
    const there = new FakeEngine();
    const { env } = await buildOn(there, plan);
    const down = otherHost('gpu2', () => {
      throw new DevenvError('cannot connect to ssh://gpu2: connection refused', { code: 'engine' });
    });
    const { supply, ui, origins } = supplyFor(here, { otherHosts: [down, otherHost('gpu3', there)] });

    expect(await supply.fetchEnvImage(plan)).toBe(true);

    expect(ui.said('detail')).toEqual(['gpu2: cannot connect to ssh://gpu2: connection refused']);
    expect(ui.warnings).toEqual([]);
    expect(origins.get(env)).toBe('copied from gpu3');
  });

  it('a copy that fails is one warning line, and devenv builds', async () => {
    const here = new FakeEngine();
    const there = new FakeEngine();
    await buildOn(there, plan);
    there.failOn('exportImages', 1);
    const { supply, ui, origins } = supplyFor(here, { otherHosts: [otherHost('gpu2', there)] });

    expect(await supply.fetchEnvImage(plan)).toBe(false);

    expect(ui.warnings).toHaveLength(1);
    expect(ui.warnings[0]).toMatch(
      /^could not copy image devenv-proj-alice:latest from gpu2 \(.+\); building here instead$/,
    );
    expect(here.image(plan.imageRef)).toBeUndefined();
    expect(origins.size).toBe(0);
  });
});

describe('envImageSupply', () => {
  let io: FakeIo;
  let ui: RecordingUi;
  /** The other hosts' engines, by their endpoint's URL, and every connection made to one. */
  let remote: { engines: Map<string, Engine>; connected: string[] };
  const connect: ConnectEngine = async (endpoint) => {
    remote.connected.push(endpoint.url);
    const engine = remote.engines.get(endpoint.url);
    if (!engine) throw new DevenvError(`cannot reach the engine at ${endpoint.url}`, { code: 'engine' });
    return engine;
  };

  beforeEach(() => {
    io = fakeIo();
    ui = new RecordingUi();
    remote = { engines: new Map(), connected: [] };
  });
  afterEach(() => io.cleanup());

  /** The env on gpu1 (ssh://me@gpu1), with `config` as its .devenvrc. */
  function onGpu1(config: Record<string, unknown>, engine = new FakeEngine(), job: SiteJob | null = null) {
    const site = fakeSite({ io, ui, engine, host: new FakeHost({ remote: true, name: 'me@gpu1' }) });
    const ctx = envContext({ io, ui, site: { ...site, job }, config });
    return { ctx, site, supply: envImageSupply(ctx, engine, connect) };
  }

  it('is none for an env with neither a registry nor hosts', () => {
    expect(onGpu1({}).supply).toBeUndefined();
  });

  it('pulls from the registry with Docker’s credentials, and status can read where the image came from', async () => {
    const auths = { 'registry.lab:5000': { auth: Buffer.from('me:pw').toString('base64') } };
    mkdirSync(io.env.DOCKER_CONFIG ?? '', { recursive: true });
    writeFileSync(path.join(io.env.DOCKER_CONFIG ?? '', 'config.json'), JSON.stringify({ auths }));
    const builder = new FakeEngine();
    const plan = envPlan();
    const { env } = await buildOn(builder, plan);
    await supplyFor(builder, { registry: REGISTRY }).supply.publish(plan);
    const here = new FakeEngine({ registry: builder.registry });
    const { site, supply } = onGpu1({ registry: REGISTRY, hosts: ['ssh://me@gpu2'] }, here);

    expect(await supply?.fetchEnvImage(plan)).toBe(true);

    expect(here.registryCalls).toEqual([
      { kind: 'pull', ref: `${REGISTRY}/devenv-proj-alice:env-1`, auth: AUTH },
    ]);
    expect(readImageOrigin(io.env, site.endpoint.url, env)).toBe(`pulled from ${REGISTRY}`);
    expect(remote.connected).toEqual([]);
  });

  it('copies from the env’s other hosts, not from its own engine nor a context that does not exist', async () => {
    const there = new FakeEngine();
    const plan = envPlan();
    const { env } = await buildOn(there, plan);
    remote.engines.set('ssh://me@gpu1', new FakeEngine());
    remote.engines.set('ssh://me@gpu2', there);
    const { site, supply } = onGpu1({ hosts: ['ssh://me@gpu1', 'nosuchcontext', 'ssh://me@gpu2'] });

    expect(await supply?.fetchEnvImage(plan)).toBe(true);
    expect(await supply?.fetchSharedImage(plan.shared)).toBe(true);

    expect(remote.connected).toEqual(['ssh://me@gpu2']);
    expect(readImageOrigin(io.env, site.endpoint.url, env)).toBe('copied from ssh://me@gpu2');
  });

  it('on a scheduler’s node, asks no other host', async () => {
    const there = new FakeEngine();
    const plan = envPlan();
    await buildOn(there, plan);
    remote.engines.set('ssh://me@gpu2', there);
    const job = {} as SiteJob;
    const { supply } = onGpu1({ hosts: ['ssh://me@gpu2'] }, new FakeEngine(), job);

    expect(await supply?.fetchEnvImage(plan)).toBe(false);
    expect(await supply?.fetchSharedImage(plan.shared)).toBe(false);

    expect(remote.connected).toEqual([]);
  });
});
