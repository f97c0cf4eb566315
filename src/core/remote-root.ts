import path from 'node:path';

/**
 * Where an env's folders live on a remote host: `remoteRoot` with `~` as the remote account's
 * home, or ~/devenv/<name> when unset.
 */
export function envRootOnHost(remoteRoot: string | null, envName: string, home: string): string {
  const root = remoteRoot ?? `~/devenv/${envName}`;
  const full = root === '~' ? home : root.startsWith('~/') ? path.posix.join(home, root.slice(2)) : root;
  // One spelling per folder: the env's root label must not differ by a trailing slash.
  return path.posix.normalize(full).replace(/(.)\/+$/, '$1');
}
