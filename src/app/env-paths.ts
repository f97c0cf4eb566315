import path from 'node:path';
import { type MountPlan, planMounts } from '../core/mounts.js';
import { repoFolderName } from '../core/repo.js';
import type { Env } from './env.js';

type EnvFolders = Pick<Env, 'loaded' | 'hostRoot' | 'containerUser'>;

/** The repo's folder on the host, or null when no repo is configured. */
export function repoDir(env: Pick<Env, 'loaded' | 'hostRoot'>): string | null {
  const { config } = env.loaded;
  return config.repo ? path.resolve(env.hostRoot, config.projectsDir, repoFolderName(config.repo)) : null;
}

/** Where shells and commands start in the container: the repo when there is one, else ~/projects. */
export function workdirFor(env: Pick<Env, 'loaded' | 'containerUser'>): string {
  const { config } = env.loaded;
  const projects = `${env.containerUser.home}/projects`;
  return config.repo ? `${projects}/${repoFolderName(config.repo)}` : projects;
}

/** The env's bind mounts (projects/, the VS Code cache, the configured ones) and the host folders they need. */
export function envMounts(env: EnvFolders): MountPlan {
  const { config, file } = env.loaded;
  return planMounts(config, env.hostRoot, env.containerUser, file ?? '.devenvrc');
}
