import type { BuildPlan, ImageBuild } from '../core/build-plan.js';
import { type Engine, type ImageState, type RegistryAuth, RegistryFailure } from '../core/engine.js';
import { DevenvError } from '../core/errors.js';
import { LABELS, MANAGED_BY } from '../core/identity.js';
import { type ImageSupply, isSharedImageOf } from '../core/image-ops.js';
import type { Reporter } from '../core/ports.js';
import { registryHostOf } from '../core/registry-auth.js';
import { registryRef } from '../core/registry-refs.js';
import { type EngineEndpoint, endpointOfHost } from '../docker/endpoint.js';
import { writeImageOrigin } from '../host/image-origins.js';
import type { EnvContext } from './context.js';

/** Another engine of the env's "hosts", opened only when the image is looked for there. */
export interface OtherHost {
  name: string;
  engine(): Promise<Engine>;
}

export interface SupplyWiring {
  engine: Engine;
  ui: Reporter;
  /** The env's "registry" (host[:port]/path), or null. */
  registry: string | null;
  /** Docker's credentials for the registry's host, read once when first needed. */
  credentials(): Promise<{ auth: RegistryAuth | null; problem: string | null }>;
  /** Hosts to copy from when there is no registry. */
  otherHosts: OtherHost[];
  /** Notes how an image came to this engine (status shows it). */
  recordOrigin(imageId: string, origin: string): void;
}

/**
 * Where a start gets an env's image without building it, and where a build sends it: the env's
 * registry when it has one (pull, push), else another of its hosts (the engine's export, loaded
 * here). Nothing here fails a start: a registry or host that cannot help is a warning, and devenv
 * builds. A registry that failed once is not asked again in the same command.
 */
export function imageSupply(wiring: SupplyWiring): ImageSupply {
  const { engine, ui, registry } = wiring;
  let registryDown = false;
  // A credentials problem is told only when the registry refuses: a default helper that fails on
  // a headless server (secretservice without D-Bus) would otherwise warn at every start.
  let credentials: Promise<{ auth: RegistryAuth | null; problem: string | null }> | undefined;
  const auth = async () => {
    credentials ??= wiring.credentials();
    return (await credentials).auth;
  };
  const failureLine = async (error: RegistryFailure) => {
    const problem = error.kind === 'denied' && credentials ? (await credentials).problem : null;
    return `${failureWords(error)}${problem ? ` (${problem})` : ''}`;
  };

  /** Pulls `remote` and names it `local`; true when it is here now. */
  async function pull(remote: string, local: string, what: string): Promise<boolean> {
    if (registry === null || registryDown) return false;
    const progress = ui.progress(`looking for ${what} in ${registry}`);
    try {
      await engine.pullFromRegistry(remote, await auth(), (line) =>
        progress.update(`pulling ${what} from ${registry}: ${truncate(line, 60)}`),
      );
      await engine.tagImage(remote, local);
      await engine.untagImage(remote);
    } catch (error) {
      if (!(error instanceof RegistryFailure)) {
        progress.fail();
        throw error;
      }
      if (error.kind === 'missing') {
        progress.succeed(`${registry} has no ${what} for these inputs yet`);
        return false;
      }
      progress.fail();
      registryDown = true;
      ui.warn(`registry ${registry} ${await failureLine(error)}; building here instead`);
      return false;
    }
    progress.succeed(`pulled ${what} from ${registry}`);
    const image = await engine.inspectImage(local);
    if (image) wiring.recordOrigin(image.id, `pulled from ${registry}`);
    return true;
  }

  /** What the other hosts hold of this plan: asked once, all at once; a host that fails is skipped. */
  let holdings:
    | Promise<Array<{ host: OtherHost; engine: Engine; env: boolean; shared: boolean }>>
    | undefined;
  function holdingsOf(plan: { env?: BuildPlan; shared: ImageBuild }) {
    holdings ??= Promise.all(
      wiring.otherHosts.map(async (host) => {
        try {
          const other = await host.engine();
          const [envImage, sharedImage] = await Promise.all([
            plan.env ? other.inspectImage(plan.env.imageRef) : Promise.resolve(null),
            other.inspectImage(plan.shared.imageRef),
          ]);
          return {
            host,
            engine: other,
            env: plan.env !== undefined && envImage !== null && isEnvImageOf(envImage, plan.env),
            shared: sharedImage !== null && isSharedImageOf(sharedImage, plan.shared.hash),
          };
        } catch (error) {
          if (!(error instanceof DevenvError)) throw error;
          ui.detail(`${host.name}: ${error.message}`);
          return null;
        }
      }),
    ).then((found) => found.filter((h) => h !== null));
    return holdings;
  }

  /** Streams `refs` from another host's engine into this one; true when they are here now. */
  async function copy(
    from: { host: OtherHost; engine: Engine },
    refs: string[],
    what: string,
  ): Promise<boolean> {
    const progress = ui.progress(`copying ${what} from ${from.host.name}`);
    try {
      await engine.importImages(await from.engine.exportImages(refs));
    } catch (error) {
      if (!(error instanceof DevenvError)) throw error;
      progress.fail();
      ui.warn(`could not copy ${what} from ${from.host.name} (${error.message}); building here instead`);
      return false;
    }
    progress.succeed(`copied ${what} from ${from.host.name}`);
    for (const ref of refs) {
      const image = await engine.inspectImage(ref);
      if (image) wiring.recordOrigin(image.id, `copied from ${from.host.name}`);
    }
    return true;
  }

  const copyFromHosts = registry === null && wiring.otherHosts.length > 0;

  return {
    async fetchEnvImage(plan) {
      if (registry !== null)
        return pull(registryRef(registry, plan.imageRef, plan.hash), plan.imageRef, `image ${plan.imageRef}`);
      if (!copyFromHosts) return false;
      // With the shared layers here, building the user layer takes seconds: faster than a copy.
      const shared = await engine.inspectImage(plan.shared.imageRef);
      if (shared && isSharedImageOf(shared, plan.shared.hash)) return false;
      const holder = (await holdingsOf({ env: plan, shared: plan.shared })).find((h) => h.env);
      if (!holder) return false;
      const refs = holder.shared ? [plan.imageRef, plan.shared.imageRef] : [plan.imageRef];
      return copy(holder, refs, `image ${plan.imageRef}`);
    },
    async fetchSharedImage(shared) {
      if (registry !== null)
        return pull(
          registryRef(registry, shared.imageRef, shared.hash),
          shared.imageRef,
          `shared layers ${shared.imageRef}`,
        );
      if (!copyFromHosts) return false;
      const holder = (await holdingsOf({ shared })).find((h) => h.shared);
      return holder ? copy(holder, [shared.imageRef], `shared layers ${shared.imageRef}`) : false;
    },
    async publish(plan) {
      if (registry === null || registryDown) return;
      const progress = ui.progress(`pushing to ${registry}`);
      for (const build of [plan.shared, plan]) {
        const remote = registryRef(registry, build.imageRef, build.hash);
        try {
          await engine.tagImage(build.imageRef, remote);
          try {
            await engine.pushImage(remote, await auth(), (line) =>
              progress.update(`pushing ${build.imageRef} to ${registry}: ${truncate(line, 60)}`),
            );
          } finally {
            await engine.untagImage(remote);
          }
        } catch (error) {
          if (!(error instanceof RegistryFailure)) {
            progress.fail();
            throw error;
          }
          progress.fail();
          ui.warn(
            `could not push ${build.imageRef} to ${registry}: it ${await failureLine(error)}; the image built here stays, and other hosts build their own`,
          );
          return;
        }
      }
      progress.succeed(`pushed ${plan.imageRef} and its shared layers to ${registry}`);
    },
  };
}

