/**
 * Whether two GPU UUIDs name the same GPU. NVIDIA UUIDs ("GPU-5fb4d9a2-…") are hex, so one GPU
 * can be spelled in either case: nvidia-smi prints lower case, but a lease label written by
 * another version, a config list or a CDI spec may not. Every comparison of GPU UUIDs goes
 * through here: one exact comparison among them is enough for the ledger to miss a lease and
 * give one GPU to two envs.
 */
export function sameGpu(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Whether `uuids` names the GPU `uuid`, in whatever case. */
export function includesGpu(uuids: readonly string[], uuid: string): boolean {
  return uuids.some((u) => sameGpu(u, uuid));
}
