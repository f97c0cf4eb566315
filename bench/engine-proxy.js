// A counting proxy between devenv and the Docker engine: a unix socket that forwards every
// request to the real socket and records its method, path, status, request-body size and a
// SHA-256 of the body. devenv is pointed at it with DOCKER_HOST=unix://<socket>.
// Hijacked streams (exec/attach with `Connection: Upgrade`) are recorded, then piped raw.
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

  const record = (req) => {
    const [path, query = ''] = (req.url ?? '').split('?');
    const entry = {
      method: req.method,
      path: path.replace(/^\/v\d+(\.\d+)?/, ''),
      query: Object.fromEntries(new URLSearchParams(query)),
      status: null,
      bodyBytes: 0,
      bodySha256: null,
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

/** "GET /containers/x/json 200" lines, for reports. */
export function requestLines(requests) {
  return requests.map((r) => `${r.method} ${r.path} ${r.status}`);
}
