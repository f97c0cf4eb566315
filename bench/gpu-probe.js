// Times one host GPU detection in a fresh process, as a command does it: bundles
// src/host/gpu.ts (dist/ is one bundle, with no module of its own for it), imports it, calls
// detectHostGpus({ env: process.env }) once, prints JSON.
// usage: node bench/gpu-probe.js <repo>
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const repo = process.argv[2] ?? process.cwd();
// Inside the repo, so its bare imports (systeminformation) resolve from node_modules.
const bundle = path.join(repo, 'bench', 'results', `gpu-probe-${process.pid}.mjs`);
mkdirSync(path.dirname(bundle), { recursive: true });
buildSync({
  entryPoints: [path.join(repo, 'src/host/gpu.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outfile: bundle,
  absWorkingDir: repo,
  logLevel: 'warning',
});
const t0 = process.hrtime.bigint();
const { detectHostGpus } = await import(pathToFileURL(bundle).href);
rmSync(bundle);
const t1 = process.hrtime.bigint();
const result = await detectHostGpus({ env: process.env });
const t2 = process.hrtime.bigint();
process.stdout.write(
  `${JSON.stringify({
    importMs: Number(t1 - t0) / 1e6,
    detectMs: Number(t2 - t1) / 1e6,
    gpus: result.gpus.length,
    driverVersion: result.driverVersion,
    cudaVersion: result.cudaVersion,
    problem: result.problem,
  })}\n`,
);
