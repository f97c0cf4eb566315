import { execFileSync, spawnSync } from 'node:child_process';
import { type TestUser, userEnv } from './harness.js';

/** A real terminal: a tmux session whose pane runs a host shell as a test user. */
export class TmuxSession {
  constructor(readonly name: string) {}

  static start(name: string, command: string, size = { columns: 120, rows: 40 }): TmuxSession {
    spawnSync('tmux', ['kill-session', '-t', name], { stdio: 'ignore' });
    execFileSync('tmux', [
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      String(size.columns),
      '-y',
      String(size.rows),
      command,
    ]);
    // A window sized by the client would shrink to the default; keep ours.
    execFileSync('tmux', ['set-option', '-t', name, 'window-size', 'manual']);
    execFileSync('tmux', ['resize-window', '-t', name, '-x', String(size.columns), '-y', String(size.rows)]);
    return new TmuxSession(name);
  }

  /** A bare host shell as `user` (prompt "HOST$ "), as after an SSH login. */
  static hostShell(name: string, user: TestUser): TmuxSession {
    const env = userEnv(user, { TERM: 'xterm-256color', PS1: 'HOST$ ' }).join(' ');
    return TmuxSession.start(name, `runuser -u ${user.name} -- env -i ${env} bash --norc --noprofile`);
  }

  type(text: string): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, '-l', text]);
    execFileSync('tmux', ['send-keys', '-t', this.name, 'Enter']);
  }

  keys(...keys: string[]): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  resize(columns: number, rows: number): void {
    execFileSync('tmux', ['resize-window', '-t', this.name, '-x', String(columns), '-y', String(rows)]);
  }

  screen(): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-J', '-S', '-200', '-t', this.name], {
      encoding: 'utf8',
    });
  }

  /** Waits until the screen matches, or fails with what the screen shows. */
  async waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.screen().match(pattern);
      if (match) return match;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern} on the terminal; it shows:\n${this.screen()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  kill(): void {
    spawnSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore' });
  }
}
