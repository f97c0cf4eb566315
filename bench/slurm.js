// The `slurm` group of `npm run bench` (issue 19, "Speed"): an env with a "slurm" key on the test
// cluster .ci/slurm-cluster.sh provisions, its commands against the same commands by hand and
// against floors, all measured in the same run. A floor is what devenv's command asked of Slurm
// and of the node's engine, recorded once and done again by a bare script (bench/slurm-floor.cjs):
// - Slurm: a PATH prefix holds srun, squeue, scontrol, sbatch and scancel wrappers that log each
//   call (its argv, when it started and ended, its exit code) and run the real command;
// - the engine: the wrapper srun points the step's `docker system dial-stdio` at the engine proxy
//   (bench/engine-proxy.js) on a socket in the env's folder under /tmp, which the node sees too
//   (the nodes share the host's filesystem but /run and /usr/local/bin), forwarding to that node's
//   engine.
// The env, its job and its container are made once, and ended (prune, then scancel and removal
// of what is left) whatever happens.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEngineProxy } from './engine-proxy.js';
import { BASE_IMAGE, removeLabelled } from './fixture.js';
import { compareAll, round, runCollecting, timeCommand } from './measure.js';
import { actionLine, isDial, isDialersOwn, isQuery, slurmFloorPlan } from './slurm-plan.cjs';

export const SLURM_CONF = process.env.SLURM_CONF ?? '/srv/devenv-slurm/etc/slurm.conf';
/** Where root reaches each node's engine from outside: NODES_DIR/<node>/run/docker.sock. */
const NODES_DIR = '/srv/devenv-slurm/nodes';
const SLURM_COMMANDS = ['srun', 'squeue', 'scontrol', 'sbatch', 'scancel'];
const SLURM_FLOOR = path.join(import.meta.dirname, 'slurm-floor.cjs');
/** A start that waits longer than this for its job (a full cluster) fails the group. */
const START_TIMEOUT_MS = 300_000;
/**
 * Recordings of each command: its floor waits where devenv waited in all of them (one recording
 * may show a step ending before a request only because it happened to be quicker that time).
 */
const RECORDINGS = 3;

/**
 * The group. `userCmd(env, cmd, args, extraEnv)` is bench/run.js's: a command as the bench user,
 * in a clean login-like environment rooted in `env.dir`.
 */
