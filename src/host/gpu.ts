/**
 * The host's NVIDIA GPUs and the engine's means to hand them to a container. The only GPU
 * code that does I/O; the decisions live in src/core/gpu/.
 *
 * nvidia-smi is run asynchronously with a timeout (a wedged driver can hang it for minutes).
 * systeminformation is imported only when nvidia-smi is missing and lspci exists: it is slow to
 * load, runs nvidia-smi synchronously, and lists NVIDIA GPUs only when lspci does.
 */
import path from 'node:path';
import { firstLine } from '../core/first-line.js';
import { CDI_GPU_KIND, type EngineGpuSupport } from '../core/gpu/gpu-plan.js';
import {
  COMPUTE_APPS_QUERY_FIELDS,
  type ComputeApp,
  GPU_QUERY_FIELDS,
  type GpuUsage,
  type HostGpu,
  parseComputeAppsCsv,
  parseCudaVersion,
  parseDriverVersion,
  parseQueryGpuCsv,
  parseUsageCsv,
  USAGE_QUERY_FIELDS,
} from '../core/gpu/nvidia-smi-parse.js';
import type { Host } from '../core/host.js';
import { localHost } from './local-host.js';
import { findOnPath } from './path-lookup.js';

export interface HostGpuDetection {
  gpus: HostGpu[];
  driverVersion: string | null;
  cudaVersion: string | null;
  /** Why GPUs the host seems to have cannot be used, e.g. a card on the PCI bus with no driver */
  problem: string | null;
}

export interface DetectHostGpusOptions {
  env: NodeJS.ProcessEnv;
  /** Where nvidia-smi runs: the engine's host (this machine, from `env`, by default). */
  host?: Host;
  timeoutMs?: number;
  /** Whether an NVIDIA card sits on the PCI bus; defaults to asking systeminformation. */
  nvidiaOnPciBus?: () => Promise<boolean>;
}

export const NO_DRIVER_PROBLEM =
  'an NVIDIA GPU is on the PCI bus but nvidia-smi was not found: the NVIDIA driver is missing';

const DEFAULT_TIMEOUT_MS = 5000;
// Drivers before 510 reject the whole query for one unknown field, and compute_cap is the newest.
const FIELDS_WITHOUT_COMPUTE_CAP = GPU_QUERY_FIELDS.filter((field) => field !== 'compute_cap');
const DEFAULT_CDI_SPEC_DIRS = ['/etc/cdi', '/var/run/cdi'];
const NVIDIA_HOOKS = ['nvidia-container-runtime-hook', 'nvidia-container-toolkit'];