/**
 * The env's image as `plan` builds it: devenv's, with its build hash, which covers the user's
 * name, UID and GID and the shared layers' inputs.
 */
function isEnvImageOf(image: ImageState, plan: BuildPlan): boolean {
  return image.labels[LABELS.managedBy] === MANAGED_BY && image.labels[LABELS.buildHash] === plan.hash;
}

function failureWords(error: RegistryFailure): string {
  switch (error.kind) {
    case 'unreachable':
      return `cannot be reached (${error.engineMessage})`;
    case 'denied':
      return `refuses devenv (${error.engineMessage}); log in to it with \`docker login\``;
    default:
      return `failed: ${error.engineMessage}`;
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Opens another host's engine: the Docker edge, loaded only when a copy needs one. */
export type ConnectEngine = (endpoint: EngineEndpoint, env: NodeJS.ProcessEnv) => Promise<Engine>;

const connectDockerEngine: ConnectEngine = (endpoint, env) =>
  import('../docker/engine.js').then(({ connectEngine }) => connectEngine(endpoint, env));

/** The supply of an env's start on its site: its registry, else its other hosts. */
export function envImageSupply(
  ctx: EnvContext,
  engine: Engine,
  connect: ConnectEngine = connectDockerEngine,
): ImageSupply | undefined {
  const { env, io, site, ui } = ctx;
  const { registry, hosts } = env.loaded.config;
  if (registry === null && hosts.length === 0) return undefined;
  const otherHosts: OtherHost[] = [];
  if (registry === null && !site.job) {
    for (const entry of hosts) {
      let endpoint: EngineEndpoint;
      try {
        endpoint = endpointOfHost(entry, `host ${entry}`, io.env);
      } catch (error) {
        if (!(error instanceof DevenvError)) throw error;
        continue;
      }
      if (endpoint.url === site.endpoint.url) continue;
      let other: Promise<Engine> | undefined;
      otherHosts.push({
        name: entry,
        engine: () => {
          other ??= connect(endpoint, io.env);
          return other;
        },
      });
    }
  }
  return imageSupply({
    engine,
    ui,
    registry,
    credentials: async () => {
      const { registryCredentials } = await import('../host/docker-credentials.js');
      return registryCredentials(io.env, registryHostOf(registry ?? ''));
    },
    otherHosts,
    recordOrigin: (imageId, origin) => writeImageOrigin(io.env, site.endpoint.url, imageId, origin),
  });
}
