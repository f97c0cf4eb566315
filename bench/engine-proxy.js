// A counting proxy between devenv and the Docker engine: a unix socket that forwards every
// request to the real socket and records its method, path, status, request-body size and a
// SHA-256 of the body. devenv is pointed at it with DOCKER_HOST=unix://<socket>.
// Hijacked streams (exec/attach with `Connection: Upgrade`) are recorded, then piped raw.
// It also records what a replay of the same requests needs (bench/floor.js): the URL as sent,
// the body of small JSON requests, and the `Id` of JSON answers (an exec's, a created
// container's), so that later paths naming that object can be pointed at the replay's own.
// Each request also says which of the proxy's connections it came on and its User-Agent: a client
// that dials the engine through a program (`docker system dial-stdio` in a job step) gets one
// connection per dial, and the docker CLI doing the dialing pings the engine on its own.
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

/**
 * Starts the proxy. Requests are recorded as they arrive; `take()` returns and clears them.
 * `keepBody(entry)` says which request bodies to keep whole (e.g. POST /build, the context).
 */
export async function startEngineProxy({
  socketPath,
  upstream = '/var/run/docker.sock',
  keepBody = () => false,
}) {
  let requests = [];
  const agent = new http.Agent({ keepAlive: false });
  const connections = new WeakMap();
  let connectionCount = 0;

  const record = (req) => {
    const [path, query = ''] = (req.url ?? '').split('?');
    if (!connections.has(req.socket)) connections.set(req.socket, ++connectionCount);
    const entry = {
      method: req.method,
      url: req.url ?? '',
      path: path.replace(/^\/v\d+(\.\d+)?/, ''),
      query: Object.fromEntries(new URLSearchParams(query)),
      status: null,
      bodyBytes: 0,
      bodySha256: null,
      connection: connections.get(req.socket),
      userAgent: req.headers['user-agent'] ?? null,
      startedMs: Number(process.hrtime.bigint()) / 1e6,
      ms: null,
    };
    requests.push(entry);
    return entry;
  };

  // The body is read whole before it is forwarded: the daemon answers and closes a
  // `Connection: close` request as soon as it has read the body, and a late write of ours
  // (e.g. the request's end) then fails with EPIPE.
  const server = http.createServer((req, res) => {
    const entry = record(req);
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      entry.bodyBytes = body.length;
      entry.bodySha256 = createHash('sha256').update(body).digest('hex');
      if (keepBody(entry)) entry.body = body;
      if (isJson(req.headers) && body.length > 0 && body.length <= SMALL_JSON)
        entry.json = body.toString('utf8');
      const upstreamReq = http.request(
        { socketPath: upstream, method: req.method, path: req.url, headers: req.headers, agent },
        (upstreamRes) => {
          entry.status = upstreamRes.statusCode;
          // Hop-by-hop framing is the proxy's own to choose (an HTTP/1.0 client gets no chunks).
          const {
            'transfer-encoding': _te,
            connection: _c,
            'keep-alive': _ka,
            ...headers
          } = upstreamRes.headers;
          res.writeHead(upstreamRes.statusCode ?? 502, headers);
          if (isJson(upstreamRes.headers)) recordAnswerId(entry, upstreamRes);
          upstreamRes.pipe(res);
          upstreamRes.on('end', () => {
            entry.ms = Number(process.hrtime.bigint()) / 1e6 - entry.startedMs;
          });
        },
      );
      upstreamReq.on('error', (error) => {
        if (typeof entry.status === 'number') return;
        entry.status = `proxy error: ${error.message}`;
        res.destroy(error);
      });
      upstreamReq.end(body);
    });
  });

  server.on('upgrade', (req, socket, head) => {
    const entry = record(req);
    entry.status = 'upgrade';
    const upstreamSocket = net.connect(upstream, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstreamSocket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstreamSocket.write(head);
      socket.pipe(upstreamSocket);
      upstreamSocket.pipe(socket);
      recordUpgradeBody(entry, req, head, socket);
    });
    const close = () => {
      entry.ms ??= Number(process.hrtime.bigint()) / 1e6 - entry.startedMs;
      socket.destroy();
      upstreamSocket.destroy();
    };
    socket.on('error', close);
    upstreamSocket.on('error', close);
    socket.on('close', close);
    upstreamSocket.on('close', close);
  });

  rmSync(socketPath, { force: true });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });

  return {
    socketPath,
    take() {
      const taken = requests;
      requests = [];
      return taken;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
      rmSync(socketPath, { force: true });
    },
  };
}

const SMALL_JSON = 64 * 1024;

function isJson(headers) {
  return /^application\/json\b/.test(headers['content-type'] ?? '');
}

/**
 * Keeps the small JSON body of an upgraded request (an exec's start): in the head that came
 * with the upgrade, or in the stream's first bytes (read beside the pipe, which is set up first).
 */
function recordUpgradeBody(entry, req, head, socket) {
  const bodyBytes = Number(req.headers['content-length'] ?? 0);
  if (!isJson(req.headers) || bodyBytes <= 0 || bodyBytes > SMALL_JSON) return;
  let body = head;
  const keep = () => {
    if (body.length < bodyBytes) return false;
    entry.json = body.subarray(0, bodyBytes).toString('utf8');
    return true;
  };
  if (keep()) return;
  const more = (chunk) => {
    body = Buffer.concat([body, chunk]);
    if (keep()) socket.off('data', more);
  };
  socket.on('data', more);
}

/** Keeps the `Id` of a small JSON answer, read beside the pipe to the client. */
function recordAnswerId(entry, upstreamRes) {
  const chunks = [];
  let bytes = 0;
  upstreamRes.on('data', (chunk) => {
    bytes += chunk.length;
    if (bytes <= SMALL_JSON) chunks.push(chunk);
  });
  upstreamRes.on('end', () => {
    if (bytes > SMALL_JSON) return;
    try {
      const id = JSON.parse(Buffer.concat(chunks).toString('utf8'))?.Id;
      if (typeof id === 'string') entry.answerId = id;
    } catch {
      // Not JSON after all: nothing for a replay to follow.
    }
  });
}

/** "GET /containers/x/json 200" lines, for reports. */
export function requestLines(requests) {
  return requests.map((r) => `${r.method} ${r.path} ${r.status}`);
}
