import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/core/errors.js';
import { slurmDialFailure } from '../../../src/docker/slurm-dial.js';

const JOB = { id: '4242', node: 'nodeB' };

/**
 * Why `srun --jobid J --overlap env -u DOCKER_HOST … docker system dial-stdio` failed, from its exit
 * code and stderr. Each stderr is what that command prints (checked with docker 28 and GNU env).
 */
describe('slurmDialFailure', () => {
  it.each([
    {
      case: 'no docker on the node: env exits 127',
      code: 127,
      stderr:
        "env: 'docker': No such file or directory\nsrun: error: nodeB: task 0: Exited with exit code 127\n",
      message: 'no Docker engine on nodeB (job 4242): the docker command is not installed on that node',
      hint: /which partition has Docker/,
    },
    {
      case: 'a shell saying so',
      code: 1,
      stderr: 'sh: 1: docker: not found\n',
      message: 'no Docker engine on nodeB (job 4242): the docker command is not installed on that node',
      hint: /which partition has Docker/,
    },
    {
      case: 'not in the docker group there',
      code: 1,
      stderr:
        'Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/_ping": dial unix /var/run/docker.sock: connect: permission denied\n',
      message: 'you may not use the Docker engine on nodeB (job 4242) (not in the docker group there)',
      hint: /docker group/,
    },
    {
      case: 'the engine is down',
      code: 1,
      stderr:
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
      message:
        'no Docker engine answers on nodeB (job 4242): Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      hint: /whether Docker runs on that node/,
    },
    {
      case: 'the step refused by srun',
      code: 1,
      stderr: 'srun: error: Unable to create step for job 4242: Job/step already completing or completed\n',
      message:
        'no Docker engine answers on nodeB (job 4242): Unable to create step for job 4242: Job/step already completing or completed',
      hint: /devenv stop/,
    },
    {
      case: "srun's line about the task first, the node's docker after it (srun's stderr is local, the step's forwarded)",
      code: 1,
      stderr:
        'srun: error: nodeB: task 0: Exited with exit code 1\nfailed to open the raw stream connection: dial unix /var/run/docker.sock: connect: connection refused\n',
      message:
        'no Docker engine answers on nodeB (job 4242): failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: connection refused',
      hint: /whether Docker runs on that node/,
    },
    {
      case: 'srun saying only that the task exited',
      code: 1,
      stderr: 'srun: error: nodeB: task 0: Exited with exit code 1\n',
      message: 'no Docker engine answers on nodeB (job 4242): nodeB: task 0: Exited with exit code 1',
      hint: /devenv stop/,
    },
    {
      case: 'nothing said',
      code: 1,
      stderr: '',
      message: 'no Docker engine answers on nodeB (job 4242): exit 1',
      hint: /devenv stop/,
    },
  ])('$case', ({ code, stderr, message, hint }) => {
    const error = slurmDialFailure(JOB, code, stderr);
    expect(error.message).toBe(message);
    expect(error.hint).toMatch(hint);
    expect(error.exitCode).toBe(ExitCode.engine);
  });

  // docker itself says "no such file or directory" of a missing socket (checked: docker 28, exit 1).
  it('says the engine does not answer, not that docker is missing, when the socket is missing', () => {
    const error = slurmDialFailure(
      JOB,
      1,
      'failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: no such file or directory\n',
    );
    expect(error.message).toBe(
      'no Docker engine answers on nodeB (job 4242): failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: no such file or directory',
    );
  });
});
