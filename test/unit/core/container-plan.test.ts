import { describe, expect, it } from 'vitest';
import { planBuild } from '../../../src/core/build-plan.js';
import type { DevenvConfig, MountSpec } from '../../../src/core/config/schema.js';
import { parseConfig } from '../../../src/core/config/validate.js';
import {
  AGENT_DIR_TARGET,
  AGENT_SOCKET_TARGET,
  configHash,
  describeWiring,
  type GpuWiring,
  planContainer,
} from '../../../src/core/container-plan.js';
import { containerUserFor } from '../../../src/core/container-user.js';
import { DevenvError } from '../../../src/core/errors.js';
import { stableHash } from '../../../src/core/hash.js';
import { envIdentity, LABELS, ownerLabels } from '../../../src/core/identity.js';
import { type BindMount, planMounts } from '../../../src/core/mounts.js';

const ENV_ROOT = '/srv/envs/podcastllm';
const FILE = `${ENV_ROOT}/.devenvrc`;
const alice = { name: 'alice', uid: 1234, gid: 2345 };
const user = containerUserFor(alice);
const identity = envIdentity('podcastllm', alice, ENV_ROOT);

const NO_GPU: GpuWiring = { deviceRequests: [], runtime: null, lease: [] };
const ALL_GPUS: GpuWiring = {
  deviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }],
  runtime: null,
  lease: [],
};
const TWO_GPUS: GpuWiring = {
  deviceRequests: [{ Driver: '', DeviceIDs: ['0', '2'], Capabilities: [['gpu']] }],
  runtime: null,
  lease: [],
};
const CDI_ALL: GpuWiring = {
  deviceRequests: [{ Driver: 'cdi', DeviceIDs: ['nvidia.com/gpu=all'], Capabilities: [] }],
  runtime: null,
  lease: [],
};

function config(overrides: Partial<DevenvConfig> = {}): DevenvConfig {
  return { ...parseConfig('', FILE, { envRootName: 'podcastllm', hostTimezone: 'UTC' }), ...overrides };
}

const bind = (Source: string, Target: string, ReadOnly = false): BindMount => ({
  Type: 'bind',
  Source,
  Target,
  ReadOnly,
});

function mountsFor(extra: MountSpec[], overrides: Partial<DevenvConfig> = {}) {
  return planMounts(config({ ...overrides, mounts: extra }), ENV_ROOT, user, FILE);
}

function mountFailure(extra: MountSpec[]): DevenvError {
  try {
    mountsFor(extra);
  } catch (error) {
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(3);
    return error as DevenvError;
  }
  throw new Error('expected the mounts to be rejected');
}

function container(
  input: {
    config?: DevenvConfig;
    gpu?: GpuWiring;
    sshAgentDir?: string | null;
    buildHash?: string;
    mounts?: BindMount[];
  } = {},
) {
  const cfg = input.config ?? config();
  return planContainer({
    identity,
    config: cfg,
    user,
    mounts: input.mounts ?? planMounts(cfg, ENV_ROOT, user, FILE).mounts,
    buildHash: input.buildHash ?? 'b1',
    configHash: configHash(cfg),
    workdir: '/home/alice/projects',
    gpu: input.gpu ?? NO_GPU,
    sshAgentDir: input.sshAgentDir ?? null,
  });
}

describe('planMounts: devenv own mounts', () => {
  it.each([
    {
      label: 'defaults',
      overrides: {},
      projects: `${ENV_ROOT}/projects`,
      vscode: `${ENV_ROOT}/temp/.vscode-server`,
    },
    {
      label: 'absolute folders',
      overrides: { projectsDir: '/data/alice/projects', vscodeServerDir: '/data/alice/vscode' },
      projects: '/data/alice/projects',
      vscode: '/data/alice/vscode',
    },
    {
      label: 'folders outside the env root',
      overrides: { projectsDir: '../shared/projects', vscodeServerDir: './cache//vscode/' },
      projects: '/srv/envs/shared/projects',
      vscode: `${ENV_ROOT}/cache/vscode`,
    },
  ])('$label: projects and the VS Code cache land in the home folder', ({ overrides, projects, vscode }) => {
    const plan = mountsFor([], overrides);
    expect(plan.mounts).toEqual([
      bind(projects, '/home/alice/projects'),
      bind(vscode, '/home/alice/.vscode-server'),
    ]);
    expect(plan.hostDirs).toEqual([projects, vscode]);
  });

  it('uses /root for root', () => {
    const plan = planMounts(config(), ENV_ROOT, containerUserFor({ name: 'root', uid: 0, gid: 0 }), FILE);
    expect(plan.mounts.map((m) => m.Target)).toEqual(['/root/projects', '/root/.vscode-server']);
  });
});

