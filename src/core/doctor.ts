import { ExitCode, type ExitCodeName } from './errors.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string | undefined;
  /** For a failure: the exit code `start` would fail with. */
  code?: ExitCodeName | undefined;
}

export function diskCheck(freeBytes: number, where: string): Check {
  const gib = freeBytes / 1024 ** 3;
  const detail = `${gib.toFixed(1)} GiB free in ${where}`;
  if (gib < 2)
    return {
      name: 'disk',
      status: 'fail',
      detail,
      fix: 'free space: `devenv prune`, `docker system prune`',
      code: 'image',
    };
  if (gib < 15)
    return {
      name: 'disk',
      status: 'warn',
      detail,
      fix: 'CUDA images and PyTorch take 10+ GiB; free space before building',
    };
  return { name: 'disk', status: 'ok', detail };
}

/** Non-zero when something blocks `devenv start`: the code start itself would fail with. */
export function doctorExitCode(checks: Check[]): number {
  const failure = checks.find((c) => c.status === 'fail');
  return failure ? ExitCode[failure.code ?? 'internal'] : ExitCode.ok;
}

export function renderChecks(checks: Check[]): string[] {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks.map(
    (c) => `${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}${c.fix ? ` — ${c.fix}` : ''}`,
  );
}
