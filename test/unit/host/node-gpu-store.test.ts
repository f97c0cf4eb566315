import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stateDir } from '../../../src/host/fs-ops.js';
import { openNodeGpuStore } from '../../../src/host/node-gpu-store.js';
import { type FakeIo, fakeIo } from '../../fakes/io.js';

let io: FakeIo;
beforeEach(() => {
  io = fakeIo();
});
afterEach(() => io.cleanup());

describe('openNodeGpuStore', () => {
  it('reads nothing before anything was remembered', () => {
    expect(openNodeGpuStore(io.env).read()).toEqual(new Map());
  });

  it("remembers each node's GPUs by index, across stores, and leaves out GPUs without a UUID", () => {
    openNodeGpuStore(io.env).remember('nodeA', [
      { index: 0, uuid: 'GPU-a' },
      { index: 1, uuid: null },
    ]);
    openNodeGpuStore(io.env).remember('nodeB', [{ index: 3, uuid: 'GPU-b' }]);
    expect(openNodeGpuStore(io.env).read()).toEqual(
      new Map([
        ['nodeA', new Map([[0, 'GPU-a']])],
        ['nodeB', new Map([[3, 'GPU-b']])],
      ]),
    );
  });

  it('replaces what it knew of a node, and reads a broken file as nothing known', () => {
    const store = openNodeGpuStore(io.env);
    store.remember('nodeA', [{ index: 0, uuid: 'GPU-old' }]);
    store.remember('nodeA', [{ index: 0, uuid: 'GPU-new' }]);
    expect(store.read().get('nodeA')?.get(0)).toBe('GPU-new');
    const file = path.join(stateDir(io.env), 'slurm', 'node-gpus.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ nodeA: { '0': 'GPU-new' } });
    writeFileSync(file, '{not json');
    expect(store.read()).toEqual(new Map());
  });
});
