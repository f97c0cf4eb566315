import type { ImageState } from './engine.js';

/**
 * Where an env's image came from, as status says it: built on this engine (a build here gives
 * it a parent), or what devenv noted when it pulled or copied it, or neither.
 */
export function imageOrigin(
  image: Pick<ImageState, 'id' | 'parent'>,
  recorded: (imageId: string) => string | null,
  /** The shared layers' image it builds on, when this engine has it: a build here may have pulled or copied them. */
  shared: Pick<ImageState, 'id' | 'parent'> | null = null,
): string {
  if (image.parent) {
    const layers = shared && !shared.parent ? recorded(shared.id) : null;
    return layers ? `built here on shared layers ${layers}` : 'built here';
  }
  return recorded(image.id) ?? 'pulled or loaded, not by devenv';
}
