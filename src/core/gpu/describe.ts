/**
 * "8x NVIDIA H100 80GB HBM3 (80 GiB), NVIDIA GeForce RTX 4090 (24 GiB)": identical cards are
 * counted, not listed; the memory is left out where nvidia-smi gives none.
 */
export function describeGpus(gpus: Array<{ name: string; memoryMiB: number | null }>): string {
  const counts = new Map<string, number>();
  for (const g of gpus) {
    const key = g.memoryMiB ? `${g.name} (${gib(g.memoryMiB)})` : g.name;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => (n > 1 ? `${n}x ${key}` : key)).join(', ');
}

/** "30 GiB", "1.5 GiB". */
export function gib(mib: number): string {
  const value = mib / 1024;
  return `${value >= 10 ? Math.round(value) : Math.round(value * 10) / 10} GiB`;
}
