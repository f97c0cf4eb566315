import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planPrune, pruneEnv, stopEnv } from '../../../src/app/down.js';
import { rememberPlacement } from '../../../src/app/placement.js';
import { upEnv } from '../../../src/app/up.js';
import { DevenvError } from '../../../src/core/errors.js';
import {
  envIdentity,
  LABELS,
  MANAGED_BY,
  ownerLabels,
  SHARED_LAYER_LABELS,
} from '../../../src/core/identity.js';
import { readPlacement } from '../../../src/host/placement-store.js';
import { checkedConfig, ENV_ROOT, envContext } from '../../fakes/env-context.js';
import { FakeHost } from '../../fakes/host.js';
import { type FakeIo, fakeIo } from '../../fakes/io.js';
import { type FakeSite, fakeSite } from '../../fakes/site.js';
import { RecordingUi } from '../../fakes/ui.js';

const CONTAINER = 'devenv-proj-me';
const CONFIG = { gpus: 'none' };
const me = { name: 'me', uid: 1000, gid: 1000 };
const bob = { name: 'bob', uid: 1001, gid: 1001 };

let io: FakeIo;
let ui: RecordingUi;
let site: FakeSite;

beforeEach(() => {
  io = fakeIo();
  ui = new RecordingUi();
  site = fakeSite({ io, ui });
});
afterEach(() => io.cleanup());

/**
 * Our env, started for real, beside what must survive a stop or prune: bob's env of the same name
 * (his container and image), our other env's image, and a container and an image devenv did not make.
 */
async function crowdedEngine() {
  await upEnv(envContext({ io, ui, site, config: CONFIG }), {});
  const engine = site.fakeEngine;
  const bobs = envIdentity('proj', bob, '/home/bob/proj');
  const others = {
    bobContainer: engine.addContainer({ name: bobs.containerName, running: true, labels: ownerLabels(bobs) }),
    bobImage: engine.addImage({ tags: [bobs.imageRef], labels: ownerLabels(bobs) }),
    otherEnvImage: engine.addImage({
      tags: ['devenv-other-me:latest'],
      labels: ownerLabels(envIdentity('other', me, '/home/me/other')),
    }),
    web: engine.addContainer({ name: 'web', running: true }),
    unlabelled: engine.addImage({ tags: ['postgres:16'] }),
  };
  return { engine, others };
}

function stillThere(engine: FakeSite['fakeEngine'], others: Record<string, string>): Record<string, boolean> {
  return Object.fromEntries(
    Object.entries(others).map(([name, id]) => [name, Boolean(engine.container(id) ?? engine.image(id))]),
  );
}

