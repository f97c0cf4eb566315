import type { GlobalOptions, Io } from '../app/context.js';
import { runDoctorChecks } from '../app/doctor.js';
import { doctorExitCode, renderChecks } from '../core/doctor.js';
import { defineVerb } from '../core/verb-spec.js';
import type { Caches } from '../host/caches.js';

export const spec = defineVerb({
  name: 'doctor',
  description: 'check everything `start` needs: Docker, disk, GPUs, git, the config, the env',
  flags: { json: { help: 'print JSON' } },
  needs: 'host',
  options: ({ flags }) => ({ json: Boolean(flags.json) }),
  run: ({ io, globals, caches }: { io: Io; globals: GlobalOptions; caches: Caches }, options) =>
    runDoctor(io, globals, options, caches),
});

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