export async function benchSlurm({ runs, bin, user, userCmd, addFigure, requestLog }) {
  const real = preflight();
  const env = makeSlurmEnv(user);
  const asUser = (cmd, args, extra = {}) => userCmd(env, cmd, args, { SLURM_CONF, ...extra });
  const devenv = (args, extra) => asUser(process.execPath, [bin, ...args], extra);
  let cleaned = false;
  const cleanUp = () => {
    if (cleaned) return;
    cleaned = true;
    removeSlurmEnv(env, devenv, user);
  };
  // Sync, so that it also runs when run.js exits on Ctrl-C.
  process.once('exit', cleanUp);
  let proxy = null;
  try {
    startEnv(devenv(['start', '--detach']));
    const job = envJob(env, user);
    proxy = await startEngineProxy({
      socketPath: path.join(env.dir, 'engine.sock'),
      upstream: path.join(NODES_DIR, job.node, 'run', 'docker.sock'),
    });
    // The step's dial-stdio runs as the bench user.
    if (user.wrap) chownSync(proxy.socketPath, user.uid, user.gid);
    writeWrappers(env, real, proxy.socketPath);
    const wrapped = { PATH: `${env.wrap}:/usr/local/bin:/usr/bin:/bin` };
    const cases = [
      { id: 'exec', args: ['exec', '--', 'true'] },
      { id: 'status', args: ['status'] },
      // Its floor is given the job's ID: what devenv spends to find its job is what the budget allows.
      { id: 'start-running', args: ['start', '--detach'], withoutQueries: true },
    ];
    for (const one of cases) {
      const recordings = [];
      for (let i = 0; i < RECORDINGS; i++)
        recordings.push(await record(env, proxy, devenv(one.args, wrapped)));
      const { calls, requests } = recordings[0];
      const wrongJob = calls.find((c) => c.argv[0] === 'srun' && !c.argv.includes(`--jobid=${job.id}`));
      if (wrongJob)
        throw new Error(
          `devenv ${one.args.join(' ')} ran a step outside job ${job.id}: ${wrongJob.argv.join(' ')}`,
        );
      one.done = didWhat(calls, requests);
      one.timeline = timelineLines(recordings[0]);
      one.plan = slurmFloorPlan({ recordings, withoutQueries: one.withoutQueries });
      one.planFile = path.join(env.dir, `floor-${one.id}.json`);
      writeFileSync(one.planFile, `${JSON.stringify(one.plan, null, 2)}\n`, { mode: 0o644 });
      one.floor = asUser(process.execPath, [SLURM_FLOOR, one.planFile]);
      // A floor that fails (an exit or a status it did not expect) fails here, not mid-measurement.
      timeCommand(one.floor);
      one.squeue = calls.find((c) => c.argv[0] === 'squeue' && c.argv.some((a) => a.startsWith('--name=')));
      requestLog[`slurm: ${one.args.join(' ')}`] = [
        ...calls.map((c) => actionLine({ run: c.argv })),
        ...requests.map(
          (r) =>
            `${r.method} ${r.path} ${r.status}${isDialersOwn(r) ? " (the dialing docker CLI's own)" : ''}`,
        ),
      ];
    }
    await proxy.close();
    proxy = null;

    const [exec, status, start] = cases;
    const srun = (dockerArgs) =>
      asUser('srun', [
        '--jobid',
        job.id,
        '--overlap',
        '--nodes=1',
        '--ntasks=1',
        '--quiet',
        'docker',
        ...dockerArgs,
      ]);
    const c = env.containerName;

    const execMs = compareAll({
      commands: {
        devenv: () => timeCommand(devenv(exec.args)),
        byHand: () => timeCommand(srun(['exec', c, 'true'])),
        floor: () => timeCommand(exec.floor),
      },
      warmup: 2,
      runs,
    });
    const execRatio = execMs.devenv.medianMs / execMs.byHand.medianMs;
    addFigure({
      id: 'slurm-exec',
      figure: `Slurm: devenv exec -- true vs srun --jobid J --overlap docker exec C true (devenv: ${exec.done.summary})`,
      devenv: `${round(execMs.devenv.medianMs)} ms`,
      baseline: `${round(execMs.byHand.medianMs)} ms`,
      result: `${round(execRatio, 2)}x`,
      value: round(execRatio, 3),
      budget: '<= 1.2x',
      pass: execRatio <= 1.2,
      info: `its floor: ${round(execMs.floor.medianMs)} ms, devenv ${round(execMs.devenv.medianMs / execMs.floor.medianMs, 2)}x`,
      detail: {
        job: job.id,
        node: job.node,
        devenvDid: exec.done,
        devenvTimeline: exec.timeline,
        floor: planLines(exec.plan),
      },
      samples: {
        devenvMs: execMs.devenv.samplesMs,
        baselineMs: execMs.byHand.samplesMs,
        floorMs: execMs.floor.samplesMs,
      },
    });

    const statusMs = compareAll({
      commands: {
        devenv: () => timeCommand(devenv(status.args)),
        floor: () => timeCommand(status.floor),
        docker: () => timeCommand(srun(['inspect', c])),
      },
      warmup: 2,
      runs,
    });
    const statusRatio = statusMs.devenv.medianMs / statusMs.floor.medianMs;
    addFigure({
      id: 'slurm-status',
      figure: `Slurm: devenv status vs its floor (${status.done.summary})`,
      devenv: `${round(statusMs.devenv.medianMs)} ms`,
      baseline: `${round(statusMs.floor.medianMs)} ms`,
      result: `${round(statusRatio, 2)}x`,
      value: round(statusRatio, 3),
      budget: '<= 1.25x',
      pass: statusRatio <= 1.25,
      info: `srun … docker inspect C: ${round(statusMs.docker.medianMs)} ms, devenv ${round(statusMs.devenv.medianMs / statusMs.docker.medianMs, 2)}x`,
      detail: { devenvDid: status.done, devenvTimeline: status.timeline, floor: planLines(status.plan) },
      samples: {
        devenvMs: statusMs.devenv.samplesMs,
        baselineMs: statusMs.floor.samplesMs,
        dockerMs: statusMs.docker.samplesMs,
      },
    });

    // The squeue devenv makes to find its job, as it made it.
    const squeueArgv = start.squeue?.argv ?? [
      'squeue',
      '--noheader',
      `--name=${c}`,
      `--user=${user.name}`,
      '--format=%i|%j|%u|%T|%r|%N|%L|%C|%m|%l',
    ];
    const startMs = compareAll({
      commands: {
        devenv: () => timeCommand(devenv(start.args)),
        floor: () => timeCommand(start.floor),
        squeue: () => timeCommand(asUser(squeueArgv[0], squeueArgv.slice(1))),
      },
      warmup: 2,
      runs,
    });
    const added = startMs.devenv.medianMs - startMs.floor.medianMs;
    addFigure({
      id: 'slurm-start-running',
      figure: `Slurm: devenv start --detach (job and container running) vs its floor given the job (devenv: ${start.done.summary})`,
      devenv: `${round(startMs.devenv.medianMs)} ms`,
      baseline: `${round(startMs.floor.medianMs)} ms`,
      result: `adds ${round(added)} ms; one squeue ${round(startMs.squeue.medianMs)} ms`,
      value: round(added / startMs.squeue.medianMs, 3),
      budget: 'adds <= one squeue',
      pass: added <= startMs.squeue.medianMs,
      detail: {
        devenvDid: start.done,
        devenvTimeline: start.timeline,
        floor: planLines(start.plan),
        squeue: squeueArgv.join(' '),
      },
      samples: {
        devenvMs: startMs.devenv.samplesMs,
        baselineMs: startMs.floor.samplesMs,
        squeueMs: startMs.squeue.samplesMs,
      },
    });
  } finally {
    await proxy?.close();
    cleanUp();
    process.off('exit', cleanUp);
  }
}

