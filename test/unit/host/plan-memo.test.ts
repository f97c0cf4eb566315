import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordReads } from '../../../src/host/file-reads.js';
import { openPlanMemo, type PlanFacts } from '../../../src/host/plan-memo.js';
import { requirementsContext } from '../../../src/host/python-files.js';

const UID = process.getuid?.() ?? 0;
const FACTS: PlanFacts = {
  imageRef: 'devenv-x-alice:latest',
  hash: 'abc',
  baseImage: 'ubuntu:24.04',
  torchIndex: null,
};
/** Long after every file of a test was written: all of them count as settled. */
const later = () => Date.now() + 60_000;

async function setUp() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'devenv-plan-memo-'));
  const cache = path.join(root, 'cache');
  const requirements = path.join(root, 'requirements.txt');
  const wheels = path.join(root, 'wheels');
  mkdirSync(wheels);
  writeFileSync(path.join(wheels, 'a-1.0-py3-none-any.whl'), 'wheel a');
  writeFileSync(requirements, 'numpy==1.0\n./wheels\n');
  // What the plan reads, as the real reader reports it.
  const consulted = (await recordReads(async () => requirementsContext(requirements))).read ?? [];
  return { root, cache, requirements, wheels, consulted };
}

describe('openPlanMemo', () => {
  it('the requirements reader reports the file, the folder it names and the files in it', async () => {
    const { root, requirements, wheels, consulted } = await setUp();
    expect(new Set(consulted)).toEqual(
      new Set([requirements, wheels, path.join(wheels, 'a-1.0-py3-none-any.whl')]),
    );
    rmSync(root, { recursive: true });
  });

  it('gives back what it stored while no file it read changed, in a later command too', async () => {
    const { root, cache, consulted } = await setUp();
    openPlanMemo(cache, 'build-1', UID, later).store('key', consulted, FACTS);
    expect(openPlanMemo(cache, 'build-1', UID, later).lookup('key')).toEqual(FACTS);
    expect(openPlanMemo(cache, 'build-1', UID, later).lookup('other key')).toBeNull();
    // Another build of devenv may plan differently: its memo is not read.
    expect(openPlanMemo(cache, 'build-2', UID, later).lookup('key')).toBeNull();
    rmSync(root, { recursive: true });
  });

  it.each([
    [
      'a requirement bumped, same size',
      (s: Awaited<ReturnType<typeof setUp>>) => writeFileSync(s.requirements, 'numpy==2.0\n./wheels\n'),
    ],
    [
      'a wheel rewritten',
      (s: Awaited<ReturnType<typeof setUp>>) =>
        writeFileSync(path.join(s.wheels, 'a-1.0-py3-none-any.whl'), 'wheel A'),
    ],
    [
      'a wheel added to the folder',
      (s: Awaited<ReturnType<typeof setUp>>) =>
        writeFileSync(path.join(s.wheels, 'b-1.0-py3-none-any.whl'), 'b'),
    ],
    ['the requirements file removed', (s: Awaited<ReturnType<typeof setUp>>) => rmSync(s.requirements)],
  ])('misses when %s', async (_what, change) => {
    const s = await setUp();
    openPlanMemo(s.cache, 'build-1', UID, later).store('key', s.consulted, FACTS);
    // Past the coarsest timestamp tick, so that only the change can tell the files apart.
    await new Promise((resolve) => setTimeout(resolve, 20));
    change(s);
    expect(openPlanMemo(s.cache, 'build-1', UID, later).lookup('key')).toBeNull();
    rmSync(s.root, { recursive: true });
  });

  it('misses when a file it found missing appears', async () => {
    const { root, cache } = await setUp();
    const absent = path.join(root, 'repo', 'requirements.txt');
    openPlanMemo(cache, 'build-1', UID, later).store('key', [absent], FACTS);
    expect(openPlanMemo(cache, 'build-1', UID, later).lookup('key')).toEqual(FACTS);
    mkdirSync(path.dirname(absent));
    writeFileSync(absent, 'torch\n');
    expect(openPlanMemo(cache, 'build-1', UID, later).lookup('key')).toBeNull();
    rmSync(root, { recursive: true });
  });

  it('keeps nothing when a file it read changed in the last 2 s (its timestamps may not have moved yet)', async () => {
    const { root, cache, consulted } = await setUp();
    openPlanMemo(cache, 'build-1', UID).store('key', consulted, FACTS);
    expect(openPlanMemo(cache, 'build-1', UID, later).lookup('key')).toBeNull();
    rmSync(root, { recursive: true });
  });
});