describe('planMounts: extra mounts', () => {
  it.each([
    {
      spec: { source: 'data', target: '/data', readonly: true },
      mount: bind(`${ENV_ROOT}/data`, '/data', true),
    },
    { spec: { source: 'data', target: '/data' }, mount: bind(`${ENV_ROOT}/data`, '/data') },
    { spec: { source: '/mnt/datasets', target: '/datasets/' }, mount: bind('/mnt/datasets', '/datasets') },
    { spec: { source: '../models', target: '/models//llm' }, mount: bind('/srv/envs/models', '/models/llm') },
    { spec: { source: 'x', target: '/home/alice/data' }, mount: bind(`${ENV_ROOT}/x`, '/home/alice/data') },
    {
      spec: { source: 'x', target: '/home/alice/projectsX' },
      mount: bind(`${ENV_ROOT}/x`, '/home/alice/projectsX'),
    },
    { spec: { source: 'x', target: '/etcetera' }, mount: bind(`${ENV_ROOT}/x`, '/etcetera') },
    {
      spec: { source: 'certs', target: '/etc/ssl/private', allowSystemTarget: true },
      mount: bind(`${ENV_ROOT}/certs`, '/etc/ssl/private'),
    },
    {
      spec: { source: 'tools', target: '/usr/local/tools', allowSystemTarget: true },
      mount: bind(`${ENV_ROOT}/tools`, '/usr/local/tools'),
    },
  ])('$spec.target is mounted', ({ spec, mount }) => {
    const plan = mountsFor([spec]);
    expect(plan.mounts.slice(2)).toEqual([mount]);
    expect(plan.hostDirs).toHaveLength(2);
  });

  it.each([
    { target: '/home/alice/projects', says: "overlaps devenv's own mount /home/alice/projects" },
    { target: '/home/alice/projects/', says: "overlaps devenv's own mount /home/alice/projects" },
    { target: '/home/alice/projects/sub', says: "overlaps devenv's own mount /home/alice/projects" },
    { target: '/home/alice/.vscode-server', says: "overlaps devenv's own mount /home/alice/.vscode-server" },
    { target: '/home/alice', says: "overlaps devenv's own mount" },
    { target: '/home', says: "overlaps devenv's own mount" },
    { target: '/', says: '"/"' },
    { target: '/etc', says: 'would cover the system folder /etc' },
    { target: '/etc/ssl', says: 'would cover the system folder /etc' },
    { target: '/usr', says: 'would cover the system folder /usr' },
    { target: '/usr/local/lib', says: 'would cover the system folder /usr' },
    { target: '/var/lib/docker', says: 'would cover the system folder /var' },
    { target: '/opt/devenv/python', says: 'would cover the system folder /opt/devenv' },
    { target: '/proc', says: 'would cover the system folder /proc' },
  ])('$target is rejected', ({ target, says }) => {
    const error = mountFailure([{ source: 'data', target }]);
    expect(error.message).toContain(`${FILE}: "mounts[0].target" ${JSON.stringify(target)}`);
    expect(error.message).toContain(says);
  });

  it('hints at allowSystemTarget for a system folder', () => {
    expect(mountFailure([{ source: 'data', target: '/etc/app' }]).hint).toContain(
      '"allowSystemTarget": true',
    );
  });

  it("allowSystemTarget does not allow covering devenv's own mounts", () => {
    expect(mountFailure([{ source: 'data', target: '/home', allowSystemTarget: true }]).message).toContain(
      "overlaps devenv's own mount",
    );
  });

  it.each(['/data/../etc', '/data/../srv', '/..', '/data/..'])('%s is rejected for its ".."', (target) => {
    expect(mountFailure([{ source: 'data', target }]).message).toContain('must not contain ".."');
  });

  it.each([
    { label: 'the same target twice', targets: ['/data', '/data'] },
    { label: 'the same target with a trailing slash', targets: ['/data', '/data/'] },
    { label: 'the same target spelled differently', targets: ['/data', '/./data'] },
  ])('$label is rejected, naming the second mount', ({ targets }) => {
    const error = mountFailure(targets.map((target, i) => ({ source: `s${i}`, target })));
    expect(error.message).toContain('"mounts[1].target"');
    expect(error.message).toContain('is mounted twice');
  });
});

