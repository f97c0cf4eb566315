import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DevenvError } from '../../../src/core/errors.js';
import { DEFAULT_SOCKET, endpointOfHost, resolveEndpoint } from '../../../src/docker/endpoint.js';

const HOME = '/home/alice';
const contextId = (name: string) => createHash('sha256').update(name).digest('hex');
const metaPath = (configDir: string, name: string) =>
  `${configDir}/contexts/meta/${contextId(name)}/meta.json`;
const meta = (host: string) =>
  JSON.stringify({ Name: 'x', Endpoints: { docker: { Host: host, SkipTLSVerify: false } } });

/** A fake file reader over a map of path -> content; other paths fail like a missing file. */
function reader(files: Record<string, string>) {
  const read = (file: string): string => {
    const content = files[file];
    if (content === undefined)
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { code: 'ENOENT' });
    return content;
  };
  return read;
}

function engineFailure(run: () => unknown): DevenvError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).exitCode).toBe(4);
    return error as DevenvError;
  }
  throw new Error('expected a DevenvError');
}

describe('resolveEndpoint: DOCKER_HOST and the default', () => {
  it.each([
    {
      label: 'nothing set',
      env: { HOME },
      url: DEFAULT_SOCKET,
      source: 'default',
      remote: false,
      modem: { socketPath: '/var/run/docker.sock' },
    },
    {
      label: 'a rootless socket',
      env: { HOME, DOCKER_HOST: 'unix:///run/user/1000/docker.sock' },
      url: 'unix:///run/user/1000/docker.sock',
      source: 'DOCKER_HOST',
      remote: false,
      modem: { socketPath: '/run/user/1000/docker.sock' },
    },
    {
      label: 'a socket path with a space',
      env: { HOME, DOCKER_HOST: 'unix:///tmp/my%20dir/docker.sock' },
      url: 'unix:///tmp/my%20dir/docker.sock',
      source: 'DOCKER_HOST',
      remote: false,
      modem: { socketPath: '/tmp/my dir/docker.sock' },
    },
    {
      label: 'tcp with a port',
      env: { HOME, DOCKER_HOST: 'tcp://10.0.0.5:2375' },
      url: 'tcp://10.0.0.5:2375',
      source: 'DOCKER_HOST',
      remote: true,
      modem: { host: '10.0.0.5', port: 2375, protocol: 'http' },
    },
    {
      label: 'tcp without a port',
      env: { HOME, DOCKER_HOST: 'tcp://gpu-box' },
      url: 'tcp://gpu-box',
      source: 'DOCKER_HOST',
      remote: true,
      modem: { host: 'gpu-box', port: 2375, protocol: 'http' },
    },
    {
      label: 'tcp to localhost',
      env: { HOME, DOCKER_HOST: 'tcp://localhost:2375' },
      url: 'tcp://localhost:2375',
      source: 'DOCKER_HOST',
      remote: false,
      modem: { host: 'localhost', port: 2375, protocol: 'http' },
    },
    {
      label: 'tcp to 127.0.0.1',
      env: { HOME, DOCKER_HOST: 'tcp://127.0.0.1:2375' },
      url: 'tcp://127.0.0.1:2375',
      source: 'DOCKER_HOST',
      remote: false,
      modem: { host: '127.0.0.1', port: 2375, protocol: 'http' },
    },
    {
      label: 'https',
      env: { HOME, DOCKER_HOST: 'https://gpu-box' },
      url: 'https://gpu-box',
      source: 'DOCKER_HOST',
      remote: true,
      modem: { host: 'gpu-box', port: 2376, protocol: 'https' },
    },
    {
      label: 'ssh with a user',
      env: { HOME, DOCKER_HOST: 'ssh://alice@gpu-box' },
      url: 'ssh://alice@gpu-box',
      source: 'DOCKER_HOST',
      remote: true,
      ssh: { host: 'gpu-box', user: 'alice', port: null, display: 'alice@gpu-box' },
    },
    {
      label: 'ssh with a port, no user',
      env: { HOME, DOCKER_HOST: 'ssh://gpu-box:2222' },
      url: 'ssh://gpu-box:2222',
      source: 'DOCKER_HOST',
      remote: true,
      ssh: { host: 'gpu-box', user: null, port: 2222, display: 'gpu-box:2222' },
    },
  ])('$label', ({ env, url, source, remote, modem, ssh }) => {
    const endpoint = resolveEndpoint(env, undefined, reader({}));
    expect(endpoint).toMatchObject({ url, source, remote });
    if (modem) expect(endpoint.modemOptions).toMatchObject(modem);
    if (ssh) expect(endpoint.ssh).toEqual(ssh);
    expect(endpoint.hostName).toBe(ssh ? ssh.display : remote ? new URL(url).host : 'this machine');
  });

  it('an ssh:// URL with a path is refused (the docker CLI takes none)', () => {
    expect(() => resolveEndpoint({ HOME, DOCKER_HOST: 'ssh://gpu-box/x' }, undefined, reader({}))).toThrow(
      /cannot use Docker endpoint "ssh:\/\/gpu-box\/x"/,
    );
  });

  it('a context on an ssh:// engine is named by the context', () => {
    const files = { [metaPath(`${HOME}/.docker`, 'gpu1')]: meta('ssh://alice@gpu-box:2200') };
    const endpoint = resolveEndpoint({ HOME }, 'gpu1', reader(files));
    expect(endpoint).toMatchObject({ hostName: 'gpu1', remote: true });
    expect(endpoint.ssh).toEqual({
      host: 'gpu-box',
      user: 'alice',
      port: 2200,
      display: 'alice@gpu-box:2200',
    });
  });
});

