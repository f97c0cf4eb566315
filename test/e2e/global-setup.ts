import {
  BASE_COLLIDE,
  BASE_RAW,
  BASE_READY,
  BIG_USER,
  dockerOk,
  ensureImageOnGpuEngine,
  ensureTestImage,
  ensureTestUser,
  GPU_ENGINE,
  gpuDocker,
  gpuDockerOk,
  OTHER_USER,
  TEST_USER,
} from './harness.js';

/**
 * The e2e suite needs a real engine and real users. Anything missing fails the suite with a
 * clear message; it never skips (`bash .ci/run` provisions all of it).
 */
export default function setup(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the e2e suite runs as root: it creates test users and runs devenv as them (use `bash .ci/run`)',
    );
  }
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
  for (const user of [TEST_USER, BIG_USER, OTHER_USER]) ensureTestUser(user, { dockerGroup: true });
  ensureTestImage(
    BASE_READY,
    `FROM ${BASE_RAW}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends sudo locales tzdata ca-certificates git python3 python3-venv python3-pip && rm -rf /var/lib/apt/lists/*`,
  );
  ensureTestImage(
    BASE_COLLIDE,
    `FROM ${BASE_READY}
RUN groupadd -g ${TEST_USER.gid} ubuntu && useradd -m -u ${TEST_USER.uid} -g ${TEST_USER.gid} -s /bin/bash ubuntu && useradd -m -u 1000 -s /bin/bash ${BIG_USER.name}`,
  );
  ensureImageOnGpuEngine(BASE_READY);
  checkGpuEngineWiresGpus();
}

/**
 * An engine answering on GPU_ENGINE but started without the stand-in hook would reject every GPU
 * request at start: check once that it wires requested GPUs into the container, as a real one does.
 */
function checkGpuEngineWiresGpus(): void {
  const wanted = 'GPU-aaaa,GPU-bbbb';
  let environ: string;
  try {
    environ = gpuDocker([
      'run',
      '--rm',
      '--network',
      'host',
      '--gpus',
      `"device=${wanted}"`,
      BASE_READY,
      'cat',
      '/proc/1/environ',
    ]);
  } catch (error) {
    throw new Error(
      `the engine at ${GPU_ENGINE} does not start a container with GPUs (was it started by \`bash .ci/gpu-engine.sh\`?): ${String(error)}`,
    );
  }
  if (!environ.split('\0').includes(`NVIDIA_VISIBLE_DEVICES=${wanted}`)) {
    throw new Error(
      `the engine at ${GPU_ENGINE} did not set NVIDIA_VISIBLE_DEVICES=${wanted} in the container`,
    );
  }
}
