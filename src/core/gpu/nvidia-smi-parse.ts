/**
 * Parsers for what nvidia-smi prints. Pure: text in, facts out; no I/O.
 * Formats were checked against the real captures in test/fixtures/nvidia-smi (drivers 440–610).
 */

export interface HostGpu {
  index: number;
  uuid: string | null;
  name: string;
  pciBusId: string | null;
  memoryMiB: number | null;
  driverVersion: string | null;
  /** e.g. "8.9"; null when nvidia-smi does not know it */
  computeCap: string | null;
}

/** The fields devenv asks for, in this order: `--query-gpu=${GPU_QUERY_FIELDS.join(',')}`. */
export const GPU_QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'pci.bus_id',
  'memory.total',
  'driver_version',
  'compute_cap',
] as const;

// nvidia-smi accepts several names for one field; a header row uses whichever was asked for.
const FIELD_ALIASES: Record<string, string> = {
  gpu_uuid: 'uuid',
  gpu_name: 'name',
  gpu_bus_id: 'pci.bus_id',
};

const UNKNOWN_GPU_NAME = 'unknown NVIDIA GPU';

/**
 * Parses `nvidia-smi --query-gpu=<fields> --format=csv[,noheader][,nounits]`. A header row, when
 * present, says which column is which (so any field order works, e.g. a `--format=csv` capture
 * of every field); without one, columns are `fields` in order. Unit suffixes (`81559 MiB`),
 * `N/A` and `[N/A]`-style values, blank lines and stray spaces are tolerated.
 */
export function parseQueryGpuCsv(text: string, fields: readonly string[] = GPU_QUERY_FIELDS): HostGpu[] {
  const rows = nonBlankLines(text).map(splitCsvRow);
  const [first] = rows;
  if (first === undefined) return [];
  const hasHeader = isHeaderRow(first);
  const columnNames = (hasHeader ? first.map(headerFieldName) : [...fields]).map(canonicalFieldName);
  const dataRows = hasHeader ? rows.slice(1) : rows;
  return dataRows
    .filter((cells) => cells.length >= Math.min(columnNames.length, 2))
    .map((cells, position) => gpuFromColumns(columnNames, cells, position));
}

/**
 * The CUDA version the driver supports, from the `nvidia-smi` table header, `nvidia-smi -q` or
 * `nvidia-smi --version`. Driver 610 renamed it "CUDA UMD Version" and made `--version` print
 * `CUDA version : Deprecated, see "CUDA UMD version" instead`, so the UMD spelling wins and a
 * value without a number is skipped.
 */
export function parseCudaVersion(text: string): string | null {
  return (
    firstVersionAfter(text, /CUDA UMD Version\s*:\s*(\d+\.\d+)/i) ??
    firstVersionAfter(text, /CUDA Version\s*:\s*(\d+\.\d+)/i)
  );
}

/**
 * The driver version, from the table header (`Driver Version: 535.129.03`, or on 610 `KMD Version:
 * 610.57.04`), `-q`, or `--version` (`DRIVER version : 590.48.01`; 610 says "Deprecated" there and
 * gives `KMD version`).
 */
export function parseDriverVersion(text: string): string | null {
  return (
    firstVersionAfter(text, /KMD Version\s*:\s*(\d+(?:\.\d+)+)/i) ??
    firstVersionAfter(text, /Driver Version\s*:\s*(\d+(?:\.\d+)+)/i)
  );
}

export interface QueryTextResult {
  gpus: HostGpu[];
  driverVersion: string | null;
  cudaVersion: string | null;
}

/**
 * Parses `nvidia-smi -q` (or `-a`). It has no compute capability, so `computeCap` is null. GPUs
 * appear in index order (sorted by PCI bus id, as nvidia-smi numbers them), so the section's
 * position is its index.
 */
export function parseQueryText(text: string): QueryTextResult {
  const sections = splitGpuSections(text);
  const driverVersion = parseDriverVersion(sections.preamble);
  const cudaVersion = parseCudaVersion(sections.preamble);
  const gpus = sections.gpus.map((section, index) => gpuFromQuerySection(section, index, driverVersion));
  return { gpus, driverVersion, cudaVersion };
}

function nonBlankLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function splitCsvRow(line: string): string[] {
  return line.split(',').map((cell) => cell.trim());
}

// Header cells are dotted field names starting lowercase (`vgpu_driver_capability.heterogenous_multivGPU`
// has capitals inside), optionally with a unit: `memory.total [MiB]`. Values never look like that.
function isHeaderRow(cells: string[]): boolean {
  return cells.every((cell) => /^[a-z][A-Za-z0-9_.]*( \[[^\]]+\])?$/.test(cell));
}

function headerFieldName(cell: string): string {
  return cell.replace(/\s*\[[^\]]*\]$/, '');
}

function canonicalFieldName(field: string): string {
  const name = field.trim().toLowerCase();
  return FIELD_ALIASES[name] ?? name;
}

function gpuFromColumns(columnNames: string[], cells: string[], position: number): HostGpu {
  const value = (field: string): string | null => {
    const column = columnNames.indexOf(field);
    return column === -1 ? null : presentValue(cells[column]);
  };
  return {
    index: integerOrNull(value('index')) ?? position,
    uuid: value('uuid'),
    name: value('name') ?? UNKNOWN_GPU_NAME,
    pciBusId: value('pci.bus_id'),
    memoryMiB: mebibytesOrNull(value('memory.total')),
    driverVersion: value('driver_version'),
    computeCap: computeCapOrNull(value('compute_cap')),
  };
}

// nvidia-smi writes missing values as `N/A`, and unsupported/failed ones in brackets:
// `[N/A]`, `[Not Supported]`, `[Unknown Error]`, `[Requested functionality has been deprecated]`.
function presentValue(cell: string | undefined): string | null {
  const value = cell?.trim() ?? '';
  if (value === '' || value === 'N/A' || /^\[.*\]$/.test(value)) return null;
  return value;
}

function integerOrNull(value: string | null): number | null {
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}

function mebibytesOrNull(value: string | null): number | null {
  const match = value === null ? null : /^(\d+(?:\.\d+)?)\s*(?:MiB)?$/i.exec(value);
  return match?.[1] === undefined ? null : Number(match[1]);
}

function computeCapOrNull(value: string | null): string | null {
  return value !== null && /^\d+\.\d+$/.test(value) ? value : null;
}

function firstVersionAfter(text: string, pattern: RegExp): string | null {
  return pattern.exec(text)?.[1] ?? null;
}

interface QuerySections {
  preamble: string;
  gpus: string[][];
}

// A GPU section starts with `GPU 00000000:01:00.0` at column 0; the attributes are indented.
const GPU_SECTION_START = /^GPU [0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-9A-Fa-f]\s*$/;

function splitGpuSections(text: string): QuerySections {
  const preamble: string[] = [];
  const gpus: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (GPU_SECTION_START.test(line)) gpus.push([]);
    else (gpus.at(-1) ?? preamble).push(line);
  }
  return { preamble: preamble.join('\n'), gpus };
}

function gpuFromQuerySection(lines: string[], index: number, driverVersion: string | null): HostGpu {
  return {
    index,
    uuid: attribute(lines, 'GPU UUID'),
    name: attribute(lines, 'Product Name') ?? UNKNOWN_GPU_NAME,
    pciBusId: attribute(lines, 'Bus Id'),
    memoryMiB: mebibytesOrNull(attributeBelow(lines, 'FB Memory Usage', 'Total')),
    driverVersion,
    computeCap: null,
  };
}

function attributeValue(line: string, name: string): string | null {
  const match = /^\s*([^:]+?)\s*:\s*(.*)$/.exec(line);
  if (match?.[1] !== name) return null;
  return presentValue(match[2]);
}

function attribute(lines: string[], name: string): string | null {
  for (const line of lines) {
    const value = attributeValue(line, name);
    if (value !== null) return value;
  }
  return null;
}

// `Total` appears under several groups (FB, BAR1, protected memory): take the one under `group`.
function attributeBelow(lines: string[], group: string, name: string): string | null {
  const start = lines.findIndex((line) => line.trim() === group);
  if (start === -1) return null;
  const groupIndent = indentOf(lines[start] ?? '');
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && indentOf(line) <= groupIndent) break;
    const value = attributeValue(line, name);
    if (value !== null) return value;
  }
  return null;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** A GPU's live load, from `--query-gpu=${USAGE_QUERY_FIELDS.join(',')}`. */
