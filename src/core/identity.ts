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
  /** On images: "shared" for the layers every user builds on (no owner labels), "env" for a user's. */
  layer: 'dev.devenv.layer',
  /** The hash of the shared layers' inputs: on the shared image, and inherited by every image on it. */
  sharedHash: 'dev.devenv.shared-hash',
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

/** The repository of the shared layers' images; each is tagged with the hash of its inputs. */
export const SHARED_REPO = 'devenv-shared';

export function sharedImageRef(sharedHash: string): string {
  return `${SHARED_REPO}:${sharedHash}`;
}

/**
 * Labels on every image a shared-layers build commits: devenv's, and shared. No user's: they
 * are nobody's, and an image of them goes only when nothing builds on it (core/image-ops.ts).
 */
export const SHARED_LAYER_LABELS: Readonly<Record<string, string>> = {
  [LABELS.managedBy]: MANAGED_BY,
  [LABELS.layer]: 'shared',
};

/** Engine label filters that select shared-layer images (which isSharedLayer then checks). */
export function sharedLayerFilters(): string[] {
  return [`${LABELS.managedBy}=${MANAGED_BY}`, `${LABELS.layer}=shared`];
}

/** True for an image of devenv's shared layers: devenv's, shared, and no user's. */
export function isSharedLayer(labels: Record<string, string> | undefined | null): boolean {
  return (
    labels?.[LABELS.managedBy] === MANAGED_BY &&
    labels[LABELS.layer] === 'shared' &&
    labels[LABELS.user] === undefined
  );
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
