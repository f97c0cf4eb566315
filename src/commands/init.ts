import path from 'node:path';
import { createUiFor, type GlobalOptions, type Io } from '../app/context.js';
import type { DefaultsContext } from '../core/config/schema.js';
import { validateConfig } from '../core/config/validate.js';
import { defaultAnswers, describeConfig, initialConfig, renderInitialConfig } from '../core/init-config.js';
import { defineVerb } from '../core/verb-spec.js';
import { CONFIG_FILE_NAME, createConfigFile, refuseExistingConfig } from '../host/config-file.js';
import { currentHostUser, hostTimezone } from '../host/user.js';
import { askInitAnswers } from '../ui/init-questions.js';

export const spec = defineVerb({
  name: 'init',
  description: 'write a starting .devenvrc in the current folder (asks on a terminal)',
  needs: 'none',
  options: () => ({}),
  run: ({ io, globals }: { io: Io; globals: GlobalOptions }) => runInit(io, globals),
});

/**
 * `devenv init`: writes a starting .devenvrc in the current folder (or at --config), asking for
 * the name, repo and GPUs only on a terminal. An existing file is never touched.
 */
export async function runInit(io: Io, globals: GlobalOptions): Promise<number> {
  const ui = await createUiFor(io, globals);
  const file = path.resolve(io.cwd, globals.config ?? CONFIG_FILE_NAME);
  const defaults: DefaultsContext = {
    envRootName: path.basename(path.dirname(file)),
    hostTimezone: hostTimezone(io.env),
  };
  // Fail before asking anything; createConfigFile still refuses a file made meanwhile.
  refuseExistingConfig(file);
  let answers = defaultAnswers(defaults.envRootName);
  if (io.stdin.isTTY)
    answers = await askInitAnswers(io, answers, (partial) => validateConfig(partial, file, defaults));
  const config = initialConfig(answers);
  validateConfig(config, file, defaults);
  createConfigFile(file, renderInitialConfig(config), currentHostUser(io.env));
  ui.info(`wrote ${file}:`);
  for (const line of describeConfig(config)) ui.info(line);
  ui.info('every other key keeps its default: see them with `devenv config`; next: `devenv start`');
  return 0;
}
