import { createInterface } from 'node:readline/promises';
import { DevenvError, signalExitCode } from '../core/errors.js';
import { type InitAnswers, parseGpuAnswer } from '../core/init-config.js';
import type { Io } from '../core/io.js';

/** Asks on the terminal (prompts on stderr); an empty answer keeps the default shown in brackets. */
export async function askInitAnswers(
  io: Io,
  defaults: InitAnswers,
  check: (partial: object) => void,
): Promise<InitAnswers> {
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