/** The real Slurm commands; the cluster answering; the base image on every node's engine. */
function preflight() {
  const real = {};
  for (const name of SLURM_COMMANDS) {
    const where = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], {
      encoding: 'utf8',
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    }).stdout.trim();
    if (!where) throw new Error(`no ${name} on PATH: bash .ci/slurm-cluster.sh install`);
    real[name] = where;
  }
  const squeue = spawnSync(real.squeue, ['--noheader'], {
    env: { ...process.env, SLURM_CONF },
    encoding: 'utf8',
  });
  if (squeue.status !== 0)
    throw new Error(
      `the Slurm cluster of ${SLURM_CONF} does not answer (bash .ci/slurm-cluster.sh): ${squeue.stderr}`,
    );
  for (const node of readdirSync(NODES_DIR)) {
    const socket = `unix://${path.join(NODES_DIR, node, 'run', 'docker.sock')}`;
    const image = spawnSync('docker', ['-H', socket, 'image', 'inspect', BASE_IMAGE], { stdio: 'ignore' });
    if (image.status !== 0)
      throw new Error(
        `${node}'s engine lacks ${BASE_IMAGE}: docker save ${BASE_IMAGE} | DOCKER_HOST=${socket} docker load`,
      );
  }
  return real;
}

/** The group's env: its own folder under /tmp (which the nodes share), owned by the bench user. */
function makeSlurmEnv(user) {
  const dir = mkdtempSync('/tmp/devenv-bench-slurm-');
  chmodSync(dir, 0o755);
  const name = `benchslurm-${path.basename(dir).slice(-6).toLowerCase()}`;
  for (const sub of ['home', 'state', 'wrap']) mkdirSync(path.join(dir, sub));
  // A small, quick env: the test base image, nothing to install, one GPU, a short time limit.
  const rc = { name, baseImage: BASE_IMAGE, aptPackages: [], torch: 'none', gpus: 1, slurm: { time: '30' } };
  writeFileSync(path.join(dir, '.devenvrc'), `${JSON.stringify(rc, null, 2)}\n`, { mode: 0o644 });
  writeFileSync(path.join(dir, 'slurm-calls.log'), '');
  const chown = spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
  if (chown.status !== 0) throw new Error(`chown of ${dir} to ${user.name} failed`);
  return {
    dir,
    name,
    // devenv names the container, and the env's job, devenv-<env>-<user>.
    containerName: `devenv-${name}-${user.name}`,
    log: path.join(dir, 'slurm-calls.log'),
    wrap: path.join(dir, 'wrap'),
  };
}

