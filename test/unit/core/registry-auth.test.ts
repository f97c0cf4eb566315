import { describe, expect, it } from 'vitest';
import {
  authConfigFor,
  credentialSourceFor,
  DOCKER_HUB_KEY,
  defaultCredentialStore,
  readHelperAnswer,
  registryHostOf,
} from '../../../src/core/registry-auth.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const HOST = 'registry.lab:5000';

describe('registryHostOf: the registry a repository names, as Docker normalizes it', () => {
  it.each([
    ['registry.lab:5000/devenv', 'registry.lab:5000'],
    ['registry.lab:5000/devenv:abc123', 'registry.lab:5000'],
    ['127.0.0.1:17850/team/x', '127.0.0.1:17850'],
    ['registry.lab/team/devenv', 'registry.lab'],
    ['localhost/devenv', 'localhost'],
    ['localhost:5000/devenv', 'localhost:5000'],
    ['[::1]:5000/devenv', '[::1]:5000'],
    // An upper-case first component cannot be a repository path, so it is a host.
    ['Registry/devenv', 'Registry'],
    ['devenv/foo', DOCKER_HUB_KEY],
    ['devenv', DOCKER_HUB_KEY],
    ['ubuntu:24.04', DOCKER_HUB_KEY],
    ['docker.io/devenv/foo', DOCKER_HUB_KEY],
    ['index.docker.io/devenv/foo', DOCKER_HUB_KEY],
    ['localhostish/devenv', DOCKER_HUB_KEY],
  ])('%s -> %s', (repository, host) => {
    expect(registryHostOf(repository)).toBe(host);
  });
});

