import type { HostRunResult } from '../core/host.js';

/** Free bytes on the filesystem holding `dir`, by `df -Pk` on a host devenv reaches only by running commands; null when unreadable. */
export async function freeBytesByDf(
  run: (argv: string[], options?: { timeoutMs?: number }) => Promise<HostRunResult>,
  dir: string,
): Promise<number | null> {
  const df = await run(['df', '-Pk', dir], { timeoutMs: 10_000 }).catch(() => null);
  const available =
    df?.outcome === 'exited' && df.code === 0 ? df.stdout.split('\n')[1]?.split(/\s+/)[3] : undefined;
  return available && /^\d+$/.test(available) ? Number(available) * 1024 : null;
}
