// `npm run bench`: devenv's speed against the real engine, each figure as a ratio to its baseline
// measured in the same run (see README "Performance"). Writes bench/results/latest.json.
//
//   node bench/run.js [--runs N] [--build-runs N] [--only startup,gpu,gpumap,cold,bump,context,running,requests,remote,slurm,team]
//                     [--repo DIR] [--as USER] [--keep]
//
// The commands on a running env are measured against their floors: the same engine requests,
// recorded through the engine proxy as devenv made them, replayed by a bare node:http script
// (bench/floor.cjs). devenv runs as a non-root user, as its users do: run as root, the bench runs
// it as --as USER (devtest by default, the e2e tests' user).
//
// Needs: a Docker engine, the base image devenv-test-base:ready (bash .ci/engine.sh and the e2e
// global setup make it), a built dist/ (npm run build), python3 (to make two tiny wheels).
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { requestLines, startEngineProxy } from './engine-proxy.js';
import {
  BASE_IMAGE,
  benchUser,
  docker,
  dockerOk,
  makeBenchEnv,
  removeBenchEnv,
  removeLabelled,
} from './fixture.js';
import { compare, compareAll, median, peakRssKiB, round, runCollecting, timeCommand } from './measure.js';
import { replaySteps } from './replay.cjs';
import { benchSlurm } from './slurm.js';
import { benchTeam } from './team.js';

const GROUPS = [
  'startup',
  'gpu',
  'gpumap',
  'cold',
  'bump',
  'context',
  'running',
  'requests',
  'remote',
  'slurm',
  'team',
];
const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    'build-runs': { type: 'string', default: '3' },
    only: { type: 'string', default: GROUPS.join(',') },
    repo: { type: 'string', default: path.resolve(import.meta.dirname, '..') },
    as: { type: 'string', default: 'devtest' },
    keep: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
const BUILD_RUNS = Number(opts['build-runs']);
const ONLY = new Set(opts.only.split(','));
const REPO = path.resolve(opts.repo);
// The CLI as npm installs it: package.json's "bin".
const BIN = path.join(REPO, binOf(REPO));
const RESULTS = path.join(import.meta.dirname, 'results');
const FLOOR = path.join(import.meta.dirname, 'floor.cjs');
const USER = benchUser(opts.as);

const figures = [];
const requestLog = {};
const failures = [];

function binOf(repo) {
  const { bin } = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
  return typeof bin === 'string' ? bin : bin.devenv;
}

