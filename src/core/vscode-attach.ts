/**
 * VS Code's Dev Containers extension: the attached-container URI and the per-container
 * ("nameConfigs") configuration it reads when it attaches to a running container.
 */

/** The folder, under a VS Code data folder's User/globalStorage, that holds the extension's state. */
export const REMOTE_CONTAINERS_STORAGE = 'ms-vscode-remote.remote-containers';

/**
 * The URI authority the extension attaches with: `attached-container+` and the hex of the UTF-8
 * JSON `{"containerName":"/<name>"}` (the engine's name, with its leading slash).
 */
export function attachedContainerAuthority(containerName: string): string {
  const json = JSON.stringify({ containerName: `/${containerName.replace(/^\//, '')}` });
  return `attached-container+${Buffer.from(json, 'utf8').toString('hex')}`;
}

/** How Remote-SSH is told about a host. */
export interface SshHostRef {
  host: string;
  user: string | null;
  port: number | null;
}

/**
 * Remote-SSH's authority for a host: `ssh-remote+user@host`, or with a port, `ssh-remote+` and
 * the hex of `{"hostName","user","port"}` (a plain authority has no room for a port).
 */
export function sshRemoteAuthority(ref: SshHostRef): string {
  if (ref.port === null || ref.port === 22) return `ssh-remote+${ref.user ? `${ref.user}@` : ''}${ref.host}`;
  const json = JSON.stringify({
    hostName: ref.host,
    ...(ref.user ? { user: ref.user } : {}),
    port: ref.port,
  });
  return `ssh-remote+${Buffer.from(json, 'utf8').toString('hex')}`;
}

/**
 * `vscode-remote://attached-container+<hex>/<folder in the container>`; for a container on a
 * remote host, the attach is nested in a Remote-SSH connection: `attached-container+<hex>@ssh-remote+…`.
 */
export function attachedContainerUri(containerName: string, folder: string, sshHost?: SshHostRef): string {
  const path = folder.startsWith('/') ? folder : `/${folder}`;
  const via = sshHost ? `@${sshRemoteAuthority(sshHost)}` : '';
  return `vscode-remote://${attachedContainerAuthority(containerName)}${via}${encodeURI(path)}`;
}

/** The `code` command line that opens the folder in the container. */
export function codeCommand(containerName: string, folder: string, sshHost?: SshHostRef): string[] {
  return ['code', '--folder-uri', attachedContainerUri(containerName, folder, sshHost)];
}

/** Quotes an argument for a POSIX shell only when it needs it. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The keys devenv owns in the attached-container configuration. */
export interface AttachedConfig {
  remoteUser: string;
  workspaceFolder: string;
  remoteEnv: Record<string, string>;
  extensions: string[];
}

export function attachedConfigFor(input: {
  containerUser: string;
  workdir: string;
  env: Record<string, string>;
  extensions: string[];
}): AttachedConfig {
  return {
    remoteUser: input.containerUser,
    workspaceFolder: input.workdir,
    remoteEnv: { ...input.env },
    extensions: [...new Set(input.extensions)],
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One value to set in the file: `path` as jsonc-parser takes it (-1 appends to a list). */
export interface ConfigChange {
  path: Array<string | number>;
  value: unknown;
}

/**
 * What to change so the file holds devenv's keys, keeping every other key. VS Code adds the
 * extensions a user installs while attached to this file, and users add remoteEnv entries of
 * their own: those lists and maps are added to (ours win on the same variable), not replaced.
 * Changes are value by value, so the file's comments and layout stay as they are. `existing`
 * is undefined for a new file; for content that is not an object the answer is null (the
 * caller leaves it alone).
 */
export function attachedConfigChanges(existing: unknown, ours: AttachedConfig): ConfigChange[] | null {
  const current = existing === undefined ? {} : existing;
  if (!isObject(current)) return null;
  const changes: ConfigChange[] = [];
  if (current.remoteUser !== ours.remoteUser) changes.push({ path: ['remoteUser'], value: ours.remoteUser });
  if (current.workspaceFolder !== ours.workspaceFolder)
    changes.push({ path: ['workspaceFolder'], value: ours.workspaceFolder });
  const theirEnv = current.remoteEnv;
  if (!isObject(theirEnv)) {
    changes.push({ path: ['remoteEnv'], value: { ...ours.remoteEnv } });
  } else {
    for (const [name, value] of Object.entries(ours.remoteEnv))
      if (theirEnv[name] !== value) changes.push({ path: ['remoteEnv', name], value });
  }
  const theirExtensions = current.extensions;
  if (!Array.isArray(theirExtensions)) {
    changes.push({ path: ['extensions'], value: [...ours.extensions] });
  } else {
    const lower = new Set(
      theirExtensions.filter((e): e is string => typeof e === 'string').map((e) => e.toLowerCase()),
    );
    for (const extension of ours.extensions)
      if (!lower.has(extension.toLowerCase())) changes.push({ path: ['extensions', -1], value: extension });
  }
  return changes;
}
