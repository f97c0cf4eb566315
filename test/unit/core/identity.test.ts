import { describe, expect, it } from 'vitest';
import type { HostUser } from '../../../src/core/identity.js';
import {
  dockerSafe,
  envIdentity,
  isOwnedBy,
  isSharedLayer,
  LABELS,
  MANAGED_BY,
  ownerFilters,
  ownerLabels,
  SHARED_LAYER_LABELS,
  SHARED_REPO,
  sharedImageRef,
  sharedLayerFilters,
} from '../../../src/core/identity.js';

const alice: HostUser = { name: 'alice', uid: 1000, gid: 1000 };
const bob: HostUser = { name: 'bob', uid: 1001, gid: 1001 };
const ROOT = '/srv/envs/podcastllm';

describe('dockerSafe', () => {
  it.each([
    { part: 'podcastllm', safe: 'podcastllm' },
    { part: 'PodcastLLM', safe: 'podcastllm' },
    { part: 'My Project!', safe: 'my-project' },
    { part: 'john.doe', safe: 'john.doe' },
    { part: 'a_b', safe: 'a_b' },
    { part: 'a__b', safe: 'a-b' },
    { part: 'a.-_b', safe: 'a-b' },
    { part: '--x--', safe: 'x' },
    { part: '.hidden.', safe: 'hidden' },
    { part: 'naïve', safe: 'na-ve' },
    { part: '!!!', safe: 'x' },
    { part: '', safe: 'x' },
  ])('$part -> $safe', ({ part, safe }) => {
    expect(dockerSafe(part)).toBe(safe);
  });

  it.each(['My Project!', 'DOMAIN\\User', '日本', 'a  b', 'x.'.repeat(10)])(
    '%j is a valid image name component',
    (part) => {
      // Docker's image path component: [a-z0-9]+ joined by one separator (., _, __ or -+).
      expect(dockerSafe(part)).toMatch(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/);
    },
  );
});

describe('envIdentity', () => {
  it.each([
    { env: 'podcastllm', user: alice, container: 'devenv-podcastllm-alice' },
    {
      env: 'My Env',
      user: { name: 'Bob.Smith', uid: 1002, gid: 1002 },
      container: 'devenv-my-env-bob.smith',
    },
    {
      env: 'PodcastLLM',
      user: { name: 'ALICE', uid: 1000, gid: 1000 },
      container: 'devenv-podcastllm-alice',
    },
    {
      env: 'proj',
      user: { name: 'DOMAIN\\carol', uid: 5000, gid: 5000 },
      container: 'devenv-proj-domain-carol',
    },
  ])('$env for $user.name is $container', ({ env, user, container }) => {
    const id = envIdentity(env, user, ROOT);
    expect(id.containerName).toBe(container);
    expect(id.imageRepo).toBe(container);
    expect(id.imageRef).toBe(`${container}:latest`);
    expect(id.envName).toBe(env);
    expect(id.envRoot).toBe(ROOT);
    expect(id.user).toBe(user);
  });

  it('gives two users of the same env name different containers and images', () => {
    const a = envIdentity('podcastllm', alice, ROOT);
    const b = envIdentity('podcastllm', bob, ROOT);
    expect(a.containerName).not.toBe(b.containerName);
    expect(a.imageRef).not.toBe(b.imageRef);
  });

  it('gives one user two envs different containers', () => {
    expect(envIdentity('one', alice, ROOT).containerName).not.toBe(
      envIdentity('two', alice, ROOT).containerName,
    );
  });
});

describe('ownerLabels and ownerFilters', () => {
  it('labels say devenv made it, for which env, user, uid and env root', () => {
    expect(ownerLabels(envIdentity('podcastllm', alice, ROOT))).toEqual({
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.env]: 'podcastllm',
      [LABELS.user]: 'alice',
      [LABELS.uid]: '1000',
      [LABELS.root]: ROOT,
    });
  });

  it('keeps the env and user names as given (the labels, not the Docker names, are the identity)', () => {
    const labels = ownerLabels(envIdentity('My Env', { name: 'Bob.Smith', uid: 7, gid: 7 }, ROOT));
    expect(labels[LABELS.env]).toBe('My Env');
    expect(labels[LABELS.user]).toBe('Bob.Smith');
  });

  it.each([
    {
      envName: undefined,
      filters: ['dev.devenv.managed-by=devenv', 'dev.devenv.user=alice', 'dev.devenv.uid=1000'],
    },
    {
      envName: 'podcastllm',
      filters: [
        'dev.devenv.managed-by=devenv',
        'dev.devenv.user=alice',
        'dev.devenv.uid=1000',
        'dev.devenv.env=podcastllm',
      ],
    },
  ])('filters for env $envName', ({ envName, filters }) => {
    expect(ownerFilters(alice, envName)).toEqual(filters);
  });

  it('every filter matches the labels devenv puts on the env', () => {
    const labels = ownerLabels(envIdentity('podcastllm', alice, ROOT));
    for (const filter of ownerFilters(alice, 'podcastllm')) {
      const [key, value] = filter.split('=') as [string, string];
      expect(labels[key]).toBe(value);
    }
  });
});

