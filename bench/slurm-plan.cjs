// What a Slurm floor does (bench/slurm-floor.cjs): a devenv command's Slurm calls (recorded by
// bench/slurm.js's wrapper commands) and engine requests (recorded by the engine proxy behind the
// job step's `docker system dial-stdio`) as one plan of actions, each with the actions it waits
// for. CommonJS, like the floor; pure, so it is unit-tested (test/unit/bench/slurm-plan.test.ts).
'use strict';
const { replaySteps } = require('./replay.cjs');

/** The step that carries the engine's API: `srun … docker system dial-stdio`. */
function isDial(argv) {
  return argv.slice(-3).join(' ') === 'docker system dial-stdio';
}

/** A Slurm query (squeue, scontrol, …): anything but a job step. */
function isQuery(argv) {
  return argv[0] !== 'srun';
}

/** A request the dialing docker CLI made itself: the ping it sends before it connects the stream. */
function isDialersOwn(request) {
  return /^Docker-Client\//.test(request.userAgent ?? '');
}

/**
 * The plan of a command from one or more recordings of it, each `{ calls, requests }`:
 * - `calls`: the Slurm calls, `{ argv, startMs, endMs, code }` (endMs null for a dial, which devenv
 *   ends when done);
 * - `requests`: the engine proxy's entries, with `startedMs` on the same clock as the calls.
 * With `withoutQueries`, the Slurm queries are left out (a floor that is given the job's ID).
 * Requests the dialing docker CLI made itself are the dial's own cost, which the floor's dial
 * pays too. The requests are replayed from the first recording.
 *
 * An action waits for another when, in every recording, the other ended before devenv asked for
 * it. devenv asks for the first request of a connection when it starts that connection's dial
 * (the request arrives only once the step runs): the n-th connection is taken to be the n-th dial.
 */
function slurmFloorPlan({ recordings, withoutQueries = false }) {
  const [base, ...others] = recordings.map((r) => timeline(r, withoutQueries));
  const keys = keysOf(base.actions);
  const waits = waitsOf(base.actions);
  for (const other of others) {
    const theirs = waitsOf(other.actions);
    const onlyOne = [
      ...keys.filter((k) => !theirs.has(k)),
      ...[...theirs.keys()].filter((k) => !waits.has(k)),
    ];
    if (onlyOne.length > 0)
      throw new Error(`devenv did not do the same in two recordings: ${onlyOne.join('; ')} in one only`);
    for (const [key, mine] of waits) for (const k of mine) if (!theirs.get(key).has(k)) mine.delete(k);
  }
  return {
    dial: base.dial,
    actions: base.actions.map((a, i) => {
      const action = a.run ? { run: a.run, code: a.code } : { request: a.request };
      const mine = waits.get(keys[i]);
      // Only the direct waits: not those another waited-for action waited for already.
      action.after = keys
        .map((k, j) => (mine.has(k) && ![...mine].some((other) => waits.get(other).has(k)) ? j : -1))
        .filter((j) => j >= 0);
      return action;
    }),
  };
}

/** For each action's key, the keys of the actions that ended before devenv asked for it. */
function waitsOf(actions) {
  const keys = keysOf(actions);
  return new Map(
    actions.map((a, i) => [keys[i], new Set(keys.filter((_, j) => actions[j].endMs <= a.askedMs))]),
  );
}

/** One recording's actions, in the order devenv asked for them, and its dial. */
function timeline({ calls, requests }, withoutQueries) {
  const dials = calls.filter((c) => isDial(c.argv)).sort((a, b) => a.startMs - b.startMs);
  const own = requests.filter((r) => !isDialersOwn(r));
  if (dials.length === 0 && own.length > 0) throw new Error('engine requests without a dial step');
  const steps = replaySteps(own);
  const connections = [...new Set(own.map((r) => r.connection))];
  const seen = new Set();
  const actions = own.map((r, i) => {
    if (typeof r.ms !== 'number') throw new Error(`${r.method} ${r.path} never ended`);
    const dial = seen.has(r.connection) ? undefined : dials[connections.indexOf(r.connection)];
    seen.add(r.connection);
    return {
      request: steps[i],
      askedMs: dial ? Math.min(dial.startMs, r.startedMs) : r.startedMs,
      endMs: r.startedMs + r.ms,
    };
  });
  for (const c of calls) {
    if (isDial(c.argv) || (withoutQueries && isQuery(c.argv))) continue;
    if (c.endMs === null) throw new Error(`${c.argv.join(' ')} never ended`);
    actions.push({ run: c.argv, code: c.code, askedMs: c.startMs, endMs: c.endMs });
  }
  actions.sort((a, b) => a.askedMs - b.askedMs);
  return { dial: dials[0]?.argv ?? null, actions };
}

/** Each action's line with engine object IDs masked, numbered when it repeats: the same across recordings. */
function keysOf(actions) {
  const count = new Map();
  return actions.map((a) => {
    const line = actionLine(a).replace(/\b[0-9a-f]{64}\b/g, '<id>');
    const n = count.get(line) ?? 0;
    count.set(line, n + 1);
    return `${line} #${n + 1}`;
  });
}

/** "srun … nvidia-smi", "GET /containers/x/json": one line for an action, for reports. */
function actionLine(action) {
  if (action.request) return `${action.request.method} ${action.request.url.replace(/^\/v[\d.]+/, '')}`;
  if (action.run[0] !== 'srun') return action.run.join(' ');
  // The step's own options (--jobid=J --overlap …) are the same for every step.
  const command = action.run.findIndex((arg, i) => i > 0 && !arg.startsWith('-'));
  return ['srun …', ...action.run.slice(command)].join(' ');
}

module.exports = { slurmFloorPlan, isDial, isQuery, isDialersOwn, actionLine };
