/**
 * The name an image has in the env's registry: its repository under the registry's path, tagged
 * with the hash of its inputs, so a start elsewhere asks for exactly the inputs it would build
 * from ("registry.lab:5000/devenv" + "devenv-shared:ab12" -> "registry.lab:5000/devenv/devenv-shared:ab12").
 */
export function registryRef(registry: string, localRef: string, hash: string): string {
  const colon = localRef.lastIndexOf(':');
  const repo = colon > localRef.lastIndexOf('/') ? localRef.slice(0, colon) : localRef;
  return `${registry.replace(/\/+$/, '')}/${repo}:${hash}`;
}

/** A name in the registry that no devenv image has: what `doctor` asks for to see the registry answer. */
export function registryProbeRef(registry: string): string {
  return `${registry.replace(/\/+$/, '')}/devenv-doctor-probe:absent`;
}
