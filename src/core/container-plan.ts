import type { DevenvConfig } from './config/schema.js';
import { parseSize } from './config/size.js';
import type { ContainerUser } from './container-user.js';
import type { DeviceRequest } from './gpu/gpu-plan.js';
import { leaseLabels } from './gpu/leased.js';
import { stableHash } from './hash.js';
import { type ContainerHealthcheck, healthcheckBody } from './health.js';
import { type EnvIdentity, LABELS, ownerLabels } from './identity.js';
import type { BindMount } from './mounts.js';
import { type PortMapping, parsePortSpec, portBindings } from './published-ports.js';

export interface GpuWiring {
  deviceRequests: DeviceRequest[];
  runtime: string | null;
  /** The UUIDs of the GPUs leased to the env (see core/gpu/lease.ts); empty without a lease. */
  lease: string[];
}

/** The Engine API's container create body (the subset devenv sets). */
export interface ContainerCreateBody {
  name: string;
  Image: string;
  Labels: Record<string, string>;
  User?: string;
  WorkingDir: string;
  Env: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Tty: boolean;
  Healthcheck?: ContainerHealthcheck;
  ExposedPorts?: Record<string, Record<string, never>>;
  HostConfig: {
    Init: boolean;
    Mounts: BindMount[];
    NetworkMode: string;
    PortBindings?: Record<string, Array<{ HostIp: string; HostPort: string }>>;
    ShmSize: number;
    DeviceRequests?: DeviceRequest[];
    Runtime?: string;
    NanoCpus?: number;
    Memory?: number;
    RestartPolicy: { Name: string };
  };
}

export const AGENT_DIR_TARGET = '/run/devenv/agent';
export const AGENT_SOCKET_TARGET = `${AGENT_DIR_TARGET}/agent.sock`;

export function planContainer(input: {
  identity: EnvIdentity;
  config: DevenvConfig;
  user: ContainerUser;
  mounts: BindMount[];
  buildHash: string;
  /** The config's hash (configHash), labelled so that a later start knows the container runs it. */
  configHash: string;
  workdir: string;
  gpu: GpuWiring;
  /** The host folder holding the stable link to the SSH agent socket (see host/ssh-agent.ts). */
  sshAgentDir: string | null;
  /** A scheduler job's share of its node (CPUs, MiB of memory), which the container must not exceed. */
  limits?: { cpus: number | null; memoryMiB: number | null } | null;
}): { body: ContainerCreateBody; settingsHash: string } {
  const { config, user, gpu } = input;
  const env = Object.entries(config.env).map(([k, v]) => `${k}=${v}`);
  env.push(`DEVENV_NAME=${input.identity.envName}`);
  const mounts = [...input.mounts];
  if (input.sshAgentDir) {
    mounts.push({ Type: 'bind', Source: input.sshAgentDir, Target: AGENT_DIR_TARGET, ReadOnly: false });
    env.push(`SSH_AUTH_SOCK=${AGENT_SOCKET_TARGET}`);
  }
  const ownEntrypoint = config.entrypoint === 'devenv';
  const healthcheck = healthcheckBody(config.healthcheck, config.entrypoint);
  const ports = portMappings(config);
  const published = ports.length > 0 ? portBindings(ports) : null;
  const body: ContainerCreateBody = {
    name: input.identity.containerName,
    Image: input.identity.imageRef,
    Labels: {},
    ...(ownEntrypoint
      ? { User: `${user.uid}:${user.gid}`, Entrypoint: ['/usr/local/bin/devenv-entry'], Cmd: [] }
      : {}),
    WorkingDir: input.workdir,
    Env: env,
    Tty: false,
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    ...(published ? { ExposedPorts: published.ExposedPorts } : {}),
    HostConfig: {
      Init: ownEntrypoint,
      Mounts: mounts,
      NetworkMode: config.network,
      ...(published ? { PortBindings: published.PortBindings } : {}),
      ShmSize: parseSize(config.shmSize) ?? 0,
      ...(gpu.deviceRequests.length > 0 ? { DeviceRequests: gpu.deviceRequests } : {}),
      ...(gpu.runtime ? { Runtime: gpu.runtime } : {}),
      ...(input.limits?.cpus ? { NanoCpus: input.limits.cpus * 1e9 } : {}),
      ...(input.limits?.memoryMiB ? { Memory: input.limits.memoryMiB * 1024 * 1024 } : {}),
      RestartPolicy: { Name: 'no' },
    },
  };
  const settingsHash = stableHash({ ...hashedBody(body, ownEntrypoint), buildHash: input.buildHash });
  body.Labels = {
    ...ownerLabels(input.identity),
    [LABELS.buildHash]: input.buildHash,
    [LABELS.createHash]: settingsHash,
    [LABELS.gpus]: describeWiring(gpu),
    [LABELS.configHash]: input.configHash,
    ...leaseLabels(gpu.lease),
  };
  return { body, settingsHash };
}

/** The "ports" mappings (validated with the config, so every entry parses). */
export function portMappings(config: DevenvConfig): PortMapping[] {
  return config.ports.map(parsePortSpec).filter((m): m is PortMapping => m !== null);
}

/**
 * The body as the settings hash sees it. Under devenv's own entrypoint an unset healthcheck is
 * "NONE" (health.ts says why); containers made before healthchecks existed had no such field, and
 * leaving it out of the hash keeps them current rather than recreating every env once.
 */
function hashedBody(body: ContainerCreateBody, ownEntrypoint: boolean): ContainerCreateBody {
  if (!ownEntrypoint || body.Healthcheck?.Test[0] !== 'NONE') return body;
  const { Healthcheck: _none, ...rest } = body;
  return rest;
}

/** How the container got its GPUs, for `status`: "none", "all" or the device IDs. */
export function describeWiring(gpu: GpuWiring): string {
  const request = gpu.deviceRequests[0];
  if (!request) return 'none';
  if (request.Count === -1) return 'all';
  return (request.DeviceIDs ?? []).join(',') || 'none';
}

/** A hash of the effective config: a running env made from the same config needs no re-planning. */
export function configHash(config: DevenvConfig): string {
  // Keys added later, left at their defaults, leave the hash as it was before they existed: an
  // upgrade of devenv does not send every running env through a full start. Where images are
  // shared ("registry") is no setting of the container: a change waits for the next build.
  const { healthcheck, ports, registry: _registry, ...rest } = config;
  return stableHash({
    ...rest,
    ...(healthcheck === null ? {} : { healthcheck }),
    ...(ports.length === 0 ? {} : { ports }),
  });
}
