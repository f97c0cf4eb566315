/**
 * Which base image the env is built on: a pure table.
 *
 * nvidia/cuda images set NVIDIA_REQUIRE_CUDA=cuda>=X.Y, and the container toolkit refuses to
 * start a container on a driver older than that ("unsatisfied condition: cuda>=X.Y"). So with
 * GPUs wired in, the image's CUDA major.minor must be <= the CUDA version the driver reports.
 * `base` images hold only the CUDA runtime; the driver's libraries come from the toolkit.
 *
 * Tags are real, published `nvidia/cuda` tags. Ubuntu 24.04 images start at CUDA 12.5: CUDA 12.4
 * predates Ubuntu 24.04, and 12.4.1 was published for ubuntu22.04 (not ubuntu24.04), so drivers
 * reporting CUDA 12.4 (the common 550 series) get the 22.04 image, like older ones.
 */

export interface BaseImageChoice {
  image: string;
  reason: string;
}

export interface BaseImageInput {
  gpusWired: boolean;
  /** CUDA version the driver reports, e.g. "12.4" */
  cudaVersion: string | null;
}

export const PLAIN_BASE_IMAGE = 'ubuntu:24.04';

interface CudaImage {
  cuda: readonly [major: number, minor: number];
  tag: string;
}

/** Newest first: the first tag the driver can run wins. */
export const CUDA_BASE_IMAGES: readonly CudaImage[] = [
  { cuda: [13, 0], tag: 'nvidia/cuda:13.0.2-base-ubuntu24.04' },
  { cuda: [12, 9], tag: 'nvidia/cuda:12.9.1-base-ubuntu24.04' },
  { cuda: [12, 8], tag: 'nvidia/cuda:12.8.1-base-ubuntu24.04' },
  { cuda: [12, 6], tag: 'nvidia/cuda:12.6.3-base-ubuntu24.04' },
  { cuda: [12, 5], tag: 'nvidia/cuda:12.5.1-base-ubuntu24.04' },
  { cuda: [12, 4], tag: 'nvidia/cuda:12.4.1-base-ubuntu22.04' },
  { cuda: [12, 2], tag: 'nvidia/cuda:12.2.2-base-ubuntu22.04' },
  { cuda: [11, 8], tag: 'nvidia/cuda:11.8.0-base-ubuntu22.04' },
];

export function chooseBaseImage(input: BaseImageInput): BaseImageChoice {
  if (!input.gpusWired) return { image: PLAIN_BASE_IMAGE, reason: 'no GPUs wired into the container' };
  const driverCuda = parseMajorMinor(input.cudaVersion);
  if (driverCuda === null) {
    return {
      image: PLAIN_BASE_IMAGE,
      reason:
        'the driver did not report a CUDA version, so no CUDA image is known to start; the toolkit still mounts the driver',
    };
  }
  const image = CUDA_BASE_IMAGES.find(({ cuda }) => compare(cuda, driverCuda) <= 0);
  if (image === undefined) {
    return {
      image: PLAIN_BASE_IMAGE,
      reason: `the driver's CUDA ${input.cudaVersion} is older than every CUDA image (oldest: 11.8); the toolkit still mounts the driver`,
    };
  }
  return {
    image: image.tag,
    reason: `newest CUDA base image for a driver that supports CUDA ${input.cudaVersion}`,
  };
}

function parseMajorMinor(text: string | null): readonly [number, number] | null {
  const match = text === null ? null : /^\s*(\d+)\.(\d+)/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return [Number(match[1]), Number(match[2])];
}

function compare(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
