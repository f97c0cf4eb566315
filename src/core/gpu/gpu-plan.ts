/**
 * Whether and how the container gets GPUs: a pure decision table over the config's `gpus`
 * value, the host's GPUs and what the engine can do.
 *
 * | request   | host GPUs | engine support | result                                       |
 * |-----------|-----------|----------------|----------------------------------------------|
 * | none / [] | any       | any            | cpu                                          |
 * | auto      | none      | any            | cpu; notice only if a driver problem was seen |
 * | auto      | some      | none           | cpu; notice saying why and how to fix        |
 * | auto      | some      | yes            | gpu: all GPUs                                |
 * | all       | none      | any            | error                                        |
 * | all       | some      | none           | error                                        |
 * | all       | some      | yes            | gpu: all GPUs                                |
 * | [ids]     | any       | any            | unknown ids -> error naming them and what exists; else as `all`, for those GPUs |
 * | a count   | any       | any            | as `all`: which GPUs is a lease's choice (lease.ts), planned here as their list |
 *
 * Engine support, in order of preference:
 * - the NVIDIA hook or runtime: `--gpus`-style requests (`Driver: ''`), which dockerd hands to
 *   nvidia-container-runtime-hook. No `Runtime` is set, exactly like `docker run --gpus`:
 *   naming a runtime fails at create when the engine does not know it (HTTP 400 "Unknown runtime
 *   specified nvidia").
 * - CDI specs for nvidia.com/gpu: `Driver: 'cdi'` with fully qualified device names.
 * Without either, create succeeds and start fails ("could not select device driver"), so a GPU
 * request is never made then.
 */
import type { GpuRequest } from '../config/schema.js';
import { describeGpus } from './describe.js';
import type { HostGpu } from './nvidia-smi-parse.js';
import { sameGpu } from './uuid.js';

export type { GpuRequest };

export interface EngineGpuSupport {
  nvidiaRuntime: boolean;
  /** Fully qualified CDI device names, e.g. ['nvidia.com/gpu=0', 'nvidia.com/gpu=all'] */
  cdiDevices: string[];
  hookOnPath: boolean;
}

export interface DeviceRequest {
  Driver: string;
  Count?: number;
  DeviceIDs?: string[];
  Capabilities: string[][];
}

export interface GpuPlanInput {
  request: GpuRequest;
  hostGpus: HostGpu[];
  /** e.g. an NVIDIA card on the PCI bus but nvidia-smi missing or failing */
  driverProblem: string | null;
  engine: EngineGpuSupport;
}

export interface GpuPlan {
  kind: 'cpu' | 'gpu';
  deviceRequests: DeviceRequest[];
  runtime: string | null;
  /** What to tell the user when `auto` falls back to CPU */
  notice: string | null;
  /** For `all` or a list that cannot be honoured */
  error: { message: string; hint: string } | null;
}

export const CDI_GPU_KIND = 'nvidia.com/gpu';

const TOOLKIT_FIX =
  'install the NVIDIA Container Toolkit, then either run `sudo nvidia-ctk runtime configure --runtime=docker` ' +
  'and `sudo systemctl restart docker`, or generate CDI specs with ' +
  '`sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`';

const NO_ENGINE_SUPPORT =
  'the Docker engine has no NVIDIA support (no nvidia runtime, no nvidia-container-runtime-hook on PATH, ' +
  `no CDI specs for ${CDI_GPU_KIND})`;

export function planGpus(input: GpuPlanInput): GpuPlan {
  const { request, hostGpus } = input;
  if (request === 'none' || (Array.isArray(request) && request.length === 0)) return cpuPlan(null);
  if (Array.isArray(request)) return planListed(request, input);
  // A count insists on GPUs as "all" does; the lease picks which, and plans them as a list.
  const insisted = request === 'auto' ? null : requestedText(request);
  if (hostGpus.length === 0) {
    if (insisted === null) {
      return cpuPlan(input.driverProblem === null ? null : `${input.driverProblem}; starting without GPUs`);
    }
    return errorPlan(noGpuError(insisted, input.driverProblem));
  }
  const requests = deviceRequestsFor(hostGpus, null, input.engine);
  if (requests !== null) return gpuPlan(requests);
  if (insisted === null) return cpuPlan(noSupportNotice(hostGpus, input.engine));
  return errorPlan(noSupportError(insisted, input.engine));
}

