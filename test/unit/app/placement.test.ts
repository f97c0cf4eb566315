import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envOn } from '../../../src/app/env.js';
import { placeEnv } from '../../../src/app/placement.js';
import type { Site } from '../../../src/app/site.js';
import { upEnv } from '../../../src/app/up.js';
import { DevenvError } from '../../../src/core/errors.js';
import { envIdentity, LABELS, ownerLabels } from '../../../src/core/identity.js';
import type { HostChoice } from '../../../src/core/placement.js';
import type { EngineEndpoint } from '../../../src/docker/endpoint.js';
import { readPlacement, writePlacement } from '../../../src/host/placement-store.js';
import { checkedConfig, ENV_ROOT, envContext } from '../../fakes/env-context.js';
import { FakeHost } from '../../fakes/host.js';
import { type FakeIo, fakeIo } from '../../fakes/io.js';
import { machineGpus, nvidiaSmi } from '../../fakes/nvidia-smi.js';
import { type FakeSite, fakeSite } from '../../fakes/site.js';
import { RecordingUi } from '../../fakes/ui.js';

const GPU1 = 'ssh://me@gpu1';
const GPU2 = 'ssh://me@gpu2';
const GPU3 = 'ssh://me@gpu3';
const GPUS = machineGpus();

let io: FakeIo;
let ui: RecordingUi;

beforeEach(() => {
  io = fakeIo();
  ui = new RecordingUi();
});
afterEach(() => io.cleanup());

/**
 * Three eight-GPU servers behind ssh:// entries, each with `busy` of its GPUs leased by bob's env
 * there, or unreachable. The wiring opens them as openSite would, and records which it opened.
 */
function fleet(busy: Record<string, number | 'unreachable'>) {
  const sites = new Map<string, FakeSite>();
  const opened: string[] = [];
  const slurmSite = fakeSite({ io, ui, host: new FakeHost({ name: 'nodeA (job 7)' }) });
  for (const [url, held] of Object.entries(busy)) {
    if (held === 'unreachable') continue;
    const host = new FakeHost({ remote: true, name: url.slice('ssh://'.length) }).script(
      'nvidia-smi',
      nvidiaSmi(),
    );
    host.commands.add('nvidia-container-runtime-hook');
    const site = fakeSite({ io, ui, host });
    if (held > 0) {
      const bob = envIdentity('train', { name: 'bob', uid: 1001, gid: 1001 }, '/home/bob/train');
      site.fakeEngine.addContainer({
        name: bob.containerName,
        running: true,
        labels: {
          ...ownerLabels(bob),
          [LABELS.gpuLease]: GPUS.slice(0, held)
            .map((g) => g.uuid)
            .join(','),
        },
      });
    }
    sites.set(url, site);
  }
  const wiring = {
    io,
    ui,
    openSite: async (endpoint: EngineEndpoint): Promise<Site> => {
      opened.push(endpoint.url);
      const site = sites.get(endpoint.url);
      if (!site)
        throw new DevenvError(
          `ssh: connect to host ${endpoint.hostName.split('@')[1]} port 22: Connection refused`,
          {
            code: 'engine',
          },
        );
      return site;
    },
    openSlurmSite: async (): Promise<Site> => {
      opened.push('slurm');
      return slurmSite;
    },
  };
  return { sites, opened, wiring };
}

const config = (values: Record<string, unknown> = {}) =>
  checkedConfig({ hosts: [GPU1, GPU2, GPU3], gpus: 2, ...values });

const START: HostChoice = { place: true };

describe('placeEnv among "hosts"', () => {
  it('puts the env where its GPU request fits, on the host with the most free GPUs', async () => {
    const { wiring } = fleet({ [GPU1]: 7, [GPU2]: 4, [GPU3]: 2 });

    const placed = await placeEnv(wiring, {}, config(), START);

    expect(placed.site.name).toBe('me@gpu3');
    expect(placed.placement).toEqual({ host: GPU3, explanation: `placed on ${GPU3}: 6 of 8 GPUs free` });
    expect(placed.env.hostRoot).toBe('/home/me/devenv/proj');
    expect(ui.infos).toEqual([`placed on ${GPU3}: 6 of 8 GPUs free`]);
  });

  it('keeps the env on the host where it runs, even with fewer free GPUs there', async () => {
    const { sites, wiring } = fleet({ [GPU1]: 6, [GPU2]: 0, [GPU3]: 0 });
    const gpu1 = sites.get(GPU1) as FakeSite;
    const env = envOn(gpu1.host, config());
    gpu1.fakeEngine.addContainer({
      name: env.identity.containerName,
      running: true,
      labels: { ...ownerLabels(env.identity), [LABELS.configHash]: env.configHash },
    });

    const placed = await placeEnv(wiring, {}, config(), START);

    expect(placed.site).toBe(gpu1);
    expect(placed.placement?.explanation).toBe(`on ${GPU1}, where the env runs`);
  });

  it('warns about a host that does not answer and places the env on another', async () => {
    const { wiring } = fleet({ [GPU1]: 7, [GPU2]: 'unreachable', [GPU3]: 4 });

    const placed = await placeEnv(wiring, {}, config(), START);

    expect(placed.placement?.host).toBe(GPU3);
    expect(ui.warnings).toEqual([`${GPU2}: ssh: connect to host gpu2 port 22: Connection refused`]);
  });

  it('no host with room: exit 8 naming what each host has free', async () => {
    const { wiring } = fleet({ [GPU1]: 7, [GPU2]: 8, [GPU3]: 'unreachable' });

    const error = await placeEnv(wiring, {}, config(), START).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(8);
    expect((error as DevenvError).message).toBe(
      `no host has 2 free GPUs: ${GPU1}: 1 of 8 GPUs free; ${GPU2}: 0 of 8 GPUs free; ${GPU3}: unreachable (ssh: connect to host gpu3 port 22: Connection refused)`,
    );
  });

  it('no host with room but --wait: the host to wait on', async () => {
    const { wiring } = fleet({ [GPU1]: 7, [GPU2]: 8, [GPU3]: 8 });

    const placed = await placeEnv(wiring, {}, config(), { place: true, waiting: true });

    expect(placed.placement?.explanation).toBe(`placed on ${GPU1} to wait for GPUs: 1 of 8 GPUs free`);
  });

  it('start --gpus N places by N, not by the config', async () => {
    const { wiring } = fleet({ [GPU1]: 2, [GPU2]: 5, [GPU3]: 8 });

    const error = await placeEnv(wiring, {}, config(), { place: true, gpus: 7 }).catch((e: unknown) => e);

    expect((error as DevenvError).message).toMatch(/^no host has 7 free GPUs: /);
  });
});

