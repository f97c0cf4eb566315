const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a duration such as "90s", "5m", "1h30m" or "45" (seconds); null when it is not one. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) return null;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(amount) * (UNITS[unit as string] ?? 0);
  return Math.round(total);
}

/**
 * Milliseconds in a duration written as Docker writes them ("2s", "1m30s", "500ms", "1.5h"):
 * every number has its unit, as Go's time.ParseDuration wants; null when it is not one.
 */
export function parseDockerDuration(text: string): number | null {
  return /^\s*\d+(\.\d+)?\s*$/.test(text) ? null : parseDuration(text);
}

/** "2m 5s", "45s", "1h 3m": for saying how long something waited. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return s > 0 ? `${m}m ${s}s` : `${m}m`;
  return `${s}s`;
}
