import { existsSync } from 'node:fs';
import type { EnvContext } from '../app/context.js';
import { buildPlanFor, gpuFacts } from '../app/env-plan.js';
import { findEnvContainer } from '../core/container-ops.js';
import { LABELS } from '../core/identity.js';
import { imageStatus } from '../core/image-ops.js';
import { planMounts } from '../core/mounts.js';

export interface EnvStatus {
  env: string;
  envRoot: string;
  configFile: string | null;
  user: { name: string; uid: number; gid: number };
  engine: { url: string; source: string; remote: boolean };
  image: {
    ref: string;
    present: boolean;
    fresh: boolean | null;
    created: string | null;
    sizeBytes: number | null;
    /** What the current config builds from, and the PyTorch wheel index it installs from. */
    base: string;
    torchIndex: string | null;
  };
  container: {
    name: string;
    state: 'running' | 'stopped' | 'absent';
    created: string | null;
    gpus: string | null;
  };
  mounts: Array<{ source: string; target: string; readonly: boolean; exists: boolean }>;
  gpus: {
    host: Array<{ index: number; name: string; memoryMiB: number | null }>;
    driver: string | null;
    cuda: string | null;
    notice: string | null;
  } | null;
}

export async function collectStatus(ctx: EnvContext): Promise<EnvStatus> {
  const engine = await ctx.engine();
  const { config, envRoot, file } = ctx.loaded;
  const [container, gpu] = await Promise.all([findEnvContainer(engine, ctx.identity), gpuFacts(ctx, engine)]);
  const build = buildPlanFor(ctx, gpu);
  const image = await imageStatus(engine, build);
  const mounts = planMounts(config, envRoot, ctx.containerUser, file ?? '.devenvrc').mounts;
  return {
    env: ctx.identity.envName,
    envRoot,
    configFile: file,
    user: { name: ctx.user.name, uid: ctx.user.uid, gid: ctx.user.gid },
    engine: ctx.endpoint && {
      url: ctx.endpoint.url,
      source: ctx.endpoint.source,
      remote: ctx.endpoint.remote,
    },
    image: {
      ref: ctx.identity.imageRef,
      present: image.image !== null,
      fresh: image.image ? !image.stale : null,
      created: image.image?.created ?? null,
      sizeBytes: image.image?.size ?? null,
      base: build.baseImage,
      torchIndex: build.buildArgs.TORCH_PACKAGES ? build.buildArgs.TORCH_INDEX_URL || null : null,
    },
    container: {
      name: ctx.identity.containerName,
      state: container ? (container.running ? 'running' : 'stopped') : 'absent',
      created: container?.created ?? null,
      gpus: container ? (container.labels[LABELS.gpus] ?? 'none') : null,
    },
    mounts: mounts.map((m) => ({
      source: m.Source,
      target: m.Target,
      readonly: m.ReadOnly,
      exists: existsSync(m.Source),
    })),
    gpus: gpu && {
      host: gpu.gpus.gpus.map((g) => ({ index: g.index, name: g.name, memoryMiB: g.memoryMiB })),
      driver: gpu.gpus.driverVersion,
      cuda: gpu.gpus.cudaVersion,
      notice: gpu.plan.notice ?? gpu.gpus.problem,
    },
  };
}

export function renderStatus(s: EnvStatus): string[] {
  const size = s.image.sizeBytes === null ? '' : `, ${(s.image.sizeBytes / 1024 ** 2).toFixed(0)} MB`;
  const imageLine = s.image.present
    ? `${s.image.ref} (${s.image.fresh ? 'up to date' : 'stale: run `devenv rebuild`'}, built ${s.image.created}${size})`
    : `${s.image.ref} (not built yet)`;
  const lines = [
    `env:       ${s.env}`,
    `root:      ${s.envRoot}${s.configFile ? '' : ' (no .devenvrc: defaults)'}`,
    `user:      ${s.user.name} (uid ${s.user.uid}, gid ${s.user.gid})`,
    `engine:    ${s.engine.url}${s.engine.source === 'default' ? '' : ` (from ${s.engine.source})`}${s.engine.remote ? ' [remote]' : ''}`,
    `image:     ${imageLine}`,
    `container: ${s.container.name} (${s.container.state}${s.container.gpus && s.container.gpus !== 'none' ? `, GPUs: ${s.container.gpus}` : ''})`,
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
  } else {
    lines.push('gpus:      off ("gpus": "none")');
  }
  return lines;
}

export async function runStatus(ctx: EnvContext, options: { json?: boolean }): Promise<number> {
  const status = await collectStatus(ctx);
  if (options.json) ctx.ui.data(JSON.stringify(status, null, 2));
  else for (const line of renderStatus(status)) ctx.ui.data(line);
  return 0;
}

/** "8x NVIDIA GeForce RTX 4090 (24564 MiB)": identical cards are counted, not listed. */
export function describeGpus(gpus: Array<{ name: string; memoryMiB: number | null }>): string {
  const counts = new Map<string, number>();
  for (const g of gpus) {
    const key = `${g.name}${g.memoryMiB ? ` (${g.memoryMiB} MiB)` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => (n > 1 ? `${n}x ${key}` : key)).join(', ');
}