describe('stopEnv', () => {
  it("removes the env's container only; images, folders and everyone else's objects stay", async () => {
    const { engine, others } = await crowdedEngine();

    expect(await stopEnv(envContext({ io, ui, site, config: CONFIG }))).toBe(true);

    expect(engine.container(CONTAINER)).toBeUndefined();
    expect(engine.image('devenv-proj-me:latest')).toBeDefined();
    expect(stillThere(engine, others)).toEqual({
      bobContainer: true,
      bobImage: true,
      otherEnvImage: true,
      web: true,
      unlabelled: true,
    });
    expect(engine.container(others.bobContainer)?.running).toBe(true);
    expect(site.host.kind(`${ENV_ROOT}/projects`)).toBe('dir');
    expect(ui.said('succeed')).toContain(`stopped and removed ${CONTAINER}`);
  });

  it('says false and changes nothing when the env has no container', async () => {
    const { engine } = await crowdedEngine();
    await stopEnv(envContext({ io, ui, site, config: CONFIG }));
    const before = engine.changes().length;

    expect(await stopEnv(envContext({ io, ui, site, config: CONFIG }))).toBe(false);

    expect(engine.changes()).toHaveLength(before);
  });

  it('refuses a same-named container devenv did not make (exit 7), and leaves it running', async () => {
    const id = site.fakeEngine.addContainer({ name: CONTAINER, running: true, labels: { app: 'mine' } });

    const error = await stopEnv(envContext({ io, ui, site, config: CONFIG })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(7);
    expect(site.fakeEngine.container(id)?.running).toBe(true);
    expect(site.fakeEngine.changes()).toEqual([]);
  });
});

describe('planPrune and pruneEnv', () => {
  it("says what a prune removes and what the container's own layer would lose", async () => {
    const { engine } = await crowdedEngine();
    const container = engine.container(CONTAINER);
    if (container)
      container.changes = [
        { path: '/usr/local/bin/tool', kind: 'added' },
        { path: '/home/me/projects/notes.txt', kind: 'added' }, // in a mount: kept
        { path: '/tmp/x', kind: 'added' }, // noise
      ];

    const plan = await planPrune(envContext({ io, ui, site, config: CONFIG }));

    expect(plan).toEqual({
      what: `container ${CONTAINER} and 1 image(s) of env proj`,
      lost: { count: 1, summary: '+/usr/local/bin/tool' },
    });
  });

  it("removes the env's container, its images and its dangling images, and nothing of anyone else's", async () => {
    const { engine, others } = await crowdedEngine();
    const leftover = engine.addImage({
      labels: { ...ownerLabels(envIdentity('proj', me, ENV_ROOT)), [LABELS.buildHash]: 'old' },
    });
    const bobsLeftover = engine.addImage({ labels: ownerLabels(envIdentity('proj', bob, '/home/bob/proj')) });

    await pruneEnv(envContext({ io, ui, site, config: CONFIG }));

    expect(engine.container(CONTAINER)).toBeUndefined();
    expect(engine.image('devenv-proj-me:latest')).toBeUndefined();
    expect(engine.image(leftover)).toBeUndefined();
    expect(engine.image(bobsLeftover)).toBeDefined();
    expect(stillThere(engine, others)).toEqual({
      bobContainer: true,
      bobImage: true,
      otherEnvImage: true,
      web: true,
      unlabelled: true,
    });
    expect(site.host.kind(`${ENV_ROOT}/projects`)).toBe('dir');
  });

  it('an env whose only build failed in its shared layers: prune names what that build left, and removes it', async () => {
    const engine = site.fakeEngine;
    // A failed shared-layers build's finished steps: untagged, labelled shared and nobody's.
    const first = engine.addImage({ labels: SHARED_LAYER_LABELS });
    const last = engine.addImage({ labels: SHARED_LAYER_LABELS, parent: first });
    const ctx = () => envContext({ io, ui, site, config: CONFIG });

    expect((await planPrune(ctx())).what).toBe('1 image(s) left by failed shared-layer builds');
    await pruneEnv(ctx());

    expect(engine.image(last)).toBeUndefined();
    expect(engine.image(first)).toBeUndefined();
    expect((await planPrune(ctx())).what).toBeNull();
  });

  it('while a shared build holds its lock, its untagged last step is no leftover: prune neither names nor removes it', async () => {
    const engine = site.fakeEngine;
    const step = engine.addImage({ labels: SHARED_LAYER_LABELS });
    engine.addContainer({
      name: 'devenv-shared-build-0123456789abcdef',
      running: true,
      labels: { ...SHARED_LAYER_LABELS, [LABELS.layer]: 'build-lock' },
    });
    const ctx = () => envContext({ io, ui, site, config: CONFIG });

    expect((await planPrune(ctx())).what).toBeNull();
    await pruneEnv(ctx());

    expect(engine.image(step)).toBeDefined();
  });

  it('forgets where the env was placed, so later commands stop going there', async () => {
    await crowdedEngine();
    const placement = { host: 'ssh://me@gpu1', explanation: null };
    const ctx = envContext({ io, ui, site, config: CONFIG, placement });
    rememberPlacement(io, ctx.env, placement);
    expect(readPlacement(io.env, ENV_ROOT, 'proj')?.host).toBe('ssh://me@gpu1');

    await pruneEnv(ctx);

    expect(readPlacement(io.env, ENV_ROOT, 'proj')).toBeNull();
  });
});

describe('pruneEnv and the shared layers two users build on', () => {
  const BOB_ROOT = '/home/bob/proj';
  const bobs = envIdentity('proj', bob, BOB_ROOT);

  /** Our env and bob's env of the same config, each started by its user on the one engine. */
  async function twoUsers() {
    const engine = site.fakeEngine;
    const mine = () => envContext({ io, ui, site, config: CONFIG });
    const bobSite = fakeSite({
      io,
      ui,
      engine,
      host: new FakeHost({ account: { ...bob, home: '/home/bob' } }),
    });
    const his = () => envContext({ io, ui, site: bobSite, config: checkedConfig(CONFIG, BOB_ROOT) });
    await upEnv(mine(), {});
    await upEnv(his(), {});
    const sharedRef = engine.builds[0]?.plan.imageRef ?? '';
    // One shared build for both: bob built his user layer only.
    expect(engine.builds.map((b) => b.plan.imageRef)).toEqual([
      sharedRef,
      'devenv-proj-me:latest',
      bobs.imageRef,
    ]);
    return { engine, mine, his, sharedRef, shared: engine.image(sharedRef)?.id ?? '' };
  }

  it("one user's prune leaves the other's env working and the shared image both build on", async () => {
    const { engine, mine, his, sharedRef, shared } = await twoUsers();

    await pruneEnv(mine());

    expect(engine.container(CONTAINER)).toBeUndefined();
    expect(engine.image('devenv-proj-me:latest')).toBeUndefined();
    expect(engine.container(bobs.containerName)?.running).toBe(true);
    expect(engine.image(bobs.imageRef)?.parent).toBe(shared);
    expect(engine.image(sharedRef)?.id).toBe(shared);
    // His next start finds everything in place: nothing built, nothing changed.
    const before = engine.changes().length;
    await upEnv(his(), {});
    expect(engine.changes()).toHaveLength(before);
  });

  it("the last user's prune takes the shared image too, and leaves no image of devenv's", async () => {
    const { engine, mine, his, sharedRef } = await twoUsers();

    await pruneEnv(mine());
    await pruneEnv(his());

    expect(engine.image(sharedRef)).toBeUndefined();
    expect([...engine.images.values()].filter((i) => i.labels[LABELS.managedBy] === MANAGED_BY)).toEqual([]);
    expect(engine.image('ubuntu:24.04')).toBeDefined();
  });

  it("a prune by either, in either order, never removes the other's image while it is there", async () => {
    const { engine, mine, his, sharedRef } = await twoUsers();

    await pruneEnv(his());

    expect(engine.image(bobs.imageRef)).toBeUndefined();
    expect(engine.container(CONTAINER)?.running).toBe(true);
    expect(engine.image('devenv-proj-me:latest')).toBeDefined();
    expect(engine.image(sharedRef)).toBeDefined();
    await pruneEnv(mine());
    expect(engine.image(sharedRef)).toBeUndefined();
  });
});
