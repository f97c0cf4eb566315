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

/**
 * The env's registry as the engine finds it, from asking it for an image no one pushed: "missing"
 * means it answered and let devenv in. Never a failure: a start then builds instead of pulling.
 */
export function registryCheck(
  registry: string,
  answer: { kind: 'missing' | 'unreachable' | 'denied' | 'other'; message: string } | null,
  credentials: { problem: string | null; found: boolean },
): Check {
  const name = 'registry';
  if (credentials.problem)
    return {
      name,
      status: 'warn',
      detail: credentials.problem,
      fix: 'fix ~/.docker/config.json, or `docker login` again',
    };
  const whose = credentials.found ? 'with your Docker credentials' : 'without credentials';
  if (answer === null || answer.kind === 'missing')
    return {
      name,
      status: 'ok',
      detail: `${registry} answers the engine (${whose}): builds are pushed there, and starts elsewhere pull them`,
    };
  if (answer.kind === 'denied')
    return {
      name,
      status: 'warn',
      detail: `${registry} refuses the engine ${whose}: ${answer.message}`,
      fix: `\`docker login ${registry.split('/')[0]}\` as the user who runs devenv; starts build here until then`,
    };
  if (answer.kind === 'unreachable')
    return {
      name,
      status: 'warn',
      detail: `${registry} cannot be reached from the engine: ${answer.message}`,
      fix: 'check the address in "registry" and that the registry runs; starts build here until then',
    };
  return { name, status: 'warn', detail: `${registry}: ${answer.message}` };
}
