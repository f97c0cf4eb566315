import { DevenvError } from './errors.js';
import type { HostUser } from './identity.js';

/** The user inside the container: the host user's name, UID and GID; root stays root. */
export interface ContainerUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

const USERNAME = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,31}$/;

export function containerUserFor(user: HostUser): ContainerUser {
  if (user.uid === 0) return { name: 'root', uid: 0, gid: 0, home: '/root' };
  if (!USERNAME.test(user.name)) {
    throw new DevenvError(
      `host username ${JSON.stringify(user.name)} cannot be a Linux username in the container`,
      {
        hint: 'run devenv as a user whose name uses only letters, digits, "_", "." and "-"',
        code: 'host',
      },
    );
  }
  return { name: user.name, uid: user.uid, gid: user.gid, home: `/home/${user.name}` };
}
