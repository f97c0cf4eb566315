import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { agentEnv, OTHER_USER, REMOTES, remoteRun, TEST_USER, type TestUser, userEnv } from './harness.js';

/** `docker` as a local user, as the CLI runs it: DOCKER_HOST=ssh://… through the user's agent. */
function dockerOverSsh(user: TestUser, url: string, args: string[]) {
  return spawnSync(
    'runuser',
    [
      '-u',
      user.name,
      '--',
      'env',
      '-i',
      ...userEnv(user, { ...agentEnv(user), DOCKER_HOST: url }),
      'docker',
      ...args,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
}

/** The test ground of issue 11 (`.ci/remote-hosts.sh`): three "hosts" on this machine over ssh. */
describe('remote servers on this machine', () => {
  it('r1: devtest logs in with its agent and has the remote UID there', () => {
    const result = remoteRun(TEST_USER, REMOTES.r1, 'id -u; echo $HOME');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('5242\n/home/devtest\n');
    expect(REMOTES.r1.uid(TEST_USER)).toBe(5242);
    expect(REMOTES.r1.url(TEST_USER)).toBe('ssh://devtest@127.0.0.1:2201');
  });

  it("r1: a folder made in devtest's home there is in the remote home, not the local one", () => {
    const name = `ground-${process.pid}`;
    const result = remoteRun(TEST_USER, REMOTES.r1, `mkdir ~/${name} && stat -c %u ~/${name}`);
    expect(result.code, result.stderr).toBe(0);
    const remote = `${REMOTES.r1.home(TEST_USER)}/${name}`;
    expect(spawnSync('test', ['-d', remote]).status).toBe(0);
    expect(spawnSync('test', ['-e', `/home/devtest/${name}`]).status).not.toBe(0);
    spawnSync('rmdir', [remote]);
  });

  it('r1: DOCKER_HOST=ssh://devtest@… reaches the engine as devtest', () => {
    const result = dockerOverSsh(TEST_USER, REMOTES.r1.url(TEST_USER), [
      'info',
      '--format',
      '{{.DockerRootDir}}',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('/srv/devenv-r1/data');
  });

  it("r1: devother is not in that host's docker group: permission denied on the socket", () => {
    const onHost = remoteRun(OTHER_USER, REMOTES.r1, 'docker info');
    expect(onHost.code).not.toBe(0);
    expect(onHost.stdout + onHost.stderr).toMatch(/permission denied.*docker\.sock/);
    // The docker CLI (28) says only "Cannot connect to the Docker daemon at http://docker.example.com".
    const overSsh = dockerOverSsh(OTHER_USER, REMOTES.r1.url(OTHER_USER), ['info']);
    expect(overSsh.status).not.toBe(0);
  });

  it('r2: nvidia-smi over ssh is the fake 8x H100 server; r1 has none', () => {
    const gpus = remoteRun(TEST_USER, REMOTES.r2, 'nvidia-smi --query-gpu=index,name --format=csv,noheader');
    expect(gpus.code, gpus.stderr).toBe(0);
    expect(gpus.stdout.trim().split('\n')).toHaveLength(8);
    expect(gpus.stdout).toMatch(/^7, NVIDIA H100 80GB HBM3$/m);
    const none = remoteRun(TEST_USER, REMOTES.r1, 'command -v nvidia-smi || echo none');
    expect(none.stdout.trim()).toBe('none');
  });

  it('r3: no Docker there, though the CLI is', () => {
    const result = remoteRun(TEST_USER, REMOTES.r3, 'test -S /var/run/docker.sock || echo no-socket; id -u');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('no-socket\n7242\n');
    expect(REMOTES.r3.socket).toBeNull();
  });
});
