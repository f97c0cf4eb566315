import { configHash } from '../core/container-plan.js';
import { type ContainerUser, containerUserFor } from '../core/container-user.js';
import type { Host } from '../core/host.js';
import { type EnvIdentity, envIdentity, type HostUser } from '../core/identity.js';
import { envRootOnHost } from '../core/remote-root.js';
import type { CheckedConfig } from '../host/caches.js';
import type { LoadedConfig } from '../host/config-file.js';

/** An env as it is on the host it runs on: its config, names, folders there and container user. */
export interface Env {
  loaded: LoadedConfig;
  /** The config's hash, which a container made from it carries as a label. */
  configHash: string;
  /** Where the env's folders live on its host: the .devenvrc's folder here, remoteRoot on a remote host. */
  hostRoot: string;
  identity: EnvIdentity;
  /** The env's owner: the host's account (the remote one on a remote host). */
  user: HostUser;
  containerUser: ContainerUser;
}

/** The one way to make an env: its checked config, on the host it runs on. */
export function envOn(host: Host, checked: CheckedConfig): Env {
  const { loaded } = checked;
  const user: HostUser = { name: host.account.name, uid: host.account.uid, gid: host.account.gid };
  const hostRoot = host.remote
    ? envRootOnHost(loaded.config.remoteRoot, loaded.config.name, host.account.home)
    : loaded.envRoot;
  return {
    loaded,
    configHash: checked.configHash,
    hostRoot,
    identity: envIdentity(loaded.config.name, user, hostRoot),
    user,
    containerUser: containerUserFor(user),
  };
}

/** The env with `start --gpus N`'s request instead of its config's. */
export function withGpuCount(env: Env, count: number): Env {
  const config = { ...env.loaded.config, gpus: count };
  return { ...env, loaded: { ...env.loaded, config }, configHash: configHash(config) };
}
