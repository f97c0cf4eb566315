import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectClusterGpus } from '../../../src/app/cluster-gpus.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/slurm/${name}`, import.meta.url), 'utf8');

/** Slurm answering with the captures of the 22.05 cluster (nodeA 8 GPUs, nodeB 2). */
const captured = {
  nodes: async () => fixture('scontrol-show-node.txt'),
  queueJson: async () => fixture('squeue.json'),
};

describe('collectClusterGpus', () => {
  it("maps every node's GPUs to the running job holding each, with the UUIDs devenv has seen", async () => {
    const known = { read: () => new Map([['nodeA', new Map([[0, 'GPU-aaaa']])]]) };
    const map = await collectClusterGpus(captured, known, 1796608601);
    expect(map.cluster).toBe(true);
    expect(map.gpus).toHaveLength(10);
    expect(map.gpus[0]).toMatchObject({
      node: 'nodeA',
      index: 0,
      uuid: 'GPU-aaaa',
      job: { id: '2', user: 'root' },
    });
    expect(map.gpus[3]).toMatchObject({ node: 'nodeA', index: 3, uuid: null, job: null });
    expect(map.gpus.find((g) => g.node === 'nodeB' && g.index === 0)?.job).toMatchObject({
      id: '1',
      user: 'devtest',
      secondsLeft: null,
    });
    expect(map.unavailable).toEqual([]);
  });

  it('names the nodes that take no jobs', async () => {
    const drained = {
      ...captured,
      nodes: async () => fixture('scontrol-show-node.txt').replace('State=MIXED', 'State=DOWN+DRAIN'),
    };
    const map = await collectClusterGpus(drained, { read: () => new Map() }, 0);
    expect(map.unavailable).toEqual([{ node: 'nodeA', state: 'DOWN+DRAIN' }]);
  });
});
