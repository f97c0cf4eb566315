// Timing: A/B pairs measured in the same run, alternating (ABBA) so drift hits both alike,
// after warm-up rounds that are thrown away. Figures are medians.
import { spawn, spawnSync } from 'node:child_process';

/** Runs a command to completion and returns its wall time in ms; throws on a non-zero exit. */
export function timeCommand({ cmd, args, cwd, env, expectCode = 0 }) {
  const started = process.hrtime.bigint();
  const result = spawnSync(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error) throw result.error;
  if (result.status !== expectCode) {
    throw new Error(
      `${[cmd, ...args].join(' ')} exited ${result.status ?? result.signal} (expected ${expectCode}):\n${result.stderr}${result.stdout}`,
    );
  }
  return ms;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Times several commands against each other (devenv, its floor, the docker CLI), each a function
 * returning ms: every round runs each once, the order rotating from round to round so drift hits
 * all alike. Returns each one's samples and median, by key.
 */
export function compareAll({ commands, warmup = 1, runs = 10 }) {
  const keys = Object.keys(commands);
  const samples = Object.fromEntries(keys.map((k) => [k, []]));
  for (let i = 0; i < warmup + runs; i++) {
    const order = [...keys.slice(i % keys.length), ...keys.slice(0, i % keys.length)];
    for (const key of i % 2 === 0 ? order : order.reverse()) {
      const ms = commands[key]();
      if (i >= warmup) samples[key].push(ms);
    }
  }
  return Object.fromEntries(
    keys.map((k) => [k, { medianMs: median(samples[k]), samplesMs: samples[k].map((v) => round(v)) }]),
  );
}

const PEAK_RSS = `
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
`;

/** A command's peak resident memory in KiB (getrusage of the waited-for child, through python3). */
export function peakRssKiB({ cmd, args, cwd, env }) {
  const result = spawnSync('python3', ['-c', PEAK_RSS, cmd, ...args], { cwd, env, encoding: 'utf8' });
  const [code, kib] = result.stdout.trim().split(' ').map(Number);
  if (result.status !== 0 || code !== 0)
    throw new Error(`${[cmd, ...args].join(' ')} exited ${code} while its memory was measured`);
  return kib;
}

/**
 * Times `a` (devenv) against `b` (the baseline), each a function returning ms, with an optional
 * `before(which)` that resets state and is not timed. Returns the samples and the medians.
 */
export function compare({ a, b, before = () => {}, warmup = 1, runs = 10 }) {
  const samples = { a: [], b: [] };
  const one = (which) => {
    before(which);
    return which === 'a' ? a() : b();
  };
  for (let i = 0; i < warmup + runs; i++) {
    const order = i % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
    for (const which of order) {
      const ms = one(which);
      if (i >= warmup) samples[which].push(ms);
    }
  }
  return {
    a: { medianMs: median(samples.a), samplesMs: samples.a.map(round) },
    b: { medianMs: median(samples.b), samplesMs: samples.b.map(round) },
  };
}

export function round(value, digits = 1) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Runs a command to its end (not timed); its exit code and its stdout and stderr together. */
export async function runCollecting({ cmd, args, cwd, env }) {
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  return { code, output };
}
