import path from 'node:path';
import { parseConfig } from '../core/config/validate.js';
import {
  type ConfigSource,
  configOwnerUid,
  type LoadedConfig,
  readConfigSource,
} from '../host/config-file.js';
import { hostTimezone } from '../host/user.js';

/**
 * Reads the .devenvrc found from `cwd` upward (or `explicitFile`), checked and with defaults.
 * Commands on the current folder's env go through the config cache first (app/context.ts).
 */
export function loadEnvConfig(env: NodeJS.ProcessEnv, cwd: string, explicitFile?: string): LoadedConfig {
  return checkConfig(readConfigSource({ cwd, explicitFile, uid: configOwnerUid(env) }), hostTimezone(env));
}

/** Checks a .devenvrc's text against the schema and fills in every default; every bad key is reported. */
export function checkConfig(source: ConfigSource, timezone: string): LoadedConfig {
  const { envRoot, file, text } = source;
  const config = parseConfig(text, file ?? '(defaults)', {
    envRootName: path.basename(envRoot),
    hostTimezone: timezone,
  });
  return { envRoot, file, config };
}
