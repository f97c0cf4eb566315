import type { GlobalOptions, Io } from '../app/context.js';
import { runDoctorChecks } from '../app/doctor.js';
import { doctorExitCode, renderChecks } from '../core/doctor.js';
import type { Caches } from '../host/caches.js';

/** `devenv doctor [--json]`: every precondition of `start`, each ok / warn / fail with its fix. */
export async function runDoctor(
  io: Io,
  globals: GlobalOptions,
  options: { json?: boolean },
  caches: Caches,
): Promise<number> {
  const checks = await runDoctorChecks(io, globals, caches);
  if (options.json)
    io.stdout.write(`${JSON.stringify({ checks, ok: doctorExitCode(checks) === 0 }, null, 2)}\n`);
  else for (const line of renderChecks(checks)) io.stdout.write(`${line}\n`);
  return doctorExitCode(checks);
}
