/** Side effects the core asks of the edges, as plain interfaces (so tests can fake them). */
export interface BuildLog {
  readonly path: string;
  write(line: string): void;
  close(): void;
}

/** How a long step reports itself. */
export interface Progress {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
}

/** Where the core and app/ say what they do; src/ui/ implements it for the terminal. */
export interface Reporter {
  /** Starts a step: a spinner on a terminal, one plain line otherwise. */
  progress(text: string): Progress;
  info(text: string): void;
  warn(text: string): void;
  /** Lines only --verbose shows. */
  detail(text: string): void;
}
