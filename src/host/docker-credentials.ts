/**
 * A registry's credentials, read on this machine the way the docker CLI reads them for push and
 * pull: $DOCKER_CONFIG/config.json (default ~/.docker/config.json) and the credential helper it
 * names. They are read here even for a remote engine, as the CLI does: the client sends them with
 * each push or pull. What to look for is src/core/registry-auth.ts; this file reads and runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HostRunResult } from '../core/host.js';
import {
  type AuthConfig,
  authConfigFor,
  credentialSourceFor,
  defaultCredentialStore,
  HELPER_PREFIX,
  readHelperAnswer,
} from '../core/registry-auth.js';
import { userHome } from './fs-ops.js';
import { runLocal } from './local-host.js';
import { findOnPath } from './path-lookup.js';

/**
 * The credentials to give the engine for a registry (null: none, push and pull anonymously), and
 * what stood in the way of finding them, as one line naming the file or helper (null: nothing).
 * Both can be set: when a helper fails, the CLI still sends the registry's `auths` entry.
 */
export interface RegistryCredentialsResult {
  auth: AuthConfig | null;
  problem: string | null;
}

/** Runs a credential helper: its argv, and the text for its stdin. */
export type RunHelper = (argv: string[], input: string) => Promise<HostRunResult>;

export interface RegistryCredentialsDeps {
  /** Default: the program on the env's PATH, for at most HELPER_TIMEOUT_MS. */
  runHelper?: RunHelper;
  /** Which platform's default store applies when config.json names none. Default: this one's. */
  platform?: string;
}

/**
 * How long a helper may take. The docker CLI waits for ever; devenv would rather warn and go on,
 * but a helper may ask for a passphrase (pass through gpg's pinentry), so not too short.
 */
export const HELPER_TIMEOUT_MS = 60_000;

/**
 * The credentials of registry `host` (a registryHostOf key, e.g. "registry.lab:5000"), found as
 * the docker CLI finds them. Never throws: a missing or broken config file or helper is a
 * `problem`, since a registry devenv cannot log in to is a warning, not a failure.
 */
export async function registryCredentials(
  env: NodeJS.ProcessEnv,
  host: string,
  deps: RegistryCredentialsDeps = {},
): Promise<RegistryCredentialsResult> {
  const home = userHome(env);
  const file = path.join(env.DOCKER_CONFIG || path.join(home ?? '/', '.docker'), 'config.json');
  const shown = home && file.startsWith(`${home}/`) ? `~${file.slice(home.length)}` : file;

  const read = readConfigFile(file);
  if ('problem' in read) return { auth: null, problem: `${shown} ${read.problem}` };
  const defaultStore = defaultCredentialStore(
    deps.platform ?? process.platform,
    (program) => findOnPath(program, env.PATH) !== null,
  );
  const source = credentialSourceFor(read.config, host, defaultStore);
  if (source === null) return { auth: null, problem: null };
  if (source.kind === 'problem') return { auth: null, problem: `${shown}: ${source.problem}` };
  if (source.kind === 'inline') return { auth: authConfigFor(source.auth, host), problem: null };

  const program = HELPER_PREFIX + source.helper;
  const helper =
    source.from === 'default'
      ? `${shown} names no credentials, so devenv asked the docker CLI's default credential helper here, ${program}`
      : `${shown} names credential helper ${program}`;
  const fallback = source.fallback && authConfigFor(source.fallback, host);
  const runHelper: RunHelper =
    deps.runHelper ?? ((argv, input) => runLocal(argv, env, HELPER_TIMEOUT_MS, input));
  // As the CLI's helper client: `get`, with the registry's key (no newline) on stdin.
  const run = await runHelper([program, 'get'], host);
  if (run.outcome === 'missing') return { auth: fallback, problem: `${helper}, which is not on PATH` };
  if (run.outcome === 'timeout') {
    return {
      auth: fallback,
      problem: `${helper}, which did not answer for ${host} within ${HELPER_TIMEOUT_MS / 1000} s`,
    };
  }
  const answer = readHelperAnswer(run.code, run.stdout, run.stderr);
  switch (answer.kind) {
    case 'credentials':
      return { auth: answer.credentials && authConfigFor(answer.credentials, host), problem: null };
    case 'not-found':
      return { auth: null, problem: null };
    case 'failed':
      return {
        auth: fallback,
        problem: `${helper}, which failed for ${host}: ${answer.said ?? `exit code ${run.code}, no message`}`,
      };
    case 'garbage':
      return {
        auth: fallback,
        problem: `${helper}, which answered for ${host} with something other than credentials JSON`,
      };
  }
}

/** config.json parsed; null when there is none (no file, or an empty one, as the CLI reads it). */
function readConfigFile(file: string): { config: unknown } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { config: null };
    return { problem: `cannot be read (${code ?? String(error)})` };
  }
  if (text.trim() === '') return { config: null };
  try {
    return { config: JSON.parse(text) };
  } catch (error) {
    return { problem: `is not valid JSON${whereInText(text, (error as Error).message)}` };
  }
}

/**
 * " (line 3, column 14)" where JSON.parse stopped, when its message says; never its message
 * itself, which may quote the file, and config.json holds passwords.
 */
function whereInText(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position === undefined) return '';
  const before = text.slice(0, Number(position)).split('\n');
  return ` (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`;
}
