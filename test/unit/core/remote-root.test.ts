import { describe, expect, it } from 'vitest';
import { envRootOnHost } from '../../../src/core/remote-root.js';

const HOME = '/home/alice';

describe('envRootOnHost', () => {
  it.each<{ remoteRoot: string | null; root: string }>([
    { remoteRoot: null, root: '/home/alice/devenv/podcast' },
    { remoteRoot: '~', root: HOME },
    { remoteRoot: '~/', root: HOME },
    { remoteRoot: '~/x/y', root: '/home/alice/x/y' },
    { remoteRoot: '~/x//y/./z', root: '/home/alice/x/y/z' },
    { remoteRoot: '~/x/../y', root: '/home/alice/y' },
    { remoteRoot: '/srv/devenv/podcast', root: '/srv/devenv/podcast' },
    { remoteRoot: '/srv//a/../b', root: '/srv/b' },
    { remoteRoot: '/data/~/x', root: '/data/~/x' },
  ])('remoteRoot $remoteRoot is $root', ({ remoteRoot, root }) => {
    expect(envRootOnHost(remoteRoot, 'podcast', HOME)).toBe(root);
  });

  it("defaults under the remote account's home, not this machine's", () => {
    expect(envRootOnHost(null, 'podcast', '/Users/al ice')).toBe('/Users/al ice/devenv/podcast');
    expect(envRootOnHost('~/w', 'podcast', '/root')).toBe('/root/w');
  });

  it('names the default folder after the env', () => {
    expect(envRootOnHost(null, 'other-env', HOME)).toBe('/home/alice/devenv/other-env');
  });
});
