import { findEnvContainer } from '../core/container-ops.js';
import { type Check, diskCheck, registryCheck } from '../core/doctor.js';
import { type Engine, type EngineInfo, RegistryFailure } from '../core/engine.js';
import { apiVersionSupported, MIN_API_VERSION } from '../core/engine-api.js';
import { DevenvError } from '../core/errors.js';
import { describeGpus } from '../core/gpu/describe.js';
import { isFree, leaseRequestOf } from '../core/gpu/lease.js';
import { type Host, onHost } from '../core/host.js';
import { imageStatus } from '../core/image-ops.js';
import { registryHostOf } from '../core/registry-auth.js';
import { registryProbeRef } from '../core/registry-refs.js';
import { describeEndpoint } from '../docker/endpoint.js';
import type { Caches } from '../host/caches.js';
import { localHost } from '../host/local-host.js';
import { type EnvContext, type GlobalOptions, type Io, loadEnvContext } from './context.js';
import { gpuFacts, planFactsFor } from './env-plan.js';

/**
 * Every precondition of `start`, each ok / warn / fail with its fix. It keeps going past a
 * failure, so one run shows everything that is wrong.
 */
export async function runDoctorChecks(io: Io, globals: GlobalOptions, caches: Caches): Promise<Check[]> {
  const checks: Check[] = [];
  let ctx: EnvContext | null = null;
  try {
    ctx = await loadEnvContext(io, globals, {}, caches);
    const { loaded } = ctx.env;
    checks.push({
      name: 'config',
      status: 'ok',
      detail: loaded.file ?? `no .devenvrc: defaults for ${loaded.envRoot}`,
    });
  } catch (error) {
    checks.push(failure('config', error, 'config'));
  }
  if (ctx && (await clusterChecks(ctx, checks))) await engineChecks(ctx, checks);
  // On a cluster the clone happens on this login node, in the shared folder, as on this machine.
  const cloneHost = ctx && !ctx.site.job ? ctx.site.host : localHost(io.env);
  checks.push(await gitCheck(cloneHost, Boolean(ctx?.env.loaded.config.repo)));
  return checks;
}

async function engineChecks(ctx: EnvContext, checks: Check[]): Promise<void> {
  const { site, env } = ctx;
  let engine: Engine;
  let info: EngineInfo;
  try {
    engine = await site.engine();
    info = await engine.info();
  } catch (error) {
    checks.push(failure('docker', error, 'engine'));
    return;
  }
  checks.push(
    apiVersionSupported(info.apiVersion)
      ? {
          name: 'docker',
          status: 'ok',
          detail: `engine ${info.serverVersion} (API ${info.apiVersion}) at ${describeEndpoint(site.endpoint)}`,
        }
      : {
          name: 'docker',
          status: 'fail',
          detail: `engine ${info.serverVersion} speaks API ${info.apiVersion}; devenv needs ${MIN_API_VERSION} or newer`,
          fix: 'upgrade Docker (19.03 or newer)',
          code: 'engine',
        },
  );
  if (site.host.remote) {
    const { name, uid, gid } = site.host.account;
    checks.push({
      name: 'host',
      status: 'ok',
      detail: `${site.name} over SSH as ${name} (uid ${uid}, gid ${gid}); the env's folders are in ${env.hostRoot} there`,
    });
  }
  const free = await site.host.freeBytes(info.dockerRootDir);
  checks.push(
    free === null
      ? {
          name: 'disk',
          status: 'warn',
          detail: `cannot read free space of ${info.dockerRootDir} (it may be root-only)`,
        }
      : diskCheck(free, info.dockerRootDir),
  );
  const gpu = await gpuFacts(env, site).catch(() => null);
  if (!gpu) {
    checks.push({
      name: 'gpus',
      status: 'ok',
      detail: env.loaded.config.gpus === 'none' ? 'off ("gpus": "none")' : 'not checked',
    });
  } else {
    const host = gpu.gpus.gpus;
    const driver = gpu.gpus.driverVersion
      ? `, driver ${gpu.gpus.driverVersion}, CUDA ${gpu.gpus.cudaVersion ?? '?'}`
      : '';
    if (gpu.gpus.problem) checks.push({ name: 'gpus', status: 'warn', detail: gpu.gpus.problem });
    else
      checks.push({
        name: 'gpus',
        status: 'ok',
        detail: host.length === 0 ? 'no NVIDIA GPU on this host: CPU only' : `${describeGpus(host)}${driver}`,
      });
    if (gpu.plan.error)
      checks.push({
        name: 'gpu engine',
        status: 'fail',
        detail: gpu.plan.error.message,
        fix: gpu.plan.error.hint,
        code: 'gpu',
      });
    else if (gpu.plan.notice) checks.push({ name: 'gpu engine', status: 'warn', detail: gpu.plan.notice });
    else if (gpu.plan.kind === 'gpu') {
      checks.push({ name: 'gpu engine', status: 'ok', detail: 'the engine can give the container GPUs' });
      if (!site.job) checks.push(await leaseCheck(ctx));
    }
  }
  if (env.loaded.config.registry)
    checks.push(await registryDoctorCheck(ctx, engine, env.loaded.config.registry));
  try {
    const [container, image] = await Promise.all([
      findEnvContainer(engine, env.identity),
      planFactsFor(env, site, gpu, ctx.caches).then((plan) => imageStatus(engine, plan)),
    ]);
    const imageText = image.image
      ? image.stale
        ? 'image stale (run `devenv rebuild`)'
        : 'image up to date'
      : 'image not built yet';
    const containerText = container ? (container.running ? 'running' : 'stopped') : 'not created';
    checks.push({
      name: 'env',
      status: image.stale ? 'warn' : 'ok',
      detail: `${env.identity.containerName}: ${containerText}, ${imageText}`,
    });
  } catch (error) {
    checks.push(failure('env', error, 'conflict'));
  }
}

