import type { Ora } from 'ora';
import type { Progress, Reporter } from '../core/ports.js';

/** The terminal: core's Reporter on stderr, plus data on stdout (what scripts read). */
export interface Ui extends Reporter {
  data(text: string): void;
}

export interface UiOptions {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  quiet: boolean;
  verbose: boolean;
}

/**
 * Spinners and colour only on a real terminal, without NO_COLOR/CI/TERM=dumb. Decided here, not
 * left to the libraries: chalk 5 ignores NO_COLOR, and an ora that turns its spinner off still
 * prints its lines, colour codes included. No spinner on a terminal of no width (a pty nobody sized, as `script` makes without a terminal of
 * its own): ora then clears ever more lines, forever, filling memory.
 */
export function terminalFeatures(
  stderr: NodeJS.WriteStream,
  env: NodeJS.ProcessEnv,
): { animate: boolean; color: boolean } {
  const tty = Boolean(stderr.isTTY) && env.TERM !== 'dumb';
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false';
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    animate: tty && !ci && (stderr.columns ?? 0) > 0,
    color: tty && !ci && !noColor && env.FORCE_COLOR !== '0',
  };
}

type Paint = (text: string) => string;
interface Palette {
  green: Paint;
  yellow: Paint;
  red: Paint;
  dim: Paint;
}
const plain: Palette = { green: (t) => t, yellow: (t) => t, red: (t) => t, dim: (t) => t };

export async function createUi(options: UiOptions): Promise<Ui> {
  const { animate, color } = terminalFeatures(options.stderr, options.env);
  let palette = plain;
  if (color) {
    const { Chalk } = await import('chalk');
    const chalk = new Chalk({ level: 1 });
    palette = { green: chalk.green, yellow: chalk.yellow, red: chalk.red, dim: chalk.dim };
  }
  const err = (line: string) => options.stderr.write(`${line}\n`);

  return {
    progress(text) {
      if (options.quiet) return silentProgress;
      if (animate) return spinnerProgress(text, options.stderr, color, palette);
      err(`devenv: ${text}`);
      return plainProgress(options.verbose ? err : () => {}, err, palette, text);
    },
    info: (text) => !options.quiet && err(`devenv: ${text}`),
    // --quiet promises errors and requested data only: warnings are neither.
    warn: (text) => !options.quiet && err(`${palette.yellow('devenv: warning:')} ${text}`),
    detail: (text) => options.verbose && err(palette.dim(`devenv: ${text}`)),
    data: (text) => options.stdout.write(`${text}\n`),
  };
}

const silentProgress: Progress = { update() {}, succeed() {}, fail() {} };

/**
 * On a terminal: ora's spinner. ora, and what it loads, cost a command some 30 ms on a terminal,
 * so the first step that shows progress loads it, not every command; a step that ends before it
 * is loaded prints its result line as ora would.
 */
function spinnerProgress(
  text: string,
  stream: NodeJS.WriteStream,
  color: boolean,
  palette: Palette,
): Progress {
  let spinner: Ora | null = null;
  // One line, always: a progress line the terminal wraps is one ora cannot redraw, and each
  // update then leaves a copy behind (a push's layer progress did, at 120 columns).
  const oneLine = (line: string) => fitLine(line, (stream.columns ?? 80) - 2);
  let latest = oneLine(text);
  let ended = false;
  import('ora').then(
    ({ default: ora }) => {
      if (ended) return;
      // ora colours its spinner through chalk, which ignores NO_COLOR: say it here.
      spinner = ora({
        text: latest,
        stream,
        discardStdin: false,
        ...(color ? {} : { color: false }),
      }).start();
    },
    // Without ora the step still ends with its result line.
    () => {},
  );
  const end = (method: 'succeed' | 'fail', symbol: string, final: string | undefined) => {
    ended = true;
    if (spinner) spinner[method](final);
    else stream.write(`${symbol} ${final ?? latest}\n`);
  };
  return {
    update: (next) => {
      latest = oneLine(next);
      if (spinner) spinner.text = latest;
    },
    succeed: (final) => end('succeed', palette.green('✔'), final),
    fail: (final) => end('fail', palette.red('✖'), final),
  };
}

/** `text` cut to `width` characters, its end marked with an ellipsis. */
export function fitLine(text: string, width: number): string {
  if (width < 2 || text.length <= width) return text;
  return `${text.slice(0, width - 1)}…`;
}

/** Without a terminal: no animation; the start and end of a step, its updates only with --verbose. */
function plainProgress(
  detail: (line: string) => void,
  err: (line: string) => void,
  palette: Palette,
  first: string,
): Progress {
  let last = first;
  return {
    update(text) {
      if (text !== last) detail(`devenv: ${text}`);
      last = text;
    },
    succeed: (text) => text && err(`devenv: ${palette.green('done:')} ${text}`),
    fail: (text) => text && err(`devenv: ${palette.red('failed:')} ${text}`),
  };
}
