/** Side effects the core asks of the edges, as plain interfaces (so tests can fake them). */
export interface BuildLog {
  readonly path: string;
  write(line: string): void;
  close(): void;
}

export interface Reporter {
  progress(text: string): {
    update(text: string): void;
    succeed(text?: string): void;
    fail(text?: string): void;
    stop(): void;
  };
  info(text: string): void;
  warn(text: string): void;
  detail(text: string): void;
}
