// What a floor replays (bench/floor.cjs): the engine requests a command made, as the engine
// proxy recorded them, turned into steps that a bare node:http client sends again in the same
// order. CommonJS, like the floor that requires it; pure, so it is unit-tested
// (test/unit/bench/replay.test.ts).
'use strict';

/**
 * The steps for the proxy's `requests`, in order: each one's method and URL as sent, its small
 * JSON body, the status it got (`upgrade` for a hijacked stream) and the `Id` its answer named
 * (an exec's, a created container's), from which later URLs and bodies of the replay are
 * rewritten to the replay's own objects. A request whose body was not kept (a build context)
 * cannot be replayed: that is an error, not a lighter floor.
 */
function replaySteps(requests) {
  return requests.map((r) => {
    const line = `${r.method} ${r.path}`;
    if (r.bodyBytes > 0 && r.json === undefined)
      throw new Error(`cannot replay ${line}: its ${r.bodyBytes}-byte body is not a small JSON one`);
    if (typeof r.status !== 'number' && r.status !== 'upgrade')
      throw new Error(`cannot replay ${line}: it got no answer (${r.status})`);
    const step = { method: r.method, url: r.url, status: r.status };
    if (r.json !== undefined) step.body = r.json;
    if (r.answerId !== undefined) step.answerId = r.answerId;
    return step;
  });
}

/** `text` (a URL or a body) with each recorded id of `ids` (recorded -> replayed) replaced. */
function rewriteIds(text, ids) {
  let rewritten = text;
  for (const [recorded, replayed] of ids) {
    if (recorded !== replayed) rewritten = rewritten.split(recorded).join(replayed);
  }
  return rewritten;
}

/**
 * Sends one step with node:http as `target` says (a unix socket path, or an agent whose
 * connections reach the engine some other way); resolves with the status and the answer's text.
 * A hijacked exec stream is upgraded, its stdin closed and its output read to its end.
 */
function sendStep(step, ids, target) {
  const http = require('node:http');
  const body = step.body === undefined ? undefined : rewriteIds(step.body, ids);
  const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
  if (step.status === 'upgrade') Object.assign(headers, { Connection: 'Upgrade', Upgrade: 'tcp' });
  return new Promise((resolve, reject) => {
    const req = http.request({ ...target, method: step.method, path: rewriteIds(step.url, ids), headers });
    req.on('error', reject);
    req.on('upgrade', (_res, socket) => {
      socket.on('error', reject);
      // The end of the exec's output, as devenv takes it: a dial's own exit may come later.
      socket.on('end', () => resolve({ status: 'upgrade' }));
      socket.on('close', () => resolve({ status: 'upgrade' }));
      socket.resume();
      socket.end();
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end(body);
  });
}

module.exports = { replaySteps, rewriteIds, sendStep };
