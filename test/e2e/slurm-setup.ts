import { spawnSync } from 'node:child_process';
import {
  BASE_READY,
  copyImageToEngines,
  dockerOk,
  ensureImageOnEngine,
  ensureTestUser,
  NODOCKER_USER,
  OTHER_USER,
  SLURM_CONF,
  SLURM_NODES,
  slurmNodeDocker,
  TEST_USER,
} from './harness.js';
import {
  checkBundlesAreCurrent,
  checkGpuEngineWiresGpus,
  checkRegistries,
  ensureReadyBase,
} from './setup-checks.js';

/**
 * The setup of the Slurm files (issue 19), a vitest project of their own: they need the engine,
 * their users, the ready base on each node's engine and the cluster answering; anything missing
 * fails them with a clear message, never a skip (`bash .ci/run` provisions all of it).
 */
export default async function setup(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error('the Slurm e2e files run as root: they run devenv as test users (use `bash .ci/run`)');
  }
  checkBundlesAreCurrent();
  if (!dockerOk(['info'])) {
    throw new Error(
      'no Docker engine answers `docker info`: run `bash .ci/engine.sh` (or `bash .ci/run`) first',
    );
  }
  // `.ci/test-users.sh` made them: this only checks (see ensureTestUser).
  for (const user of [TEST_USER, OTHER_USER]) ensureTestUser(user, { dockerGroup: true });
  ensureTestUser(NODOCKER_USER, { dockerGroup: false });
  await checkRegistries();
  ensureReadyBase();
  await copyImageToEngines(
    BASE_READY,
    Object.values(SLURM_NODES).map((node) => node.socket),
  );
  checkSlurmCluster();
}

/**
 * The Slurm test cluster of `.ci/slurm-cluster.sh` (issue 19): its controller answers, both nodes
 * are idle or running jobs, and each node's engine answers, wires GPUs, and holds the ready base.
 */
function checkSlurmCluster(): void {
  const fix = 'run `bash .ci/slurm-cluster.sh` (or `bash .ci/run`) first';
  const slurm = (command: string, args: string[]) =>
    spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, SLURM_CONF }, timeout: 30_000 });
  const ping = slurm('scontrol', ['ping']);
  if (ping.status !== 0 || !/is UP/.test(ping.stdout)) {
    const said = ping.error ? String(ping.error) : `${ping.stdout}${ping.stderr}`.trim();
    throw new Error(
      `the Slurm test cluster does not answer \`scontrol ping\` (SLURM_CONF=${SLURM_CONF}: ${said}): ${fix}`,
    );
  }
  const states = new Map(
    slurm('sinfo', ['-h', '-N', '-o', '%N %T'])
      .stdout.trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
  for (const node of Object.values(SLURM_NODES)) {
    const state = states.get(node.name);
    if (state !== 'idle' && state !== 'mixed') {
      throw new Error(`Slurm node ${node.name} is ${state ?? 'missing'}, not idle or mixed: ${fix}`);
    }
    const engine = spawnSync('docker', ['info'], {
      stdio: 'ignore',
      env: { ...process.env, DOCKER_HOST: node.socket },
    });
    if (engine.status !== 0) {
      throw new Error(`the engine of Slurm node ${node.name} does not answer at ${node.socket}: ${fix}`);
    }
    ensureImageOnEngine(BASE_READY, node.socket);
    checkGpuEngineWiresGpus((args) => slurmNodeDocker(node, args), node.socket);
  }
}
