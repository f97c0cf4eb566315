import type { ImageState } from './engine.js';

/**
 * Where an env's image came from, as status says it: built on this engine (a build here gives
 * it a parent), or what devenv noted when it pulled or copied it, or neither.
 */
export function imageOrigin(
  image: Pick<ImageState, 'id' | 'parent'>,
  recorded: (imageId: string) => string | null,
): string {
  if (image.parent) return 'built here';
  return recorded(image.id) ?? 'pulled or loaded, not by devenv';
}
