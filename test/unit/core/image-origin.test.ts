import { describe, expect, it } from 'vitest';
import { imageOrigin } from '../../../src/core/image-origin.js';

describe('imageOrigin', () => {
  it('an image with a parent on this engine was built here, whatever was noted', () => {
    expect(imageOrigin({ id: 'sha256:a', parent: 'sha256:p' }, () => 'pulled from r:5000/d')).toBe(
      'built here',
    );
  });

  it('an image without a parent is what devenv noted for its id', () => {
    const noted = new Map([['sha256:a', 'copied from gpu1']]);
    expect(imageOrigin({ id: 'sha256:a', parent: '' }, (id) => noted.get(id) ?? null)).toBe(
      'copied from gpu1',
    );
  });

  it('built here on shared layers devenv pulled or copied: says so', () => {
    const noted = new Map([['sha256:s', 'copied from ssh://me@gpu1']]);
    const read = (id: string) => noted.get(id) ?? null;
    expect(imageOrigin({ id: 'sha256:a', parent: 'sha256:p' }, read, { id: 'sha256:s', parent: '' })).toBe(
      'built here on shared layers copied from ssh://me@gpu1',
    );
    // Shared layers built here too, or never noted: just built here.
    expect(
      imageOrigin({ id: 'sha256:a', parent: 'sha256:p' }, read, { id: 'sha256:s', parent: 'sha256:b' }),
    ).toBe('built here');
    expect(imageOrigin({ id: 'sha256:a', parent: 'sha256:p' }, read, { id: 'sha256:x', parent: '' })).toBe(
      'built here',
    );
  });

  it('an image without a parent and without a note was pulled or loaded by someone else', () => {
    expect(imageOrigin({ id: 'sha256:b' }, () => null)).toBe('pulled or loaded, not by devenv');
  });
});
