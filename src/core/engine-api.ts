/** GPU DeviceRequests arrived in Engine API 1.40 (Docker 19.03); devenv needs them. */
export const MIN_API_VERSION = '1.40';

/** Compares dotted API versions ("1.41" vs "1.9") numerically; NaN parts count as 0. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** False only for an engine that says an API version older than devenv needs. */
export function apiVersionSupported(apiVersion: string): boolean {
  return !/^\d+\.\d+/.test(apiVersion) || compareApiVersions(apiVersion, MIN_API_VERSION) >= 0;
}
