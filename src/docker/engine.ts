import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { contextWithLabels, type ImageBuild } from '../core/build-plan.js';
import type { ContainerCreateBody } from '../core/container-plan.js';
import type {
  BuildEvents,
  BuildStep,
  ContainerDetails,
  ContainerState,
  Engine,
  EngineInfo,
  EngineLock,
  ExecIo,
  ExecRequest,
  ImageState,
  LogsIo,
  LogsOptions,
  RegistryAuth,
} from '../core/engine.js';
import { ContainerNameTaken, DevenvError, ImageInUse } from '../core/errors.js';
import { type HealthState, type HealthStatus, healthTimes } from '../core/health.js';
import { mappingsFromBindings, type PortProtocol, type PublishedPort } from '../core/published-ports.js';
import { BUILD_LOG_TAIL, buildFailureOf, stepOf } from './build-failure.js';
import { buildOutputLines } from './build-output.js';
import type { EngineEndpoint } from './endpoint.js';
import { checkApiVersion } from './engine-version.js';
import {
  engineError,
  engineMessage,
  hostPortTaken,
  noGpuDriver,
  registryFailureOf,
  statusOf,
} from './errors.js';
import { runExec } from './exec.js';
import { copyLogs } from './logs.js';

interface ProgressEvent {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string };
}

/** The one implementation of Engine, over dockerode. Engine errors become DevenvErrors here. */
export class DockerodeEngine implements Engine {
  constructor(
    readonly docker: Dockerode,
    readonly endpoint: EngineEndpoint,
  ) {}

  private versionAnswer: Promise<Dockerode.DockerVersion> | undefined;

  /** The engine's version answer, asked once per command (the compatibility check and info both need it). */
  private version(): Promise<Dockerode.DockerVersion> {
    this.versionAnswer ??= this.call('reading engine version', () => this.docker.version());
    return this.versionAnswer;
  }

