/**
 * Registry credentials found the way the docker CLI finds them for `docker push` and `docker pull`
 * (docker/cli: ResolveAuthConfig in cli/command/registry.go, cli/config/configfile/file.go,
 * cli/config/credentials/file_store.go and native_store.go): which registry a repository names,
 * where ~/.docker/config.json keeps that registry's credentials, and what a credential helper's
 * answer means. Pure: src/host/docker-credentials.ts reads the file and runs the helper.
 */
import { firstLine } from './first-line.js';

/** The key Docker Hub's credentials are kept under, in config.json and in credential helpers. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

/** A credential helper named "pass" is the program docker-credential-pass, found on PATH. */
export const HELPER_PREFIX = 'docker-credential-';

/** What a credential helper prints on stdout, exiting non-zero, when it has nothing for a registry. */
export const HELPER_NOT_FOUND = 'credentials not found in native keychain';

/** A registry login: a user and password, or an identity token (an OAuth refresh token) instead of both. */
export type RegistryCredentials = { username: string; password: string } | { identitytoken: string };

/**
 * The engine's AuthConfig, for dockerode's `authconfig` option of push and pull: docker-modem
 * sends it as JSON, base64url-encoded, in the X-Registry-Auth header. The engine trades an
 * identity token for a registry token; `serveraddress` is the registry's key, as the CLI sends it.
 */
export type AuthConfig =
  | { username: string; password: string; serveraddress: string }
  | { identitytoken: string; serveraddress: string };

/**
 * Where the docker CLI takes a registry's credentials from:
 * - `helper`: the program docker-credential-<helper>, named in `credHelpers` for that registry, by
 *   `credsStore`, or (`default`) the platform's store when config.json names no credentials at all.
 *   `fallback` is what the CLI sends when the helper is missing or fails (not when it answers that
 *   it has nothing): the registry's `auths` entry, usually the empty `{}` a login through a helper
 *   leaves there.
 * - `inline`: the registry's `auths` entry in config.json.
 * - `problem`: config.json is not shaped as the CLI reads it (the CLI then ignores it whole, with
 *   a warning): what is wrong, naming the key.
 */
export type CredentialSource =
  | {
      kind: 'helper';
      helper: string;
      from: 'credHelpers' | 'credsStore' | 'default';
      fallback: RegistryCredentials | null;
    }
  | { kind: 'inline'; auth: RegistryCredentials }
  | { kind: 'problem'; problem: string };

/**
 * The registry of a repository or image reference, as the key its credentials are kept under.
 * As Docker normalizes names: the first path component is a registry host when it contains '.'
 * or ':', is 'localhost', or has an upper-case letter (a repository path cannot); otherwise, and
 * for docker.io and index.docker.io, the registry is Docker Hub, whose key is DOCKER_HUB_KEY.
 * 'registry.lab:5000/devenv' -> 'registry.lab:5000'; 'devenv/foo' -> DOCKER_HUB_KEY.
 */
export function registryHostOf(repository: string): string {
  const slash = repository.indexOf('/');
  if (slash === -1) return DOCKER_HUB_KEY;
  const first = repository.slice(0, slash);
  const isHost = /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase();
  if (!isHost || first === 'docker.io' || first === 'index.docker.io') return DOCKER_HUB_KEY;
  return first;
}

/**
 * Where the docker CLI takes the credentials of registry `host` (a registryHostOf key) from, given
 * the parsed config.json (null when there is none); null: nowhere, it pulls and pushes
 * anonymously. `defaultStore` is the platform's store when its helper is installed
 * (defaultCredentialStore), which the CLI asks only when the file names no credentials at all.
 * The CLI's order: a `credHelpers` entry for the host (an empty one means config.json itself),
 * else `credsStore`, else the `auths` entry. With a store, `auths` is not read for credentials.
 */
