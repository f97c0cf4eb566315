/** Who runs devenv on the host (the real user under sudo): the owner of an env. */
export interface HostUser {
  name: string;
  uid: number;
  gid: number;
}

/** Label keys on every object devenv creates. devenv never touches an object without them. */
export const LABELS = {
  managedBy: 'dev.devenv.managed-by',
  env: 'dev.devenv.env',
  user: 'dev.devenv.user',
  uid: 'dev.devenv.uid',
  root: 'dev.devenv.root',
  buildHash: 'dev.devenv.build-hash',
  createHash: 'dev.devenv.create-hash',
  gpus: 'dev.devenv.gpus',
  configHash: 'dev.devenv.config-hash',
  /** The UUIDs of the GPUs the container leases, comma-separated (see core/gpu/lease.ts). */
  gpuLease: 'dev.devenv.gpu-lease',
} as const;

export const MANAGED_BY = 'devenv';

/** Lower-case, Docker-safe form of a name part: image names allow [a-z0-9] joined by . _ - */
export function dockerSafe(part: string): string {
  const cleaned = part
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/[_.-]{2,}/g, '-')
    .replace(/^[_.-]+|[_.-]+$/g, '');
  return cleaned === '' ? 'x' : cleaned;
}

export interface EnvIdentity {
  envName: string;
  user: HostUser;
  envRoot: string;
  containerName: string;
  imageRepo: string;
  imageRef: string;
}

export function envIdentity(envName: string, user: HostUser, envRoot: string): EnvIdentity {
  const base = `devenv-${dockerSafe(envName)}-${dockerSafe(user.name)}`;
  return { envName, user, envRoot, containerName: base, imageRepo: base, imageRef: `${base}:latest` };
}

/** Labels that say who owns an object; every image and container devenv makes carries them. */
export function ownerLabels(id: EnvIdentity): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.env]: id.envName,
    [LABELS.user]: id.user.name,
    [LABELS.uid]: String(id.user.uid),
    [LABELS.root]: id.envRoot,
  };
}

/** Engine label filters that select this user's objects, and optionally one env's. */
export function ownerFilters(user: HostUser, envName?: string): string[] {
  const filters = [
    `${LABELS.managedBy}=${MANAGED_BY}`,
    `${LABELS.user}=${user.name}`,
    `${LABELS.uid}=${user.uid}`,
  ];
  if (envName !== undefined) filters.push(`${LABELS.env}=${envName}`);
  return filters;
}

/** True when labels prove the object is this user's devenv object (for this env, when given). */
export function isOwnedBy(
  labels: Record<string, string> | undefined | null,
  user: HostUser,
  envName?: string,
): boolean {
  if (!labels) return false;
  return (
    labels[LABELS.managedBy] === MANAGED_BY &&
    labels[LABELS.user] === user.name &&
    labels[LABELS.uid] === String(user.uid) &&
    (envName === undefined || labels[LABELS.env] === envName)
  );
}
