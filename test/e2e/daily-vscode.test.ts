import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirOwned, snapshot } from './daily-kit.js';
import { containerId, devenv, docker, makeEnvDir, quickRc, removeEnvObjects, TEST_USER } from './harness.js';

/** VS Code: `start` and `devenv code` write the attached-container config; `code` opens it. */
describe('devenv code and the VS Code attach configuration', () => {
  const container = 'devenv-dailycode-devtest';
  const storage = 'User/globalStorage/ms-vscode-remote.remote-containers/nameConfigs';
  let dir: string;
  let home: string;
  let serverFile: string;
  let desktopFile: string;
  const run = (args: string[], env: Record<string, string> = {}) =>
    devenv(TEST_USER, dir, args, { env: { HOME: home, ...env } });
  const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

  beforeAll(() => {
    dir = makeEnvDir('dailycode', TEST_USER, {
      ...quickRc('dailycode'),
      env: { DAILY_VAR: 'from-devenvrc' },
      vscode: { extensions: ['ms-python.python'] },
    });
    // A home of its own, so the real ~devtest stays untouched; a desktop VS Code lives here too.
    home = mkdirOwned(path.join(dir, 'home'), TEST_USER);
    mkdirOwned(
      path.join(home, '.config/Code/User/globalStorage/ms-vscode-remote.remote-containers'),
      TEST_USER,
    );
    serverFile = path.join(home, '.vscode-server/data', storage, `${container}.json`);
    desktopFile = path.join(home, '.config/Code', storage, `${container}.json`);
    // What VS Code itself wrote on an earlier attach: devenv must keep it.
    mkdirOwned(path.dirname(serverFile), TEST_USER);
    writeFileSync(
      serverFile,
      JSON.stringify({ forwardPorts: [8888], remoteUser: 'root', extensions: ['esbenp.prettier-vscode'] }),
    );
    chmodSync(serverFile, 0o644);
  });
  afterAll(() => {
    removeEnvObjects(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('start writes the attach config as the user, in the workdir, merged with what was there', () => {
    const result = run(['start', '--detach']);
    expect(result.code, result.stderr).toBe(0);
    expect(json(serverFile)).toEqual({
      forwardPorts: [8888],
      remoteUser: 'devtest',
      workspaceFolder: '/home/devtest/projects',
      remoteEnv: { DAILY_VAR: 'from-devenvrc' },
      extensions: ['esbenp.prettier-vscode', 'ms-python.python'],
    });
    expect(json(desktopFile)).toEqual({
      remoteUser: 'devtest',
      workspaceFolder: '/home/devtest/projects',
      remoteEnv: { DAILY_VAR: 'from-devenvrc' },
      extensions: ['ms-python.python'],
    });
    for (const file of [serverFile, desktopFile]) {
      const stat = statSync(file);
      expect([stat.uid, stat.gid]).toEqual([TEST_USER.uid, TEST_USER.gid]);
    }
  });

  it('code prints the command that opens the workdir in this container, and writes nothing in the mounts', () => {
    const before = [snapshot(path.join(dir, 'projects')), snapshot(path.join(dir, 'temp/.vscode-server'))];
    const result = run(['code']);
    expect(result.code, result.stderr).toBe(0);
    const match = /^code --folder-uri vscode-remote:\/\/attached-container\+([0-9a-f]+)(\/\S*)\n$/.exec(
      result.stdout,
    );
    expect(match, result.stdout).not.toBeNull();
    expect(Buffer.from(match?.[1] ?? '', 'hex').toString('utf8')).toBe(`{"containerName":"/${container}"}`);
    expect(match?.[2]).toBe('/home/devtest/projects');
    expect(docker(['inspect', '--format', '{{.State.Running}}', container])).toBe('true');
    expect([snapshot(path.join(dir, 'projects')), snapshot(path.join(dir, 'temp/.vscode-server'))]).toEqual(
      before,
    );
  });

  it('code starts a stopped env first', () => {
    expect(run(['stop']).code).toBe(0);
    expect(containerId(container)).toBeNull();
    const result = run(['code']);
    expect(result.code, result.stderr).toBe(0);
    expect(docker(['inspect', '--format', '{{.State.Running}}', container])).toBe('true');
    expect(result.stdout).toMatch(/^code --folder-uri /);
  });

  it('code --open runs `code` from PATH with the folder URI and returns its exit code', () => {
    const bin = mkdirOwned(path.join(dir, 'bin'), TEST_USER);
    const argsFile = path.join(dir, 'code-args.txt');
    writeFileSync(path.join(bin, 'code'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${argsFile}\nexit 3\n`);
    chmodSync(path.join(bin, 'code'), 0o755);
    const printed = run(['code']).stdout.trim().split(' ');
    const result = run(['code', '--open'], { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin` });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toBe('');
    expect(readFileSync(argsFile, 'utf8').trim().split('\n')).toEqual(printed.slice(1));
  });

  it('code --open without `code` on PATH fails with one line and exit 11', () => {
    const result = run(['code', '--open']);
    expect(result.code).toBe(11);
    expect(result.stderr.trim().split('\n')).toHaveLength(2);
    const [info, error] = result.stderr.trim().split('\n');
    expect(info).toMatch(/is running/);
    expect(error).toMatch(/`code`.*not on PATH.*--folder-uri/);
  });

  it('edits a config file with comments in place, keeping them', () => {
    const text = '{\n  // my own comment\n  "forwardPorts": [3000], /* mine */\n}\n';
    writeFileSync(desktopFile, text);
    const result = run(['start', '--detach']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/warning/);
    const after = readFileSync(desktopFile, 'utf8');
    expect(after).toContain('\n  // my own comment\n  "forwardPorts": [3000], /* mine */\n');
    expect(parseJsonc(after)).toEqual({
      forwardPorts: [3000],
      remoteUser: 'devtest',
      workspaceFolder: '/home/devtest/projects',
      remoteEnv: { DAILY_VAR: 'from-devenvrc' },
      extensions: ['ms-python.python'],
    });
  });

  it('leaves a config file it cannot parse alone, with a warning, and still writes the other', () => {
    const text = '{\n  "forwardPorts": [3000\n';
    writeFileSync(desktopFile, text);
    writeFileSync(serverFile, JSON.stringify({ settings: { 'editor.tabSize': 2 } }));
    const result = run(['start', '--detach']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /warning: .*remote-containers\/nameConfigs\/devenv-dailycode-devtest\.json is not a JSON object devenv can read/,
    );
    expect(readFileSync(desktopFile, 'utf8')).toBe(text);
    expect(json(serverFile)).toMatchObject({ settings: { 'editor.tabSize': 2 }, remoteUser: 'devtest' });
  });

  it('writes no VS Code folder into a home that has no desktop VS Code', () => {
    const bare = mkdirOwned(path.join(dir, 'barehome'), TEST_USER);
    const result = devenv(TEST_USER, dir, ['code'], { env: { HOME: bare } });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(path.join(bare, '.vscode-server/data', storage, `${container}.json`))).toBe(true);
    expect(existsSync(path.join(bare, '.config'))).toBe(false);
  });
});