describe('placeEnv and what says the host outright', () => {
  it('--on: that host only, and a word when the env was elsewhere', async () => {
    const { opened, wiring } = fleet({ [GPU1]: 0, [GPU2]: 0, [GPU3]: 0 });
    writePlacement(io.env, ENV_ROOT, 'proj', GPU1);

    const placed = await placeEnv(wiring, {}, config(), { on: GPU3, place: true });

    expect(opened).toEqual([GPU3]);
    expect(placed.placement).toEqual({ host: GPU3, explanation: null });
    expect(ui.warnings).toEqual([
      `the env was on ${GPU1}; if it still runs there it keeps running (and holds its GPUs): stop it with \`DOCKER_HOST=${GPU1} devenv stop\``,
    ]);
  });

  it('DOCKER_HOST wins over "hosts", and nothing is recorded', async () => {
    const { opened, wiring } = fleet({ [GPU1]: 0, [GPU2]: 0, [GPU3]: 0 });
    io.env.DOCKER_HOST = GPU2;

    const placed = await placeEnv(wiring, {}, config(), START);

    expect(opened).toEqual([GPU2]);
    expect(placed.placement).toBeNull();
  });
});

describe('placeEnv and the record of where the env went', () => {
  it('start records the host; later commands go there without asking the others', async () => {
    const { opened, wiring } = fleet({ [GPU1]: 7, [GPU2]: 2, [GPU3]: 4 });
    const first = await placeEnv(wiring, {}, config(), START);
    await upEnv(
      envContext({ io, ui, site: first.site as FakeSite, config: config(), placement: first.placement }),
      {},
    );
    expect(readPlacement(io.env, ENV_ROOT, 'proj')?.host).toBe(GPU2);

    opened.length = 0;
    const stop = await placeEnv(wiring, {}, config(), {});
    expect(opened).toEqual([GPU2]);
    expect(stop.placement).toEqual({ host: GPU2, explanation: null });

    opened.length = 0;
    const again = await placeEnv(wiring, {}, config(), START);
    expect(opened).toEqual([GPU2]);
    expect(again.site.name).toBe('me@gpu2');
  });

  it('the recorded host when the env no longer runs there: placed afresh, preferring it', async () => {
    const { opened, wiring } = fleet({ [GPU1]: 0, [GPU2]: 6, [GPU3]: 2 });
    writePlacement(io.env, ENV_ROOT, 'proj', GPU2);

    const placed = await placeEnv(wiring, {}, config(), START);

    expect(opened.sort()).toEqual([GPU1, GPU2, GPU2, GPU3]);
    expect(placed.placement?.explanation).toBe(`placed on ${GPU2}: 2 of 8 GPUs free`);
  });
});

describe('placeEnv with a "slurm" key', () => {
  it('opens the Slurm site and never asks "hosts" or the placement record', async () => {
    const { wiring, opened } = fleet({ [GPU1]: 0 });
    writePlacement(io.env, ENV_ROOT, 'myenv', GPU1);

    const placed = await placeEnv(
      wiring,
      {},
      checkedConfig({ name: 'myenv', slurm: { partition: 'gpu' } }),
      START,
    );

    expect(placed.site.name).toBe('nodeA (job 7)');
    expect(placed.placement).toBeNull();
    expect(opened).toEqual(['slurm']);
  });

  it('refuses --on: Slurm chooses the node (exit 2)', async () => {
    const { wiring } = fleet({ [GPU1]: 0 });

    const placing = placeEnv(wiring, {}, checkedConfig({ slurm: {} }), { ...START, on: GPU1 });

    await expect(placing).rejects.toThrow(/--on cannot place an env with a "slurm" key/);
    await expect(placing).rejects.toMatchObject({ exitCode: 2 });
  });
});
