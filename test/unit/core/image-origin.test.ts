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

  it('an image without a parent and without a note was pulled or loaded by someone else', () => {
    expect(imageOrigin({ id: 'sha256:b' }, () => null)).toBe('pulled or loaded, not by devenv');
  });
});
