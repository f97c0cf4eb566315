import { describe, expect, it } from 'vitest';
import type { ContainerState, ImageState } from '../../../src/core/engine.js';
import { type EnvObjects, envRow, groupEnvObjects, renderEnvTable } from '../../../src/core/env-list.js';
import { LABELS, MANAGED_BY } from '../../../src/core/identity.js';

function labels(env: string, user: string, uid: number, root: string): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.env]: env,
    [LABELS.user]: user,
    [LABELS.uid]: String(uid),
    [LABELS.root]: root,
  };
}

function container(name: string, running: boolean, l: Record<string, string>): ContainerState {
  return {
    id: name,
    name,
    running,
    status: running ? 'running' : 'exited',
    labels: l,
    imageId: '',
    created: '',
  };
}

function image(id: string, l: Record<string, string>): ImageState {
  return { id, labels: l, created: '', size: 1 };
}

describe('groupEnvObjects', () => {
  const aliceA = labels('a', 'alice', 1000, '/srv/a');
  const aliceB = labels('b', 'alice', 1000, '/srv/b');
  const bobA = labels('a', 'bob', 1001, '/home/bob/a');

  it('groups containers and images by env, user, uid and root, sorted by user then env', () => {
    const groups = groupEnvObjects(
      [container('devenv-a-bob', false, bobA), container('devenv-a-alice', true, aliceA)],
      [image('i1', aliceA), image('i2', aliceA), image('i3', aliceB)],
    );
    expect(groups.map((g) => [g.user, g.env, g.root, g.container?.name ?? null, g.images.length])).toEqual([
      ['alice', 'a', '/srv/a', 'devenv-a-alice', 2],
      ['alice', 'b', '/srv/b', null, 1],
      ['bob', 'a', '/home/bob/a', 'devenv-a-bob', 0],
    ]);
    expect(groups[0]?.uid).toBe(1000);
  });

  it('keeps two envs of one name apart when their roots differ', () => {
    const elsewhere = labels('a', 'alice', 1000, '/tmp/a');
    expect(groupEnvObjects([], [image('i1', aliceA), image('i2', elsewhere)])).toHaveLength(2);
  });

  it('prefers the running container when an env has two', () => {
    const [group] = groupEnvObjects(
      [container('old', false, aliceA), container('new', true, aliceA), container('older', false, aliceA)],
      [],
    );
    expect(group?.container?.name).toBe('new');
  });

  it("leaves out the shared layers and their builds' lock containers, which are no env of anyone", () => {
    const shared = { [LABELS.managedBy]: MANAGED_BY, [LABELS.layer]: 'shared', [LABELS.sharedHash]: 'h' };
    const lock = { [LABELS.managedBy]: MANAGED_BY, [LABELS.layer]: 'build-lock' };
    const envImage = { ...aliceA, [LABELS.layer]: 'env', [LABELS.sharedHash]: 'h' };
    const groups = groupEnvObjects(
      [container('devenv-shared-build-h', true, lock)],
      [image('s', shared), image('e', envImage)],
    );
    expect(groups.map((g) => [g.user, g.env, g.images.map((i) => i.id), g.container])).toEqual([
      ['alice', 'a', ['e'], null],
    ]);
  });

  it('tolerates missing labels', () => {
    const [group] = groupEnvObjects([], [image('i', { [LABELS.managedBy]: MANAGED_BY })]);
    expect(group).toMatchObject({ env: '?', user: '?', uid: null, root: '?' });
  });
});

describe('envRow and renderEnvTable', () => {
  const l = labels('podcastllm', 'alice', 1000, '/srv/podcastllm');

  it.each([
    { c: container('x', true, l), state: 'running' },
    { c: container('x', false, l), state: 'stopped' },
    { c: null, state: 'absent' },
  ])('container state $state', ({ c, state }) => {
    const [group] = groupEnvObjects(c ? [c] : [], [image('i', l)]);
    expect(envRow(group as NonNullable<typeof group>, 'fresh').container.state).toBe(state);
  });

  it('renders aligned columns with a header', () => {
    const [b, podcast] = groupEnvObjects(
      [container('devenv-podcastllm-alice', true, l)],
      [image('i', labels('b', 'alice', 1000, '/srv/b'))],
    ) as [EnvObjects, EnvObjects];
    expect(renderEnvTable([envRow(b, 'absent'), envRow(podcast, 'stale')])).toEqual([
      'ENV         USER   STATE         IMAGE FRESH  GPUS  ROOT',
      'b           alice  no container  not built    -     /srv/b',
      'podcastllm  alice  running       no (stale)   -     /srv/podcastllm',
    ]);
  });

  it('shows the GPUs a running env leases by host index, and the UUID of one the host does not list', () => {
    const leasing = container('devenv-podcastllm-alice', true, {
      ...l,
      'dev.devenv.gpu-lease': 'GPU-bbbb,GPU-gone',
    });
    const [group] = groupEnvObjects([leasing], []) as [EnvObjects];
    const hostGpus = ['GPU-aaaa', 'GPU-bbbb'].map((uuid, index) => ({
      index,
      uuid,
      name: 'NVIDIA H100',
      pciBusId: null,
      memoryMiB: 81559,
      driverVersion: '565.57.01',
      computeCap: '9.0',
    }));
    const row = envRow(group, 'fresh', hostGpus);
    expect(row.gpus).toEqual([
      { index: 1, uuid: 'GPU-bbbb' },
      { index: null, uuid: 'GPU-gone' },
    ]);
    expect(renderEnvTable([row])[1]).toMatch(/\s1,GPU-gone\s+\/srv\/podcastllm$/);
  });

  it('shows unknown freshness as ?', () => {
    const [group] = groupEnvObjects([], [image('i', l)]) as [EnvObjects];
    expect(renderEnvTable([envRow(group, 'unknown')])[1]).toMatch(/ \? {2,}- {2,}\/srv\/podcastllm$/);
  });
});
