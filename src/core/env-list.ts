import type { ContainerState, ImageState } from './engine.js';
import { describeLeased, type LeasedGpu, leasedGpus } from './gpu/leased.js';
import type { HostGpu } from './gpu/nvidia-smi-parse.js';
import { LABELS } from './identity.js';
import { textTable } from './text-table.js';

/** One env on the engine, as its labelled objects say: who owns it, where its root is. */
export interface EnvObjects {
  env: string;
  user: string;
  uid: number | null;
  root: string;
  container: ContainerState | null;
  images: ImageState[];
}

export type ImageFreshness = 'fresh' | 'stale' | 'absent' | 'unknown';

export interface EnvRow {
  env: string;
  user: string;
  uid: number | null;
  root: string;
  container: { name: string | null; state: 'running' | 'stopped' | 'absent' };
  image: ImageFreshness;
  /** The GPUs the running container leases. */
  gpus: LeasedGpu[];
}

/** An env's object: not one of the shared layers' (layer "shared", "build-lock"); old ones have no layer label. */
function ofAnEnv(labels: Record<string, string>): boolean {
  const layer = labels[LABELS.layer];
  return layer === undefined || layer === 'env';
}

function keyOf(labels: Record<string, string>): string {
  return JSON.stringify([labels[LABELS.env], labels[LABELS.user], labels[LABELS.uid], labels[LABELS.root]]);
}

/**
 * Groups devenv's containers and images by env (name, user, uid, root), sorted by user, env, root.
 * Objects of no env (the shared layers, a shared build's lock container) are no row.
 */
export function groupEnvObjects(containers: ContainerState[], images: ImageState[]): EnvObjects[] {
  const groups = new Map<string, EnvObjects>();
  const groupFor = (labels: Record<string, string>): EnvObjects => {
    const key = keyOf(labels);
    let group = groups.get(key);
    if (!group) {
      const uid = Number(labels[LABELS.uid]);
      group = {
        env: labels[LABELS.env] ?? '?',
        user: labels[LABELS.user] ?? '?',
        uid: labels[LABELS.uid] !== undefined && Number.isInteger(uid) ? uid : null,
        root: labels[LABELS.root] ?? '?',
        container: null,
        images: [],
      };
      groups.set(key, group);
    }
    return group;
  };
  for (const container of containers) {
    if (!ofAnEnv(container.labels)) continue;
    const group = groupFor(container.labels);
    // Two containers for one env should not happen; the running one says more.
    if (!group.container || (container.running && !group.container.running)) group.container = container;
  }
  for (const image of images) if (ofAnEnv(image.labels)) groupFor(image.labels).images.push(image);
  return [...groups.values()].sort(
    (a, b) => a.user.localeCompare(b.user) || a.env.localeCompare(b.env) || a.root.localeCompare(b.root),
  );
}

export function envRow(group: EnvObjects, image: ImageFreshness, hostGpus: HostGpu[] = []): EnvRow {
  const { container } = group;
  return {
    env: group.env,
    user: group.user,
    uid: group.uid,
    root: group.root,
    container: {
      name: container?.name ?? null,
      state: container ? (container.running ? 'running' : 'stopped') : 'absent',
    },
    image,
    gpus: container?.running ? leasedGpus(container.labels, hostGpus) : [],
  };
}

const STATE_TEXT = { running: 'running', stopped: 'stopped', absent: 'no container' } as const;
const IMAGE_TEXT = { fresh: 'yes', stale: 'no (stale)', absent: 'not built', unknown: '?' } as const;

/** A plain table: a header and one line per env, columns padded to fit. */
export function renderEnvTable(rows: Array<EnvRow & { host?: string }>): string[] {
  const byHost = rows.some((r) => r.host !== undefined);
  const table = [
    [...(byHost ? ['HOST'] : []), 'ENV', 'USER', 'STATE', 'IMAGE FRESH', 'GPUS', 'ROOT'],
    ...rows.map((r) => [
      ...(byHost ? [r.host ?? ''] : []),
      r.env,
      r.user,
      STATE_TEXT[r.container.state],
      IMAGE_TEXT[r.image],
      describeLeased(r.gpus),
      r.root,
    ]),
  ];
  return textTable(table);
}