export interface GpuUsage {
  uuid: string;
  memoryUsedMiB: number | null;
  utilizationPct: number | null;
}

/** A process with a compute context on a GPU, from `--query-compute-apps=${COMPUTE_APPS_QUERY_FIELDS.join(',')}`. */
export interface ComputeApp {
  /** In the PID namespace nvidia-smi runs in: the host's, for nvidia-smi on the host. */
  pid: number;
  gpuUuid: string;
  /** null when nvidia-smi cannot tell (`[N/A]`, e.g. without access to the process) */
  usedMemoryMiB: number | null;
}

export const USAGE_QUERY_FIELDS = ['uuid', 'memory.used', 'utilization.gpu'] as const;
export const COMPUTE_APPS_QUERY_FIELDS = ['pid', 'gpu_uuid', 'used_memory'] as const;

/**
 * Parses `nvidia-smi --query-gpu=uuid,memory.used,utilization.gpu --format=csv[,noheader][,nounits]`.
 * A header row says which column is which; without one, columns are `fields` in order. Units
 * (`30000 MiB`, `85 %`) are tolerated; `N/A` and bracketed values become null. Rows without a
 * UUID say nothing usable about a GPU and are dropped.
 */
export function parseUsageCsv(text: string, fields: readonly string[] = USAGE_QUERY_FIELDS): GpuUsage[] {
  return csvRecords(text, fields, canonicalFieldName).flatMap((value) => {
    const uuid = value('uuid');
    if (uuid === null) return [];
    return [
      {
        uuid,
        memoryUsedMiB: amountOrNull(value('memory.used'), 'MiB'),
        utilizationPct: amountOrNull(value('utilization.gpu'), '%'),
      },
    ];
  });
}

/**
 * Parses `nvidia-smi --query-compute-apps=pid,gpu_uuid,used_memory --format=csv[,noheader][,nounits]`.
 * The header nvidia-smi prints is `pid, gpu_uuid, used_gpu_memory [MiB]` (`used_memory` is an
 * alias). No processes gives no rows (nothing at all with `noheader`); lines that are not a
 * process, such as "No running processes found", are skipped.
 */
export function parseComputeAppsCsv(
  text: string,
  fields: readonly string[] = COMPUTE_APPS_QUERY_FIELDS,
): ComputeApp[] {
  return csvRecords(text, fields, canonicalAppField).flatMap((value) => {
    const pid = integerOrNull(value('pid'));
    const gpuUuid = value('uuid');
    if (pid === null || gpuUuid === null) return [];
    return [{ pid, gpuUuid, usedMemoryMiB: amountOrNull(value('used_memory'), 'MiB') }];
  });
}

type FieldValue = (field: string) => string | null;

function csvRecords(
  text: string,
  fields: readonly string[],
  canonical: (field: string) => string,
): FieldValue[] {
  const rows = nonBlankLines(text).map(splitCsvRow);
  const [first] = rows;
  if (first === undefined) return [];
  const hasHeader = isHeaderRow(first);
  const columnNames = (hasHeader ? first.map(headerFieldName) : [...fields]).map(canonical);
  // A message instead of values ("No devices were found") is one cell: not a row.
  const dataRows = (hasHeader ? rows.slice(1) : rows).filter(
    (cells) => cells.length >= Math.min(columnNames.length, 2),
  );
  return dataRows.map((cells) => (field: string) => {
    const column = columnNames.indexOf(field);
    return column === -1 ? null : presentValue(cells[column]);
  });
}

function canonicalAppField(field: string): string {
  const name = canonicalFieldName(field);
  return name === 'used_gpu_memory' ? 'used_memory' : name;
}

function amountOrNull(value: string | null, unit: string): number | null {
  if (value === null) return null;
  const number = value.endsWith(unit) ? value.slice(0, -unit.length).trim() : value;
  return /^\d+(?:\.\d+)?$/.test(number) ? Number(number) : null;
}
