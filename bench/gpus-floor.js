// The floor for `devenv gpus`: what any Node client must do for the same map, and nothing else:
// the same nvidia-smi queries devenv runs (the GPU list and the table, live usage, compute
// processes), all at once, plus the same engine request (devenv's containers, over node:http on
// the socket). No libraries. usage: node bench/gpus-floor.js
import { execFile } from 'node:child_process';
import http from 'node:http';

const smi = (args) => new Promise((resolve) => execFile('nvidia-smi', args, () => resolve()));
const csv = '--format=csv,noheader,nounits';
const socketPath = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
const filters = encodeURIComponent(JSON.stringify({ label: ['dev.devenv.managed-by=devenv'] }));
const containers = new Promise((resolve, reject) => {
  http
    // No TLS server name for a unix socket (see floor.cjs): devenv skips it too.
    .get({ socketPath, servername: '', path: `/containers/json?all=1&filters=${filters}` }, (res) => {
      res.resume();
      res.on('end', resolve);
    })
    .on('error', reject);
});
await Promise.all([
  smi(['--query-gpu=index,uuid,name,pci.bus_id,memory.total,driver_version,compute_cap', csv]),
  smi([]),
  smi(['--query-gpu=uuid,memory.used,utilization.gpu', csv]),
  smi(['--query-compute-apps=pid,gpu_uuid,used_memory', csv]),
  containers,
]);
