/** Paths that change in every container and mean nothing to the user. */
const NOISE = [
  /^\/tmp(\/|$)/,
  /^\/run(\/|$)/,
  /^\/var\/run(\/|$)/,
  /^\/dev(\/|$)/,
  /^\/proc(\/|$)/,
  /^\/var\/log(\/|$)/,
  /\/\.bash_history$/,
  /\/\.cache(\/|$)/,
  // Put there by the engine itself: the init binary and the network files it bind-mounts.
  /^\/(usr\/)?sbin\/docker-init$/,
  /^\/etc\/(hostname|hosts|resolv\.conf)$/,
];

export interface ContainerChange {
  path: string;
  kind: 'changed' | 'added' | 'deleted';
}

/**
 * Changes in the container's own layer that a prune would lose, most specific first. A changed
 * folder whose children are listed too is dropped, so the list names what the user touched.
 */
export function meaningfulChanges(changes: ContainerChange[], mountTargets: string[]): ContainerChange[] {
  const underMount = (p: string) => mountTargets.some((t) => p === t || p.startsWith(`${t}/`));
  const kept = changes.filter((c) => !NOISE.some((re) => re.test(c.path)) && !underMount(c.path));
  return kept.filter((c) => !(c.kind === 'changed' && changes.some((o) => o.path.startsWith(`${c.path}/`))));
}

export function summarizeChanges(changes: ContainerChange[], max = 8): string {
  const shown = changes
    .slice(0, max)
    .map((c) => `${c.kind === 'added' ? '+' : c.kind === 'deleted' ? '-' : '~'}${c.path}`);
  const more = changes.length > max ? ` and ${changes.length - max} more` : '';
  return `${shown.join(', ')}${more}`;
}
