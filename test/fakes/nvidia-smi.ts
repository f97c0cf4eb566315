import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HostGpu, parseQueryGpuCsv } from '../../src/core/gpu/nvidia-smi-parse.js';
import type { HostRunResult } from '../../src/core/host.js';
import { exited, type RunScript } from './host.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'nvidia-smi');

/** The eight-H100 server of the GPU-lease tests (test/fixtures/nvidia-smi/DERIVED.md). */
export const SERVER = 'derived-server_h100-80gb-hbm3-x8_565.57.01';

/** What runs on a machine's GPUs now: nvidia-smi's live answers (the captures hold none). */
export interface GpuActivity {
  /** Memory in use and utilization of a GPU; a GPU not listed is idle (0 MiB, 0 %). */
  usage?: Array<{ uuid: string; memoryUsedMiB: number; utilizationPct: number }>;
  /** Compute processes, with host PIDs. */
  processes?: Array<{ pid: number; gpuUuid: string; usedMemoryMiB: number }>;
}

/** A machine's GPUs, as its captured `--query-gpu` lists them. */
export function machineGpus(machine = SERVER): HostGpu[] {
  return parseQueryGpuCsv(readFileSync(queryCsv(machine), 'utf8'));
}

/**
 * nvidia-smi on a captured machine, for FakeHost.script('nvidia-smi', …): the table and
 * `--query-gpu` of the GPUs replay the real captures under test/fixtures/nvidia-smi/ (with their
 * header row, which the parser reads either way); live usage and processes come from `activity`,
 * read at each run so a test can change what runs between two polls. As the shell fake in
 * test/fixtures/fake-nvidia-smi/ does, a capture the machine lacks exits 2.
 */
export function nvidiaSmi(machine = SERVER, activity: () => GpuActivity = () => ({})): RunScript {
  return (argv): HostRunResult => {
    const args = argv.slice(1);
    const query = args.find((a) => a.startsWith('--query-gpu='))?.slice('--query-gpu='.length);
    const apps = args.some((a) => a.startsWith('--query-compute-apps='));
    if (args.length === 0) return replay(`${machine}_table.txt`);
    if (args.includes('--version')) return replay(`${machine}_version.txt`);
    if (apps)
      return exited(
        (activity().processes ?? []).map((p) => `${p.pid}, ${p.gpuUuid}, ${p.usedMemoryMiB}\n`).join(''),
      );
    if (query === 'uuid,memory.used,utilization.gpu') {
      const usage = activity().usage ?? [];
      return exited(
        machineGpus(machine)
          .map((gpu) => {
            const live = usage.find((u) => u.uuid === gpu.uuid);
            return `${gpu.uuid}, ${live?.memoryUsedMiB ?? 0}, ${live?.utilizationPct ?? 0}\n`;
          })
          .join(''),
      );
    }
    if (query !== undefined) return exited(readFileSync(queryCsv(machine), 'utf8'));
    return exited('', 2, `fake nvidia-smi: unsupported arguments ${args.join(' ')}`);
  };
}

function replay(name: string): HostRunResult {
  const file = path.join(FIXTURES, name);
  return existsSync(file)
    ? exited(readFileSync(file, 'utf8'))
    : exited('', 2, `fake nvidia-smi: no capture ${name}`);
}

function queryCsv(machine: string): string {
  const candidates = [
    `${machine}_query-gpu.csv`,
    `${machine}_query-gpu-all-fields.csv`,
    `derived_${machine}_query-gpu.csv`,
  ];
  const found = candidates.map((name) => path.join(FIXTURES, name)).find((file) => existsSync(file));
  if (!found) throw new Error(`no --query-gpu capture of ${machine} in ${FIXTURES}`);
  return found;
}