describe('isOwnedBy', () => {
  const mine = ownerLabels(envIdentity('podcastllm', alice, ROOT));

  it.each([
    { label: "the user's own env", labels: mine, user: alice, env: 'podcastllm', owned: true },
    { label: "the user's own object, any env", labels: mine, user: alice, env: undefined, owned: true },
    {
      label: 'labels from another env root',
      labels: { ...mine, [LABELS.root]: '/elsewhere' },
      user: alice,
      env: 'podcastllm',
      owned: true,
    },
    {
      label: "another user's env with the same name",
      labels: ownerLabels(envIdentity('podcastllm', bob, ROOT)),
      user: alice,
      env: 'podcastllm',
      owned: false,
    },
    {
      label: 'same user name, different uid',
      labels: { ...mine, [LABELS.uid]: '2000' },
      user: alice,
      env: 'podcastllm',
      owned: false,
    },
    { label: 'another env of the same user', labels: mine, user: alice, env: 'other', owned: false },
    {
      label: 'not managed by devenv',
      labels: { ...mine, [LABELS.managedBy]: 'compose' },
      user: alice,
      env: 'podcastllm',
      owned: false,
    },
    {
      label: 'no managed-by label',
      labels: { [LABELS.user]: 'alice', [LABELS.uid]: '1000', [LABELS.env]: 'podcastllm' },
      user: alice,
      env: 'podcastllm',
      owned: false,
    },
    { label: 'no labels at all', labels: {}, user: alice, env: 'podcastllm', owned: false },
    { label: 'null labels', labels: null, user: alice, env: undefined, owned: false },
    { label: 'undefined labels', labels: undefined, user: alice, env: undefined, owned: false },
  ])('$label -> $owned', ({ labels, user, env, owned }) => {
    expect(isOwnedBy(labels, user, env)).toBe(owned);
  });
});

describe('shared layers: labels, filters, tag', () => {
  const mine = ownerLabels(envIdentity('podcastllm', alice, ROOT));

  it("are devenv's and shared, and carry no owner", () => {
    expect(SHARED_LAYER_LABELS).toEqual({ [LABELS.managedBy]: MANAGED_BY, [LABELS.layer]: 'shared' });
    for (const key of [LABELS.env, LABELS.user, LABELS.uid, LABELS.root])
      expect(Object.keys(SHARED_LAYER_LABELS)).not.toContain(key);
  });

  it('are tagged with the hash of their inputs, in one repository for every user', () => {
    expect(sharedImageRef('0123abcd')).toBe(`${SHARED_REPO}:0123abcd`);
    expect(SHARED_REPO).toBe('devenv-shared');
  });

  it('every filter matches the shared labels, and none matches an env image of a user', () => {
    for (const filter of sharedLayerFilters()) {
      const [key, value] = filter.split('=') as [string, string];
      expect(SHARED_LAYER_LABELS[key]).toBe(value);
    }
    const envImage: Record<string, string> = { ...mine, [LABELS.layer]: 'env' };
    expect(
      sharedLayerFilters().every((filter) => {
        const [key, value] = filter.split('=') as [string, string];
        return envImage[key] === value;
      }),
    ).toBe(false);
  });

  it.each([
    { label: 'the shared labels', labels: SHARED_LAYER_LABELS, shared: true },
    {
      label: 'the shared labels and their hash',
      labels: { ...SHARED_LAYER_LABELS, [LABELS.sharedHash]: 'h' },
      shared: true,
    },
    {
      label: 'shared, with a user label',
      labels: { ...SHARED_LAYER_LABELS, [LABELS.user]: 'alice' },
      shared: false,
    },
    { label: 'shared, with the owner labels', labels: { ...mine, [LABELS.layer]: 'shared' }, shared: false },
    { label: "a user's env image", labels: { ...mine, [LABELS.layer]: 'env' }, shared: false },
    { label: 'no layer label', labels: { [LABELS.managedBy]: MANAGED_BY }, shared: false },
    {
      label: 'not managed by devenv',
      labels: { ...SHARED_LAYER_LABELS, [LABELS.managedBy]: 'compose' },
      shared: false,
    },
    { label: 'no labels', labels: {}, shared: false },
    { label: 'null labels', labels: null, shared: false },
  ])('isSharedLayer: $label -> $shared', ({ labels, shared }) => {
    expect(isSharedLayer(labels)).toBe(shared);
  });
});
