/** "8x NVIDIA GeForce RTX 4090 (24564 MiB)": identical cards are counted, not listed. */
export function describeGpus(gpus: Array<{ name: string; memoryMiB: number | null }>): string {
  const counts = new Map<string, number>();
  for (const g of gpus) {
    const key = `${g.name}${g.memoryMiB ? ` (${g.memoryMiB} MiB)` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => (n > 1 ? `${n}x ${key}` : key)).join(', ');
}