describe('planContainer: the create body', () => {
  it('runs devenv entrypoint as the user, with an init, the env name, and GPU-less', () => {
    const { body } = container();
    expect(body).toMatchObject({
      name: 'devenv-podcastllm-alice',
      Image: 'devenv-podcastllm-alice:latest',
      User: '1234:2345',
      Entrypoint: ['/usr/local/bin/devenv-entry'],
      WorkingDir: '/home/alice/projects',
      Tty: false,
      HostConfig: {
        Init: true,
        NetworkMode: 'host',
        ShmSize: 8 * 1024 ** 3,
        RestartPolicy: { Name: 'no' },
      },
    });
    expect(body.Env).toEqual(['DEVENV_NAME=podcastllm']);
    expect(body.HostConfig.Mounts).toEqual(planMounts(config(), ENV_ROOT, user, FILE).mounts);
    expect(body.HostConfig).not.toHaveProperty('DeviceRequests');
    expect(body.HostConfig).not.toHaveProperty('Runtime');
  });

  it('keeps the base image entrypoint and user with entrypoint "base"', () => {
    const { body } = container({ config: config({ entrypoint: 'base' }) });
    expect(body.User).toBeUndefined();
    expect(body.Entrypoint).toBeUndefined();
    expect(body.Cmd).toBeUndefined();
    expect(body.HostConfig.Init).toBe(false);
  });

  it.each([
    { shmSize: '8g', bytes: 8589934592 },
    { shmSize: '512m', bytes: 536870912 },
    { shmSize: '1.5g', bytes: 1610612736 },
  ])('ShmSize $shmSize is $bytes bytes', ({ shmSize, bytes }) => {
    expect(container({ config: config({ shmSize }) }).body.HostConfig.ShmSize).toBe(bytes);
  });

  it('uses the configured network', () => {
    expect(container({ config: config({ network: 'bridge' }) }).body.HostConfig.NetworkMode).toBe('bridge');
  });

  it('puts config env into the container, never into the image build args', () => {
    const cfg = config({ env: { HF_TOKEN: 'hf_secret_value', EMPTY: '', URL: 'a=b' } });
    expect(container({ config: cfg }).body.Env).toEqual([
      'HF_TOKEN=hf_secret_value',
      'EMPTY=',
      'URL=a=b',
      'DEVENV_NAME=podcastllm',
    ]);
    const build = planBuild({
      identity,
      config: cfg,
      user,
      baseImage: 'ubuntu:24.04',
      recipe: { shared: [], user: [] },
      python: { torch: null, files: [] },
    });
    for (const args of [build.buildArgs, build.shared.buildArgs]) {
      expect(JSON.stringify(args)).not.toContain('hf_secret_value');
      expect(JSON.stringify(args)).not.toContain('HF_TOKEN');
    }
  });

  it('mounts the SSH agent socket and sets SSH_AUTH_SOCK only when given', () => {
    const withAgent = container({ sshAgentDir: '/tmp/devenv-agent-1234' }).body;
    expect(withAgent.HostConfig.Mounts).toContainEqual(bind('/tmp/devenv-agent-1234', AGENT_DIR_TARGET));
    expect(withAgent.Env).toContain(`SSH_AUTH_SOCK=${AGENT_SOCKET_TARGET}`);

    const without = container({ sshAgentDir: null }).body;
    expect(without.HostConfig.Mounts.map((m) => m.Target)).not.toContain(AGENT_DIR_TARGET);
    expect(without.Env.some((e) => e.startsWith('SSH_AUTH_SOCK='))).toBe(false);
  });

  it.each([
    { label: 'all GPUs', gpu: ALL_GPUS, wiring: 'all' },
    { label: 'two GPUs', gpu: TWO_GPUS, wiring: '0,2' },
    { label: 'CDI', gpu: CDI_ALL, wiring: 'nvidia.com/gpu=all' },
  ])('requests GPUs when wired: $label', ({ gpu, wiring }) => {
    const { body } = container({ gpu });
    expect(body.HostConfig.DeviceRequests).toEqual(gpu.deviceRequests);
    expect(body.Labels[LABELS.gpus]).toBe(wiring);
  });

  it('sets the runtime only when the wiring names one', () => {
    expect(container({ gpu: { ...ALL_GPUS, runtime: 'nvidia' } }).body.HostConfig.Runtime).toBe('nvidia');
  });
});

