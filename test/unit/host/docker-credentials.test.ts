import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DOCKER_HUB_KEY } from '../../../src/core/registry-auth.js';
import { registryCredentials } from '../../../src/host/docker-credentials.js';

const HOST = 'registry.lab:5000';
const b64 = (text: string) => Buffer.from(text).toString('base64');

// Real helper programs in a temporary folder that is the whole PATH, so nothing of this machine's
// (its own docker-credential-* or pass) is found. They use only shell builtins for that reason.
let dir: string;
let home: string;
let bin: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-creds-'));
  home = path.join(dir, 'home');
  bin = path.join(dir, 'bin');
  mkdirSync(path.join(home, '.docker'), { recursive: true });
  mkdirSync(bin);
  env = { HOME: home, PATH: bin };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(config: unknown, file = path.join(home, '.docker', 'config.json')): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
}

/** docker-credential-NAME: records its arguments and stdin, then runs `body`. */
function helper(name: string, body: string): void {
  const file = path.join(bin, `docker-credential-${name}`);
  writeFileSync(
    file,
    `#!/bin/sh\nIFS= read -r server\nprintf '%s|%s' "$*" "$server" > "${dir}/asked-${name}"\n${body}\n`,
  );
  chmodSync(file, 0o755);
}
const asked = (name: string) => readFileSync(path.join(dir, `asked-${name}`), 'utf8');

const answers = (username: string, secret: string) =>
  `echo '{"ServerURL":"'"$server"'","Username":"${username}","Secret":"${secret}"}'`;

