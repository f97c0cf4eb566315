import { existsSync } from 'node:fs';
import path from 'node:path';
import { attachShell, canAttach } from '../app/attach.js';
import type { EnvContext } from '../app/context.js';
import { planEnv, repoDir, workdirFor } from '../app/env-plan.js';
import { ensureContainer, findEnvContainer, removeEnvContainer } from '../core/container-ops.js';
import { configHash } from '../core/container-plan.js';
import { DevenvError } from '../core/errors.js';
import { LABELS } from '../core/identity.js';
import { ensureImage } from '../core/image-ops.js';
import { ensureHostDirs, openBuildLog } from '../host/fs-ops.js';
import { ensureRepo, type RepoState } from '../host/git.js';

export interface StartOptions {
  detach?: boolean;
  rebuild?: boolean;
  noCache?: boolean;
}

/** `devenv start` and `devenv rebuild`: dirs, repo, image, container, then a shell. */
export async function runStart(ctx: EnvContext, options: StartOptions): Promise<number> {
  const engine = await ctx.engine();
  await engine.checkCompatible?.();
  const existing = await findEnvContainer(engine, ctx.identity);
  if (
    !options.rebuild &&
    existing?.running &&
    existing.labels[LABELS.configHash] === configHash(ctx.loaded.config)
  ) {
    ctx.ui.detail(`container ${ctx.identity.containerName} is already running`);
    return finish(ctx, options, workdirFor(ctx));
  }

  await cloneRepoIfMissing(ctx);
  const plan = await planEnv(ctx, engine);
  const missing = plan.mounts.mounts.slice(2).filter((m) => !existsSync(m.Source));
  if (missing[0]) {
    throw new DevenvError(`mount source ${missing[0].Source} does not exist`, {
      hint: `create it, or fix "mounts" in ${ctx.loaded.file ?? '.devenvrc'}`,
      code: 'config',
    });
  }
  ensureHostDirs(plan.mounts.hostDirs, ctx.user);
  if (plan.gpu?.plan.notice) ctx.ui.warn(plan.gpu.plan.notice);

  await ensureImage(
    {
      engine,
      ui: ctx.ui,
      openLog: () => openBuildLog(ctx.io.env, ctx.identity.containerName),
      signal: ctx.io.signal,
    },
    plan.build,
    { rebuild: Boolean(options.rebuild), noCache: Boolean(options.noCache) },
  );
  if (options.rebuild && existing) await removeEnvContainer(engine, ctx.identity);
  await ensureContainer({ engine, ui: ctx.ui }, ctx.identity, plan.container);
  return finish(ctx, options, plan.workdir);
}

async function finish(ctx: EnvContext, options: StartOptions, workdir: string): Promise<number> {
  if (options.detach || !canAttach(ctx)) {
    ctx.ui.info(`env ${ctx.identity.envName} is running; enter it with \`devenv shell\``);
    return 0;
  }
  return attachShell(ctx, await ctx.engine(), workdir);
}

/** Clones the configured repo into projects/ when it is not there; never touches an existing folder. */
async function cloneRepoIfMissing(ctx: EnvContext): Promise<void> {
  const { config, envRoot } = ctx.loaded;
  const dest = repoDir(ctx);
  if (!config.repo || !dest) return;
  ensureHostDirs([path.dirname(dest)], ctx.user);
  const progress = ctx.ui.progress(`cloning ${config.repo}`);
  let state: RepoState;
  try {
    state = await ensureRepo({
      repo: config.repo,
      branch: config.branch,
      dest,
      envRoot,
      env: ctx.io.env,
      signal: ctx.io.signal,
      onProgress: (text) => progress.update(`cloning ${config.repo}: ${text}`),
    });
  } catch (error) {
    progress.fail();
    throw error;
  }
  if (state === 'cloned') progress.succeed(`cloned ${config.repo} into ${dest}`);
  else progress.stop();
  if (state === 'not-git')
    ctx.ui.warn(`${dest} exists but is not a git repository; devenv leaves it as it is`);
}