/** How an error names what was asked for: "all", or "2 GPUs" / "2 GPUs of at least 40 GiB". */
function requestedText(request: Exclude<GpuRequest, 'auto' | 'none' | unknown[]>): string {
  if (request === 'all') return 'all';
  const { count, minMemoryGiB } =
    typeof request === 'number' ? { count: request, minMemoryGiB: undefined } : request;
  const gpus = count === 1 ? '1 GPU' : `${count} GPUs`;
  return minMemoryGiB === undefined ? gpus : `${gpus} of at least ${minMemoryGiB} GiB`;
}

function planListed(entries: Array<string | number>, input: GpuPlanInput): GpuPlan {
  const label = entries.map(String).join(', ');
  if (input.hostGpus.length === 0) return errorPlan(noGpuError(label, input.driverProblem));
  const { selected, unknown } = resolveEntries(entries, input.hostGpus);
  if (unknown.length > 0) {
    return errorPlan({
      message: `gpus: no GPU ${unknown.join(', ')} on this host`,
      hint: `use an index or UUID of: ${input.hostGpus.map(describeGpu).join('; ')}`,
    });
  }
  const requests = deviceRequestsFor(input.hostGpus, selected, input.engine);
  if (requests !== null) return gpuPlan(requests);
  if (input.engine.cdiDevices.length > 0) {
    const notInCdiSpecs = selected.filter((s) => cdiNameFor(s.gpu, input.engine.cdiDevices) === null);
    return errorPlan({
      message: `gpus: the CDI specs have no device for GPU ${notInCdiSpecs.map((s) => s.id).join(', ')}`,
      hint: 'regenerate them with `sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`',
    });
  }
  return errorPlan(noSupportError(label, input.engine));
}

interface SelectedGpu {
  gpu: HostGpu;
  /** How the user named it: an index or the UUID */
  id: string;
}

function resolveEntries(entries: Array<string | number>, hostGpus: HostGpu[]) {
  const selected: SelectedGpu[] = [];
  const unknown: string[] = [];
  for (const entry of entries) {
    const match = findGpu(entry, hostGpus);
    if (match === null) unknown.push(String(entry));
    else if (!selected.some((s) => s.gpu.index === match.gpu.index)) selected.push(match);
  }
  return { selected, unknown };
}

function findGpu(entry: string | number, hostGpus: HostGpu[]): SelectedGpu | null {
  const text = String(entry).trim();
  if (/^\d+$/.test(text)) {
    const gpu = hostGpus.find((candidate) => candidate.index === Number(text));
    return gpu === undefined ? null : { gpu, id: String(gpu.index) };
  }
  const gpu = hostGpus.find((candidate) => candidate.uuid !== null && sameGpu(candidate.uuid, text));
  if (gpu === undefined || gpu.uuid === null) return null;
  return { gpu, id: gpu.uuid };
}

function hasGpusDriver(engine: EngineGpuSupport): boolean {
  return engine.hookOnPath || engine.nvidiaRuntime;
}

/** null when the engine cannot give these GPUs to a container. `selected` null means all. */
function deviceRequestsFor(
  hostGpus: HostGpu[],
  selected: SelectedGpu[] | null,
  engine: EngineGpuSupport,
): DeviceRequest[] | null {
  if (hasGpusDriver(engine)) {
    if (selected === null) return [{ Driver: '', Count: -1, Capabilities: [['gpu']] }];
    return [{ Driver: '', DeviceIDs: selected.map((s) => s.id), Capabilities: [['gpu']] }];
  }
  const cdiNames = cdiNamesFor(hostGpus, selected, engine.cdiDevices);
  return cdiNames === null ? null : [{ Driver: 'cdi', DeviceIDs: cdiNames, Capabilities: [] }];
}

