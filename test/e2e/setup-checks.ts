import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  BASE_RAW,
  BASE_READY,
  ensureTestImage,
  REGISTRY_AUTH,
  REGISTRY_OPEN,
  REGISTRY_PASSWORD,
  REGISTRY_USER,
  REPO_ROOT,
} from './harness.js';

/** What the e2e and the Slurm setups both check and make (test/e2e/global-setup.ts, slurm-setup.ts). */

/** The ready base every test env builds on: the debootstrapped base with devenv's usual packages. */
export function ensureReadyBase(): void {
  ensureTestImage(
    BASE_READY,
    `FROM ${BASE_RAW}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends sudo locales tzdata ca-certificates git python3 python3-venv python3-pip && rm -rf /var/lib/apt/lists/* && localedef -i en_US -f UTF-8 en_US.UTF-8`,
  );
}

/**
 * An engine answering on GPU_ENGINE (or r2's) but started without the stand-in hook would reject
 * every GPU request at start: check once that it wires requested GPUs into the container, as a
 * real one does.
 */
export function checkGpuEngineWiresGpus(run: (args: string[]) => string, engine: string): void {
  const wanted = 'GPU-aaaa,GPU-bbbb';
  let environ: string;
  try {
    environ = run([
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
      `the engine at ${engine} does not start a container with GPUs (was it started by \`bash .ci/gpu-engine.sh\`, \`bash .ci/remote-hosts.sh\` or \`bash .ci/slurm-cluster.sh\`?): ${String(error)}`,
    );
  }
  if (!environ.split('\0').includes(`NVIDIA_VISIBLE_DEVICES=${wanted}`)) {
    throw new Error(`the engine at ${engine} did not set NVIDIA_VISIBLE_DEVICES=${wanted} in the container`);
  }
}

/**
 * Every e2e test runs devenv as users run it, `bin/devenv.cjs` and the bundles in dist/ (the
 * everyday verbs from dist/everyday.cjs): a bundle older than a source file would test code that
 * is not the code under review.
 */
export function checkBundlesAreCurrent(): void {
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
        const file = path.join(dir, entry.name);
        return entry.isDirectory() ? newest(file) : statSync(file).mtimeMs;
      }),
    );
  const sources = newest(path.join(REPO_ROOT, 'src'));
  for (const bundle of ['everyday.cjs', 'cli.cjs']) {
    const file = path.join(REPO_ROOT, 'dist', bundle);
    const built = existsSync(file) ? statSync(file).mtimeMs : null;
    if (built === null || built < sources)
      throw new Error(
        `${file} is ${built === null ? 'missing' : 'older than src/'}: run \`npm run build\` first`,
      );
  }
}

/**
 * The test registries of `.ci/registry.sh` answer as the tests expect: REGISTRY_OPEN's `GET /v2/`
 * with 200; REGISTRY_AUTH's with 401 without credentials and 200 with REGISTRY_USER's.
 */
export async function checkRegistries(): Promise<void> {
  const basic = `Basic ${Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64')}`;
  const asks: { registry: string; how: string; headers: Record<string, string>; status: number }[] = [
    { registry: REGISTRY_OPEN, how: '', headers: {}, status: 200 },
    { registry: REGISTRY_AUTH, how: ' without credentials', headers: {}, status: 401 },
    { registry: REGISTRY_AUTH, how: ` as ${REGISTRY_USER}`, headers: { authorization: basic }, status: 200 },
  ];
  for (const { registry, how, headers, status } of asks) {
    const got = await fetch(`http://${registry}/v2/`, { headers, signal: AbortSignal.timeout(5_000) }).then(
      (response) => String(response.status),
      // fetch says only "fetch failed": the reason (ECONNREFUSED …) is its cause.
      (error: unknown) =>
        error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error),
    );
    if (got !== String(status))
      throw new Error(
        `the test registry ${registry} does not answer GET /v2/${how} with ${status} (got ${got}): run \`bash .ci/registry.sh\` (or \`bash .ci/run\`) first`,
      );
  }
}
