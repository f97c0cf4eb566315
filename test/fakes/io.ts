import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Io } from '../../src/core/io.js';

export interface FakeIo extends Io {
  /** Aborting it is the user's Ctrl-C. */
  controller: AbortController;
  /** What was written to stdout and stderr. */
  output(): { stdout: string; stderr: string };
  /** Removes the folder devenv's own files went to. */
  cleanup(): void;
}

/**
 * The Io port (src/core/io.ts) of a test: streams that record, an AbortController for Ctrl-C,
 * and an environment whose devenv state (locks, build logs, placement records) goes to a fresh
 * temporary folder, with HOME the fake host's home and no PATH (no real program is found).
 */
export function fakeIo(options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): FakeIo {
  const state = mkdtempSync(path.join(os.tmpdir(), 'devenv-fakes-'));
  const controller = new AbortController();
  const stdout = recording();
  const stderr = recording();
  return {
    stdin: new PassThrough() as unknown as NodeJS.ReadStream,
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: {
      HOME: '/home/me',
      XDG_STATE_HOME: path.join(state, 'state'),
      DOCKER_CONFIG: path.join(state, 'docker'),
      PATH: '',
      ...options.env,
    },
    cwd: options.cwd ?? '/home/me/proj',
    onSignalRestore: () => () => {},
    signal: controller.signal,
    controller,
    output: () => ({ stdout: stdout.text(), stderr: stderr.text() }),
    cleanup: () => rmSync(state, { recursive: true, force: true }),
  };
}

function recording(): { stream: NodeJS.WriteStream; text(): string } {
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    text: () => Buffer.concat(chunks).toString(),
  };
}
