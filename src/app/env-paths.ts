import path from 'node:path';
import { type MountPlan, planMounts } from '../core/mounts.js';
import { repoFolderName } from '../core/repo.js';
import type { EnvContext } from './context.js';

/** The repo's folder on the host, or null when no repo is configured. */
export function repoDir(ctx: EnvContext): string | null {
  const { config } = ctx.loaded;
  return config.repo ? path.resolve(ctx.hostRoot, config.projectsDir, repoFolderName(config.repo)) : null;
}

/** Where shells and commands start in the container: the repo when there is one, else ~/projects. */
export function workdirFor(ctx: EnvContext): string {
  const { config } = ctx.loaded;
  const projects = `${ctx.containerUser.home}/projects`;
  return config.repo ? `${projects}/${repoFolderName(config.repo)}` : projects;
}

/** The env's bind mounts (projects/, the VS Code cache, the configured ones) and the host folders they need. */
export function envMounts(ctx: EnvContext): MountPlan {
  const { config, file } = ctx.loaded;
  return planMounts(config, ctx.hostRoot, ctx.containerUser, file ?? '.devenvrc');
}
