import { chownSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeEnvDir,
  quickRc,
  REGISTRY_OPEN,
  removeEnvObjects,
  SLURM_DEBUG_PARTITION,
  SLURM_NODES,
  TEST_USER,
  writeRc,
} from './harness.js';
import { containerOf, devenvOn, nodeEnvImages, removeSlurmEnv } from './slurm-kit.js';

/**
 * Issue 20 on the cluster: an image built and pushed on the login node is what a node would build
 * (a cluster's users and UIDs are the same everywhere), so a start in a job pulls it: no build step
 * runs on the node.
 */
const NAME = 'slreg';
const CONTAINER = containerOf(NAME, TEST_USER);
const REPO = 'slurmreg';
const { nodeB } = SLURM_NODES;

describe('a Slurm node pulls the image the login node pushed', () => {
  let dir: string;
  const registry = `${REGISTRY_OPEN}/${REPO}`;
  beforeAll(() => {
    dir = makeEnvDir(NAME, TEST_USER, quickRc(NAME, { registry }));
    mkdirSync(path.join(dir, 'cluster'));
    chownSync(path.join(dir, 'cluster'), TEST_USER.uid, TEST_USER.gid);
    writeRc(
      path.join(dir, 'cluster'),
      TEST_USER,
      quickRc(NAME, { registry, slurm: { partition: SLURM_DEBUG_PARTITION, time: '15' } }),
    );
  });
  afterAll(async () => {
    await devenvOn(TEST_USER, dir, ['stop', '-c', 'cluster/.devenvrc']);
    removeSlurmEnv(dir, CONTAINER, TEST_USER);
    // prune, not a removal by labels: it also takes the shared layers this env alone used.
    await devenvOn(TEST_USER, dir, ['prune', '-y']);
    removeEnvObjects(dir);
    rmSync(`/srv/devenv-registry/open/data/docker/registry/v2/repositories/${REPO}`, {
      recursive: true,
      force: true,
    });
  });

  it('start on the login node builds and pushes; start in a job pulls, with no build step', async () => {
    const here = await devenvOn(TEST_USER, dir, ['start', '-d']);
    expect(here.code, here.stderr).toBe(0);
    expect(here.stderr).toContain(`pushed ${CONTAINER}:latest and its shared layers to ${registry}`);

    const there = await devenvOn(TEST_USER, dir, ['start', '-d', '-c', 'cluster/.devenvrc']);
    expect(there.code, there.stderr).toBe(0);
    expect(there.stderr).toContain(`pulled image ${CONTAINER}:latest from ${registry}`);
    expect(there.stderr).not.toMatch(/building/);
    expect(nodeEnvImages(nodeB, NAME, TEST_USER)).not.toEqual([]);

    const status = await devenvOn(TEST_USER, dir, ['status', '-c', 'cluster/.devenvrc']);
    expect(status.stdout).toMatch(
      new RegExp(`image: +${CONTAINER}:latest \\(up to date, pulled from ${registry}`),
    );
    const local = await devenvOn(TEST_USER, dir, ['status']);
    expect(local.stdout).toMatch(new RegExp(`image: +${CONTAINER}:latest \\(up to date, built here`));
  });
});
