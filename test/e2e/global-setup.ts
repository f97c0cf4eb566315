import { spawnSync } from 'node:child_process';
import {
  BASE_COLLIDE,
  BASE_RAW,
  BASE_READY,
  BIG_USER,
  copyImageToEngines,
  dockerOk,
  ensureAgent,
  ensureImageOnEngine,
  ensureImageOnGpuEngine,
  ensureTestImage,
  ensureTestUser,
  GPU_ENGINE,
  gpuDocker,
  gpuDockerOk,
  NODOCKER_USER,
  OTHER_USER,
  REMOTES,
  REPO_ROOT,
  remoteDocker,
  remoteDockerOk,
  remoteRun,
  TEST_USER,
} from './harness.js';
import {
  checkBundlesAreCurrent,
  checkGpuEngineWiresGpus,
  checkRegistries,
  ensureReadyBase,
} from './setup-checks.js';

/**
 * The e2e suite (the Slurm files have their own setup, test/e2e/slurm-setup.ts) needs a real
 * engine and real users. Anything missing fails the suite with a
 * clear message; it never skips (`bash .ci/run` provisions all of it).
 */
export default async function setup(): Promise<() => void> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the e2e suite runs as root: it creates test users and runs devenv as them (use `bash .ci/run`)',
    );
  }
  checkBundlesAreCurrent();
  if (!dockerOk(['info'])) {
    throw new Error(
      'no Docker engine answers `docker info`: run `bash .ci/engine.sh` (or `bash .ci/run`) first',
    );
  }
  if (!dockerOk(['image', 'inspect', BASE_RAW])) {
    throw new Error(`base image ${BASE_RAW} is missing: run \`bash .ci/engine.sh\` to make it`);
  }
  if (!gpuDockerOk(['info'])) {
    throw new Error(
      `no GPU-capable engine answers at ${GPU_ENGINE}: run \`bash .ci/gpu-engine.sh\` (or \`bash .ci/run\`) first`,
    );
  }
  // `.ci/test-users.sh` made them before the servers started: this only checks (see ensureTestUser).
  for (const user of [TEST_USER, BIG_USER, OTHER_USER]) ensureTestUser(user, { dockerGroup: true });
  ensureTestUser(NODOCKER_USER, { dockerGroup: false });
  await checkRegistries();
  ensureReadyBase();
  ensureTestImage(
    BASE_COLLIDE,
    `FROM ${BASE_READY}
RUN groupadd -g ${TEST_USER.gid} ubuntu && useradd -m -u ${TEST_USER.uid} -g ${TEST_USER.gid} -s /bin/bash ubuntu && useradd -m -u 1000 -s /bin/bash ${BIG_USER.name}`,
  );
  // Every test engine builds on the ready base: copied to all at once, then checked one by one.
  await copyImageToEngines(BASE_READY, [
    GPU_ENGINE,
    ...Object.values(REMOTES).flatMap((server) => (server.socket === null ? [] : [server.socket])),
  ]);
  ensureImageOnGpuEngine(BASE_READY);
  checkGpuEngineWiresGpus((args) => gpuDocker(args), GPU_ENGINE);
  const agents: number[] = [];
  const stopAgents = () => {
    for (const pid of agents.splice(0)) {
      try {
        process.kill(pid);
      } catch {
        // already gone
      }
    }
  };
  try {
    for (const user of [TEST_USER, OTHER_USER]) {
      const pid = ensureAgent(user);
      if (pid !== null) agents.push(pid);
    }
    checkRemoteServers();
  } catch (error) {
    stopAgents();
    throw error;
  }
  return stopAgents;
}

/**
 * The remote servers of `.ci/remote-hosts.sh` (issue 11): each answers ssh as devtest through the
 * agent with that server's UID, and r1/r2's engines answer and hold the ready base. A server that
 * does not (a daemon gone, or its own /etc/passwd dropped because the host replaced its own since
 * it started: that script says how) is repaired by running the script once, then checked again.
 */
function checkRemoteServers(): void {
  const fix = 'run `bash .ci/remote-hosts.sh` (or `bash .ci/run`) first';
  let wrong = serversNotAnsweringAsThemselves();
  if (wrong.length > 0) {
    process.stderr.write(
      `e2e setup: ${wrong.join('; ')}\ne2e setup: running .ci/remote-hosts.sh to repair\n`,
    );
    const repair = spawnSync('bash', ['.ci/remote-hosts.sh'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (repair.status !== 0) {
      const tail = repair.stderr.trim().split('\n').slice(-15).join('\n');
      throw new Error(
        `${wrong[0]}, and \`bash .ci/remote-hosts.sh\` did not repair it (exit ${repair.status ?? repair.signal}):\n${tail}`,
      );
    }
    wrong = serversNotAnsweringAsThemselves();
    if (wrong.length > 0) throw new Error(`${wrong[0]}, even after \`bash .ci/remote-hosts.sh\``);
  }
  for (const server of Object.values(REMOTES)) {
    if (server.socket === null) continue;
    if (!remoteDockerOk(server, ['info'])) {
      throw new Error(
        `the engine of remote server ${server.name} does not answer at ${server.socket}: ${fix}`,
      );
    }
    ensureImageOnEngine(BASE_READY, server.socket);
  }
  checkGpuEngineWiresGpus((args) => remoteDocker(REMOTES.r2, args), String(REMOTES.r2.socket));
}

/** What is wrong with each server that does not answer `ssh … id -u` as devtest with its own UID. */
function serversNotAnsweringAsThemselves(): string[] {
  const wrong: string[] = [];
  for (const server of Object.values(REMOTES)) {
    const result = remoteRun(TEST_USER, server, 'id -u');
    const expected = String(server.uid(TEST_USER));
    if (result.code !== 0 || result.stdout.trim() !== expected) {
      wrong.push(
        `remote server ${server.name} does not answer \`ssh -p ${server.port} ${TEST_USER.name}@127.0.0.1 id -u\` with ${expected} (got ${JSON.stringify(result.stdout.trim())}, exit ${result.code}: ${result.stderr.trim()})`,
      );
    }
  }
  return wrong;
}