describe('resolveEndpoint: TLS', () => {
  const certs = { '/certs/ca.pem': 'CA', '/certs/cert.pem': 'CERT', '/certs/key.pem': 'KEY' };

  it('DOCKER_TLS_VERIFY with DOCKER_CERT_PATH reads the three files and speaks https on 2376', () => {
    const endpoint = resolveEndpoint(
      { HOME, DOCKER_HOST: 'tcp://gpu-box', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      undefined,
      reader(certs),
    );
    expect(endpoint.modemOptions).toEqual({
      host: 'gpu-box',
      port: 2376,
      protocol: 'https',
      ca: 'CA',
      cert: 'CERT',
      key: 'KEY',
    });
  });

  it('keeps an explicit port with TLS', () => {
    const endpoint = resolveEndpoint(
      { HOME, DOCKER_HOST: 'tcp://gpu-box:12376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      undefined,
      reader(certs),
    );
    expect(endpoint.modemOptions).toMatchObject({ port: 12376, protocol: 'https' });
  });

  it('without DOCKER_CERT_PATH reads the certs from ~/.docker', () => {
    const files = {
      [`${HOME}/.docker/ca.pem`]: 'CA',
      [`${HOME}/.docker/cert.pem`]: 'CERT',
      [`${HOME}/.docker/key.pem`]: 'KEY',
    };
    const endpoint = resolveEndpoint(
      { HOME, DOCKER_HOST: 'tcp://gpu-box', DOCKER_TLS_VERIFY: '1' },
      undefined,
      reader(files),
    );
    expect(endpoint.modemOptions).toMatchObject({ ca: 'CA', cert: 'CERT', key: 'KEY', protocol: 'https' });
  });

  it('a missing cert file is an error naming it', () => {
    const error = engineFailure(() =>
      resolveEndpoint(
        { HOME, DOCKER_HOST: 'tcp://gpu-box', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
        undefined,
        reader({ '/certs/ca.pem': 'CA' }),
      ),
    );
    expect(error.message).toContain('/certs/cert.pem');
    expect(error.hint).toContain('DOCKER_CERT_PATH');
  });

  it('DOCKER_TLS_VERIFY=0 does not use TLS', () => {
    const endpoint = resolveEndpoint(
      { HOME, DOCKER_HOST: 'tcp://gpu-box', DOCKER_TLS_VERIFY: '0', DOCKER_CERT_PATH: '/certs' },
      undefined,
      reader(certs),
    );
    expect(endpoint.modemOptions).toEqual({ host: 'gpu-box', port: 2375, protocol: 'http' });
  });
});

describe('resolveEndpoint: contexts', () => {
  const configDir = `${HOME}/.docker`;
  const files = {
    [metaPath(configDir, 'remote')]: meta('ssh://alice@gpu-box'),
    [metaPath(configDir, 'tls-box')]: meta('tcp://tls-box:2376'),
    [`${configDir}/contexts/tls/${contextId('tls-box')}/docker/ca.pem`]: 'CTX-CA',
    [`${configDir}/contexts/tls/${contextId('tls-box')}/docker/cert.pem`]: 'CTX-CERT',
    [`${configDir}/contexts/tls/${contextId('tls-box')}/docker/key.pem`]: 'CTX-KEY',
    [metaPath('/etc/docker-cfg', 'other')]: meta('tcp://other-box:2375'),
    [metaPath(configDir, 'no-docker')]: JSON.stringify({ Name: 'no-docker', Endpoints: {} }),
  };

  it.each<{
    label: string;
    env: NodeJS.ProcessEnv;
    flag: string | undefined;
    url: string;
    source: string;
    config?: Record<string, string>;
  }>([
    {
      label: '--context beats DOCKER_HOST and DOCKER_CONTEXT',
      env: { HOME, DOCKER_HOST: 'tcp://ignored:2375', DOCKER_CONTEXT: 'tls-box' },
      flag: 'remote',
      url: 'ssh://alice@gpu-box',
      source: '--context remote',
    },
    {
      label: 'DOCKER_HOST beats DOCKER_CONTEXT',
      env: { HOME, DOCKER_HOST: 'tcp://10.0.0.5:2375', DOCKER_CONTEXT: 'remote' },
      flag: undefined,
      url: 'tcp://10.0.0.5:2375',
      source: 'DOCKER_HOST',
    },
    {
      label: 'DOCKER_CONTEXT',
      env: { HOME, DOCKER_CONTEXT: 'remote' },
      flag: undefined,
      url: 'ssh://alice@gpu-box',
      source: 'DOCKER_CONTEXT=remote',
    },
    {
      label: 'DOCKER_CONTEXT beats currentContext',
      env: { HOME, DOCKER_CONTEXT: 'remote', DOCKER_CONFIG: configDir },
      flag: undefined,
      url: 'ssh://alice@gpu-box',
      source: 'DOCKER_CONTEXT=remote',
    },
    {
      label: 'currentContext in ~/.docker/config.json',
      env: { HOME },
      flag: undefined,
      url: 'ssh://alice@gpu-box',
      source: 'context remote',
      config: { [`${configDir}/config.json`]: JSON.stringify({ auths: {}, currentContext: 'remote' }) },
    },
    {
      label: 'currentContext in $DOCKER_CONFIG/config.json',
      env: { HOME, DOCKER_CONFIG: '/etc/docker-cfg' },
      flag: undefined,
      url: 'tcp://other-box:2375',
      source: 'context other',
      config: { '/etc/docker-cfg/config.json': JSON.stringify({ currentContext: 'other' }) },
    },
    {
      label: 'currentContext "default"',
      env: { HOME },
      flag: undefined,
      url: DEFAULT_SOCKET,
      source: 'default',
      config: { [`${configDir}/config.json`]: JSON.stringify({ currentContext: 'default' }) },
    },
    {
      label: 'an unreadable config.json',
      env: { HOME },
      flag: undefined,
      url: DEFAULT_SOCKET,
      source: 'default',
      config: { [`${configDir}/config.json`]: '{ not json' },
    },
    {
      label: '--context default',
      env: { HOME, DOCKER_HOST: 'tcp://ignored:2375' },
      flag: 'default',
      url: DEFAULT_SOCKET,
      source: '--context default',
    },
  ])('$label', ({ env, flag, url, source, config }) => {
    const endpoint = resolveEndpoint(env, flag, reader({ ...files, ...config }));
    expect(endpoint.url).toBe(url);
    expect(endpoint.source).toBe(source);
  });

  it("reads the context's meta.json at contexts/meta/<sha256 of the name>", () => {
    const asked: string[] = [];
    const read = reader(files);
    resolveEndpoint({ HOME }, 'remote', (file) => {
      asked.push(file);
      return read(file);
    });
    expect(asked[0]).toBe(`${configDir}/contexts/meta/${contextId('remote')}/meta.json`);
  });

  it("uses the context's TLS files", () => {
    expect(resolveEndpoint({ HOME }, 'tls-box', reader(files)).modemOptions).toEqual({
      host: 'tls-box',
      port: 2376,
      protocol: 'https',
      ca: 'CTX-CA',
      cert: 'CTX-CERT',
      key: 'CTX-KEY',
    });
  });

  it.each([
    {
      label: 'an unknown --context',
      env: { HOME },
      flag: 'nope',
      says: 'docker context "nope" (from --context nope) was not found',
    },
    {
      label: 'an unknown DOCKER_CONTEXT',
      env: { HOME, DOCKER_CONTEXT: 'nope' },
      flag: undefined,
      says: 'docker context "nope" (from DOCKER_CONTEXT=nope)',
    },
    {
      label: 'a context without a docker endpoint',
      env: { HOME },
      flag: 'no-docker',
      says: 'docker context "no-docker" has no docker endpoint',
    },
  ])('$label is an engine error', ({ env, flag, says }) => {
    expect(engineFailure(() => resolveEndpoint(env, flag, reader(files))).message).toContain(says);
  });
});

describe('resolveEndpoint: bad URLs', () => {
  it.each([
    'nonsense',
    'gpu-box:2375',
    'unix://',
    'tcp://',
    'ssh://',
    'http://',
    'npipe:////./pipe/docker_engine',
    'ftp://gpu-box',
  ])('DOCKER_HOST=%s is an engine error naming it', (url) => {
    const error = engineFailure(() => resolveEndpoint({ HOME, DOCKER_HOST: url }, undefined, reader({})));
    expect(error.message).toBe(`cannot use Docker endpoint ${JSON.stringify(url)} (from DOCKER_HOST)`);
    expect(error.hint).toContain('tcp://host:port');
  });

  it('a context whose host is bad names the context', () => {
    const files = { [metaPath(`${HOME}/.docker`, 'broken')]: meta('nonsense') };
    expect(engineFailure(() => resolveEndpoint({ HOME }, 'broken', reader(files))).message).toBe(
      'cannot use Docker endpoint "nonsense" (from --context broken)',
    );
  });
});

describe('endpointOfHost: a "hosts" entry or --on value', () => {
  const configDir = `${HOME}/.docker`;
  const files = {
    [metaPath(configDir, 'gpu1')]: meta('ssh://alice@gpu-box:2200'),
    [metaPath(configDir, 'tls-box')]: meta('tcp://tls-box:2376'),
    [metaPath(configDir, 'local')]: meta('unix:///run/user/1000/docker.sock'),
    [metaPath('/etc/docker-cfg', 'gpu1')]: meta('ssh://bob@other-box'),
  };

  it.each<{
    label: string;
    entry: string;
    env?: NodeJS.ProcessEnv;
    url: string;
    hostName: string;
    remote: boolean;
    ssh: { host: string; user: string | null; port: number | null; display: string } | null;
  }>([
    {
      label: 'an ssh:// URL with a user and a port',
      entry: 'ssh://alice@gpu2:2222',
      url: 'ssh://alice@gpu2:2222',
      hostName: 'alice@gpu2:2222',
      remote: true,
      ssh: { host: 'gpu2', user: 'alice', port: 2222, display: 'alice@gpu2:2222' },
    },
    {
      label: 'an ssh:// URL with the host alone',
      entry: 'ssh://gpu2.example.com',
      url: 'ssh://gpu2.example.com',
      hostName: 'gpu2.example.com',
      remote: true,
      ssh: { host: 'gpu2.example.com', user: null, port: null, display: 'gpu2.example.com' },
    },
    {
      label: 'a context on an ssh:// engine, named by the context',
      entry: 'gpu1',
      url: 'ssh://alice@gpu-box:2200',
      hostName: 'gpu1',
      remote: true,
      ssh: { host: 'gpu-box', user: 'alice', port: 2200, display: 'alice@gpu-box:2200' },
    },
    {
      label: 'a context read from $DOCKER_CONFIG',
      entry: 'gpu1',
      env: { HOME, DOCKER_CONFIG: '/etc/docker-cfg' },
      url: 'ssh://bob@other-box',
      hostName: 'gpu1',
      remote: true,
      ssh: { host: 'other-box', user: 'bob', port: null, display: 'bob@other-box' },
    },
    {
      label: 'a context on a tcp engine',
      entry: 'tls-box',
      url: 'tcp://tls-box:2376',
      hostName: 'tls-box',
      remote: true,
      ssh: null,
    },
    {
      label: 'a context on a local socket',
      entry: 'local',
      url: 'unix:///run/user/1000/docker.sock',
      hostName: 'this machine',
      remote: false,
      ssh: null,
    },
    {
      label: 'the default context',
      entry: 'default',
      url: DEFAULT_SOCKET,
      hostName: 'this machine',
      remote: false,
      ssh: null,
    },
    {
      label: 'a context name, whatever DOCKER_HOST and DOCKER_CONTEXT say',
      entry: 'gpu1',
      env: { HOME, DOCKER_HOST: 'tcp://ignored:2375', DOCKER_CONTEXT: 'tls-box' },
      url: 'ssh://alice@gpu-box:2200',
      hostName: 'gpu1',
      remote: true,
      ssh: { host: 'gpu-box', user: 'alice', port: 2200, display: 'alice@gpu-box:2200' },
    },
  ])('$label', ({ entry, env, url, hostName, remote, ssh }) => {
    const endpoint = endpointOfHost(entry, `host ${entry}`, env ?? { HOME }, reader(files));
    expect(endpoint).toMatchObject({ url, hostName, remote, source: `host ${entry}` });
    expect(endpoint.ssh).toEqual(ssh);
  });

  it('reads no file for an ssh:// URL', () => {
    const asked: string[] = [];
    endpointOfHost('ssh://alice@gpu2', 'host ssh://alice@gpu2', { HOME }, (file) => {
      asked.push(file);
      return reader(files)(file);
    });
    expect(asked).toEqual([]);
  });

  it('a context that does not exist is an engine error naming it and where it was named', () => {
    const error = engineFailure(() => endpointOfHost('gpu9', '"hosts" entry gpu9', { HOME }, reader(files)));
    expect(error.message).toBe(
      `docker context "gpu9" (from "hosts" entry gpu9) was not found in ${configDir}/contexts`,
    );
    expect(error.hint).toContain('docker context ls');
  });

  it('an ssh:// URL with a path is an engine error naming it and where it was named', () => {
    const error = engineFailure(() =>
      endpointOfHost('ssh://gpu2/x', '--on ssh://gpu2/x', { HOME }, reader(files)),
    );
    expect(error.message).toBe('cannot use Docker endpoint "ssh://gpu2/x" (from --on ssh://gpu2/x)');
  });
});