describe('registryCredentials: a registry’s credentials, as the docker CLI finds them', () => {
  it('has none, and no problem, without a config file or with an empty one', async () => {
    expect(await registryCredentials(env, HOST)).toEqual({ auth: null, problem: null });
    writeConfig('  \n');
    expect(await registryCredentials(env, HOST)).toEqual({ auth: null, problem: null });
  });

  it('reads a `docker login` entry of ~/.docker/config.json', async () => {
    writeConfig({ auths: { [`https://${HOST}`]: { auth: b64('alice:pw:1') } } });
    expect(await registryCredentials(env, HOST)).toEqual({
      auth: { username: 'alice', password: 'pw:1', serveraddress: HOST },
      problem: null,
    });
  });

  it('reads $DOCKER_CONFIG/config.json instead, when DOCKER_CONFIG is set', async () => {
    writeConfig({ auths: { [HOST]: { auth: b64('home:pw') } } });
    const elsewhere = path.join(dir, 'etc-docker');
    writeConfig({ auths: { [HOST]: { auth: b64('other:pw') } } }, path.join(elsewhere, 'config.json'));
    expect((await registryCredentials({ ...env, DOCKER_CONFIG: elsewhere }, HOST)).auth).toMatchObject({
      username: 'other',
    });
    // Empty is unset, as for the CLI.
    expect((await registryCredentials({ ...env, DOCKER_CONFIG: '' }, HOST)).auth).toMatchObject({
      username: 'home',
    });
  });

  it('asks the credsStore helper with `get` and the registry on stdin, not the auths entry', async () => {
    helper('fake', answers('bob', 's3cret'));
    writeConfig({ credsStore: 'fake', auths: { [HOST]: { auth: b64('inline:pw') } } });
    expect(await registryCredentials(env, HOST)).toEqual({
      auth: { username: 'bob', password: 's3cret', serveraddress: HOST },
      problem: null,
    });
    expect(asked('fake')).toBe(`get|${HOST}`);
  });

  it('asks the credHelpers entry of the registry before credsStore', async () => {
    helper('fake', answers('store', 'x'));
    helper('ecr', answers('ecr-user', 'ecr-pw'));
    writeConfig({ credsStore: 'fake', credHelpers: { [HOST]: 'ecr' } });
    expect((await registryCredentials(env, HOST)).auth).toMatchObject({ username: 'ecr-user' });
    expect((await registryCredentials(env, 'other.lab')).auth).toMatchObject({ username: 'store' });
  });

  it('gives Docker Hub’s key to the helper and takes a <token> answer as an identity token', async () => {
    helper('fake', answers('<token>', 'refresh-123'));
    writeConfig({ credsStore: 'fake' });
    expect(await registryCredentials(env, DOCKER_HUB_KEY)).toEqual({
      auth: { identitytoken: 'refresh-123', serveraddress: DOCKER_HUB_KEY },
      problem: null,
    });
    expect(asked('fake')).toBe(`get|${DOCKER_HUB_KEY}`);
  });

  it('reads an identity token kept in config.json', async () => {
    writeConfig({ auths: { [HOST]: { auth: b64('alice:'), identitytoken: 'tok' } } });
    expect((await registryCredentials(env, HOST)).auth).toEqual({
      identitytoken: 'tok',
      serveraddress: HOST,
    });
  });

  it('has none, quietly, when the helper says it has nothing, even with an auths entry', async () => {
    helper('fake', 'echo "credentials not found in native keychain"; exit 1');
    writeConfig({ credsStore: 'fake', auths: { [HOST]: { auth: b64('inline:pw') } } });
    expect(await registryCredentials(env, HOST)).toEqual({ auth: null, problem: null });
  });

  it('says so when the helper is not on PATH, and sends the auths entry as the CLI does', async () => {
    writeConfig({ credsStore: 'pass', auths: { [HOST]: { auth: b64('inline:pw') } } });
    expect(await registryCredentials(env, HOST)).toEqual({
      auth: { username: 'inline', password: 'pw', serveraddress: HOST },
      problem: '~/.docker/config.json names credential helper docker-credential-pass, which is not on PATH',
    });
    writeConfig({ credsStore: 'pass', auths: { [HOST]: {} } });
    expect((await registryCredentials(env, HOST)).auth).toBeNull();
  });

  it('says what a failing helper said, in one line', async () => {
    helper('fake', 'echo "gpg: decryption failed: No secret key" >&2; echo "second line" >&2; exit 2');
    writeConfig({ credHelpers: { [HOST]: 'fake' } });
    expect(await registryCredentials(env, HOST)).toEqual({
      auth: null,
      problem: `~/.docker/config.json names credential helper docker-credential-fake, which failed for ${HOST}: gpg: decryption failed: No secret key`,
    });
  });

  it('says a helper printed no credentials JSON, without repeating what it printed', async () => {
    helper('fake', 'echo "password=hunter2"');
    writeConfig({ credsStore: 'fake' });
    const { auth, problem } = await registryCredentials(env, HOST);
    expect(auth).toBeNull();
    expect(problem).toBe(
      `~/.docker/config.json names credential helper docker-credential-fake, which answered for ${HOST} with something other than credentials JSON`,
    );
    expect(problem).not.toContain('hunter2');
  });

  it('says where config.json is not JSON, without quoting it', async () => {
    writeConfig('{\n  "auths": {\n    "x": { "auth": "c2VjcmV0OnB3" },\n  }\n}');
    const { auth, problem } = await registryCredentials(env, HOST);
    expect(auth).toBeNull();
    expect(problem).toBe('~/.docker/config.json is not valid JSON (line 4, column 3)');
    writeConfig('{"auths": c2VjcmV0OnB3}');
    expect((await registryCredentials(env, HOST)).problem).toBe('~/.docker/config.json is not valid JSON');
  });

  it('names the file and the key of a config the CLI would not read', async () => {
    const elsewhere = path.join(dir, 'etc-docker');
    writeConfig({ auths: { [HOST]: { auth: 'not base64' } } }, path.join(elsewhere, 'config.json'));
    expect(await registryCredentials({ ...env, DOCKER_CONFIG: elsewhere }, HOST)).toEqual({
      auth: null,
      problem: `${elsewhere}/config.json: "auths" entry "${HOST}" has an "auth" that is not base64 of user:password`,
    });
  });

  it('says a config.json it cannot read is unreadable', async () => {
    mkdirSync(path.join(home, '.docker', 'config.json'));
    expect(await registryCredentials(env, HOST)).toEqual({
      auth: null,
      problem: '~/.docker/config.json cannot be read (EISDIR)',
    });
  });

  it('asks the platform’s default store when the file names no credentials, as the CLI does', async () => {
    helper('secretservice', answers('keyring-user', 'pw'));
    expect((await registryCredentials(env, HOST, { platform: 'linux' })).auth).toMatchObject({
      username: 'keyring-user',
    });
    helper('secretservice', "echo 'Cannot autolaunch D-Bus without X11 $DISPLAY' >&2; exit 1");
    expect((await registryCredentials(env, HOST, { platform: 'linux' })).problem).toBe(
      `~/.docker/config.json names no credentials, so devenv asked the docker CLI's default credential helper here, docker-credential-secretservice, which failed for ${HOST}: Cannot autolaunch D-Bus without X11 $DISPLAY`,
    );
    // A file that names any login is read as it is.
    writeConfig({ auths: { 'other.lab': { auth: b64('a:b') } } });
    expect(await registryCredentials(env, HOST, { platform: 'linux' })).toEqual({
      auth: null,
      problem: null,
    });
  });

  it('gives up on a helper that does not answer in time, through the injected runner', async () => {
    writeConfig({ credsStore: 'slow', auths: { [HOST]: { username: 'u', password: 'p' } } });
    const calls: Array<[string[], string]> = [];
    const result = await registryCredentials(env, HOST, {
      runHelper: async (argv, input) => {
        calls.push([argv, input]);
        return { outcome: 'timeout' };
      },
    });
    expect(calls).toEqual([[['docker-credential-slow', 'get'], HOST]]);
    expect(result).toEqual({
      auth: { username: 'u', password: 'p', serveraddress: HOST },
      problem: `~/.docker/config.json names credential helper docker-credential-slow, which did not answer for ${HOST} within 60 s`,
    });
  });
});
