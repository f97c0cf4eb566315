/**
 * Which PyTorch wheel index fits this host: a pure table.
 *
 * Rules:
 * - A driver runs wheels built for a CUDA version <= the CUDA version it reports.
 * - CUDA 13 wheels need driver >= 580 and drop pre-Turing GPUs (compute capability < 7.5).
 * - Every GPU on the host must be supported by the index's build (its compute capability
 *   must be in the build's architecture range).
 *
 * The indexes, newest first (download.pytorch.org/whl/<index>):
 *
 * | index | torch    | compute capability             | needs         | source                               |
 * |-------|----------|--------------------------------|---------------|--------------------------------------|
 * | cu132 | 2.12+    | 7.5+ (Turing .. Blackwell+PTX) | driver >= 580 | RELEASE.md 2.12–2.14 (PyPI default from 2.14) |
 * | cu130 | 2.9+     | 7.5+ (Turing .. Blackwell+PTX) | driver >= 580 | RELEASE.md 2.9–2.14                  |
 * | cu129 | 2.8      | 7.0 .. 12.x                    |               | 2.8 release notes (not chosen)       |
 * | cu128 | 2.7–2.11 | 7.5 .. 12.x                    |               | pytorch#157517, pytorch#175253       |
 * | cu126 | 2.6–2.14 | 5.0 .. 9.x (no Blackwell)      |               | RELEASE.md; pytorch#190385 (ends in 2.15) |
 * | cu124 | 2.4–2.6  | 5.0 .. 9.x                     |               | older release matrices               |
 * | cu121 | 2.1–2.5  | 5.0 .. 9.x                     |               | older release matrices               |
 * | cu118 | 2.0–2.7  | 5.0 .. 9.x                     |               | older release matrices               |
 *
 * By the release matrices: 2.8 ships cu126/cu128/cu129; 2.9–2.10 cu126/cu128/cu130; 2.12+
 * cu126/cu130/cu132.
 * 2.8's cu128/cu129 builds dropped Maxwell and Pascal (sm_50–sm_61); 2.11's cu128 dropped
 * Volta (sm_70), so cu128 is recorded here as 7.5+ and a Volta GPU gets cu126, which carries
 * newer torch anyway. cu129 is never chosen: it only carries torch 2.8, and cu128 runs on the
 * same drivers with 2.7–2.11. Old indexes (cu124, cu121, cu118) are only for drivers too old
 * for cu126. Builds run a GPU whose capability has the same major as a built architecture and
 * a minor at least as high, so only the major bounds the top of a range.
 */

export interface TorchIndexChoice {
  /** 'cpu' | 'cu118' | 'cu121' | 'cu124' | 'cu126' | 'cu128' | 'cu130' | 'cu132' */
  index: string;
  reason: string;
}

export interface TorchIndexInput {
  /** CUDA version the driver reports, e.g. "12.4"; null when unknown or no driver */
  cudaVersion: string | null;
  driverVersion: string | null;
  /** One entry per host GPU, e.g. ["8.9", "8.9"]; an entry that is not a version is unknown */
  computeCaps: string[];
}

export interface TorchWheelIndex {
  index: string;
  cuda: Version;
  torch: string;
  minComputeCap: Version;
  /** Highest compute-capability major with kernels; null when PTX covers newer GPUs. */
  maxComputeMajor: number | null;
  minDriverMajor: number | null;
}

type Version = readonly [major: number, minor: number];

const TURING: Version = [7, 5];
const MAXWELL: Version = [5, 0];
const HOPPER_MAJOR = 9;
const BLACKWELL_MAJOR = 12;

/** Newest first: the first index that fits wins. cu129 is left out on purpose (see above). */
export const TORCH_WHEEL_INDEXES: readonly TorchWheelIndex[] = [
  {
    index: 'cu132',
    cuda: [13, 2],
    torch: '2.12 and later',
    minComputeCap: TURING,
    maxComputeMajor: null,
    minDriverMajor: 580,
  },
  {
    index: 'cu130',
    cuda: [13, 0],
    torch: '2.9 and later',
    minComputeCap: TURING,
    maxComputeMajor: null,
    minDriverMajor: 580,
  },
  {
    index: 'cu128',
    cuda: [12, 8],
    torch: '2.7–2.11',
    minComputeCap: TURING,
    maxComputeMajor: BLACKWELL_MAJOR,
    minDriverMajor: null,
  },
  {
    index: 'cu126',
    cuda: [12, 6],
    torch: '2.6–2.14',
    minComputeCap: MAXWELL,
    maxComputeMajor: HOPPER_MAJOR,
    minDriverMajor: null,
  },
  {
    index: 'cu124',
    cuda: [12, 4],
    torch: '2.4–2.6',
    minComputeCap: MAXWELL,
    maxComputeMajor: HOPPER_MAJOR,
    minDriverMajor: null,
  },
  {
    index: 'cu121',
    cuda: [12, 1],
    torch: '2.1–2.5',
    minComputeCap: MAXWELL,
    maxComputeMajor: HOPPER_MAJOR,
    minDriverMajor: null,
  },
  {
    index: 'cu118',
    cuda: [11, 8],
    torch: '2.0–2.7',
    minComputeCap: MAXWELL,
    maxComputeMajor: HOPPER_MAJOR,
    minDriverMajor: null,
  },
];

