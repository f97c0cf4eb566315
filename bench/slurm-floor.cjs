// A Slurm floor: what a devenv command asked of Slurm and of the job's node, done again by a bare
// script with no libraries (the plan is bench/slurm-plan.cjs's, from one recorded run). Slurm
// calls (squeue, srun steps such as nvidia-smi) run as child processes; the engine requests go,
// in their recorded order, over one `srun --jobid J --overlap … docker system dial-stdio` with
// node:http (an Agent whose connection is the dial's stdin and stdout, as devenv's is), a new
// dial only once a hijacked exec stream has used one up. Each action waits for what devenv's did.
//   usage: node bench/slurm-floor.cjs PLAN.json
'use strict';
const { execFile, spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const http = require('node:http');
const { Duplex } = require('node:stream');
const { sendStep } = require('./replay.cjs');

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));

/** A dial's stdin and stdout as the socket http expects. */
class DialStdio extends Duplex {
  constructor(child) {
    super();
    this.child = child;
    child.stdout.on('data', (chunk) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stderr.resume();
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => this.destroy(error));
    child.on('close', () => this.push(null));
  }
  _read() {
    this.child.stdout.resume();
  }
  _write(chunk, _encoding, done) {
    this.child.stdin.write(chunk, () => done());
  }
  _final(done) {
    this.child.stdin.end();
    done();
  }
  _destroy(error, done) {
    if (this.child.exitCode === null) this.child.kill();
    done(error);
  }
  setKeepAlive() {
    return this;
  }
  setNoDelay() {
    return this;
  }
  setTimeout() {
    return this;
  }
  // An idle kept-alive connection is unref'd by the agent, as devenv's are: the process then ends
  // without waiting for the dial, which ends once its stdin closes with the process.
  ref() {
    this.child.ref();
    for (const pipe of [this.child.stdin, this.child.stdout, this.child.stderr]) pipe.ref?.();
    return this;
  }
  unref() {
    this.child.unref();
    for (const pipe of [this.child.stdin, this.child.stdout, this.child.stderr]) pipe.unref?.();
    return this;
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
agent.createConnection = () =>
  new DialStdio(spawn(plan.dial[0], plan.dial.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] }));

const send = (step, ids) => sendStep(step, ids, { agent, host: 'docker' });

function run(argv) {
  return new Promise((resolve) => {
    const child = execFile(argv[0], argv.slice(1), () => resolve(child.exitCode));
  });
}

async function perform(action, ids) {
  if (action.run) {
    const code = await run(action.run);
    if (code !== action.code)
      throw new Error(`${action.run.join(' ')}: exit ${code}, recorded ${action.code}`);
    return;
  }
  const step = action.request;
  const answer = await send(step, ids);
  if (answer.status !== step.status)
    throw new Error(`${step.method} ${step.url}: got ${answer.status}, recorded ${step.status}`);
  if (step.answerId !== undefined) ids.set(step.answerId, JSON.parse(answer.text).Id);
}

async function main() {
  const ids = new Map();
  const done = [];
  const when = (i) => {
    done[i] ??= Promise.all(plan.actions[i].after.map(when)).then(() => perform(plan.actions[i], ids));
    return done[i];
  };
  await Promise.all(plan.actions.map((_, i) => when(i)));
}

main().catch((error) => {
  process.stderr.write(`slurm floor: ${error.message}\n`);
  process.exit(1);
});
