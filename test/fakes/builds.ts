import type { ImageBuild } from '../../src/core/build-plan.js';
import { LABELS, SHARED_LAYER_LABELS, sharedImageRef } from '../../src/core/identity.js';

/** The shared layers' build, as planBuild makes it: no user in it, tagged with its inputs' hash. */
export function sharedBuild(hash: string, baseImage: string): ImageBuild {
  return {
    imageRef: sharedImageRef(hash),
    buildArgs: { BASE_IMAGE: baseImage },
    files: [],
    hash,
    labels: { ...SHARED_LAYER_LABELS, [LABELS.sharedHash]: hash },
  };
}
