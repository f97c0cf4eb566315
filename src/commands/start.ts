import { existsSync } from 'node:fs';
import path from 'node:path';
import { attachShell, canAttach } from '../app/attach.js';
import type { EnvContext } from '../app/context.js';
import { syncVscodeAttachConfig } from '../app/vscode.js';
import { repoDir, workdirFor } from '../app/workdir.js';
import { ensureContainer, findEnvContainer, removeEnvContainer } from '../core/container-ops.js';
import { configHash } from '../core/container-plan.js';
import type { ContainerState, Engine } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import { LABELS } from '../core/identity.js';
import { ensureHostDirs, openBuildLog, stateDir } from '../host/fs-ops.js';
import type { RepoState } from '../host/git.js';
import { withEnvLock } from '../host/lock.js';
import type { Progress } from '../ui/ui.js';

export interface StartOptions {
  detach?: boolean;
  rebuild?: boolean;
  noCache?: boolean;
}

/** `devenv start` and `devenv rebuild`: dirs, repo, image, container, then a shell. */
export async function runStart(ctx: EnvContext, options: StartOptions): Promise<number> {
  const engine = await ctx.engine();
  if (!options.rebuild && isUpToDateAndRunning(ctx, await findEnvContainer(engine, ctx.identity))) {
    ctx.ui.detail(`container ${ctx.identity.containerName} is already running`);
    return finish(ctx, options, workdirFor(ctx));
  }
  const workdir = await withLock(ctx, () => prepareEnv(ctx, engine, options));
  return finish(ctx, options, workdir);
}

/** Runs `work` holding the env's lock, saying so when another devenv holds it. */
export function withLock<T>(ctx: EnvContext, work: () => Promise<T>): Promise<T> {
  return withEnvLock(
    path.join(stateDir(ctx.io.env), 'locks'),
    ctx.identity.containerName,
    {
      signal: ctx.io.signal,
      onWait: (holder) =>
        ctx.ui.info(
          `waiting for another devenv working on env ${ctx.identity.envName}${holder ? ` (pid ${holder.pid})` : ''}`,
        ),
    },
    work,
  );
}

function isUpToDateAndRunning(ctx: EnvContext, container: ContainerState | null): boolean {
  return Boolean(container?.running && container.labels[LABELS.configHash] === configHash(ctx.loaded.config));
}

/** Everything up to a running container; returns the folder to open the shell in. */
async function prepareEnv(ctx: EnvContext, engine: Engine, options: StartOptions): Promise<string> {
  await engine.checkCompatible?.();
  // Another devenv may have made the env while this one waited for the lock.
  const existing = await findEnvContainer(engine, ctx.identity);
  if (!options.rebuild && isUpToDateAndRunning(ctx, existing)) return workdirFor(ctx);

  if (ctx.endpoint.remote)
    ctx.ui.warn(
      `the engine at ${ctx.endpoint.url} is remote: bind-mount sources are folders on that host, and UID ${ctx.user.uid} there may be another user`,
    );
  await cloneRepoIfMissing(ctx);
  // Loaded here, not at the top: `start` on a running env (the common case) never plans or builds.
  const [{ planEnv }, { ensureImage, removeImageIfUnused }] = await Promise.all([
    import('../app/env-plan.js'),
    import('../core/image-ops.js'),
  ]);
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

  const image = await ensureImage(
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
  await ensureContainer({ engine, ui: ctx.ui, signal: ctx.io.signal }, ctx.identity, plan.container);
  // The image a rebuild replaced could not go while the old container used it; now it can.
  if (image.replaced) await removeImageIfUnused(engine, image.replaced);
  return plan.workdir;
}

async function finish(ctx: EnvContext, options: StartOptions, workdir: string): Promise<number> {
  syncVscodeAttachConfig(ctx);
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
  let progress: Progress | null = null;
  let state: RepoState;
  try {
    const { ensureRepo } = await import('../host/git.js');
    state = await ensureRepo({
      repo: config.repo,
      branch: config.branch,
      dest,
      envRoot,
      env: ctx.io.env,
      signal: ctx.io.signal,
      onCloneStart: () => {
        progress = ctx.ui.progress(`cloning ${config.repo}`);
      },
      onProgress: (text) => progress?.update(`cloning ${config.repo}: ${text}`),
    });
  } catch (error) {
    (progress as Progress | null)?.fail();
    throw error;
  }
  if (state === 'cloned') (progress as Progress | null)?.succeed(`cloned ${config.repo} into ${dest}`);
  if (state === 'not-git')
    ctx.ui.warn(`${dest} exists but is not a git repository; devenv leaves it as it is`);
}
