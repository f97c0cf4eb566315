import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stateDir } from './fs-ops.js';

/**
 * The GPUs devenv has seen on each node of a Slurm cluster (index → UUID), read by nvidia-smi
 * inside its jobs there. Slurm itself knows GPUs only by index; `devenv gpus` shows the UUIDs of
 * nodes an env of the user ran on. One file per user, in the state folder on the shared home.
 */
export interface NodeGpuStore {
  read(): Map<string, Map<number, string>>;
  remember(node: string, gpus: Array<{ index: number; uuid: string | null }>): void;
}

export function openNodeGpuStore(env: NodeJS.ProcessEnv): NodeGpuStore {
  const file = path.join(stateDir(env), 'slurm', 'node-gpus.json');
  const load = (): Record<string, Record<string, string>> => {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, Record<string, string>>) : {};
    } catch {
      return {};
    }
  };
  return {
    read: () =>
      new Map(
        Object.entries(load()).map(([node, gpus]) => [
          node,
          new Map(Object.entries(gpus).map(([index, uuid]) => [Number(index), String(uuid)])),
        ]),
      ),
    remember: (node, gpus) => {
      const all = load();
      const known = Object.fromEntries(
        gpus.filter((g) => g.uuid !== null).map((g) => [String(g.index), g.uuid as string]),
      );
      if (JSON.stringify(all[node]) === JSON.stringify(known)) return;
      all[node] = known;
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, `${JSON.stringify(all, null, 2)}\n`);
        renameSync(temp, file);
      } catch {
        // A map without UUIDs is still a map: never fail a start over it.
      }
    },
  };
}