export function credentialSourceFor(
  config: unknown,
  host: string,
  defaultStore: string | null = null,
): CredentialSource | null {
  const parsed = readDockerConfig(config);
  if (typeof parsed === 'string') return { kind: 'problem', problem: parsed };
  const inline = inlineCredentials(parsed.auths, host);
  const named = parsed.credHelpers.get(host);
  if (named !== undefined && named !== '') {
    return { kind: 'helper', helper: named, from: 'credHelpers', fallback: inline };
  }
  if (named === undefined && parsed.credsStore !== '') {
    return { kind: 'helper', helper: parsed.credsStore, from: 'credsStore', fallback: inline };
  }
  const namesNone = parsed.credsStore === '' && parsed.credHelpers.size === 0 && parsed.auths.length === 0;
  if (namesNone && defaultStore)
    return { kind: 'helper', helper: defaultStore, from: 'default', fallback: null };
  return inline === null ? null : { kind: 'inline', auth: inline };
}

/**
 * The store the docker CLI uses when config.json names none (its DetectDefaultStore): the
 * platform's (on Linux `pass` when that program is installed, else the D-Bus secret service),
 * and only when its helper program is on PATH. `onPath` says whether a program is.
 */
export function defaultCredentialStore(
  platform: string,
  onPath: (program: string) => boolean,
): string | null {
  const store =
    platform === 'linux'
      ? onPath('pass')
        ? 'pass'
        : 'secretservice'
      : platform === 'darwin'
        ? 'osxkeychain'
        : platform === 'win32'
          ? 'wincred'
          : null;
  return store !== null && onPath(HELPER_PREFIX + store) ? store : null;
}

/**
 * What `docker-credential-<name> get` answered, given the server key on its stdin:
 * - `credentials`: its JSON `{ServerURL, Username, Secret}` (keys in any case, as Go decodes
 *   them); a Username of `<token>` makes the Secret an identity token; empty ones mean none.
 * - `not-found`: it has nothing for that registry (the CLI then pulls anonymously).
 * - `failed`: it exited non-zero; `said` is the first line of its output, if any.
 * - `garbage`: it exited 0 without credentials JSON. Its output is not repeated: it may hold a secret.
 */
export type HelperAnswer =
  | { kind: 'credentials'; credentials: RegistryCredentials | null }
  | { kind: 'not-found' }
  | { kind: 'failed'; said: string | null }
  | { kind: 'garbage' };

export function readHelperAnswer(exitCode: number, stdout: string, stderr: string): HelperAnswer {
  if (exitCode !== 0) {
    // The CLI recognises "not found" on stdout only, as docker-credential-helpers print it.
    if (stdout.trim() === HELPER_NOT_FOUND) return { kind: 'not-found' };
    return { kind: 'failed', said: firstLine(stdout) ?? firstLine(stderr) };
  }
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch {
    return { kind: 'garbage' };
  }
  if (!isObject(answer)) return { kind: 'garbage' };
  const username = field(answer, 'Username') ?? '';
  const secret = field(answer, 'Secret') ?? '';
  if (typeof username !== 'string' || typeof secret !== 'string') return { kind: 'garbage' };
  if (username === '<token>') {
    return { kind: 'credentials', credentials: secret === '' ? null : { identitytoken: secret } };
  }
  if (username === '' && secret === '') return { kind: 'credentials', credentials: null };
  return { kind: 'credentials', credentials: { username, password: secret } };
}

/** The AuthConfig the engine is given for registry `serveraddress` (a registryHostOf key). */
export function authConfigFor(credentials: RegistryCredentials, serveraddress: string): AuthConfig {
  return 'identitytoken' in credentials
    ? { identitytoken: credentials.identitytoken, serveraddress }
    : { username: credentials.username, password: credentials.password, serveraddress };
}

interface DockerConfig {
  credsStore: string;
  /** A Map, not a record: "exists" decides, and an empty helper name is not a missing one. */
  credHelpers: Map<string, string>;
  /** In the file's order: the first key matching a host by its hostname wins. */
  auths: Array<[key: string, credentials: RegistryCredentials | null]>;
}

