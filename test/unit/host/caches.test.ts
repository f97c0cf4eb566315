import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/app/env-config.js';
import { configHash } from '../../../src/core/container-plan.js';
import { type BuildInfo, bundleCaches, NO_CACHES } from '../../../src/host/caches.js';
import { localHost } from '../../../src/host/local-host.js';
import type { PlanFacts } from '../../../src/host/plan-memo.js';
import { FakeEngine } from '../../fakes/engine.js';

const UID = process.getuid?.() ?? 0;
const FACTS: PlanFacts = {
  imageRef: 'devenv-x-me:latest',
  hash: 'h1',
  baseImage: 'debian',
  torchIndex: null,
};

/** A bundle build whose rare runs are counted. */
function build(): BuildInfo & { rare: number } {
  const info = {
    key: 'v20-x64-1000-1',
    cacheDir: mkdtempSync(path.join(os.tmpdir(), 'devenv-caches-')),
    rare: 0,
    tookRarePath: () => {
      info.rare += 1;
    },
  };
  return info;
}

describe('the caches of the bundle', () => {
  it('check a .devenvrc once per text: a later command takes it from the cache, and only the check is a rare run', async () => {
    const b = build();
    const source = { envRoot: '/srv/envs/llm', file: '/srv/envs/llm/.devenvrc', text: '{"name": "llm"}' };
    let checks = 0;
    const check = async () => {
      checks += 1;
      const loaded = checkConfig(source, 'UTC');
      return { loaded, configHash: configHash(loaded.config) };
    };
    const first = await bundleCaches(b, UID).checkedConfig(source, 'UTC', check);
    const again = await bundleCaches(b, UID).checkedConfig(source, 'UTC', check);
    expect(checks).toBe(1);
    expect(again).toStrictEqual(first);
    expect(b.rare).toBe(1);
    await bundleCaches(b, UID).checkedConfig({ ...source, text: '{"name": "llm", "gpus": 2}' }, 'UTC', check);
    expect(checks).toBe(2);
  });

  it('plan facts hold until a file the plan read changes, and a requirements file found missing counts', async () => {
    const b = build();
    const root = mkdtempSync(path.join(os.tmpdir(), 'devenv-caches-env-'));
    const requirements = path.join(root, 'requirements.txt');
    const host = localHost(process.env);
    let plans = 0;
    const plan = async () => {
      plans += 1;
      await host.requirementsContext(requirements);
      return FACTS;
    };
    expect(await bundleCaches(b, UID).planFacts('key', plan)).toStrictEqual(FACTS);
    await bundleCaches(b, UID).planFacts('key', plan);
    expect(plans).toBe(1);
    writeFileSync(requirements, 'numpy==2.0\n');
    await bundleCaches(b, UID).planFacts('key', plan);
    expect(plans).toBe(2);
  });

  it('mark a run rare when it changes something through the engine, not when it only looks', async () => {
    const b = build();
    const engine = bundleCaches(b, UID).engine(new FakeEngine());
    await engine.inspectContainer('devenv-x-me');
    await engine.listContainers([]);
    expect(b.rare).toBe(0);
    await engine.pullImage('debian:bookworm');
    expect(b.rare).toBe(1);
  });

  it('outside the bundle remember nothing', async () => {
    let plans = 0;
    const plan = async () => {
      plans += 1;
      return FACTS;
    };
    await NO_CACHES.planFacts('key', plan);
    await NO_CACHES.planFacts('key', plan);
    expect(plans).toBe(2);
    const engine = new FakeEngine();
    expect(NO_CACHES.engine(engine)).toBe(engine);
  });
});
