// A floor: the engine requests a devenv command made (recorded by the engine proxy, turned into
// steps by bench/replay.cjs) sent again from a bare script, in the same order, with node:http over
// the engine socket and no libraries; a hijacked exec start is upgraded, its stdin closed and its
// output read to the end. What any Node client must spend for the same work, and nothing else.
// With --nvidia-smi it also runs the two nvidia-smi queries devenv makes for an env with GPUs,
// beside the requests.
//   usage: node bench/floor.cjs STEPS.json [--nvidia-smi]
// CommonJS, as devenv's own entry is: Node's ES module loader costs a few ms more per process.
'use strict';
const { readFileSync } = require('node:fs');
const { sendStep } = require('./replay.cjs');

const steps = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const socketPath = (process.env.DOCKER_HOST || 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');

// No TLS server name for a unix socket: Node's agent would otherwise work one out, compiling
// its IPv6 regular expression on the first request (~4 ms). devenv skips it the same way.
const send = (step, ids) => sendStep(step, ids, { socketPath, servername: '' });

async function replay() {
  const ids = new Map();
  for (const step of steps) {
    const answer = await send(step, ids);
    if (answer.status !== step.status)
      throw new Error(`${step.method} ${step.url}: got ${answer.status}, recorded ${step.status}`);
    if (step.answerId !== undefined) ids.set(step.answerId, JSON.parse(answer.text).Id);
  }
}

function nvidiaSmi() {
  const { execFile } = require('node:child_process');
  const run = (args) => new Promise((resolve) => execFile('nvidia-smi', args, () => resolve()));
  return Promise.all([
    run([
      '--query-gpu=index,uuid,name,pci.bus_id,memory.total,driver_version,compute_cap',
      '--format=csv,noheader,nounits',
    ]),
    run([]),
  ]);
}

Promise.all([replay(), process.argv.includes('--nvidia-smi') ? nvidiaSmi() : null]).catch((error) => {
  process.stderr.write(`floor: ${error.message}\n`);
  process.exitCode = 1;
});
