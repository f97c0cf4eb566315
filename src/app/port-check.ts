import type { DevenvConfig } from '../core/config/schema.js';
import { portMappings } from '../core/container-plan.js';
import type { ContainerState, Engine } from '../core/engine.js';
import { HostPortTaken } from '../core/errors.js';
import type { Host } from '../core/host.js';
import { firstPublishedElsewhere, hostAddress, samePublishedPort } from '../core/published-ports.js';

/**
 * Refuses a "ports" entry whose host port something else holds, before anything is made: another
 * container publishing it (one list request, any engine), or anything the host itself says holds
 * it. The env's own running container is not in the way: a start that replaces it frees its
 * ports first.
 */
export async function checkHostPorts(
  config: DevenvConfig,
  host: Pick<Host, 'portHolder'>,
  engine: Engine,
  own: ContainerState | null,
): Promise<void> {
  const mappings = portMappings(config);
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
  const ownPorts = published.filter((p) => p.containerId === own?.id);
  for (const mapping of mappings) {
    if (ownPorts.some((p) => samePublishedPort(mapping, p))) continue;
    const holder = await host.portHolder(mapping);
    if (holder) throw new HostPortTaken(hostAddress(mapping), holder);
  }
}
