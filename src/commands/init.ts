import { closeSync, existsSync, fchmodSync, fchownSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { createUiFor, type GlobalOptions, type Io } from '../app/context.js';
import type { DefaultsContext } from '../core/config/schema.js';
import { validateConfig } from '../core/config/validate.js';
import { DevenvError, signalExitCode } from '../core/errors.js';
import {
  defaultAnswers,
  describeConfig,
  type InitAnswers,
  initialConfig,
  parseGpuAnswer,
  renderInitialConfig,
} from '../core/init-config.js';
import { CONFIG_FILE_NAME } from '../host/config-file.js';
import { currentHostUser, hostTimezone } from '../host/user.js';

/**
 * `devenv init`: writes a starting .devenvrc in the current folder (or at --config), asking for
 * the name, repo and GPUs only on a terminal. An existing file is never touched.
 */
export async function runInit(io: Io, globals: GlobalOptions): Promise<number> {
  const ui = await createUiFor(io, globals);
  const file = path.resolve(io.cwd, globals.config ?? CONFIG_FILE_NAME);
  const envRoot = path.dirname(file);
  const defaults: DefaultsContext = {
    envRootName: path.basename(envRoot),
    hostTimezone: hostTimezone(io.env),
  };
  let answers = defaultAnswers(defaults.envRootName);
  const alreadyThere = () =>
    new DevenvError(`${file} already exists; devenv init never overwrites it`, {
      hint: 'edit it, or run `devenv config` to see what it sets',
      code: 'config',
    });

  // Fail before asking anything; the O_EXCL open below still guards against a file made meanwhile.
  if (existsSync(file)) throw alreadyThere();
  if (io.stdin.isTTY) answers = await ask(io, answers, (partial) => validateConfig(partial, file, defaults));
  const config = initialConfig(answers);
  validateConfig(config, file, defaults);

  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyThere();
    throw new DevenvError(`cannot create ${file}: ${(error as Error).message}`, {
      code: 'host',
      cause: error,
    });
  }
  try {
    writeSync(fd, renderInitialConfig(config));
    // The mode the issue asks for, whatever the umask; .devenvrc must not be group/world-writable.
    fchmodSync(fd, 0o644);
    const user = currentHostUser(io.env);
    if (process.getuid?.() === 0 && user.uid !== 0) fchownSync(fd, user.uid, user.gid);
  } catch (error) {
    rmSync(file, { force: true });
    throw new DevenvError(`cannot write ${file}: ${(error as Error).message}`, {
      code: 'host',
      cause: error,
    });
  } finally {
    closeSync(fd);
  }
  ui.info(`wrote ${file}:`);
  for (const line of describeConfig(config)) ui.info(line);
  ui.info('every other key keeps its default: see them with `devenv config`; next: `devenv start`');
  return 0;
}

/** Asks on the terminal (prompts on stderr); an empty answer keeps the default shown in brackets. */
async function ask(io: Io, defaults: InitAnswers, check: (partial: object) => void): Promise<InitAnswers> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  const interrupted = new AbortController();
  rl.on('SIGINT', () => interrupted.abort());
  rl.on('close', () => interrupted.abort());
  io.signal.addEventListener('abort', () => interrupted.abort(), { once: true });
  const question = async <T>(text: string, parse: (answer: string) => T, partial: (value: T) => object) => {
    for (;;) {
      let answer: string;
      try {
        answer = await rl.question(text, { signal: interrupted.signal });
      } catch {
        throw new DevenvError('devenv init was interrupted; nothing written', {
          exitCode: signalExitCode('SIGINT'),
        });
      }
      const value = parse(answer);
      try {
        check(partial(value));
        return value;
      } catch (error) {
        io.stderr.write(`${(error as Error).message}\n`);
      }
    }
  };
  try {
    const name = await question(
      `env name [${defaults.name}]: `,
      (a) => a.trim() || defaults.name,
      (name) => ({ name }),
    );
    const repo = await question(
      'git repo to clone into projects/ (URL or path; empty for none): ',
      (a) => a.trim() || null,
      (repo) => ({ repo }),
    );
    const gpus = await question(
      `GPUs: auto, all, none, or indices like 0,1 [${String(defaults.gpus)}]: `,
      (a) => (a.trim() === '' ? defaults.gpus : parseGpuAnswer(a)),
      (gpus) => ({ gpus }),
    );
    return { name, repo, gpus };
  } finally {
    rl.close();
  }
}
