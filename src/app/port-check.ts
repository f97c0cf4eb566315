import { portMappings } from '../core/container-plan.js';
import type { ContainerState, Engine } from '../core/engine.js';
import { HostPortTaken } from '../core/errors.js';
import { firstPublishedElsewhere, hostAddress, samePublishedPort } from '../core/published-ports.js';
import type { EnvContext } from './context.js';

/**
 * Refuses a "ports" entry whose host port something else holds, before anything is made: another
 * container publishing it (one list request, any engine), or, for a local engine, anything
 * holding it on this machine (a bind that is let go at once). The env's own running container is
 * not in the way: a start that replaces it frees its ports first.
 */
export async function checkHostPorts(
  ctx: EnvContext,
  engine: Engine,
  own: ContainerState | null,
): Promise<void> {
  const mappings = portMappings(ctx.loaded.config);
  if (mappings.length === 0) return;
  const published = await engine.listPublishedPorts();
  const elsewhere = firstPublishedElsewhere(
    mappings,
    published.filter((p) => p.containerId !== own?.id),
  );
  if (elsewhere)
    throw new HostPortTaken(hostAddress(elsewhere.mapping), {
      kind: 'container',
      name: elsewhere.holder.container,
    });
  // On a remote host, a bind here would test this machine's ports: the engine's error still says it.
  if (ctx.host.remote) return;
  const ownPorts = published.filter((p) => p.containerId === own?.id);
  const { bindProbe, localPortHolder } = await import('../host/port-holder.js');
  for (const mapping of mappings) {
    if (ownPorts.some((p) => samePublishedPort(mapping, p))) continue;
    if ((await bindProbe(mapping)) !== 'taken') continue;
    const process = await localPortHolder(mapping.hostPort, mapping.protocol);
    throw new HostPortTaken(
      hostAddress(mapping),
      process ? { kind: 'process', name: process.name, pid: process.pid } : { kind: 'local' },
    );
  }
}