function preflight() {
  if (!existsSync(path.join(REPO, 'dist', 'cli.cjs')))
    throw new Error(`no ${REPO}/dist: run \`npm run build\``);
  const newest = (dir) =>
    Math.max(
      ...spawnSync('find', [dir, '-type', 'f', '-printf', '%T@\\n'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number),
    );
  if (newest(path.join(REPO, 'src')) > newest(path.join(REPO, 'dist'))) {
    process.stderr.write(
      'bench: warning: src/ is newer than dist/: run `npm run build` to bench the current code\n',
    );
  }
  if (!dockerOk(['info'])) throw new Error('no Docker engine answers `docker info`');
  if (!dockerOk(['image', 'inspect', BASE_IMAGE])) {
    throw new Error(`base image ${BASE_IMAGE} is missing: run the e2e global setup (bash .ci/run) first`);
  }
}

/** A clean, login-like environment for devenv and the docker CLI, rooted in the bench's temp dir. */
function cleanEnv(env, extra = {}) {
  return {
    HOME: path.join(env.dir, 'home'),
    USER: USER.name,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    XDG_STATE_HOME: path.join(env.dir, 'state'),
    DOCKER_BUILDKIT: '0',
    ...extra,
  };
}

/** `cmd args` in the bench env, as the bench user. */
function userCmd(env, cmd, args, extraEnv) {
  const [wrapper, ...wrapperArgs] = USER.wrap ?? [cmd];
  return {
    cmd: wrapper,
    args: USER.wrap ? [...wrapperArgs, cmd, ...args] : args,
    cwd: env.dir,
    env: cleanEnv(env, extraEnv),
  };
}

function devenvCmd(env, args, extraEnv) {
  return userCmd(env, process.execPath, [BIN, ...args], extraEnv);
}

function dockerCmd(env, args, extraEnv) {
  return userCmd(env, 'docker', args, extraEnv);
}

/** The floor of a command: its recorded engine requests, replayed by bench/floor.cjs. */
function floorCmd(env, stepsFile, extraArgs = []) {
  return userCmd(env, process.execPath, [FLOOR, stepsFile, ...extraArgs]);
}

function run(command) {
  return timeCommand(command);
}

/** Runs a command (not timed) with devenv pointed at the proxy; returns the engine requests. */
async function proxied(proxy, command) {
  proxy.take();
  const { code, output } = await runCollecting({
    ...command,
    env: { ...command.env, DOCKER_HOST: `unix://${proxy.socketPath}` },
  });
  await sleep(50);
  const requests = proxy.take();
  if (code !== 0) {
    const seen = requestLines(requests).join('\n  ');
    throw new Error(
      `${[command.cmd, ...command.args].join(' ')} exited ${code}:\n${output}\nrequests:\n  ${seen}`,
    );
  }
  return requests;
}

function addFigure(figure) {
  figures.push(figure);
  const mark = figure.pass ? 'ok' : 'OVER';
  process.stderr.write(`bench: ${figure.figure}: ${figure.result} (budget ${figure.budget}) ${mark}\n`);
}

function ratioFigure(id, figure, measured, budget) {
  const ratio = measured.a.medianMs / measured.b.medianMs;
  addFigure({
    id,
    figure,
    devenv: `${round(measured.a.medianMs)} ms`,
    baseline: `${round(measured.b.medianMs)} ms`,
    result: `${round(ratio, 2)}x`,
    value: round(ratio, 3),
    budget: `<= ${budget}x`,
    pass: ratio <= budget,
    samples: { devenvMs: measured.a.samplesMs, baselineMs: measured.b.samplesMs },
  });
}

// ---- figures -------------------------------------------------------------------------------

function benchStartup(env) {
  const nodeNothing = userCmd(env, process.execPath, ['-e', '0']);
  for (const flag of ['--version', '--help']) {
    const measured = compare({
      a: () => run(devenvCmd(env, [flag])),
      b: () => run(nodeNothing),
      warmup: 2,
      runs: RUNS * 2,
    });
    ratioFigure(`startup${flag}`, `devenv ${flag} vs node -e 0`, measured, 1.3);
  }
}

function benchGpu(env) {
  const probe = (extraEnv) => {
    const result = spawnSync(process.execPath, [path.join(import.meta.dirname, 'gpu-probe.js'), REPO], {
      env: cleanEnv(env, extraEnv),
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`gpu probe failed: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  const fixtures = path.join(REPO, 'test', 'fixtures');
  const cases = {
    none: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    fake: {
      PATH: `${path.join(fixtures, 'fake-nvidia-smi')}:/usr/local/bin:/usr/bin:/bin`,
      FAKE_NVIDIA_SMI_DIR: path.join(fixtures, 'nvidia-smi'),
      FAKE_NVIDIA_SMI_MACHINE: 'thamada_rtx-4090_550.127.05',
    },
  };
  const samples = { none: [], fake: [] };
  const last = {};
  for (let i = 0; i < 2 + RUNS; i++) {
    for (const key of i % 2 === 0 ? ['none', 'fake'] : ['fake', 'none']) {
      const result = probe(cases[key]);
      last[key] = result;
      if (i >= 2) samples[key].push(result);
    }
  }
  for (const [key, budget, label] of [
    ['none', 150, 'GPU detection, no nvidia-smi'],
    ['fake', 300, 'GPU detection, fake nvidia-smi (RTX 4090)'],
  ]) {
    const detect = median(samples[key].map((s) => s.detectMs));
    const imported = median(samples[key].map((s) => s.importMs));
    addFigure({
      id: `gpu-${key}`,
      figure: label,
      devenv: `${round(detect)} ms (+${round(imported)} ms import)`,
      baseline: '—',
      result: `${round(detect)} ms`,
      value: round(detect),
      budget: `<= ${budget} ms`,
      pass: detect <= budget,
      detail: {
        found: last[key],
        importMs: round(imported),
        samplesMs: samples[key].map((s) => round(s.detectMs)),
      },
    });
  }
}

/** `devenv gpus` on a fake 8-GPU server against its floor: the same queries and request from a bare script. */
function benchGpuMap(env) {
  const fixtures = path.join(REPO, 'test', 'fixtures');
  const server = {
    PATH: `${path.join(fixtures, 'fake-nvidia-smi')}:/usr/local/bin:/usr/bin:/bin`,
    FAKE_NVIDIA_SMI_DIR: path.join(fixtures, 'nvidia-smi'),
    FAKE_NVIDIA_SMI_MACHINE: 'derived-server_h100-80gb-hbm3-x8_565.57.01',
  };
  const floor = userCmd(env, process.execPath, [path.join(import.meta.dirname, 'gpus-floor.js')], server);
  const measured = compare({
    a: () => run(devenvCmd(env, ['gpus'], server)),
    b: () => run(floor),
    warmup: 2,
    runs: RUNS * 2,
  });
  ratioFigure('gpus', 'devenv gpus (8 GPUs) vs the same queries from a bare script', measured, 1.25);
}

/** `docker build` + `docker run -d` flags equivalent to devenv's build request and create body. */
function handRecipe(buildRequest, createBody, tag, name) {
  const q = buildRequest.query;
  const buildArgs = ['build', '-q', '--no-cache', '-t', tag];
  for (const [k, v] of Object.entries(JSON.parse(q.buildargs ?? '{}')))
    buildArgs.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(JSON.parse(q.labels ?? '{}'))) buildArgs.push('--label', `${k}=${v}`);
  if (q.networkmode) buildArgs.push('--network', q.networkmode);
  if (q.forcerm === 'true') buildArgs.push('--force-rm');
  buildArgs.push('-');

  const h = createBody.HostConfig ?? {};
  const runArgs = ['run', '-d', '--name', name];
  for (const [k, v] of Object.entries(createBody.Labels ?? {})) runArgs.push('--label', `${k}=${v}`);
  if (createBody.User) runArgs.push('--user', createBody.User);
  if (createBody.WorkingDir) runArgs.push('--workdir', createBody.WorkingDir);
  for (const e of createBody.Env ?? []) runArgs.push('-e', e);
  if (h.Init) runArgs.push('--init');
  for (const m of h.Mounts ?? [])
    runArgs.push(
      '--mount',
      `type=bind,source=${m.Source},target=${m.Target}${m.ReadOnly ? ',readonly' : ''}`,
    );
  if (h.NetworkMode) runArgs.push('--network', h.NetworkMode);
  if (h.ShmSize) runArgs.push('--shm-size', `${h.ShmSize}b`);
  if (h.RestartPolicy?.Name) runArgs.push('--restart', h.RestartPolicy.Name);
  if (h.DeviceRequests?.length) runArgs.push('--gpus', 'all');
  const entrypoint = createBody.Entrypoint ?? [];
  if (entrypoint[0]) runArgs.push('--entrypoint', entrypoint[0]);
  runArgs.push(tag, ...entrypoint.slice(1), ...(createBody.Cmd ?? []));
  return { buildArgs, runArgs };
}

async function benchCold(env, proxy) {
  // What devenv sends, captured once: the context tar and query of POST /build, the create body.
  removeLabelled(env.dir);
  const requests = await proxied(proxy, devenvCmd(env, ['start', '--detach']));
  requestLog['start --detach (from nothing)'] = requestLines(requests);
  const build = requests.find((r) => r.method === 'POST' && r.path === '/build');
  const create = requests.find((r) => r.method === 'POST' && r.path === '/containers/create');
  if (!build?.body || !create?.body) throw new Error('did not capture the build or create request');
  const contextFile = path.join(env.dir, 'context.tar');
  writeFileSync(contextFile, build.body);
  const handTag = `devenv-${env.name}-hand:latest`;
  const handName = `devenv-${env.name}-hand`;
  const { buildArgs, runArgs } = handRecipe(
    build,
    JSON.parse(create.body.toString('utf8')),
    handTag,
    handName,
  );

  const context = readFileSync(contextFile);
  const byHand = () => {
    const started = process.hrtime.bigint();
    const build = dockerCmd(env, buildArgs);
    const result = spawnSync(build.cmd, build.args, { cwd: build.cwd, env: build.env, input: context });
    if (result.status !== 0) throw new Error(`docker build failed: ${result.stderr}`);
    run(dockerCmd(env, runArgs));
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const measured = compare({
    a: () => run(devenvCmd(env, ['rebuild', '--no-cache', '--detach'])),
    b: byHand,
    before: () => removeLabelled(env.dir),
    warmup: 1,
    runs: BUILD_RUNS,
  });
  const diffS = (measured.a.medianMs - measured.b.medianMs) / 1000;
  addFigure({
    id: 'cold-start',
    figure: 'cold start --detach (no cache) vs docker build + docker run -d',
    devenv: `${round(measured.a.medianMs / 1000, 2)} s`,
    baseline: `${round(measured.b.medianMs / 1000, 2)} s`,
    result: `${diffS >= 0 ? '+' : ''}${round(diffS, 2)} s`,
    value: round(diffS, 3),
    budget: '<= +2 s',
    pass: diffS <= 2,
    samples: { devenvMs: measured.a.samplesMs, baselineMs: measured.b.samplesMs },
    detail: { docker: [`docker ${buildArgs.join(' ')} < context.tar`, `docker ${runArgs.join(' ')}`] },
  });
  removeLabelled(env.dir);
}

/** Steps the classic builder took from cache in the last build, from devenv's build log. */
function cacheReport(env) {
  const log = path.join(env.dir, 'state', 'devenv', 'logs', `${env.containerName}-build.log`);
  const lines = readFileSync(log, 'utf8').split('\n');
  const steps = [];
  for (const line of lines) {
    const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
    if (step) steps.push({ step: Number(step[1]), instruction: step[3], cached: false });
    else if (/Using cache/.test(line) && steps.length > 0) steps[steps.length - 1].cached = true;
  }
  // Steps up to FROM never say "Using cache"; the first step after it that ran is where reuse ended.
  const from = steps.findIndex((s) => /^FROM\b/i.test(s.instruction));
  const firstBuilt = steps.slice(from + 1).find((s) => !s.cached);
  return {
    steps: steps.length,
    cached: steps.filter((s) => s.cached).length,
    firstRebuilt: firstBuilt ?? null,
  };
}

function benchBump(env) {
  const cold = [];
  const bump = [];
  let cache = null;
  for (let i = 0; i < 1 + BUILD_RUNS; i++) {
    env.setRequirements(['a']);
    const coldMs = run(devenvCmd(env, ['rebuild', '--no-cache', '--detach']));
    env.setRequirements(['a', 'b']);
    const bumpMs = run(devenvCmd(env, ['rebuild', '--detach']));
    cache = cacheReport(env);
    if (i >= 1) {
      cold.push(coldMs);
      bump.push(bumpMs);
    }
  }
  env.setRequirements(['a']);
  ratioFigure(
    'rebuild-bump',
    'rebuild after a requirements bump vs cold rebuild --no-cache',
    {
      a: { medianMs: median(bump), samplesMs: bump.map((v) => round(v)) },
      b: { medianMs: median(cold), samplesMs: cold.map((v) => round(v)) },
    },
    0.25,
  );
  figures[figures.length - 1].detail = { cache };
}

async function benchContext(env, proxy) {
  const projects = path.join(env.dir, 'projects');
  mkdirSync(projects, { recursive: true });
  const sizes = {};
  const big = path.join(projects, 'big.bin');
  for (const [key, fill] of [
    ['empty', false],
    ['1GiB', true],
  ]) {
    if (fill) {
      writeFileSync(big, '');
      truncateSync(big, 1024 ** 3);
    }
    const requests = await proxied(proxy, devenvCmd(env, ['rebuild', '--detach']));
    requestLog[`rebuild --detach (projects/ ${key})`] = requestLines(requests);
    const builds = requests.filter((r) => r.method === 'POST' && r.path === '/build');
    sizes[key] = {
      bytes: builds[0]?.bodyBytes ?? null,
      sha256: builds[0]?.bodySha256 ?? null,
      builds: builds.length,
    };
  }
  unlinkSync(big);
  const identical = sizes.empty.sha256 !== null && sizes.empty.sha256 === sizes['1GiB'].sha256;
  const bytes = sizes['1GiB'].bytes ?? Number.POSITIVE_INFINITY;
  addFigure({
    id: 'build-context',
    figure: 'build context sent: projects/ with 1 GiB vs empty',
    devenv: `${sizes['1GiB'].bytes} B`,
    baseline: `${sizes.empty.bytes} B`,
    result: `${identical ? 'identical' : 'DIFFERENT'}, ${round(bytes / 1024, 1)} KiB`,
    value: bytes,
    budget: 'identical, <= 64 KiB',
    pass: identical && bytes <= 64 * 1024,
    detail: sizes,
  });
}

function ensureRunning(env) {
  run(devenvCmd(env, ['start', '--detach']));
  const state = docker(['inspect', '-f', '{{.State.Running}}', env.containerName]);
  if (state !== 'true') throw new Error(`${env.containerName} is not running after start`);
}

/** Records `devenv ARGS`'s engine requests through the proxy and writes them as its floor's steps. */
async function recordFloor(env, proxy, id, args) {
  const requests = await proxied(proxy, devenvCmd(env, args));
  const steps = replaySteps(requests);
  const file = path.join(env.dir, `floor-${id}.json`);
  writeFileSync(file, `${JSON.stringify(steps, null, 2)}\n`);
  return { file, steps };
}

/** "3 requests", for the table: what the floor does. */
function requestCount(steps, gpus) {
  return `${steps.length} request${steps.length === 1 ? '' : 's'}${gpus ? ' + nvidia-smi' : ''}`;
}

/**
 * The commands on a running env, each against its floor (budgeted) and the docker CLI command
 * that does the same (for information), all three alternating in one loop; then exec's peak
 * memory against its floor's.
 */
async function benchRunning(env, proxy) {
  ensureRunning(env);
  const c = env.containerName;
  const rc = JSON.parse(readFileSync(path.join(env.dir, '.devenvrc'), 'utf8'));
  // status reads the host's GPUs when the env has some: its floor runs the same nvidia-smi queries.
  const gpus = rc.gpus !== undefined && rc.gpus !== 'none';
  const cases = [
    { id: 'exec', args: ['exec', '--', 'true'], docker: ['exec', c, 'true'], budget: 1.1 },
    { id: 'start-running', args: ['start', '--detach'], docker: ['start', c], budget: 1.15 },
    { id: 'status', args: ['status'], docker: ['inspect', c], budget: 1.25, gpus },
  ];
  const floors = {};
  const floorFiles = {};
  for (const one of cases) {
    const { file, steps } = await recordFloor(env, proxy, one.id, one.args);
    floorFiles[one.id] = file;
    const floor = floorCmd(env, file, one.gpus ? ['--nvidia-smi'] : []);
    run(floor); // a floor that fails (a status it did not expect) fails here, not mid-measurement
    floors[one.id] = floor;
    const measured = compareAll({
      commands: {
        devenv: () => run(devenvCmd(env, one.args)),
        floor: () => run(floor),
        docker: () => run(dockerCmd(env, one.docker)),
      },
      warmup: 2,
      runs: RUNS,
    });
    const { devenv, floor: floorMs, docker: dockerMs } = measured;
    const ratio = devenv.medianMs / floorMs.medianMs;
    const dockerRatio = devenv.medianMs / dockerMs.medianMs;
    addFigure({
      id: one.id,
      figure: `devenv ${one.args.join(' ')}${one.id === 'start-running' ? ' (running)' : ''} vs its floor (${requestCount(steps, one.gpus)})`,
      devenv: `${round(devenv.medianMs)} ms`,
      baseline: `${round(floorMs.medianMs)} ms`,
      result: `${round(ratio, 2)}x`,
      value: round(ratio, 3),
      budget: `<= ${one.budget}x`,
      pass: ratio <= one.budget,
      info: `docker ${one.docker[0]}: ${round(dockerMs.medianMs)} ms, devenv ${round(dockerRatio, 2)}x, floor ${round(floorMs.medianMs / dockerMs.medianMs, 2)}x`,
      docker: {
        command: `docker ${one.docker.join(' ')}`,
        ms: round(dockerMs.medianMs),
        ratio: round(dockerRatio, 3),
        floorRatio: round(floorMs.medianMs / dockerMs.medianMs, 3),
      },
      floorRequests: steps.map((step) => `${step.method} ${step.url}`),
      samples: { devenvMs: devenv.samplesMs, baselineMs: floorMs.samplesMs, dockerMs: dockerMs.samplesMs },
    });
  }
  benchOnTerminal(env, floorFiles['start-running']);
  const rss = { devenv: [], floor: [] };
  for (let i = 0; i < 1 + RUNS; i++) {
    const devenvKiB = peakRssKiB(devenvCmd(env, ['exec', '--', 'true']));
    const floorKiB = peakRssKiB(floors.exec);
    if (i >= 1) {
      rss.devenv.push(devenvKiB);
      rss.floor.push(floorKiB);
    }
  }
  const [devenvMiB, floorMiB] = [median(rss.devenv) / 1024, median(rss.floor) / 1024];
  addFigure({
    id: 'exec-memory',
    figure: 'devenv exec -- true, peak memory (RSS) vs its floor',
    devenv: `${round(devenvMiB)} MiB`,
    baseline: `${round(floorMiB)} MiB`,
    result: `${round(devenvMiB / floorMiB, 2)}x`,
    value: round(devenvMiB / floorMiB, 3),
    budget: '<= 1.3x',
    pass: devenvMiB / floorMiB <= 1.3,
    samples: { devenvKiB: rss.devenv, baselineKiB: rss.floor },
  });
}

/**
 * What a user at a terminal waits for: start on a running env with its output on a terminal (a
 * pty of `script`, sized as a terminal is), against its floor on the same pty. A terminal is where
 * a spinner or colour library would load: for information, with no budget of its own.
 */
function benchOnTerminal(env, floorFile) {
  // setpriv (userCmd) outside, script inside: the pty is the user's.
  const onPty = (...command) => {
    const line = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return userCmd(env, 'script', ['-qec', `stty cols 120 rows 40; exec ${line}`, '/dev/null']);
  };
  const devenv = onPty(process.execPath, BIN, 'start', '--detach');
  const floorOnPty = onPty(process.execPath, FLOOR, floorFile);
  const measured = compare({ a: () => run(devenv), b: () => run(floorOnPty), warmup: 2, runs: RUNS });
  const ratio = measured.a.medianMs / measured.b.medianMs;
  addFigure({
    id: 'start-running-terminal',
    figure: 'devenv start --detach (running) on a terminal vs its floor on the same terminal',
    devenv: `${round(measured.a.medianMs)} ms`,
    baseline: `${round(measured.b.medianMs)} ms`,
    result: `${round(ratio, 2)}x`,
    value: round(ratio, 3),
    budget: 'none (for information)',
    pass: true,
    samples: { devenvMs: measured.a.samplesMs, baselineMs: measured.b.samplesMs },
  });
}

async function benchRequests(env, proxy) {
  ensureRunning(env);
  const c = env.containerName;
  const record = async (label, command) => {
    const requests = await proxied(proxy, command);
    requestLog[label] = requestLines(requests);
    return requests;
  };
  await record('--version', devenvCmd(env, ['--version']));
  await record('--help', devenvCmd(env, ['--help']));
  await record('exec -- true', devenvCmd(env, ['exec', '--', 'true']));
  await record('docker exec C true', dockerCmd(env, ['exec', c, 'true']));
  await record('start --detach (running)', devenvCmd(env, ['start', '--detach']));
  await record('docker start C', dockerCmd(env, ['start', c]));
  await record('status', devenvCmd(env, ['status']));
  await record('docker inspect C', dockerCmd(env, ['inspect', c]));
  await record('stop', devenvCmd(env, ['stop']));
  const fresh = await record(
    'start --detach (fresh image, no container)',
    devenvCmd(env, ['start', '--detach']),
  );
  const builds = fresh.filter((r) => r.method === 'POST' && r.path === '/build').length;
  addFigure({
    id: 'fresh-image-start',
    figure: 'start --detach with a fresh image: build requests',
    devenv: `${builds} of ${fresh.length} requests`,
    baseline: '—',
    result: `${builds} builds`,
    value: builds,
    budget: 'zero build requests',
    pass: builds === 0,
  });
}

/**
 * A remote env over ssh://, on the test server .ci/remote-hosts.sh provisions (r1: sshd on
 * 127.0.0.1:2201, its own engine), as its test user devtest: `devenv exec` against
 * `docker -H ssh://… exec` of the same command, and `ssh HOST true` for the set-up of one SSH
 * connection. The budget: devenv adds at most one connection set-up over the docker CLI. Cold
 * runs share no connection (DEVENV_SSH_MULTIPLEX=0); warm ones reuse devenv's ControlMaster.
 */
function benchRemote() {
  const user = 'devtest';
  const url = `ssh://${user}@127.0.0.1:2201`;
  const home = `/home/${user}`;
  const dir = spawnSync('runuser', ['-u', user, '--', 'mktemp', '-d', '/tmp/devenv-bench-remote-XXXXXX'], {
    encoding: 'utf8',
  }).stdout.trim();
  if (!dir)
    throw new Error(`cannot make a folder as ${user}: run bash .ci/remote-hosts.sh (or bash .ci/run) first`);
  const name = `benchremote-${path.basename(dir).slice(-6).toLowerCase()}`;
  const rc = { name, baseImage: BASE_IMAGE, aptPackages: [], torch: 'none', gpus: 'none' };
  spawnSync('runuser', ['-u', user, '--', 'sh', '-c', `cat > ${dir}/.devenvrc`], {
    input: JSON.stringify(rc),
  });
  const asUser = (cmd, args, extra = {}) => ({
    cmd: 'runuser',
    args: [
      '-u',
      user,
      '--',
      'env',
      '-i',
      `HOME=${home}`,
      `USER=${user}`,
      'PATH=/usr/local/bin:/usr/bin:/bin',
      'LANG=C.UTF-8',
      `DOCKER_HOST=${url}`,
      ...Object.entries(extra).map(([k, v]) => `${k}=${v}`),
      cmd,
      ...args,
    ],
    cwd: dir,
    env: { PATH: '/usr/sbin:/usr/bin:/bin' },
  });
  const devenvRemote = (args) => asUser(process.execPath, [BIN, ...args]);
  try {
    run(devenvRemote(['start', '--detach']));
    const container = `devenv-${name}-${user}`;
    const sshTrue = asUser('ssh', [
      '-o',
      'BatchMode=yes',
      '-o',
      'ControlPath=none',
      '-p',
      '2201',
      `${user}@127.0.0.1`,
      'true',
    ]);
    // Ends devenv's shared connection, so the next command opens its own (a cold start).
    const endShared = asUser('ssh', [
      '-o',
      `ControlPath=${home}/.local/state/devenv/ssh/%C`,
      '-O',
      'exit',
      '-p',
      '2201',
      `${user}@127.0.0.1`,
    ]);
    for (const [id, label, cold] of [
      ['remote-exec-cold', 'no connection open yet', true],
      ['remote-exec', "devenv's connection still open from the last command", false],
    ]) {
      const measured = compare({
        a: () => run(devenvRemote(['exec', '--', 'true'])),
        b: () => run(asUser('docker', ['exec', container, 'true'])),
        before: (which) => {
          if (cold && which === 'a')
            spawnSync(endShared.cmd, endShared.args, { env: endShared.env, stdio: 'ignore' });
        },
        warmup: 2,
        runs: RUNS * 2,
      });
      const setup = compare({ a: () => run(sshTrue), b: () => run(sshTrue), warmup: 1, runs: RUNS });
      const setupMs = (setup.a.medianMs + setup.b.medianMs) / 2;
      const added = measured.a.medianMs - measured.b.medianMs;
      addFigure({
        id,
        figure: `devenv exec -- true vs docker -H ssh:// exec C true (${label})`,
        devenv: `${round(measured.a.medianMs)} ms`,
        baseline: `${round(measured.b.medianMs)} ms`,
        result: `${round(measured.a.medianMs / measured.b.medianMs, 2)}x; adds ${round(added)} ms, one ssh set-up ${round(setupMs)} ms`,
        value: round(added / setupMs, 3),
        budget: 'adds <= one ssh set-up',
        pass: added <= setupMs,
        samples: { devenvMs: measured.a.samplesMs, baselineMs: measured.b.samplesMs },
      });
    }
  } finally {
    spawnSync(
      'runuser',
      [
        '-u',
        user,
        '--',
        'env',
        `HOME=${home}`,
        `DOCKER_HOST=${url}`,
        process.execPath,
        BIN,
        'prune',
        '--yes',
      ],
      {
        cwd: dir,
        stdio: 'ignore',
      },
    );
    // prune keeps the env's folders (your files); the bench's own are removed on the server too.
    spawnSync(
      'runuser',
      [
        '-u',
        user,
        '--',
        'ssh',
        '-o',
        'BatchMode=yes',
        '-p',
        '2201',
        `${user}@127.0.0.1`,
        `rm -rf ~/devenv/${name} ~/.vscode-server/data/User/globalStorage/ms-vscode-remote.remote-containers/nameConfigs/devenv-${name}-${user}.json`,
      ],
      { stdio: 'ignore' },
    );
    spawnSync('rm', ['-rf', dir]);
  }
}

// ---- report ----------------------------------------------------------------------------------

function table() {
  const header = ['figure', 'devenv', 'baseline', 'result', 'budget', 'ok', 'for information'];
  const rows = figures.map((f) => [
    f.figure,
    f.devenv,
    f.baseline,
    f.result,
    f.budget,
    f.pass ? 'yes' : 'NO',
    f.info ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function engineVersion() {
  try {
    return docker(['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})']);
  } catch {
    return null;
  }
}

async function main() {
  preflight();
  const env = makeBenchEnv(USER);
  const proxy = await startEngineProxy({
    socketPath: path.join(env.dir, 'engine.sock'),
    keepBody: (r) => r.method === 'POST' && (r.path === '/build' || r.path === '/containers/create'),
  });
  // devenv reaches it as the bench user.
  if (USER.wrap) chownSync(proxy.socketPath, USER.uid, USER.gid);
  let cleaned = false;
  const cleanUp = async () => {
    if (cleaned) return;
    cleaned = true;
    await proxy.close();
    if (opts.keep) process.stderr.write(`bench: kept ${env.dir} and its objects (--keep)\n`);
    else removeBenchEnv(env);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      cleanUp().finally(() => process.exit(130));
    });
  }
  const started = Date.now();
  const loadBefore = os.loadavg();
  const groups = {
    startup: () => benchStartup(env),
    gpu: () => benchGpu(env),
    gpumap: () => benchGpuMap(env),
    cold: () => benchCold(env, proxy),
    bump: () => benchBump(env),
    context: () => benchContext(env, proxy),
    running: () => benchRunning(env, proxy),
    requests: () => benchRequests(env, proxy),
    remote: () => benchRemote(),
    slurm: () => benchSlurm({ runs: RUNS, bin: BIN, user: USER, userCmd, addFigure, requestLog }),
    team: () => benchTeam({ buildRuns: BUILD_RUNS, bin: BIN, user: USER, addFigure }),
  };
  try {
    process.stderr.write(`bench: env ${env.dir} (${env.containerName}), devenv ${BIN} as ${USER.name}\n`);
    for (const [name, group] of Object.entries(groups)) {
      if (!ONLY.has(name)) continue;
      try {
        await group();
      } catch (error) {
        // One broken figure should not cost the others: it is reported, and the exit code says so.
        failures.push({ group: name, error: String(error.stack ?? error) });
        process.stderr.write(`bench: ${name} failed: ${error.stack ?? error}\n`);
      }
    }
  } finally {
    await cleanUp();
  }
  const report = {
    date: new Date().toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    repo: REPO,
    commit:
      spawnSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim() ||
      null,
    distBuilt: statSync(path.join(REPO, 'dist', 'cli.cjs')).mtime.toISOString(),
    node: process.version,
    engine: engineVersion(),
    cpus: os.cpus().length,
    user: { name: USER.name, uid: USER.uid },
    // Other work on the machine skews every figure: look here before comparing two runs.
    loadAverage: { before: loadBefore.map((v) => round(v, 2)), after: os.loadavg().map((v) => round(v, 2)) },
    runs: RUNS,
    buildRuns: BUILD_RUNS,
    figures,
    failures,
    engineRequests: requestLog,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${table()}\n\nengine requests per command:\n`);
  for (const [label, lines] of Object.entries(requestLog)) {
    process.stdout.write(`  ${label}: ${lines.length}\n${lines.map((l) => `    ${l}\n`).join('')}`);
  }
  process.stdout.write(`\nwritten: ${path.relative(process.cwd(), path.join(RESULTS, 'latest.json'))}\n`);
  if (failures.length > 0) {
    process.stdout.write(`failed: ${failures.map((f) => f.group).join(', ')} (see stderr)\n`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