/**
 * The parts of config.json that decide credentials, or what is wrong with them. Checked as the
 * CLI's Go decoder checks them: null counts as absent, and one bad `auths` entry spoils the file
 * for every registry, since the CLI then ignores the whole file.
 */
function readDockerConfig(config: unknown): DockerConfig | string {
  const result: DockerConfig = { credsStore: '', credHelpers: new Map(), auths: [] };
  if (config === null || config === undefined) return result;
  if (!isObject(config)) return 'its content is not a JSON object';

  const credsStore = field(config, 'credsStore') ?? '';
  if (typeof credsStore !== 'string') return '"credsStore" is not a string (the name of a credential helper)';
  result.credsStore = credsStore;

  const helpers = field(config, 'credHelpers') ?? {};
  if (!isObject(helpers)) return '"credHelpers" is not an object of registry hosts to helper names';
  for (const [key, helper] of Object.entries(helpers)) {
    if (helper !== null && typeof helper !== 'string') {
      return `"credHelpers" entry "${key}" is not a string (the name of a credential helper)`;
    }
    result.credHelpers.set(key, helper ?? '');
  }

  const auths = field(config, 'auths') ?? {};
  if (!isObject(auths)) return '"auths" is not an object of registry keys to logins';
  for (const [key, entry] of Object.entries(auths)) {
    const credentials = entry === null ? null : readAuthEntry(entry);
    if (typeof credentials === 'string') return `"auths" entry "${key}" ${credentials}`;
    result.auths.push([key, credentials]);
  }
  return result;
}

/** An `auths` entry's login: `auth` (base64 of user:password) over plain username and password; an identity token over both. */
function readAuthEntry(entry: unknown): RegistryCredentials | null | string {
  if (!isObject(entry)) return 'is not an object';
  const text: Record<string, string> = {};
  for (const name of ['auth', 'username', 'password', 'identitytoken']) {
    const value = field(entry, name) ?? '';
    if (typeof value !== 'string') return `has a "${name}" that is not a string`;
    text[name] = value;
  }
  let username = text.username ?? '';
  let password = text.password ?? '';
  if (text.auth) {
    const decoded = decodeAuth(text.auth);
    if (decoded === null) return 'has an "auth" that is not base64 of user:password';
    ({ username, password } = decoded);
  }
  if (text.identitytoken) return { identitytoken: text.identitytoken };
  if (username === '' && password === '') return null;
  return { username, password };
}

/** base64 (standard, padded, as Go's decoder wants it; line breaks skipped) of `user:password`; null if not. */
function decodeAuth(auth: string): { username: string; password: string } | null {
  const compact = auth.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  const decoded = Buffer.from(compact, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '') };
}

/**
 * The `auths` entry of `host`: its own key, else the first key whose hostname is the host, so
 * that "https://registry.lab:5000/v1/" counts for registry.lab:5000. Docker Hub's key only
 * matches itself, as in the CLI.
 */
function inlineCredentials(auths: DockerConfig['auths'], host: string): RegistryCredentials | null {
  const exact = auths.find(([key]) => key === host);
  if (exact) return exact[1];
  return auths.find(([key]) => hostnameOfKey(key) === host)?.[1] ?? null;
}

/** A key's host[:port], without scheme, user or path, as the CLI's ConvertToHostname makes it. */
function hostnameOfKey(key: string): string {
  const scheme = key.indexOf('://');
  if (scheme !== -1) {
    const authority = key.slice(scheme + 3).split(/[/?#]/, 1)[0] ?? '';
    const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
    // An IPv6 address keeps its brackets only with a port: "[::1]:5000", but "::1".
    const host = /^\[([^\]]*)\]$/.exec(hostPort)?.[1] ?? hostPort;
    if (host !== '') return host;
  }
  return key.split('/', 1)[0] ?? '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON key as Go's decoder finds a struct field: the exact name, else the first key equal in any case. */
function field(object: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}
