import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_READY,
  clearGpuLedger,
  devenv,
  E2E_ROOT,
  GPU_ENGINE,
  gpuDocker,
  gpuServerEnv,
  makeEnvDir,
  OTHER_USER,
  quickRc,
  removeEnvObjects,
  spawnDevenv,
  TEST_USER,
  type TestUser,
  writeRc,
} from './harness.js';

const LEASE = 'dev.devenv.gpu-lease';
const serverEnv = gpuServerEnv;

interface GpuJson {
  index: number;
  uuid: string;
  name: string;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  heldBy: { user: string; env: string; container: string } | null;
  processes: Array<{ pid: number; usedMemoryMiB: number | null; container: string | null }>;
}

describe('GPU leases on a shared server (two users, the GPU-capable engine)', () => {
  const dirs: string[] = [];
  const envs = new Map<string, { user: TestUser; dir: string }>();
  const state = path.join(E2E_ROOT, `gpu-state-${process.pid}`);

  /** An env of `user` called `name` asking for `gpus`. */
  const env = (user: TestUser, name: string, gpus: unknown) => {
    const dir = makeEnvDir(`gl-${name}`, user, quickRc(name, { gpus }));
    dirs.push(dir);
    envs.set(name, { user, dir });
    return dir;
  };
  const run = (name: string, args: string[], stateFile?: string) => {
    const e = envs.get(name);
    if (!e) throw new Error(`no env ${name}`);
    return devenv(e.user, e.dir, args, { env: serverEnv(stateFile) });
  };
  const containerOf = (name: string) => `devenv-${name}-${envs.get(name)?.user.name}`;
  const leaseOf = (name: string): string[] => {
    const label = gpuDocker([
      'inspect',
      '--format',
      `{{index .Config.Labels "${LEASE}"}}`,
      containerOf(name),
    ]);
    return label === '' ? [] : label.split(',');
  };
  const exists = (name: string) => gpuDocker(['ps', '-aq', '--filter', `name=^${containerOf(name)}$`]) !== '';
  /** What the engine gave the container: NVIDIA_VISIBLE_DEVICES is in PID 1's environment only. */
  const visibleDevices = (name: string) =>
    gpuDocker(['exec', containerOf(name), 'cat', '/proc/1/environ'])
      .split('\0')
      .find((v) => v.startsWith('NVIDIA_VISIBLE_DEVICES='))
      ?.slice('NVIDIA_VISIBLE_DEVICES='.length);
  const gpuMap = (stateFile?: string): GpuJson[] => {
    const result = devenv(TEST_USER, E2E_ROOT, ['gpus', '--json'], { env: serverEnv(stateFile) });
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { gpus: GpuJson[] }).gpus;
  };
  const stopAll = () => {
    for (const name of envs.keys()) if (exists(name)) expect(run(name, ['stop']).code).toBe(0);
  };

  beforeAll(() => {
    // The ledger is every devenv container on the engine: start from an empty one.
    clearGpuLedger();
    // And no GPUs remembered from an earlier run (an env prefers the GPUs it had last time).
    for (const user of [TEST_USER, OTHER_USER])
      rmSync(`/home/${user.name}/.local/state/devenv/leases`, { recursive: true, force: true });
    expect(gpuDocker(['image', 'inspect', '--format', '{{.Id}}', BASE_READY])).not.toBe('');
  });
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir, GPU_ENGINE);
  });

  it('two users get disjoint leases, wired by UUID: NVIDIA_VISIBLE_DEVICES is exactly the lease', () => {
    env(TEST_USER, 'gla', 2);
    env(OTHER_USER, 'glb', 3);
    const a = run('gla', ['start', '--detach']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/leased GPUs 0,1 \(GPU-b42dd28e-[0-9a-f-]+, GPU-7c3cadbd-[0-9a-f-]+\)/);
    const b = run('glb', ['start', '--detach']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/leased GPUs 2,3,4 /);
    expect(leaseOf('gla')).toHaveLength(2);
    expect(leaseOf('glb')).toHaveLength(3);
    expect(leaseOf('gla').filter((u) => leaseOf('glb').includes(u))).toEqual([]);
    expect(visibleDevices('gla')).toBe(leaseOf('gla').join(','));
    expect(visibleDevices('glb')).toBe(leaseOf('glb').join(','));
  });

  it('gpus --json shows who holds which GPU', () => {
    const map = gpuMap();
    expect(map).toHaveLength(8);
    for (const g of map) {
      expect(g).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81559, processes: [] });
      expect(g.uuid).toMatch(/^GPU-/);
    }
    expect(map.filter((g) => g.heldBy?.env === 'gla').map((g) => g.uuid)).toEqual(leaseOf('gla'));
    expect(map[2]?.heldBy).toEqual({
      user: 'devother',
      env: 'glb',
      container: 'devenv-glb-devother',
      since: expect.any(String),
    });
    expect(map.slice(5).every((g) => g.heldBy === null)).toBe(true);
    const status = run('gla', ['status']);
    expect(status.stdout).toMatch(
      /container: devenv-gla-devtest \(running, GPUs 0 \(GPU-b42dd28e-.*\), 1 \(GPU-/,
    );
    // gla's own GPUs are not held by another: 5 of 8 free to it, 3 leased (by glb).
    expect(run('gla', ['doctor']).stdout).toMatch(
      /^ok\s+gpu leases\s+5 of 8 GPUs free; 3 leased \(2: devother\/glb/m,
    );
    // Another user's env: its image freshness is theirs to know (?).
    expect(run('gla', ['ls', '--all']).stdout).toMatch(/\nglb\s+devother\s+running\s+\?\s+2,3,4\s/);
  });

  it('not enough free GPUs: exit 8, one line with the free count and the holders, nothing created', () => {
    env(OTHER_USER, 'glc', 4);
    const result = run('glc', ['start', '--detach']);
    expect(result.code).toBe(8);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/4 GPUs requested, but only 3 of the 8 GPUs are free/);
    expect(lines[0]).toMatch(/devtest/);
    expect(lines[0]).toMatch(/glb/);
    expect(lines[0]).toMatch(/--wait/);
    expect(exists('glc')).toBe(false);
  });

  it('start --wait gets the GPUs when another env stops, and stop frees a lease', async () => {
    const glc = envs.get('glc') as { user: TestUser; dir: string };
    const waiting = spawnDevenv(glc.user, glc.dir, ['start', '--detach', '--wait=3m'], serverEnv());
    await waiting.waitForStderr(/waiting for GPUs/);
    expect(exists('glc')).toBe(false);
    const freed = leaseOf('gla');
    expect(run('gla', ['stop']).code).toBe(0);
    const { code } = await waiting.done;
    expect(code, waiting.stderr()).toBe(0);
    expect(leaseOf('glc')).toHaveLength(4);
    expect(freed.every((u) => leaseOf('glc').includes(u))).toBe(true);
    expect(leaseOf('glc').filter((u) => leaseOf('glb').includes(u))).toEqual([]);
  });

  it('"auto" wires only the GPUs nobody else holds, and says which it left out', () => {
    env(TEST_USER, 'gld', 'auto');
    const result = run('gld', ['start', '--detach']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/wiring GPU 7; left out /);
    const held = [...leaseOf('glb'), ...leaseOf('glc')];
    expect(leaseOf('gld')).toHaveLength(1);
    expect(held).not.toContain(leaseOf('gld')[0]);
    expect(visibleDevices('gld')).toBe(leaseOf('gld')[0]);
  });

  it('"all", or a list naming a GPU another env holds, is refused with exit 8 naming the holder', () => {
    env(TEST_USER, 'gle', 'all');
    const all = run('gle', ['start', '--detach']);
    expect(all.code).toBe(8);
    expect(all.stderr).toMatch(/devother/);
    writeRc(envs.get('gle')?.dir as string, TEST_USER, quickRc('gle', { gpus: [2] }));
    const listed = run('gle', ['start', '--detach']);
    expect(listed.code).toBe(8);
    expect(listed.stderr.trim().split('\n')).toHaveLength(1);
    expect(listed.stderr).toMatch(/devother.*glb|glb.*devother/);
    expect(exists('gle')).toBe(false);
  });

  it('a GPU busy outside devenv is skipped; the map shows the process, and which container a devenv process is in', () => {
    stopAll();
    const [gpu0, gpu1] = gpuMap().map((g) => g.uuid);
    // A process of some other tool on GPU 0, and one inside a devenv container on GPU 1.
    env(TEST_USER, 'glf', 1);
    expect(run('glf', ['start', '--detach', '--gpus', '1']).code).toBe(0);
    expect(leaseOf('glf')).toEqual([gpu0]);
    const pidInEnv = gpuDocker(['inspect', '--format', '{{.State.Pid}}', containerOf('glf')]);
    writeFileSync(state, `app 999999 ${gpu0} 30000\napp ${pidInEnv} ${gpu1} 2000\n`);
    chmodSync(state, 0o644);
    expect(run('glf', ['stop']).code).toBe(0);
    env(OTHER_USER, 'glg', 2);
    const result = run('glg', ['start', '--detach'], state);
    expect(result.code, result.stderr).toBe(0);
    // GPU 0 is busy outside devenv; GPU 1 is busy too now that glf (its process's env) is gone.
    expect(leaseOf('glg')).not.toContain(gpu0);
    expect(leaseOf('glg')).not.toContain(gpu1);
    // glf again, with the state in place: its process is in its container, on GPU 1.
    expect(run('glf', ['start', '--detach'], state).code).toBe(0);
    const pidNow = gpuDocker(['inspect', '--format', '{{.State.Pid}}', containerOf('glf')]);
    writeFileSync(state, `app 999999 ${gpu0} 30000\napp ${pidNow} ${leaseOf('glf')[0]} 2000\n`);
    const map = gpuMap(state);
    expect(map[0]?.processes).toEqual([{ pid: 999999, usedMemoryMiB: 30000, container: null }]);
    expect(map[0]?.heldBy).toBeNull();
    const inEnv = map.find((g) => g.uuid === leaseOf('glf')[0]);
    expect(inEnv?.processes).toEqual([
      { pid: Number(pidNow), usedMemoryMiB: 2000, container: 'devenv-glf-devtest' },
    ]);
  });

  it('an env keeps its GPUs on its next start while they are free', () => {
    const before = leaseOf('glg');
    expect(run('glg', ['stop']).code).toBe(0);
    expect(run('glg', ['start', '--detach'], state).code).toBe(0);
    expect(leaseOf('glg')).toEqual(before);
  });

  it('four simultaneous starts by two users never share a GPU', async () => {
    stopAll();
    const names = ['glr1', 'glr2', 'glr3', 'glr4'];
    for (const [i, name] of names.entries()) env(i % 2 === 0 ? TEST_USER : OTHER_USER, name, 2);
    const runs = names.map((name) => {
      const e = envs.get(name) as { user: TestUser; dir: string };
      return spawnDevenv(e.user, e.dir, ['start', '--detach'], serverEnv());
    });
    const results = await Promise.all(runs.map((r) => r.done));
    for (const [i, r] of results.entries()) expect(r.code, runs[i]?.stderr()).toBe(0);
    const leases = names.map(leaseOf);
    for (const lease of leases) expect(lease).toHaveLength(2);
    expect(new Set(leases.flat()).size).toBe(8);
    for (const name of names) expect(visibleDevices(name)).toBe(leaseOf(name).join(','));
  });
});
