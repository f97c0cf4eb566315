import {
  BASE_COLLIDE,
  BASE_RAW,
  BASE_READY,
  BIG_USER,
  dockerOk,
  ensureTestImage,
  ensureTestUser,
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
}