function cdiNamesFor(
  hostGpus: HostGpu[],
  selected: SelectedGpu[] | null,
  cdiDevices: string[],
): string[] | null {
  const allDevice = `${CDI_GPU_KIND}=all`;
  if (selected === null && cdiDevices.includes(allDevice)) return [allDevice];
  const wanted = selected ?? hostGpus.map((gpu) => ({ gpu, id: String(gpu.index) }));
  const names = wanted.map((s) => cdiNameFor(s.gpu, cdiDevices));
  if (names.length === 0 || names.some((name) => name === null)) return null;
  return names.filter((name): name is string => name !== null);
}

/** The spec's own name for the GPU (by index, else by UUID in any case), as the engine needs it. */
function cdiNameFor(gpu: HostGpu, cdiDevices: string[]): string | null {
  const prefix = `${CDI_GPU_KIND}=`;
  const ids = cdiDevices.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length));
  const id =
    ids.find((candidate) => candidate === String(gpu.index)) ??
    ids.find((candidate) => gpu.uuid !== null && sameGpu(candidate, gpu.uuid));
  return id === undefined ? null : `${prefix}${id}`;
}

function noGpuError(requested: string, driverProblem: string | null) {
  if (driverProblem !== null) {
    return {
      message: `gpus: ${requested} requested, but ${driverProblem}`,
      hint: 'install or repair the NVIDIA driver until `nvidia-smi` lists the GPUs, or set `gpus: none`',
    };
  }
  return {
    message: `gpus: ${requested} requested, but nvidia-smi lists no NVIDIA GPU on this host`,
    hint: 'run on a host with an NVIDIA GPU, or set `gpus: auto` or `gpus: none`',
  };
}

function noSupportError(requested: string, engine: EngineGpuSupport) {
  return {
    message: `gpus: ${requested} requested, but ${engineProblem(engine)}`,
    hint: `${TOOLKIT_FIX}; or set \`gpus: auto\` to start without GPUs`,
  };
}

function noSupportNotice(hostGpus: HostGpu[], engine: EngineGpuSupport): string {
  return (
    `found ${summarizeGpus(hostGpus)}, but ${engineProblem(engine)}, so the env starts without GPUs. ` +
    `To use them, ${TOOLKIT_FIX}.`
  );
}

function engineProblem(engine: EngineGpuSupport): string {
  if (engine.cdiDevices.length > 0) {
    return `the CDI specs (${engine.cdiDevices.join(', ')}) do not cover this host's GPUs`;
  }
  return NO_ENGINE_SUPPORT;
}

function summarizeGpus(hostGpus: HostGpu[]): string {
  const kinds = describeGpus(hostGpus.map(({ name }) => ({ name, memoryMiB: null })));
  return `${hostGpus.length === 1 ? 'an NVIDIA GPU' : `${hostGpus.length} NVIDIA GPUs`} (${kinds})`;
}

function describeGpu(gpu: HostGpu): string {
  return gpu.uuid === null ? `${gpu.index} (${gpu.name})` : `${gpu.index} (${gpu.name}, ${gpu.uuid})`;
}

function cpuPlan(notice: string | null): GpuPlan {
  return { kind: 'cpu', deviceRequests: [], runtime: null, notice, error: null };
}

function gpuPlan(deviceRequests: DeviceRequest[]): GpuPlan {
  return { kind: 'gpu', deviceRequests, runtime: null, notice: null, error: null };
}

function errorPlan(error: { message: string; hint: string }): GpuPlan {
  return { kind: 'cpu', deviceRequests: [], runtime: null, notice: null, error };
}
