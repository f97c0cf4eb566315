/** Options every command accepts. */
export interface GlobalOptions {
  config?: string;
  context?: string;
  quiet?: boolean;
  verbose?: boolean;
}

/** The terminal and process a command runs in: its streams, environment, folder and interrupt. */
export interface Io {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Registers a terminal-restore action for signals; returns its unregister function. */
  onSignalRestore(restore: () => void): () => void;
  /** Aborted when the user interrupts (Ctrl-C, SIGTERM, SIGHUP). */
  signal: AbortSignal;
}
