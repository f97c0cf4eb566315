import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { expectNothingCreated, expectOneLineError, snapshot, writeRawRc } from './errors-kit.js';
import { devenv, makeEnvDir, quickRc, removeEnvObjects, TEST_USER } from './harness.js';

/**
 * Catalogue cases C01–C17 (docs/errors.md): a bad .devenvrc. Each runs `devenv start --detach`
 * as uid 4242 and must fail before anything is created; C16 and C17 are files that look unusual
 * but are fine (JSONC as VS Code writes it, a byte order mark), which `devenv config` reads.
 */
describe('bad .devenvrc: one line naming the key and the fix, exit 3, nothing created', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir);
  });

  /** A fresh env folder holding `rc` (an object, or raw text) as its .devenvrc. */
  function envWith(label: string, rc: Record<string, unknown> | string, mode = 0o644) {
    const dir = makeEnvDir(label, TEST_USER);
    dirs.push(dir);
    const text = typeof rc === 'string' ? rc : `${JSON.stringify(rc, null, 2)}\n`;
    const file = writeRawRc(dir, TEST_USER, text, mode);
    return { dir, file, before: snapshot(dir) };
  }
  const start = (dir: string, args: string[] = []) => devenv(TEST_USER, dir, [...args, 'start', '--detach']);
  /** `devenv config --json` in `dir`, which must say nothing on stderr; and the config it read. */
  const readConfig = (dir: string) => {
    const result = devenv(TEST_USER, dir, ['config', '--json']);
    expect(result.stderr).toBe('');
    return { code: result.code, config: result.code === 0 ? JSON.parse(result.stdout).config : null };
  };

  it('C01 malformed JSON names the file, line and column', () => {
    // A missing comma, the usual slip: the position is the key JSON did not expect yet.
    const { dir, before } = envWith('errjson', '{\n  "name": "errjson"\n  "gpus": "none"\n}\n');
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /\.devenvrc:3:3: not valid JSON: expected a comma before this — fix the JSON/,
    );
    expectNothingCreated(dir, before);
    // A bare word: the position is where the word starts.
    const bare = envWith('errjson', '{\n  "name": "errjson",\n  "gpus": none\n}\n');
    expectOneLineError(
      start(bare.dir),
      ExitCode.config,
      /\.devenvrc:3:11: not valid JSON: unexpected none \(strings and keys need "double quotes"\)/,
    );
    expectNothingCreated(bare.dir, bare.before);
  });

  it('C02 a wrong type names the key, what it must be and what it got', () => {
    const { dir, before } = envWith('errtype', quickRc('errtype', { shmSize: 8 }));
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /"shmSize" must be a size such as "8g" or "512m" \(got 8\)/,
    );
    expectNothingCreated(dir, before);
  });

  it('C03 a docker -v style string where a list of mounts belongs', () => {
    const { dir, before } = envWith('errmountstr', quickRc('errmountstr', { mounts: 'data:/data' }));
    expectOneLineError(start(dir), ExitCode.config, /"mounts" must be a list of .*\(got "data:\/data"\)/);
    expectNothingCreated(dir, before);
  });

  it('C04 an unknown key suggests the nearest known key', () => {
    const { dir, before } = envWith('errkey', quickRc('errkey', { shm_size: '16g' }));
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /"shm_size" is not a known key \(did you mean "shmSize"\?\)/,
    );
    expectNothingCreated(dir, before);
  });

  it('C05 an empty string is refused with what is expected', () => {
    const { dir, before } = envWith('errempty', quickRc('errempty', { baseImage: '' }));
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /"baseImage" must not be empty \(expected an image reference/,
    );
    expectNothingCreated(dir, before);
  });

  it('C06 a relative container mount target must be absolute', () => {
    const { dir, before } = envWith(
      'errrel',
      quickRc('errrel', { mounts: [{ source: 'data', target: 'data' }] }),
    );
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /"mounts\[0\]\.target" must be an absolute path .*\(got "data"\)/,
    );
    expectNothingCreated(dir, before);
  });

  it('C07 a missing mount source is named, and no folder is made for it', () => {
    const { dir, before } = envWith(
      'errsrc',
      quickRc('errsrc', { mounts: [{ source: 'no-such-data', target: '/data' }] }),
    );
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /mount source \/\S+\/no-such-data does not exist — create it/,
    );
    expectNothingCreated(dir, before);
  });

  it("C08 a mount over devenv's own ~/projects is refused", () => {
    const { dir, before } = envWith(
      'errown',
      quickRc('errown', { mounts: [{ source: '/tmp', target: '/home/devtest/projects/data' }] }),
    );
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /"\/home\/devtest\/projects\/data" overlaps devenv's own mount \/home\/devtest\/projects — choose another target/,
    );
    expectNothingCreated(dir, before);
  });

  it('C09 a mount over /etc without allowSystemTarget is refused', () => {
    const { dir, before } = envWith(
      'errsys',
      quickRc('errsys', { mounts: [{ source: '/tmp', target: '/etc/app' }] }),
    );
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /"\/etc\/app" would cover the system folder \/etc — .*"allowSystemTarget": true/,
    );
    expectNothingCreated(dir, before);
  });

  it('C10 an env name Docker would reject', () => {
    const { dir, before } = envWith('errname', quickRc('my env!'));
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /"name" must start with a letter or digit .*\(got "my env!"\): Docker rejects/,
    );
    expectNothingCreated(dir, before);
  });

  it('C11 an absurd shmSize ("10t") is not a size devenv accepts', () => {
    const { dir, before } = envWith('errshmt', quickRc('errshmt', { shmSize: '10t' }));
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /"shmSize" must be a size such as "8g" or "512m" \(got "10t"\)/,
    );
    expectNothingCreated(dir, before);
  });

  it('C12 a zero shmSize is out of range', () => {
    const { dir, before } = envWith('errshm0', quickRc('errshm0', { shmSize: '0' }));
    expectOneLineError(start(dir), ExitCode.config, /"shmSize" must be between 64m and 1024g \(got "0"\)/);
    expectNothingCreated(dir, before);
  });

  it('C13 a .devenvrc writable by others is refused, with chmod go-w in the hint', () => {
    const { dir, file, before } = envWith('errmode', quickRc('errmode'), 0o666);
    expect(before.rcMode).toBe(0o666);
    const line = expectOneLineError(
      start(dir),
      ExitCode.config,
      /is writable by other users.* — run: chmod go-w /,
    );
    expect(line).toContain(`chmod go-w ${file}`);
    expectNothingCreated(dir, before);
  });

  it('C14 --config pointing to a missing file', () => {
    const { dir, before } = envWith('errcfgpath', quickRc('errcfgpath'));
    const missing = path.join(dir, 'nowhere', '.devenvrc');
    expectOneLineError(
      start(dir, ['--config', missing]),
      ExitCode.config,
      /config file \S+\/nowhere\/\.devenvrc does not exist — check the --config path/,
    );
    expectNothingCreated(dir, before);
  });

  it('C15 a key given twice names the key and both lines (JSON would quietly keep the last)', () => {
    const text = '{\n  "name": "errdup",\n  "gpus": "none",\n  "gpus": "all"\n}\n';
    const { dir, before } = envWith('errdup', text);
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /\.devenvrc:4:3: "gpus" is given twice, on lines 3 and 4 — keep one of each/,
    );
    expectNothingCreated(dir, before);
  });

  it('C18 a "registry" with a tag names the key and says what it takes', () => {
    const text = '{\n  "name": "errreg",\n  "registry": "127.0.0.1:17850/devenv:latest"\n}\n';
    const { dir, before } = envWith('errreg', text);
    expectOneLineError(
      start(dir),
      ExitCode.config,
      /\.devenvrc:3:3: "registry" must be a registry host\[:port\] and a lowercase repository path, with no tag \(got "127\.0\.0\.1:17850\/devenv:latest"\), e\.g\. "registry\.lab:5000\/devenv"$/,
    );
    expectNothingCreated(dir, before);
  });

  it('C16 comments and trailing commas, as in VS Code settings, are read', () => {
    const text = [
      '// the env for the podcast model',
      '{',
      '  "name": "errjsonc", /* docker-safe */',
      '  "gpus": [0, 1,],',
      '  // "shmSize": "64g",',
      '  "env": { "HF_HOME": "/data/hf", },',
      '}',
      '',
    ].join('\n');
    const { dir, before } = envWith('errjsonc', text);
    const { code, config } = readConfig(dir);
    expect(code).toBe(ExitCode.ok);
    expect(config).toMatchObject({
      name: 'errjsonc',
      gpus: [0, 1],
      shmSize: '8g',
      env: { HF_HOME: '/data/hf' },
    });
    expectNothingCreated(dir, before);
  });

  it('C17 a UTF-8 byte order mark (as some Windows editors save) is read', () => {
    const { dir, before } = envWith(
      'errbom',
      `\uFEFF${JSON.stringify(quickRc('errbom', { shmSize: '16g' }))}\n`,
    );
    expect(before.rc?.charCodeAt(0)).toBe(0xfeff);
    const { code, config } = readConfig(dir);
    expect(code).toBe(ExitCode.ok);
    expect(config).toMatchObject({ name: 'errbom', shmSize: '16g' });
    expectNothingCreated(dir, before);
  });
});
