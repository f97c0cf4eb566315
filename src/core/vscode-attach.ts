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

/** `vscode-remote://attached-container+<hex>/<folder in the container>` */
export function attachedContainerUri(containerName: string, folder: string): string {
  const path = folder.startsWith('/') ? folder : `/${folder}`;
  return `vscode-remote://${attachedContainerAuthority(containerName)}${encodeURI(path)}`;
}

/** The `code` command line that opens the folder in the container. */
export function codeCommand(containerName: string, folder: string): string[] {
  return ['code', '--folder-uri', attachedContainerUri(containerName, folder)];
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

/**
 * Overlays devenv's keys on what the file already holds, keeping every other key. VS Code adds
 * the extensions a user installs while attached to this file, and users add remoteEnv entries
 * of their own: those lists and maps are merged (ours win on the same variable), not replaced.
 * Returns null when the existing content is not a JSON object (the caller leaves it alone).
 */
export function mergeAttachedConfig(existing: unknown, ours: AttachedConfig): Record<string, unknown> | null {
  if (existing === undefined) return { ...ours, extensions: [...ours.extensions] };
  if (!isObject(existing)) return null;
  const theirEnv = isObject(existing.remoteEnv) ? existing.remoteEnv : {};
  const theirExtensions = Array.isArray(existing.extensions)
    ? existing.extensions.filter((e): e is string => typeof e === 'string')
    : [];
  const lower = new Set(theirExtensions.map((e) => e.toLowerCase()));
  return {
    ...existing,
    remoteUser: ours.remoteUser,
    workspaceFolder: ours.workspaceFolder,
    remoteEnv: { ...theirEnv, ...ours.remoteEnv },
    extensions: [...theirExtensions, ...ours.extensions.filter((e) => !lower.has(e.toLowerCase()))],
  };
}
