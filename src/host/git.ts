import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { DevenvError } from '../core/errors.js';
import { cloneError, isLocalRepo } from '../core/git-errors.js';
import type { CloneRequest, RepoState } from '../core/host.js';

/**
 * Clones `repo` into `dest` on the host, as the host user with their own credentials and agent,
 * unless `dest` exists (then it is never touched). The clone goes to a temporary folder next to
 * `dest` first, so a failed or interrupted clone leaves nothing at `dest`.
 */
export async function ensureRepo(options: CloneRequest & { env: NodeJS.ProcessEnv }): Promise<RepoState> {
  const { dest } = options;
  if (existsSync(dest) && !(statSync(dest).isDirectory() && readdirSync(dest).length === 0)) {
    return existsSync(path.join(dest, '.git')) ? 'present' : 'not-git';
  }
  options.onCloneStart?.();
  const source = isLocalRepo(options.repo) ? path.resolve(options.root, options.repo) : options.repo;
  const parent = path.dirname(dest);
  mkdirSync(parent, { recursive: true });
  const temp = path.join(parent, `.devenv-clone-${path.basename(dest)}-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  const { simpleGit } = await import('simple-git');
  const sshCommand = options.env.GIT_SSH_COMMAND ?? 'ssh';
  // The clone runs as the user would run it in their shell: their GIT_* settings (a CA bundle,
  // a proxy, an askpass helper) pass through. simple-git refuses such variables unless allowed.
  const gitEnv = Object.keys(options.env).filter((key) => /^GIT_/i.test(key));
  const git = simpleGit({
    ...(options.signal ? { abort: options.signal } : {}),
    unsafe: {
      allowUnsafeSshCommand: true,
      allowUnsafeAskPass: true,
      allowUnsafeConfigEnvCount: true,
      allowUnsafeGitProxy: true,
      allowUnsafeEditor: true,
      allowUnsafePager: true,
    },
    allowEnvironment: [...new Set([...gitEnv, 'GIT_TERMINAL_PROMPT', 'GIT_SSH_COMMAND'])],
    progress: ({ stage, progress }) => options.onProgress?.(`${stage} ${progress}%`),
  } as Parameters<typeof simpleGit>[0]).env({
    ...options.env,
    // Never wait for a password on an SSH session: fail with a message instead.
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: /BatchMode/.test(sshCommand) ? sshCommand : `${sshCommand} -o BatchMode=yes`,
  });
  try {
    await git.clone(source, temp, options.branch ? ['--branch', options.branch] : []);
    if (existsSync(dest)) rmdirSync(dest);
    renameSync(temp, dest);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    if (error instanceof DevenvError) throw error;
    throw cloneError(options.repo, (error as Error).message);
  }
  return 'cloned';
}