export const TORCH_INDEX_URL_BASE = 'https://download.pytorch.org/whl';

const TORCH_PACKAGES = ['torch', 'torchvision', 'torchaudio'];

export function chooseTorchIndex(input: TorchIndexInput): TorchIndexChoice {
  if (input.computeCaps.length === 0) return cpu('no NVIDIA GPU on this host');
  const driverCuda = parseVersion(input.cudaVersion);
  if (driverCuda === null) return cpu('the NVIDIA driver did not report a CUDA version');
  const caps = input.computeCaps.map(parseVersion).filter((cap): cap is Version => cap !== null);
  const driverMajor = driverMajorVersion(input.driverVersion);

  const runnable = TORCH_WHEEL_INDEXES.filter((wheel) => driverRuns(wheel, driverCuda, driverMajor));
  if (runnable.length === 0) {
    return cpu(
      `the driver's CUDA ${input.cudaVersion} is older than every PyTorch CUDA build (oldest: cu118)`,
    );
  }
  const chosen = runnable.find((wheel) => caps.every((cap) => supportsComputeCap(wheel, cap)));
  if (chosen === undefined) {
    return cpu(`no PyTorch CUDA build the driver can run supports compute capability ${formatCaps(caps)}`);
  }
  return { index: chosen.index, reason: chosenReason(chosen, input, runnable[0], caps) };
}

/**
 * What pip installs for the config's `torch` value: `none` -> nothing; `auto` -> the chosen
 * index; `cpu`/`cuXYZ` -> that index; anything else is a pip requirement spec, as written.
 */
export function torchPipArgs(
  torch: string,
  chosenIndex: string,
): { packages: string[]; indexUrl: string | null } | null {
  const value = torch.trim();
  const keyword = value.toLowerCase();
  if (keyword === 'none' || value === '') return null;
  if (keyword === 'auto') return fromIndex(chosenIndex);
  if (keyword === 'cpu' || /^cu\d{3}$/.test(keyword)) return fromIndex(keyword);
  return { packages: [value], indexUrl: null };
}

function fromIndex(index: string): { packages: string[]; indexUrl: string } {
  return { packages: [...TORCH_PACKAGES], indexUrl: `${TORCH_INDEX_URL_BASE}/${index}` };
}

function cpu(why: string): TorchIndexChoice {
  return { index: 'cpu', reason: `${why}: CPU-only PyTorch wheels` };
}

function driverRuns(wheel: TorchWheelIndex, driverCuda: Version, driverMajor: number | null): boolean {
  if (compareVersions(wheel.cuda, driverCuda) > 0) return false;
  return wheel.minDriverMajor === null || driverMajor === null || driverMajor >= wheel.minDriverMajor;
}

function supportsComputeCap(wheel: TorchWheelIndex, cap: Version): boolean {
  if (compareVersions(cap, wheel.minComputeCap) < 0) return false;
  return wheel.maxComputeMajor === null || cap[0] <= wheel.maxComputeMajor;
}

function chosenReason(
  chosen: TorchWheelIndex,
  input: TorchIndexInput,
  newestRunnable: TorchWheelIndex | undefined,
  caps: Version[],
): string {
  const driver = input.driverVersion === null ? 'the driver' : `driver ${input.driverVersion}`;
  const parts = [`${driver} supports CUDA ${input.cudaVersion}`];
  if (newestRunnable !== undefined && newestRunnable !== chosen) {
    const unsupported = caps.filter((cap) => !supportsComputeCap(newestRunnable, cap));
    parts.push(
      `builds newer than ${chosen.index} do not support compute capability ${formatCaps(unsupported)}`,
    );
  }
  parts.push(`${chosen.index} carries torch ${chosen.torch}`);
  return parts.join('; ');
}

function formatCaps(caps: Version[]): string {
  const distinct = [...new Set(caps.map(([major, minor]) => `${major}.${minor}`))];
  return distinct.length === 0 ? 'unknown' : distinct.join(', ');
}

function parseVersion(text: string | null): Version | null {
  const match = text === null ? null : /^\s*(\d+)\.(\d+)/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return [Number(match[1]), Number(match[2])];
}

function driverMajorVersion(text: string | null): number | null {
  const match = text === null ? null : /^\s*(\d+)/.exec(text);
  return match?.[1] === undefined ? null : Number(match[1]);
}

function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1];
}