/** Never throws: every detection failure becomes `problem` or an empty result. */
export async function detectHostGpus(options: DetectHostGpusOptions): Promise<HostGpuDetection> {
  const host = options.host ?? localHost(options.env);
  const run = (args: string[]) => runNvidiaSmi(host, args, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const [firstQuery, table] = await Promise.all([run(queryGpuArgs(GPU_QUERY_FIELDS)), run([])]);
  const olderDriver = firstQuery.outcome === 'failed' && /not a valid field/i.test(firstQuery.message);
  const fields = olderDriver ? FIELDS_WITHOUT_COMPUTE_CAP : GPU_QUERY_FIELDS;
  const query = olderDriver ? await run(queryGpuArgs(fields)) : firstQuery;

  if (query.outcome === 'missing') {
    const problem = await missingDriverProblem(options);
    return { gpus: [], driverVersion: null, cudaVersion: null, problem };
  }
  const tableText = table.outcome === 'ok' ? table.stdout : '';
  if (query.outcome === 'failed') {
    return {
      gpus: [],
      driverVersion: parseDriverVersion(tableText),
      cudaVersion: parseCudaVersion(tableText),
      problem: query.message,
    };
  }

  const gpus = parseQueryGpuCsv(query.stdout, fields);
  let cudaVersion = parseCudaVersion(tableText);
  let driverVersion =
    gpus.find((gpu) => gpu.driverVersion !== null)?.driverVersion ?? parseDriverVersion(tableText);
  if (cudaVersion === null || driverVersion === null) {
    const version = await run(['--version']);
    const versionText = version.outcome === 'ok' ? version.stdout : '';
    cudaVersion ??= parseCudaVersion(versionText);
    driverVersion ??= parseDriverVersion(versionText);
  }
  return { gpus, driverVersion, cudaVersion, problem: null };
}

export interface HostGpuUsage {
  usage: GpuUsage[];
  processes: ComputeApp[];
}

/**
 * The GPUs' live load and the processes on them: two nvidia-smi queries, run in parallel. Never
 * throws: no nvidia-smi, a failing driver or a timeout gives empty lists (detectHostGpus is
 * where such problems are reported), and each query stands on its own.
 */
export async function readGpuUsage(host: Host): Promise<HostGpuUsage> {
  const run = (args: string[]) => runNvidiaSmi(host, args, DEFAULT_TIMEOUT_MS);
  const [usage, apps] = await Promise.all([
    run(queryGpuArgs(USAGE_QUERY_FIELDS)),
    run([`--query-compute-apps=${COMPUTE_APPS_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits']),
  ]);
  return {
    usage: usage.outcome === 'ok' ? parseUsageCsv(usage.stdout) : [],
    processes: apps.outcome === 'ok' ? parseComputeAppsCsv(apps.stdout) : [],
  };
}

/**
 * What the engine offers for GPUs, from the `docker info` already fetched: an nvidia runtime,
 * CDI specs for nvidia.com/gpu, the NVIDIA hook on PATH. The spec files and PATH are read on
 * the engine's host.
 */
export async function detectEngineGpuSupport(
  info: { Runtimes?: Record<string, unknown>; CDISpecDirs?: string[] },
  host: Host,
): Promise<EngineGpuSupport> {
  const nvidiaRuntime = Object.keys(info.Runtimes ?? {}).some((name) =>
    name.toLowerCase().includes('nvidia'),
  );
  const [cdiDevices, hooks] = await Promise.all([
    nvidiaCdiDevices(host, cdiSpecDirsOf(info)),
    Promise.all(NVIDIA_HOOKS.map((name) => host.hasCommand(name))),
  ]);
  const hookOnPath = hooks.some(Boolean);
  return { nvidiaRuntime, cdiDevices, hookOnPath };
}

/**
 * Fully qualified NVIDIA GPU device names (`nvidia.com/gpu=0`) in one CDI spec, YAML or JSON.
 * A light line-based read of the YAML `nvidia-ctk cdi generate` writes; [] for other kinds.
 */
export function cdiGpuDeviceNames(specText: string): string[] {
  const text = specText.trimStart();
  const names = text.startsWith('{') ? deviceNamesFromJsonSpec(text) : deviceNamesFromYamlSpec(text);
  return names.map((name) => `${CDI_GPU_KIND}=${name}`);
}

function queryGpuArgs(fields: readonly string[]): string[] {
  return [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'];
}

/** The exit code runLocal gives a program it could not start (e.g. an env value with a NUL byte). */
const STARTUP_FAILED = 126;

type NvidiaSmiResult =
  | { outcome: 'ok'; stdout: string }
  | { outcome: 'missing' }
  | { outcome: 'failed'; message: string };

async function runNvidiaSmi(host: Host, args: string[], timeoutMs: number): Promise<NvidiaSmiResult> {
  const result = await host.run(['nvidia-smi', ...args], { timeoutMs });
  if (result.outcome === 'missing') return { outcome: 'missing' };
  if (result.outcome === 'timeout')
    return {
      outcome: 'failed',
      message: `nvidia-smi did not answer within ${timeoutMs} ms: the NVIDIA driver may be hung`,
    };
  if (result.code === 0) return { outcome: 'ok', stdout: result.stdout };
  if (result.code === STARTUP_FAILED) return { outcome: 'failed', message: `nvidia-smi ${result.stderr}` };
  // nvidia-smi prints its own failures ("NVIDIA-SMI has failed because ...") on stdout.
  const said = firstLine(result.stderr) ?? firstLine(result.stdout) ?? 'no message';
  return { outcome: 'failed', message: `nvidia-smi failed (exit ${result.code}): ${said}` };
}

async function missingDriverProblem(options: DetectHostGpusOptions): Promise<string | null> {
  if (options.host?.remote) return (await nvidiaOnRemotePciBus(options.host)) ? NO_DRIVER_PROBLEM : null;
  if (!findOnPath('lspci', options.env.PATH)) return null;
  const onBus = await Promise.resolve()
    .then(options.nvidiaOnPciBus ?? nvidiaControllerInSysteminformation)
    .catch(() => false);
  return onBus ? NO_DRIVER_PROBLEM : null;
}

/** `lspci -n` there: an NVIDIA (10de) display or 3D controller (class 0300, 0302). */
async function nvidiaOnRemotePciBus(host: Host): Promise<boolean> {
  const listed = await host.run(['lspci', '-n'], { timeoutMs: DEFAULT_TIMEOUT_MS });
  return listed.outcome === 'exited' && /\b030[02]: 10de:/.test(listed.stdout);
}

async function nvidiaControllerInSysteminformation(): Promise<boolean> {
  const si = await import('systeminformation');
  const { controllers } = await si.graphics();
  return controllers.some(
    (controller) => /nvidia/i.test(controller.vendor) || controller.vendorId?.toLowerCase() === '10de',
  );
}

// Engines before CDI support (Docker < 25) do not report CDISpecDirs and reject `Driver: 'cdi'`.
// Docker 29 with CDI on by default but no daemon.json reports an empty list while reading
// the default directories.
function cdiSpecDirsOf(info: { CDISpecDirs?: string[] }): string[] {
  if (info.CDISpecDirs === undefined) return [];
  return info.CDISpecDirs.length > 0 ? info.CDISpecDirs : DEFAULT_CDI_SPEC_DIRS;
}

async function nvidiaCdiDevices(host: Host, dirs: string[]): Promise<string[]> {
  const perDir = await Promise.all(dirs.map((dir) => cdiDevicesInDir(host, dir)));
  return [...new Set(perDir.flat())];
}

async function cdiDevicesInDir(host: Host, dir: string): Promise<string[]> {
  const entries = await host.listDir(dir).catch(() => [] as string[]);
  const specFiles = entries.filter((name) => /\.(ya?ml|json)$/i.test(name)).sort();
  const texts = await Promise.all(
    specFiles.map((name) =>
      host.readFile(path.join(dir, name)).then(
        (content) => content?.toString() ?? '',
        () => '',
      ),
    ),
  );
  return texts.flatMap(cdiGpuDeviceNames);
}

function deviceNamesFromJsonSpec(text: string): string[] {
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch {
    return [];
  }
  if (!isRecord(spec) || spec.kind !== CDI_GPU_KIND || !Array.isArray(spec.devices)) return [];
  return spec.devices.flatMap((device: unknown) =>
    isRecord(device) && typeof device.name === 'string' ? [device.name] : [],
  );
}

// Reads the top-level `kind:` and the `name:` of each item of the top-level `devices:` list;
// nested keys (containerEdits, deviceNodes, mounts) sit deeper and are skipped.
function deviceNamesFromYamlSpec(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const kind = lines.map((line) => /^kind:\s*(.*)$/.exec(line)?.[1]).find((value) => value !== undefined);
  if (kind === undefined || yamlScalar(kind) !== CDI_GPU_KIND) return [];
  const start = lines.findIndex((line) => /^devices:\s*$/.test(line));
  if (start === -1) return [];

  const names: string[] = [];
  let itemIndent: number | null = null;
  let keyIndent: number | null = null;
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const item = /^(\s*)-(\s+)(.*)$/.exec(line);
    const indent = line.length - line.trimStart().length;
    if (indent === 0 && item === null) break;
    if (
      item?.[1] !== undefined &&
      item[2] !== undefined &&
      (itemIndent === null || item[1].length === itemIndent)
    ) {
      itemIndent = item[1].length;
      keyIndent = itemIndent + 1 + item[2].length;
      const inlineName = /^name:\s*(.*)$/.exec(item[3] ?? '')?.[1];
      if (inlineName !== undefined) names.push(yamlScalar(inlineName));
      continue;
    }
    const name = /^(\s*)name:\s*(.*)$/.exec(line);
    if (name?.[1] !== undefined && name[2] !== undefined && name[1].length === keyIndent)
      names.push(yamlScalar(name[2]));
  }
  return names.filter((name) => name !== '');
}

function yamlScalar(raw: string): string {
  const value = raw.replace(/\s+#.*$/, '').trim();
  const quoted = /^(["'])(.*)\1$/.exec(value);
  return quoted?.[2] ?? value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