/** The first start: a job submitted and running, the image built on its node, the container up. */
function startEnv(command) {
  const result = spawnSync(command.cmd, command.args, {
    cwd: command.cwd,
    env: command.env,
    encoding: 'utf8',
    timeout: START_TIMEOUT_MS,
  });
  if (result.status !== 0)
    throw new Error(
      `devenv start --detach on the cluster ${result.signal ? `was stopped after ${START_TIMEOUT_MS / 1000} s (a full cluster?)` : `exited ${result.status}`}:\n${result.stderr}`,
    );
}

/** The env's running job, as Slurm says. */
function envJob(env, user) {
  const result = spawnSync(
    'squeue',
    [
      '--noheader',
      `--name=${env.containerName}`,
      `--user=${user.name}`,
      '--states=RUNNING',
      '--format=%i %N',
    ],
    { env: { ...process.env, SLURM_CONF }, encoding: 'utf8' },
  );
  const [id, node] = result.stdout.trim().split(/\s+/);
  if (!id || !node)
    throw new Error(`no running job ${env.containerName} after devenv start: ${result.stderr}`);
  return { id, node };
}

/**
 * Each wrapper logs `S <ns> <pid> <argv, \x1f-separated>` when called and `E <ns> <pid> <code>`
 * when the real command ends. The dial of the engine's API is exec'd (devenv ends it when done),
 * pointed at the proxy's socket; its end is not logged, nor needed.
 */
function writeWrappers(env, real, proxySocket) {
  for (const [name, target] of Object.entries(real)) {
    const dial =
      name === 'srun'
        ? `case " $* " in *" docker system dial-stdio ")
  for a; do shift; if [ "$a" = docker ]; then set -- "$@" docker -H "unix://${proxySocket}"; else set -- "$@" "$a"; fi; done
  exec ${target} "$@";;
esac
`
        : '';
    const script = `#!/bin/sh
# Written by bench/slurm.js: logs this call to ${env.log}, then runs the real ${name}.
# One write per line: concurrent calls append to the same log.
line="S $(date +%s%N) $$ ${name}"
us=$(printf '\\037')
for a; do line="$line$us$a"; done
printf '%s\\n' "$line" >> ${env.log}
${dial}${target} "$@"
code=$?
printf 'E %s %s %s\\n' "$(date +%s%N)" "$$" "$code" >> ${env.log}
exit $code
`;
    writeFileSync(path.join(env.wrap, name), script, { mode: 0o755 });
  }
}

/** The wrappers' log as calls: argv, start and end (ms since the epoch; end null for a dial), exit code. */
function readCalls(file) {
  const calls = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [mark, ns, pid, rest] = [...line.split(' ', 3), line.split(' ').slice(3).join(' ')];
    if (mark === 'S')
      calls.set(pid, { argv: rest.split('\x1f'), startMs: Number(ns) / 1e6, endMs: null, code: null });
    else if (mark === 'E' && calls.has(pid))
      Object.assign(calls.get(pid), { endMs: Number(ns) / 1e6, code: Number(rest) });
  }
  return [...calls.values()].sort((a, b) => a.startMs - b.startMs);
}