describe('credentialSourceFor: where the docker CLI takes a registry’s credentials from', () => {
  it('has none without a config, or without an entry for the registry', () => {
    expect(credentialSourceFor(null, HOST)).toBeNull();
    expect(credentialSourceFor({}, HOST)).toBeNull();
    expect(credentialSourceFor({ auths: { 'other:5000': { auth: b64('a:b') } } }, HOST)).toBeNull();
    // A login through a helper leaves {} in auths: no credentials of its own.
    expect(credentialSourceFor({ auths: { [HOST]: {} } }, HOST)).toBeNull();
  });

  it('decodes an auths entry: base64 of user:password, only the first colon splitting them', () => {
    expect(credentialSourceFor({ auths: { [HOST]: { auth: b64('alice:s3:cr:et') } } }, HOST)).toEqual({
      kind: 'inline',
      auth: { username: 'alice', password: 's3:cr:et' },
    });
    // Go's decoder skips line breaks; the CLI trims NULs around the password.
    expect(credentialSourceFor({ auths: { [HOST]: { auth: `${b64('bob:pw\0')}\n` } } }, HOST)).toEqual({
      kind: 'inline',
      auth: { username: 'bob', password: 'pw' },
    });
  });

  it('reads plain username and password fields, and prefers auth over them', () => {
    expect(credentialSourceFor({ auths: { [HOST]: { username: 'u', password: 'p' } } }, HOST)).toEqual({
      kind: 'inline',
      auth: { username: 'u', password: 'p' },
    });
    const both = { auths: { [HOST]: { auth: b64('a:b'), username: 'u', password: 'p' } } };
    expect(credentialSourceFor(both, HOST)).toEqual({
      kind: 'inline',
      auth: { username: 'a', password: 'b' },
    });
  });

  it('takes an identity token over a user and password', () => {
    const config = { auths: { [HOST]: { auth: b64('alice:'), identitytoken: 'tok-123' } } };
    expect(credentialSourceFor(config, HOST)).toEqual({ kind: 'inline', auth: { identitytoken: 'tok-123' } });
  });

  it.each([
    ['https://registry.lab:5000', 'a scheme'],
    ['http://registry.lab:5000/v1/', 'a scheme and a path'],
    ['registry.lab:5000/v2/', 'a path'],
    ['https://user@registry.lab:5000/v1/', 'a user in the URL'],
  ])('matches a key with %s (%s) by its hostname', (key) => {
    expect(credentialSourceFor({ auths: { [key]: { auth: b64('a:b') } } }, HOST)).toEqual({
      kind: 'inline',
      auth: { username: 'a', password: 'b' },
    });
  });

  it('does not match a key naming another port, or another host with the same name start', () => {
    const config = { auths: { 'https://registry.lab:5001': { auth: b64('a:b') }, 'registry.lab': {} } };
    expect(credentialSourceFor(config, HOST)).toBeNull();
  });

  it('prefers the exact key, even an empty one, to a key matched by hostname', () => {
    const config = { auths: { 'https://registry.lab:5000/v1/': { auth: b64('a:b') }, [HOST]: {} } };
    expect(credentialSourceFor(config, HOST)).toBeNull();
  });

  it('keeps Docker Hub to its own key, as the CLI does', () => {
    const hub = { auths: { [DOCKER_HUB_KEY]: { auth: b64('hub:pw') } } };
    expect(credentialSourceFor(hub, DOCKER_HUB_KEY)).toEqual({
      kind: 'inline',
      auth: { username: 'hub', password: 'pw' },
    });
    expect(credentialSourceFor({ auths: { 'docker.io': { auth: b64('a:b') } } }, DOCKER_HUB_KEY)).toBeNull();
  });

  describe('helpers: credHelpers over credsStore over auths', () => {
    const auths = { [HOST]: { auth: b64('inline:pw') } };

    it('asks the credHelpers entry of the registry first', () => {
      const config = { credHelpers: { [HOST]: 'ecr-login' }, credsStore: 'pass', auths };
      expect(credentialSourceFor(config, HOST)).toEqual({
        kind: 'helper',
        helper: 'ecr-login',
        from: 'credHelpers',
        fallback: { username: 'inline', password: 'pw' },
      });
    });

    it('asks credsStore for a registry credHelpers does not name, not auths', () => {
      const config = { credHelpers: { 'other:5000': 'ecr-login' }, credsStore: 'pass', auths };
      expect(credentialSourceFor(config, HOST)).toEqual({
        kind: 'helper',
        helper: 'pass',
        from: 'credsStore',
        fallback: { username: 'inline', password: 'pw' },
      });
      expect(credentialSourceFor({ credsStore: 'desktop', auths: { [HOST]: {} } }, HOST)).toEqual({
        kind: 'helper',
        helper: 'desktop',
        from: 'credsStore',
        fallback: null,
      });
    });

    it('reads auths when credHelpers names the empty helper for the registry, even with a credsStore', () => {
      const config = { credHelpers: { [HOST]: '' }, credsStore: 'pass', auths };
      expect(credentialSourceFor(config, HOST)).toEqual({
        kind: 'inline',
        auth: { username: 'inline', password: 'pw' },
      });
    });

    it('matches credHelpers keys exactly, not by hostname', () => {
      const config = { credHelpers: { 'https://registry.lab:5000': 'ecr-login' }, auths };
      expect(credentialSourceFor(config, HOST)).toEqual({
        kind: 'inline',
        auth: { username: 'inline', password: 'pw' },
      });
    });

    it('asks the default store only when the file names no credentials at all', () => {
      expect(credentialSourceFor(null, HOST, 'secretservice')).toEqual({
        kind: 'helper',
        helper: 'secretservice',
        from: 'default',
        fallback: null,
      });
      expect(credentialSourceFor({ auths: {} }, HOST, 'pass')).toMatchObject({ helper: 'pass' });
      expect(credentialSourceFor({ auths: { 'other:1': {} } }, HOST, 'pass')).toBeNull();
      expect(credentialSourceFor({ credHelpers: { 'other:1': 'x' } }, HOST, 'pass')).toBeNull();
      expect(credentialSourceFor({ credsStore: 'desktop' }, HOST, 'pass')).toMatchObject({
        helper: 'desktop',
      });
    });
  });

  it('reads keys in any case, as Go decodes them, and null as absent', () => {
    expect(credentialSourceFor({ CredsStore: 'pass' }, HOST)).toMatchObject({ helper: 'pass' });
    expect(credentialSourceFor({ credsStore: null, credHelpers: null, auths: null }, HOST)).toBeNull();
    expect(credentialSourceFor({ Auths: { [HOST]: { Auth: b64('a:b') } } }, HOST)).toMatchObject({
      auth: { username: 'a', password: 'b' },
    });
  });

  it.each([
    [[], 'its content is not a JSON object'],
    ['x', 'its content is not a JSON object'],
    [{ credsStore: 3 }, '"credsStore" is not a string (the name of a credential helper)'],
    [{ credHelpers: ['pass'] }, '"credHelpers" is not an object of registry hosts to helper names'],
    [{ credHelpers: { [HOST]: true } }, `"credHelpers" entry "${HOST}" is not a string`],
    [{ auths: 'x' }, '"auths" is not an object of registry keys to logins'],
    [{ auths: { [HOST]: 'x' } }, `"auths" entry "${HOST}" is not an object`],
    [{ auths: { [HOST]: { password: 7 } } }, `"auths" entry "${HOST}" has a "password" that is not a string`],
    [{ auths: { [HOST]: { auth: 'not base64!' } } }, 'has an "auth" that is not base64 of user:password'],
    [{ auths: { [HOST]: { auth: b64('nocolon') } } }, 'has an "auth" that is not base64 of user:password'],
    [{ auths: { [HOST]: { auth: b64(':pw') } } }, 'has an "auth" that is not base64 of user:password'],
    [{ auths: { [HOST]: { auth: 'YTpi' } } }, null],
    [{ auths: { [HOST]: { auth: 'YTpiYw' } } }, 'has an "auth" that is not base64 of user:password'],
    // One bad entry spoils the file for every registry: the CLI ignores the file whole.
    [
      { auths: { [HOST]: { auth: b64('a:b') }, other: { auth: '!!' } } },
      '"auths" entry "other" has an "auth"',
    ],
  ])('says what is wrong with %j, without throwing', (config, problem) => {
    const source = credentialSourceFor(config, HOST);
    if (problem === null) expect(source?.kind).toBe('inline');
    else expect(source).toEqual({ kind: 'problem', problem: expect.stringContaining(problem) });
  });
});