describe('planContainer: hash and labels', () => {
  const reference = container();

  it('labels the container with its owner, build hash, create hash and GPUs', () => {
    expect(reference.body.Labels).toEqual({
      ...ownerLabels(identity),
      [LABELS.buildHash]: 'b1',
      [LABELS.createHash]: reference.settingsHash,
      [LABELS.configHash]: configHash(config()),
      [LABELS.gpus]: 'none',
    });
    expect(reference.settingsHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('is the same for the same inputs', () => {
    expect(container().settingsHash).toBe(reference.settingsHash);
  });

  it.each([
    { label: 'an extra mount', input: { config: config({ mounts: [{ source: 'data', target: '/data' }] }) } },
    {
      label: 'a mount made read-only',
      input: { mounts: reference.body.HostConfig.Mounts.map((m) => ({ ...m, ReadOnly: true })) },
    },
    { label: 'the projects folder', input: { config: config({ projectsDir: 'work' }) } },
    { label: 'an env value', input: { config: config({ env: { A: '1' } }) } },
    { label: 'an env value changing', input: { config: config({ env: { A: '2' } }) } },
    { label: 'the network', input: { config: config({ network: 'bridge' }) } },
    { label: 'the shm size', input: { config: config({ shmSize: '16g' }) } },
    { label: 'the entrypoint', input: { config: config({ entrypoint: 'base' as const }) } },
    { label: 'the GPUs', input: { gpu: ALL_GPUS } },
    { label: 'the SSH agent', input: { sshAgentDir: '/tmp/devenv-agent-1234' } },
    { label: 'the image build', input: { buildHash: 'b2' } },
    { label: 'a healthcheck', input: { config: config({ healthcheck: { command: 'true' } }) } },
    {
      label: 'ports',
      input: { config: config({ network: 'svcnet', ports: ['8888:8888'] }) },
    },
  ])('changes with $label', ({ input }) => {
    expect(container(input).settingsHash).not.toBe(reference.settingsHash);
  });

  it('env A=1 and A=2 hash differently', () => {
    expect(container({ config: config({ env: { A: '1' } }) }).settingsHash).not.toBe(
      container({ config: config({ env: { A: '2' } }) }).settingsHash,
    );
  });
});

describe('planContainer: healthcheck and ports', () => {
  it("turns the healthcheck into the engine's HealthConfig, durations in nanoseconds", () => {
    const healthcheck = {
      command: 'curl -fsS localhost:8888/api',
      interval: '2s',
      timeout: '500ms',
      retries: 5,
      startPeriod: '1m30s',
    };
    expect(container({ config: config({ healthcheck }) }).body.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'curl -fsS localhost:8888/api'],
      Interval: 2_000_000_000,
      Timeout: 500_000_000,
      Retries: 5,
      StartPeriod: 90_000_000_000,
    });
  });

  it("leaves out the fields not given: the image's, else Docker's defaults", () => {
    expect(container({ config: config({ healthcheck: { command: 'true' } }) }).body.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'true'],
    });
  });

  it.each([
    { label: '"none"', healthcheck: 'none' as const, entrypoint: 'base' as const, body: { Test: ['NONE'] } },
    { label: 'unset, entrypoint "base"', healthcheck: null, entrypoint: 'base' as const, body: undefined },
    {
      label: 'unset, entrypoint "devenv" (the base\'s services never start)',
      healthcheck: null,
      entrypoint: 'devenv' as const,
      body: { Test: ['NONE'] },
    },
  ])('$label', ({ healthcheck, entrypoint, body }) => {
    expect(container({ config: config({ healthcheck, entrypoint }) }).body.Healthcheck).toEqual(body);
  });

  it('a healthcheck is never a build input', () => {
    const build = (cfg: DevenvConfig) =>
      planBuild({
        identity,
        config: cfg,
        user,
        baseImage: 'ubuntu:24.04',
        recipe: { shared: [], user: [] },
        python: { torch: null, files: [] },
      });
    expect(build(config({ healthcheck: { command: 'curl -f localhost:1' } })).hash).toBe(
      build(config()).hash,
    );
    expect(build(config({ healthcheck: 'none' })).hash).toBe(build(config()).hash);
  });

  it('publishes the ports: each container port exposed and bound to its host ports', () => {
    const { body } = container({
      config: config({
        network: 'svcnet',
        ports: ['8888:8888', '127.0.0.1:9000:8000', '[::1]:9001:8000', '5353:53/udp'],
      }),
    });
    expect(body.ExposedPorts).toEqual({ '8888/tcp': {}, '8000/tcp': {}, '53/udp': {} });
    expect(body.HostConfig.PortBindings).toEqual({
      '8888/tcp': [{ HostIp: '', HostPort: '8888' }],
      '8000/tcp': [
        { HostIp: '127.0.0.1', HostPort: '9000' },
        { HostIp: '::1', HostPort: '9001' },
      ],
      '53/udp': [{ HostIp: '', HostPort: '5353' }],
    });
  });

  it('sets neither field without ports', () => {
    const { body } = container();
    expect(body).not.toHaveProperty('ExposedPorts');
    expect(body.HostConfig).not.toHaveProperty('PortBindings');
  });

  it('containers made before healthchecks and ports existed stay current: the defaults leave both hashes as they were', () => {
    const { body, settingsHash } = container();
    const { Healthcheck, Labels: _labels, ...before } = body;
    expect(Healthcheck).toEqual({ Test: ['NONE'] });
    expect(settingsHash).toBe(stableHash({ ...before, Labels: {}, buildHash: 'b1' }));
    const { healthcheck: _h, ports: _p, registry: _r, ...keysBefore } = config();
    expect(configHash(config())).toBe(stableHash(keysBefore));
    expect(configHash(config({ healthcheck: 'none' }))).not.toBe(configHash(config()));
    // Where images are shared is no setting of the container: any registry, the same hash.
    expect(configHash(config({ registry: 'registry.lab:5000/devenv' }))).toBe(configHash(config()));
  });
});