/** Runs `command` (not timed) with the wrappers on its PATH; its Slurm calls and engine requests. */
async function record(env, proxy, command) {
  writeFileSync(env.log, '');
  proxy.take();
  // The proxy's clock (hrtime) on the wrappers' (the epoch).
  const epochMs = Date.now() - Number(process.hrtime.bigint()) / 1e6;
  const spawnedMs = Date.now();
  const { code, output } = await runCollecting(command);
  const exitedMs = Date.now();
  await sleep(100);
  const requests = proxy.take().map((r) => ({ ...r, startedMs: r.startedMs + epochMs }));
  if (code !== 0) throw new Error(`${[command.cmd, ...command.args].join(' ')} exited ${code}:\n${output}`);
  return { calls: readCalls(env.log), requests, spawnedMs, exitedMs };
}

/**
 * Where a recorded run's time went, for the report: each call and request as
 * "+start..+end ms what", from the moment devenv was spawned to its exit.
 */
function timelineLines({ calls, requests, spawnedMs, exitedMs }) {
  const at = (ms) => `+${Math.round(ms - spawnedMs)}`;
  const rows = [
    ...calls.map((c) => [
      c.startMs,
      `${at(c.startMs)}..${c.endMs === null ? '' : at(c.endMs)} ${actionLine({ run: c.argv })}`,
    ]),
    ...requests.map((r) => [
      r.startedMs,
      `${at(r.startedMs)}..${at(r.startedMs + (r.ms ?? 0))} ${r.method} ${r.path}${isDialersOwn(r) ? ' (the dialing CLI)' : ''} [connection ${r.connection}]`,
    ]),
  ];
  return [...rows.sort((a, b) => a[0] - b[0]).map((r) => r[1]), `${at(exitedMs)} devenv exited`];
}

/** How many Slurm calls, steps, dials and engine requests a command made. */
function didWhat(calls, requests) {
  const count = (what) => calls.filter((c) => c.argv[0] === what).length;
  const done = {
    squeue: count('squeue'),
    scontrol: count('scontrol'),
    steps: calls.filter((c) => !isQuery(c.argv) && !isDial(c.argv)).length,
    dials: calls.filter((c) => isDial(c.argv)).length,
    requests: requests.filter((r) => !isDialersOwn(r)).length,
  };
  const plural = (n, one) => `${n} ${one}${n === 1 ? '' : 's'}`;
  done.summary = [
    plural(done.squeue, 'squeue').replace(/squeues$/, 'squeue'),
    done.scontrol > 0 ? `${done.scontrol} scontrol` : null,
    plural(done.steps, 'step'),
    plural(done.dials, 'dial'),
    plural(done.requests, 'request'),
  ]
    .filter(Boolean)
    .join(', ');
  return done;
}

/** The plan as lines: "3 GET /info (after 0)". */
function planLines(plan) {
  return plan.actions.map(
    (a, i) => `${i} ${actionLine(a)}${a.after.length > 0 ? ` (after ${a.after.join(',')})` : ''}`,
  );
}

/** Ends the env on the cluster: prune (job, container, image), then whatever prune left. */
function removeSlurmEnv(env, devenv, user) {
  const prune = devenv(['prune', '--yes']);
  spawnSync(prune.cmd, prune.args, { cwd: prune.cwd, env: prune.env, stdio: 'ignore', timeout: 120_000 });
  const slurmEnv = { ...process.env, SLURM_CONF };
  spawnSync('scancel', [`--name=${env.containerName}`, `--user=${user.name}`], {
    env: slurmEnv,
    stdio: 'ignore',
  });
  for (const node of readdirSync(NODES_DIR)) {
    try {
      removeLabelled(env.dir, `unix://${path.join(NODES_DIR, node, 'run', 'docker.sock')}`);
    } catch {
      // A node whose engine does not answer holds nothing of this run's to remove.
    }
  }
  rmSync(env.dir, { recursive: true, force: true });
}
