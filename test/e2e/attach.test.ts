import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, devenv, docker, makeEnvDir, quickRc, removeEnvObjects, TEST_USER } from './harness.js';
import { TmuxSession } from './tmux.js';

/** Interactive attach through a real pseudo-terminal, as a user at an SSH prompt would use it. */
describe('interactive start in a real terminal (tmux)', () => {
  let dir: string;
  let term: TmuxSession;

  beforeAll(() => {
    dir = makeEnvDir('attach', TEST_USER, quickRc('attach'));
    // Build first so the terminal test does not wait on it.
    expect(devenv(TEST_USER, dir, ['start', '--detach']).code).toBe(0);
    term = TmuxSession.hostShell('devenv-e2e-attach', TEST_USER);
  });
  afterAll(() => {
    term?.kill();
    removeEnvObjects(dir);
  });

  it('lands in a shell as the user, sized to the terminal, resized with it, and returns its exit code', async () => {
    await term.waitFor(/HOST\$\s*$/m);
    term.type(`cd ${dir} && ${process.execPath} ${BIN} start`);
    term.type('echo "I am $(id -un):$(id -u) in $(pwd)"');
    await term.waitFor(/I am devtest:4242 in \/home\/devtest\/projects/);

    term.type('echo "size=$(stty size)"');
    await term.waitFor(/size=40 120/);

    term.resize(100, 30);
    await new Promise((resolve) => setTimeout(resolve, 300));
    term.type('echo "resized=$(stty size)"');
    await term.waitFor(/resized=30 100/);

    term.type('echo $((6 * 7))');
    await term.waitFor(/^42$/m);

    term.type('exit 7');
    // Keys typed before devenv has handed the terminal back would go to the closing session.
    await term.waitFor(/exit\s*\nHOST\$\s*$/);
    term.type('echo "devenv-exit=$?"');
    await term.waitFor(/devenv-exit=7/);
  });

  it('leaves the host terminal sane (canonical mode and echo back on)', async () => {
    term.type(
      'stty -a | tr " " "\\n" | grep -x -e icanon -e -icanon -e echo -e -echo | tr "\\n" " "; echo END',
    );
    const match = await term.waitFor(/^((?:-?icanon|-?echo) )+END$/m);
    expect(match[0]).toContain('icanon');
    expect(match[0]).not.toMatch(/(^| )-icanon/);
    expect(match[0]).not.toMatch(/(^| )-echo /);
  });

  it('restores the terminal when the container stops under the shell', async () => {
    term.type(`${process.execPath} ${BIN} shell`);
    term.type('echo inside-again');
    await term.waitFor(/^inside-again$/m);
    docker(['kill', 'devenv-attach-devtest']);
    await term.waitFor(/HOST\$\s*$/, 30_000);
    term.type('echo "after-kill=$?"');
    await term.waitFor(/after-kill=\d+/, 30_000);
    term.type('stty -a | grep -c -- -icanon; echo CHECKED');
    await term.waitFor(/^0\s*\nCHECKED$/m);
  });
});

describe('a dropped SSH session while attached', () => {
  let dir: string;
  let term: TmuxSession;
  beforeAll(() => {
    dir = makeEnvDir('hup', TEST_USER, quickRc('hup'));
    expect(devenv(TEST_USER, dir, ['start', '--detach']).code).toBe(0);
    term = TmuxSession.hostShell('devenv-e2e-hup', TEST_USER);
  });
  afterAll(() => {
    term?.kill();
    removeEnvObjects(dir);
  });

  it('SIGHUP to devenv restores the terminal and exits 129; the env keeps running', async () => {
    await term.waitFor(/HOST\$\s*$/m);
    term.type(`cd ${dir} && ${process.execPath} ${BIN} shell`);
    term.type('echo attached-now');
    await term.waitFor(/^attached-now$/m);
    const pid = execFileSync('pgrep', ['-u', TEST_USER.name, '-f', `${BIN} shell`], { encoding: 'utf8' })
      .trim()
      .split('\n')[0];
    process.kill(Number(pid), 'SIGHUP');
    // Typed only once the host shell is back: keys typed earlier may still reach the container.
    await term.waitFor(/HOST\$\s*$/, 30_000);
    term.type('echo "hup-exit=$?"');
    await term.waitFor(/hup-exit=129/, 30_000);
    term.type('stty -a | grep -c -- -icanon; echo CHECKED');
    await term.waitFor(/^0\s*\nCHECKED$/m);
    expect(docker(['inspect', '--format', '{{.State.Running}}', 'devenv-hup-devtest'])).toBe('true');
  });
});
