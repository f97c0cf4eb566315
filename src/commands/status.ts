import type { EnvContext } from '../app/context.js';
import { collectStatus, type EnvStatus } from '../app/status.js';
import { describeGpus } from '../core/gpu/describe.js';
import { describeHealth } from '../core/health.js';
import { describeMapping } from '../core/published-ports.js';
import { formatTimeLeft } from '../core/slurm/job.js';
import { defineVerb } from '../core/verb-spec.js';
import { describeEndpoint, LOCAL_HOST_NAME } from '../docker/endpoint.js';

export function renderStatus(s: EnvStatus): string[] {
  const size = s.image.sizeBytes === null ? '' : `, ${(s.image.sizeBytes / 1024 ** 2).toFixed(0)} MB`;
  const imageLine = s.image.present
    ? `${s.image.ref} (${s.image.fresh ? 'up to date' : 'stale: run `devenv rebuild`'}, ${s.image.origin}, made ${s.image.created}${size}${s.image.shared ? `, on ${s.image.shared}` : ''})`
    : `${s.image.ref} (not built yet)`;
  const lines = [
    `env:       ${s.env}`,
    `root:      ${s.envRoot}${s.configFile ? '' : ' (no .devenvrc: defaults)'}`,
    ...(s.host === LOCAL_HOST_NAME ? [] : [`host:      ${s.host} (folders in ${s.hostRoot})`]),
    `user:      ${s.user.name} (uid ${s.user.uid}, gid ${s.user.gid}${s.host === LOCAL_HOST_NAME ? '' : ` on ${s.host}`})`,
    `engine:    ${describeEndpoint(s.engine)}${s.engine.remote ? ' [remote]' : ''}`,
    ...(s.onCluster ? [`job:       ${describeJob(s.job)}`] : []),
    `image:     ${!s.onCluster || s.job?.state === 'RUNNING' ? imageLine : `${s.image.ref} (built on the job's node; no job runs)`}`,
    `container: ${s.container.name} (${s.container.state}${containerGpus(s)})`,
    ...(s.health ? [`health:    ${describeHealth({ status: s.health, lastProbe: s.lastProbe })}`] : []),
    ...(s.ports.length > 0 ? [`ports:     ${s.ports.map(describeMapping).join(', ')}`] : []),
    'mounts:',
    ...s.mounts.map(
      (m) =>
        `  ${m.source} -> ${m.target}${m.readonly ? ' (read-only)' : ''}${m.exists ? '' : ' (missing on host)'}`,
    ),
  ];
  if (s.gpus) {
    const host = s.gpus.host.length === 0 ? 'none' : describeGpus(s.gpus.host);
    lines.push(
      `gpus:      ${host}${s.gpus.driver ? ` (driver ${s.gpus.driver}, CUDA ${s.gpus.cuda ?? '?'})` : ''}`,
    );
    if (s.gpus.notice) lines.push(`           ${s.gpus.notice}`);
  } else if (s.onCluster && s.job?.state !== 'RUNNING') {
    lines.push("gpus:      read on the job's node once the job runs");
  } else {
    lines.push('gpus:      off ("gpus": "none")');
  }
  return lines;
}

export const spec = defineVerb({
  name: 'status',
  description: 'show the env: image, container, mounts, GPUs',
  flags: { json: { help: 'print JSON' } },
  needs: 'env',
  options: ({ flags }) => ({ json: Boolean(flags.json) }),
  run: runStatus,
});

export async function runStatus(ctx: EnvContext, options: { json?: boolean }): Promise<number> {
  const status = await collectStatus(ctx);
  if (options.json) ctx.ui.data(JSON.stringify(status, null, 2));
  // One write: each is a system call and a round of the stream's bookkeeping.
  else ctx.ui.data(renderStatus(status).join('\n'));
  return 0;
}

/** "42 on nodeA, running, 7h 59m left (limit 8:00:00)", "42 pending (Resources)", or how to get one. */
function describeJob(job: EnvStatus['job']): string {
  if (!job) return 'none (`devenv start` submits one)';
  const left =
    job.secondsLeft === null ? '' : `, ${formatTimeLeft(job.secondsLeft)} left (limit ${job.timeLimit})`;
  return `${job.id}${job.node ? ` on ${job.node}` : ''}, ${job.state.toLowerCase()}${job.reason ? ` (${job.reason})` : ''}${left}`;
}

/** ", GPUs 4 (GPU-…), 5 (GPU-…)" for a lease; the wiring ("all", device IDs) otherwise. */
function containerGpus(s: EnvStatus): string {
  if (s.container.lease.length > 0)
    return `, GPUs ${s.container.lease.map((g) => `${g.index ?? '?'} (${g.uuid})`).join(', ')}`;
  return s.container.gpus && s.container.gpus !== 'none' ? `, GPUs: ${s.container.gpus}` : '';
}
