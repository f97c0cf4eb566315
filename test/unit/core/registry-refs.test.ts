import { describe, expect, it } from 'vitest';
import { registryProbeRef, registryRef } from '../../../src/core/registry-refs.js';

describe('registryRef', () => {
  it.each([
    ['registry.lab:5000/devenv', 'devenv-shared:ab12', 'ab12', 'registry.lab:5000/devenv/devenv-shared:ab12'],
    [
      '127.0.0.1:17850/team/x',
      'devenv-podcast-alice:latest',
      'cd34',
      '127.0.0.1:17850/team/x/devenv-podcast-alice:cd34',
    ],
    ['registry.lab/devenv/', 'devenv-a-b', 'ef56', 'registry.lab/devenv/devenv-a-b:ef56'],
    ['myorg', 'devenv-shared:0011', '0011', 'myorg/devenv-shared:0011'],
  ])('%s + %s at %s -> %s', (registry, local, hash, expected) => {
    expect(registryRef(registry, local, hash)).toBe(expected);
  });

  it('tags by the hash, not by the local tag: another hash is another name', () => {
    expect(registryRef('r:5000/d', 'devenv-x-u:latest', 'aaaa')).not.toBe(
      registryRef('r:5000/d', 'devenv-x-u:latest', 'bbbb'),
    );
  });
});

describe('registryProbeRef', () => {
  it('names a repository under the registry that devenv never pushes', () => {
    const probe = registryProbeRef('registry.lab:5000/devenv/');
    expect(probe).toBe('registry.lab:5000/devenv/devenv-doctor-probe:absent');
    expect(probe).not.toMatch(/devenv-shared|:latest/);
  });
});