describe('describeWiring', () => {
  it.each([
    { gpu: NO_GPU, text: 'none' },
    { gpu: ALL_GPUS, text: 'all' },
    { gpu: TWO_GPUS, text: '0,2' },
    { gpu: CDI_ALL, text: 'nvidia.com/gpu=all' },
    {
      gpu: {
        deviceRequests: [{ Driver: '', DeviceIDs: [], Capabilities: [['gpu']] }],
        runtime: null,
        lease: [],
      },
      text: 'none',
    },
  ])('$text', ({ gpu, text }) => {
    expect(describeWiring(gpu)).toBe(text);
  });
});

describe('the GPU lease on the container', () => {
  const uuids = ['GPU-aaaa', 'GPU-bbbb'];
  const leased: GpuWiring = {
    deviceRequests: [{ Driver: '', DeviceIDs: uuids, Capabilities: [['gpu']] }],
    runtime: null,
    lease: uuids,
  };
  const plan = (gpu: GpuWiring) =>
    planContainer({
      identity,
      config: config(),
      user,
      mounts: [],
      buildHash: 'b',
      configHash: 'c',
      workdir: '/home/alice/projects',
      gpu,
      sshAgentDir: null,
    });

  it('records the leased UUIDs in a label, and asks the engine for exactly those GPUs by UUID', () => {
    const { body } = plan(leased);
    expect(body.Labels['dev.devenv.gpu-lease']).toBe('GPU-aaaa,GPU-bbbb');
    expect(body.HostConfig.DeviceRequests).toEqual([
      { Driver: '', DeviceIDs: uuids, Capabilities: [['gpu']] },
    ]);
  });

  it('has no lease label without a lease', () => {
    expect(plan(NO_GPU).body.Labels['dev.devenv.gpu-lease']).toBeUndefined();
  });
});