/** The registry, asked from the env's engine with the user's Docker credentials. */
async function registryDoctorCheck(ctx: EnvContext, engine: Engine, registry: string): Promise<Check> {
  const { registryCredentials } = await import('../host/docker-credentials.js');
  const credentials = await registryCredentials(ctx.io.env, registryHostOf(registry));
  try {
    await engine.pullFromRegistry(registryProbeRef(registry), credentials.auth);
    return registryCheck(registry, null, { problem: credentials.problem, found: credentials.auth !== null });
  } catch (error) {
    if (error instanceof DevenvError) return failure('registry', error, 'engine');
    if (!(error instanceof RegistryFailure)) throw error;
    return registryCheck(
      registry,
      { kind: error.kind, message: error.engineMessage },
      { problem: credentials.problem, found: credentials.auth !== null },
    );
  }
}

/** git where the clone runs: on the env's host. */
async function gitCheck(host: Host, needed: boolean): Promise<Check> {
  const version = await host.run(['git', '--version'], { timeoutMs: 5000 }).catch(() => null);
  if (version?.outcome === 'exited' && version.code === 0)
    return { name: 'git', status: 'ok', detail: `${version.stdout.trim()}${onHost(host)}` };
  return needed
    ? {
        name: 'git',
        status: 'fail',
        detail: 'git is not installed, and .devenvrc names a repo',
        fix: 'install git (`sudo apt-get install git`)',
        code: 'git',
      }
    : { name: 'git', status: 'warn', detail: 'git is not installed (needed only for "repo")' };
}

/**
 * On a cluster: Slurm answers, and the env's job. The node's engine, GPUs and the shared folder
 * are checked from inside a running job, the only way devenv reaches a node; false when none runs.
 */
async function clusterChecks(ctx: EnvContext, checks: Check[]): Promise<boolean> {
  const { job } = ctx.site;
  if (!job) return true;
  let live: Awaited<ReturnType<typeof job.current>>;
  try {
    live = await job.current();
  } catch (error) {
    checks.push(failure('slurm', error, 'scheduler'));
    return false;
  }
  if (live?.state !== 'RUNNING') {
    checks.push({
      name: 'slurm',
      status: 'warn',
      detail: `Slurm answers; ${live ? `job ${live.id} is ${live.state.toLowerCase()}${live.reason ? ` (${live.reason})` : ''}` : 'the env has no job'}: the node's engine, GPUs and folders are checked inside a running job`,
      fix: '`devenv start`, then `devenv doctor` again',
    });
    return false;
  }
  checks.push({ name: 'slurm', status: 'ok', detail: `job ${live.id} runs on ${live.node}` });
  const { env, site } = ctx;
  const marker = env.loaded.file ?? env.hostRoot;
  const seen = await site.host.run(['test', '-e', marker]).catch(() => null);
  checks.push(
    seen?.outcome === 'exited' && seen.code === 0
      ? { name: 'shared folder', status: 'ok', detail: `${live.node} sees ${env.hostRoot}` }
      : {
          name: 'shared folder',
          status: 'fail',
          detail: `${live.node} does not see ${marker}: the container's folders would be missing there`,
          fix: 'keep the env in a folder the login and compute nodes share (usually under your home)',
          code: 'host',
        },
  );
  return true;
}

function failure(name: string, error: unknown, code: Check['code']): Check {
  if (error instanceof DevenvError) {
    return {
      name,
      status: 'fail',
      detail: error.message.split('\n').join('; '),
      fix: error.hint,
      code: code ?? 'internal',
    };
  }
  return { name, status: 'fail', detail: (error as Error).message, code };
}

/** Who holds the server's GPUs, and whether this env's request fits in what is free. */
async function leaseCheck(ctx: EnvContext): Promise<Check> {
  try {
    const { env } = ctx;
    const { slots, choice } = await ctx.site.gpus.room(env, leaseRequestOf(env.loaded.config.gpus));
    const free = slots.filter(isFree);
    const held = slots.filter((s) => s.heldBy !== null);
    const busy = slots.filter((s) => s.heldBy === null && s.busy !== null);
    const detail = `${free.length} of ${slots.length} GPUs free; ${held.length} leased${held.length > 0 ? ` (${held.map((s) => `${s.gpu.index}: ${s.heldBy?.user}/${s.heldBy?.env}`).join(', ')})` : ''}, ${busy.length} busy outside devenv`;
    if (choice.ok) return { name: 'gpu leases', status: 'ok', detail };
    return { name: 'gpu leases', status: 'warn', detail: `${detail}; ${choice.message}`, fix: choice.hint };
  } catch (error) {
    return failure('gpu leases', error, 'gpu');
  }
}
