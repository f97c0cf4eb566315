import type { GlobalOptions, Io } from '../app/context.js';
import { runDoctorChecks } from '../app/doctor.js';
import { doctorExitCode, renderChecks } from '../core/doctor.js';

/** `devenv doctor [--json]`: every precondition of `start`, each ok / warn / fail with its fix. */
export async function runDoctor(
  io: Io,
  globals: GlobalOptions,
  options: { json?: boolean },
): Promise<number> {
  const checks = await runDoctorChecks(io, globals);
  if (options.json)
    io.stdout.write(`${JSON.stringify({ checks, ok: doctorExitCode(checks) === 0 }, null, 2)}\n`);
  else for (const line of renderChecks(checks)) io.stdout.write(`${line}\n`);
  return doctorExitCode(checks);
}