  /** Runs an engine call, turning a failure into one DevenvError that says what devenv was doing. */
  async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw engineError(error, this.endpoint, doing);
    }
  }

  async checkCompatible(): Promise<void> {
    checkApiVersion(await this.version(), this.endpoint);
  }

  async info(): Promise<EngineInfo> {
    const info = await this.call('reading engine info', () => this.docker.info());
    const version = await this.version();
    return {
      serverVersion: String(info.ServerVersion ?? version.Version ?? ''),
      apiVersion: String(version.ApiVersion ?? ''),
      os: String(info.OperatingSystem ?? ''),
      runtimes: (info.Runtimes as Record<string, unknown>) ?? {},
      cdiSpecDirs: (info.CDISpecDirs as string[] | undefined) ?? [],
      dockerRootDir: String(info.DockerRootDir ?? '/var/lib/docker'),
    };
  }

  async inspectContainer(nameOrId: string): Promise<ContainerDetails | null> {
    try {
      const c = await this.docker.getContainer(nameOrId).inspect();
      const check = c.Config.Healthcheck;
      const hasCheck = Boolean(check?.Test?.length) && check?.Test?.[0] !== 'NONE';
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        running: c.State.Running,
        status: c.State.Status,
        labels: c.Config.Labels ?? {},
        imageId: c.Image,
        created: c.Created,
        health: hasCheck ? healthOf(c.State.Health) : null,
        healthcheck: hasCheck ? healthTimes(check) : null,
        ports: mappingsFromBindings(c.HostConfig.PortBindings),
      };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw engineError(error, this.endpoint, `inspecting container ${nameOrId}`);
    }
  }

  async listContainers(labelFilters: string[]): Promise<ContainerState[]> {
    const list = await this.call('listing containers', () =>
      this.docker.listContainers({ all: true, filters: { label: labelFilters } }),
    );
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      running: c.State === 'running',
      status: c.State,
      labels: c.Labels ?? {},
      imageId: c.ImageID,
      created: new Date(c.Created * 1000).toISOString(),
    }));
  }

  async listPublishedPorts(): Promise<PublishedPort[]> {
    const list = await this.call('listing published ports', () =>
      this.docker.listContainers({ filters: { status: ['running'] } }),
    );
    return list.flatMap((c) =>
      (c.Ports ?? [])
        .filter((p) => p.PublicPort !== undefined && (p.Type === 'tcp' || p.Type === 'udp'))
        .map((p) => ({
          containerId: c.Id,
          container: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
          hostIp: !p.IP || p.IP === '0.0.0.0' || p.IP === '::' ? null : p.IP,
          hostPort: p.PublicPort,
          protocol: p.Type as PortProtocol,
        })),
    );
  }

  async inspectImage(ref: string): Promise<ImageState | null> {
    try {
      const image = await this.docker.getImage(ref).inspect();
      return {
        id: image.Id,
        labels: image.Config?.Labels ?? {},
        created: image.Created,
        size: image.Size,
        parent: image.Parent ?? '',
      };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw engineError(error, this.endpoint, `inspecting image ${ref}`);
    }
  }

  listImages(labelFilters: string[]): Promise<ImageState[]> {
    return this.imagesMatching('listing images', { label: labelFilters });
  }

  listDanglingImages(labelFilters: string[]): Promise<ImageState[]> {
    return this.imagesMatching('listing dangling images', { label: labelFilters, dangling: ['true'] });
  }

  private async imagesMatching(doing: string, filters: Record<string, string[]>): Promise<ImageState[]> {
    const list = await this.call(doing, () => this.docker.listImages({ filters }));
    return list.map((i) => ({
      id: i.Id,
      labels: i.Labels ?? {},
      created: new Date(i.Created * 1000).toISOString(),
      size: i.Size,
    }));
  }

  async pullImage(ref: string, onLine?: (line: string) => void): Promise<void> {
    try {
      const stream = await this.docker.pull(ref);
      await this.follow(stream, (event) => {
        if (event.status)
          onLine?.(
            `${event.id ? `${event.id}: ` : ''}${event.status}${event.progress ? ` ${event.progress}` : ''}`,
          );
      });
    } catch (error) {
      if (error instanceof DevenvError) throw error;
      const reason =
        statusOf(error) === undefined && (error as { code?: string }).code ? null : engineMessage(error);
      if (reason === null) throw engineError(error, this.endpoint, `pulling ${ref}`);
      throw new DevenvError(`base image ${ref} is not on this engine and cannot be pulled: ${reason}`, {
        hint: 'check the name in baseImage, log in to its registry (`docker login`), or build/load it locally first',
        code: 'image',
        cause: error,
      });
    }
  }

  async pullFromRegistry(
    ref: string,
    auth: RegistryAuth | null,
    onLine?: (line: string) => void,
  ): Promise<void> {
    try {
      const stream = await this.docker.pull(ref, auth ? { authconfig: auth } : {});
      await this.followRegistry(stream, onLine);
    } catch (error) {
      throw registryFailureOf(error, this.endpoint, `pulling ${ref}`);
    }
  }

  async pushImage(ref: string, auth: RegistryAuth | null, onLine?: (line: string) => void): Promise<void> {
    const { repo, tag } = splitRef(ref);
    try {
      const stream = (await this.docker
        .getImage(repo)
        .push({ tag, ...(auth ? { authconfig: auth } : {}) })) as NodeJS.ReadableStream;
      await this.followRegistry(stream, onLine);
    } catch (error) {
      throw registryFailureOf(error, this.endpoint, `pushing ${ref}`);
    }
  }

  /** Follows a push or pull: the engine reports a failure inside the stream, as an error event. */
  private async followRegistry(
    stream: NodeJS.ReadableStream,
    onLine?: (line: string) => void,
  ): Promise<void> {
    let failure: string | null = null;
    await this.follow(stream, (event) => {
      if (event.errorDetail || event.error) failure ??= event.errorDetail?.message ?? event.error ?? 'failed';
      else if (event.status)
        onLine?.(
          `${event.id ? `${event.id}: ` : ''}${event.status}${event.progress ? ` ${event.progress}` : ''}`,
        );
    });
    if (failure !== null) throw new Error(failure);
  }

  async tagImage(source: string, target: string): Promise<void> {
    const { repo, tag } = splitRef(target);
    await this.call(`naming image ${target}`, () => this.docker.getImage(source).tag({ repo, tag }));
  }

  async untagImage(ref: string): Promise<void> {
    try {
      // By name, the engine removes the name, and the image only when it was its last name.
      await this.docker.getImage(ref).remove({ noprune: true });
    } catch (error) {
      if (statusOf(error) === 404) return;
      if (statusOf(error) === 409) throw new ImageInUse(ref, error);
      throw engineError(error, this.endpoint, `removing the name ${ref}`);
    }
  }

  async exportImages(refs: string[]): Promise<NodeJS.ReadableStream> {
    // dockerode has GET /images/get (`docker save`) as getImages, missing from its types.
    const docker = this.docker as unknown as {
      getImages(options: { names: string[] }): Promise<NodeJS.ReadableStream>;
    };
    return this.call(`exporting ${refs.join(', ')}`, () => docker.getImages({ names: refs }));
  }

  async importImages(tar: NodeJS.ReadableStream): Promise<void> {
    const stream = (await this.call('loading images', () =>
      this.docker.loadImage(tar as unknown as string, { quiet: true }),
    )) as NodeJS.ReadableStream;
    let failure: string | null = null;
    await this.call('loading images', () =>
      this.follow(stream, (event) => {
        if (event.errorDetail || event.error)
          failure ??= event.errorDetail?.message ?? event.error ?? 'failed';
      }),
    );
    if (failure !== null) throw engineError(new Error(failure), this.endpoint, 'loading images');
  }

  async takeLock(name: string, image: string, labels: Record<string, string>): Promise<EngineLock | null> {
    let container: Dockerode.Container;
    try {
      container = await this.docker.createContainer({
        name,
        Image: image,
        Entrypoint: ['sh', '-c', 'read -r _'],
        Cmd: [],
        Labels: labels,
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        HostConfig: { AutoRemove: true, NetworkMode: 'none' },
      });
    } catch (error) {
      if (statusOf(error) === 409) return this.clearStaleLock(name);
      throw engineError(error, this.endpoint, `taking the lock ${name}`);
    }
    // The container waits for a line on stdin, which this attach holds: when the connection
    // closes (this process ends, or release), the engine closes its stdin (StdinOnce), it exits
    // and AutoRemove removes it.
    let stdin: Duplex;
    try {
      stdin = (await container.attach({ stream: true, stdin: true, hijack: true })) as unknown as Duplex;
      stdin.on('error', () => undefined);
      await container.start();
    } catch (error) {
      await this.removeContainer(container.id).catch(() => undefined);
      // Gone between create and start: another start took it for a crashed holder's. Not ours.
      if (statusOf(error) === 404) return null;
      throw engineError(error, this.endpoint, `taking the lock ${name}`);
    }
    return {
      release: async () => {
        stdin.end();
        stdin.destroy();
        await this.removeContainer(container.id).catch(() => undefined);
      },
    };
  }

  /**
   * Another holds `name`. A lock container that ended (its AutoRemove failed) or was never started
   * a minute after it was made was left by a holder that crashed: removed, so the next try takes
   * it. One just made and about to start is another's, and stays.
   */
  private async clearStaleLock(name: string): Promise<null> {
    const holder = await this.inspectContainer(name);
    if (holder && isStaleLock(holder, Date.now())) await this.removeContainer(holder.id);
    return null;
  }

  async buildImage(
    plan: ImageBuild,
    options: BuildEvents & { noCache: boolean; signal?: AbortSignal },
  ): Promise<string> {
    let imageId = '';
    let failure: string | null = null;
    let step: BuildStep | null = null;
    const tail: string[] = [];
    // Loaded here: tar-stream is for builds only.
    const { contextTar } = await import('./context-tar.js');
    const stream = await this.call('starting the image build', () =>
      this.docker.buildImage(contextTar(contextWithLabels(plan)), {
        t: plan.imageRef,
        buildargs: plan.buildArgs,
        nocache: options.noCache,
        pull: false,
        rm: true,
        forcerm: true,
        // Builds reach package mirrors through the host's network: it works whatever the
        // engine's bridge setup is (and there may be none).
        networkmode: 'host',
        ...(options.signal ? { abortSignal: options.signal } : {}),
      } as Dockerode.ImageBuildOptions),
    );
    const output = buildOutputLines((line) => {
      options.onLine?.(line);
      tail.push(line);
      if (tail.length > BUILD_LOG_TAIL) tail.shift();
      const started = stepOf(line);
      if (started) {
        step = started;
        options.onStep?.(started.number, started.total, started.instruction);
      }
      const built = /^Successfully built ([0-9a-f]+)$/.exec(line);
      if (built?.[1] && !imageId) imageId = built[1];
    });
    try {
      await this.follow(stream, (event) => {
        if (event.errorDetail || event.error) {
          output.flush();
          failure = event.errorDetail?.message ?? event.error ?? 'unknown build error';
          options.onLine?.(failure);
          return;
        }
        if (event.aux?.ID) imageId = event.aux.ID;
        output.push(event.stream ?? '');
      });
    } catch (error) {
      // The progress stream broke off mid-build: a failed build too, unless we aborted it.
      if (options.signal?.aborted) throw error;
      output.flush();
      throw buildFailureOf((error as Error).message, step, tail);
    }
    output.flush();
    if (failure !== null) throw buildFailureOf(failure, step, tail);
    return imageId;
  }

  private follow(stream: NodeJS.ReadableStream, onEvent: (event: ProgressEvent) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (error: Error | null) => (error ? reject(error) : resolve()),
        (event: ProgressEvent) => onEvent(event),
      );
    });
  }

  async createContainer(body: ContainerCreateBody): Promise<string> {
    try {
      const container = await this.docker.createContainer(
        body as unknown as Dockerode.ContainerCreateOptions,
      );
      return container.id;
    } catch (error) {
      if (statusOf(error) === 409) throw new ContainerNameTaken(body.name, error);
      throw engineError(error, this.endpoint, `creating container ${body.name}`);
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      if (statusOf(error) === 304) return;
      if (/could not select device driver/.test(engineMessage(error))) throw noGpuDriver(error);
      throw hostPortTaken(error) ?? engineError(error, this.endpoint, 'starting the container');
    }
  }

  async stopContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: 5 });
    } catch (error) {
      const status = statusOf(error);
      if (status === 304 || status === 404) return;
      throw engineError(error, this.endpoint, 'stopping the container');
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (error) {
      if (statusOf(error) === 404) return;
      // 409: removal already in progress (a racing stop); the container is going away.
      if (statusOf(error) === 409 && /already in progress/.test(engineMessage(error))) return;
      throw engineError(error, this.endpoint, 'removing the container');
    }
  }

  async removeImage(id: string): Promise<void> {
    try {
      await this.docker.getImage(id).remove();
    } catch (error) {
      if (statusOf(error) === 404) return;
      if (statusOf(error) === 409) throw new ImageInUse(id, error);
      throw engineError(error, this.endpoint, 'removing the image');
    }
  }

  exec(
    request: ExecRequest,
    io: ExecIo,
    registerRestore: (restore: () => void) => () => void,
  ): Promise<number> {
    return runExec(this.docker, this.endpoint, request, io, registerRestore);
  }

  containerLogs(nameOrId: string, options: LogsOptions, out: LogsIo): Promise<void> {
    return copyLogs(this.docker, this.endpoint, nameOrId, options, out);
  }

  async containerChanges(id: string) {
    const changes = (await this.call('listing container changes', () =>
      this.docker.getContainer(id).changes(),
    )) as Array<{
      Path: string;
      Kind: number;
    }> | null;
    const kinds = ['changed', 'added', 'deleted'] as const;
    return (changes ?? []).map((c) => ({ path: c.Path, kind: kinds[c.Kind] ?? 'changed' }));
  }
}