describe('defaultCredentialStore: the store the docker CLI uses when config.json names none', () => {
  const onPath = (programs: string[]) => (program: string) => programs.includes(program);

  it.each([
    ['linux', ['pass', 'docker-credential-pass', 'docker-credential-secretservice'], 'pass'],
    ['linux', ['docker-credential-pass', 'docker-credential-secretservice'], 'secretservice'],
    ['linux', ['pass', 'docker-credential-secretservice'], null],
    ['linux', [], null],
    ['darwin', ['docker-credential-osxkeychain'], 'osxkeychain'],
    ['win32', ['docker-credential-wincred'], 'wincred'],
    ['freebsd', ['docker-credential-pass', 'pass'], null],
  ])('%s with %j on PATH -> %s', (platform, programs, store) => {
    expect(defaultCredentialStore(platform, onPath(programs))).toBe(store);
  });
});

describe('readHelperAnswer: what `docker-credential-X get` said', () => {
  it('reads a user and secret, in any key case', () => {
    expect(readHelperAnswer(0, '{"ServerURL":"r","Username":"u","Secret":"s"}\n', '')).toEqual({
      kind: 'credentials',
      credentials: { username: 'u', password: 's' },
    });
    expect(readHelperAnswer(0, '{"username":"u","secret":"s"}', '')).toEqual({
      kind: 'credentials',
      credentials: { username: 'u', password: 's' },
    });
  });

  it('reads a Username of <token> as an identity token', () => {
    expect(readHelperAnswer(0, '{"ServerURL":"r","Username":"<token>","Secret":"rt"}', '')).toEqual({
      kind: 'credentials',
      credentials: { identitytoken: 'rt' },
    });
  });

  it('reads empty credentials as none', () => {
    expect(readHelperAnswer(0, '{"ServerURL":"","Username":"","Secret":""}', '')).toEqual({
      kind: 'credentials',
      credentials: null,
    });
    expect(readHelperAnswer(0, '{}', '')).toEqual({ kind: 'credentials', credentials: null });
  });

  it('knows "not found" on stdout, with a failing exit', () => {
    expect(readHelperAnswer(1, 'credentials not found in native keychain\n', '')).toEqual({
      kind: 'not-found',
    });
    // On stderr it is a failure to the CLI, which then falls back to the auths entry.
    expect(readHelperAnswer(1, '', 'credentials not found in native keychain\n')).toEqual({
      kind: 'failed',
      said: 'credentials not found in native keychain',
    });
  });

  it('reports a failure by its first line, stdout first', () => {
    expect(readHelperAnswer(3, '\nboom on stdout\nmore', 'on stderr')).toEqual({
      kind: 'failed',
      said: 'boom on stdout',
    });
    expect(readHelperAnswer(1, '', 'exit status 1: gpg: decryption failed\n')).toEqual({
      kind: 'failed',
      said: 'exit status 1: gpg: decryption failed',
    });
    expect(readHelperAnswer(2, '', '')).toEqual({ kind: 'failed', said: null });
  });

  it.each(['hello there', '', '["u","s"]', 'null', '{"Username":1,"Secret":"s"}'])(
    'calls %j with exit 0 garbage',
    (stdout) => {
      expect(readHelperAnswer(0, stdout, '')).toEqual({ kind: 'garbage' });
    },
  );
});

describe('authConfigFor: what dockerode sends the engine', () => {
  it('gives a user and password, or an identity token, with the registry key as serveraddress', () => {
    expect(authConfigFor({ username: 'u', password: 'p' }, HOST)).toEqual({
      username: 'u',
      password: 'p',
      serveraddress: HOST,
    });
    expect(authConfigFor({ identitytoken: 't' }, DOCKER_HUB_KEY)).toEqual({
      identitytoken: 't',
      serveraddress: DOCKER_HUB_KEY,
    });
  });
});
