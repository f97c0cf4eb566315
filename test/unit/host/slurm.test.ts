import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/core/errors.js';
import { slurmMissing, stepArgv } from '../../../src/host/slurm.js';

describe('stepArgv', () => {
  it("runs the command in the job's allocation, beside the batch script, on one node, quietly", () => {
    expect(stepArgv('4242', ['nvidia-smi', '--query-gpu=index,uuid', '--format=csv'])).toEqual([
      'srun',
      '--jobid=4242',
      // Without it the step waits for the CPUs the batch script holds.
      '--overlap',
      '--nodes=1',
      '--ntasks=1',
      '--quiet',
      'nvidia-smi',
      '--query-gpu=index,uuid',
      '--format=csv',
    ]);
  });

  it('streams a step whose output is read as it comes (the engine dial, a shell): --unbuffered, before the command', () => {
    const argv = stepArgv('7', ['docker', 'system', 'dial-stdio'], { stream: true });
    expect(argv).toContain('--unbuffered');
    expect(argv.indexOf('--unbuffered')).toBeLessThan(argv.indexOf('docker'));
    expect(stepArgv('7', ['true'])).not.toContain('--unbuffered');
  });

  it('passes the command after every srun option, so its own options stay its own', () => {
    const argv = stepArgv('7', ['docker', '--help']);
    expect(argv.indexOf('docker')).toBe(argv.length - 2);
    expect(argv.slice(0, argv.indexOf('docker')).every((a) => a === 'srun' || a.startsWith('--'))).toBe(true);
  });
});

describe('slurmMissing', () => {
  it('names the missing command and says where devenv must run (exit 11)', () => {
    const error = slurmMissing('sbatch');
    expect(error.message).toBe('this env has a "slurm" key, but Slurm\'s sbatch is not on PATH');
    expect(error.hint).toMatch(/login node/);
    expect(error.exitCode).toBe(ExitCode.host);
  });
});