/** A lock container its holder no longer holds: ended, or made and never started within a minute. */
export function isStaleLock(holder: Pick<ContainerState, 'status' | 'created'>, now: number): boolean {
  if (holder.status === 'exited' || holder.status === 'dead') return true;
  return holder.status === 'created' && now - Date.parse(holder.created) > 60_000;
}

/** "host:5000/a/b:tag" -> repo "host:5000/a/b", tag "tag" (the last colon after the last slash). */
function splitRef(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

/** The engine's State.Health, as devenv reads it; null when the engine has none to report yet. */
function healthOf(
  health: { Status?: string; Log?: Array<{ ExitCode?: number; Output?: string }> } | undefined,
): HealthState | null {
  const status = health?.Status;
  if (status !== 'starting' && status !== 'healthy' && status !== 'unhealthy')
    return status === undefined ? null : { status: 'starting', lastProbe: null };
  const last = health?.Log?.at(-1);
  return {
    status: status as HealthStatus,
    lastProbe: last ? { exitCode: last.ExitCode ?? -1, output: last.Output ?? '' } : null,
  };
}

export async function connectEngine(
  endpoint: EngineEndpoint,
  env: NodeJS.ProcessEnv,
): Promise<DockerodeEngine> {
  const { default: Docker } = await import('dockerode');
  if (endpoint.slurmJob) {
    const { slurmEngineAgent } = await import('./slurm-dial.js');
    const agent = slurmEngineAgent(endpoint.slurmJob, env);
    const options = { protocol: 'http', host: 'docker', port: 80, agent } as Dockerode.DockerOptions;
    return new DockerodeEngine(new Docker(options), endpoint);
  }
  if (endpoint.ssh) {
    const { sshEngineAgent } = await import('./ssh-dial.js');
    const agent = sshEngineAgent(endpoint.ssh, endpoint.hostName, env);
    // The host part only fills in the request URL: the agent's connections go over ssh.
    const options = { protocol: 'http', host: 'docker', port: 80, agent } as Dockerode.DockerOptions;
    return new DockerodeEngine(new Docker(options), endpoint);
  }
  return new DockerodeEngine(new Docker(endpoint.modemOptions as Dockerode.DockerOptions), endpoint);
}
