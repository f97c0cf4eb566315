import type { EnvContext } from '../../src/app/context.js';
import { envOn } from '../../src/app/env.js';
import { checkConfig } from '../../src/app/env-config.js';
import { configHash } from '../../src/core/container-plan.js';
import type { PlacementDecision } from '../../src/core/placement.js';
import { type CheckedConfig, NO_CACHES } from '../../src/host/caches.js';
import type { FakeIo } from './io.js';
import type { FakeSite } from './site.js';
import type { RecordingUi } from './ui.js';

/** The folder of the .devenvrc in these tests, on this machine. */
export const ENV_ROOT = '/home/me/proj';

/** A .devenvrc's values, checked by the real schema (defaults filled in), as loadCheckedConfig gives it. */
export function checkedConfig(values: Record<string, unknown>, envRoot = ENV_ROOT): CheckedConfig {
  const loaded = checkConfig({ envRoot, file: `${envRoot}/.devenvrc`, text: JSON.stringify(values) }, 'UTC');
  return { loaded, configHash: configHash(loaded.config) };
}

/** The wiring a command on the env gets from loadEnvContext, with the env on `site` and no caches. */
export function envContext(parts: {
  io: FakeIo;
  ui: RecordingUi;
  site: FakeSite;
  config: Record<string, unknown> | CheckedConfig;
  placement?: PlacementDecision | null;
}): EnvContext {
  const checked = 'loaded' in parts.config ? (parts.config as CheckedConfig) : checkedConfig(parts.config);
  return {
    io: parts.io,
    ui: parts.ui,
    caches: NO_CACHES,
    site: parts.site,
    env: envOn(parts.site.host, checked),
    placement: parts.placement ?? null,
  };
}
