import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { ContainerCreateBody } from '../../../src/core/container-plan.js';
import {
  ContainerNameTaken,
  DevenvError,
  HostPortTaken,
  ImageInUse,
  signalExitCode,
} from '../../../src/core/errors.js';
import { DEFAULT_SOCKET } from '../../../src/docker/endpoint.js';
import { DockerodeEngine } from '../../../src/docker/engine.js';
import { engineError, engineMessage, statusOf } from '../../../src/docker/errors.js';

const local = { url: DEFAULT_SOCKET, source: 'default' };
const remote = { url: 'tcp://gpu-box:2375', source: 'DOCKER_HOST' };
const socketError = (code: string) =>
  Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code });

/** What dockerode rejects with when the engine answers with an HTTP error. */
function httpError(statusCode: number, reason: string, message: string) {
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${reason} - ${message} `), {
    statusCode,
    reason,
    json: { message },
  });
}

describe('engineError: the engine cannot be reached', () => {
  it.each(['ENOENT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT'])(
    '%s at the default socket',
    (code) => {
      const error = engineError(socketError(code), local, 'listing containers');
      expect(error.message).toBe('cannot reach the Docker engine at unix:///var/run/docker.sock');
      expect(error.hint).toContain('start Docker');
      expect(error.exitCode).toBe(4);
    },
  );

  it.each([
    { endpoint: remote, where: 'tcp://gpu-box:2375 (from DOCKER_HOST)' },
    {
      endpoint: { url: 'ssh://alice@gpu-box', source: '--context remote' },
      where: 'ssh://alice@gpu-box (from --context remote)',
    },
    {
      endpoint: { url: 'unix:///run/user/1000/docker.sock', source: 'DOCKER_CONTEXT=rootless' },
      where: 'unix:///run/user/1000/docker.sock (from DOCKER_CONTEXT=rootless)',
    },
  ])('names where the endpoint came from: $where', ({ endpoint, where }) => {
    expect(engineError(socketError('ECONNREFUSED'), endpoint, 'listing containers').message).toBe(
      `cannot reach the Docker engine at ${where}`,
    );
  });
});

describe('engineError: other failures', () => {
  it.each(['EACCES', 'EPERM'])('%s is permission denied with the docker group hint', (code) => {
    const error = engineError(socketError(code), local, 'listing containers');
    expect(error.message).toBe('permission denied on the Docker socket unix:///var/run/docker.sock');
    expect(error.hint).toContain('docker group');
    expect(error.hint).toContain('usermod -aG docker');
    expect(error.exitCode).toBe(4);
  });

  it.each(['ECONNRESET', 'EPIPE'])('%s says what devenv was doing', (code) => {
    const error = engineError(socketError(code), remote, 'building the image');
    expect(error.message).toBe(
      'the Docker engine at tcp://gpu-box:2375 (from DOCKER_HOST) closed the connection while building the image',
    );
    expect(error.exitCode).toBe(4);
  });

  it.each([
    { status: 404, reason: 'no such container', message: 'No such container: devenv-x-alice' },
    {
      status: 409,
      reason: 'unexpected',
      message: 'Conflict. The container name "/devenv-x-alice" is already in use',
    },
    {
      status: 500,
      reason: 'server error',
      message: 'could not select device driver "" with capabilities: [[gpu]]',
    },
  ])('HTTP $status keeps the engine message', ({ status, reason, message }) => {
    const error = engineError(httpError(status, reason, message), local, 'creating the container');
    expect(error.message).toBe(`Docker engine error while creating the container: ${message}`);
    expect(error.exitCode).toBe(4);
  });

  it('keeps the original error as the cause', () => {
    const original = socketError('ECONNREFUSED');
    expect(engineError(original, local, 'x').cause).toBe(original);
  });

  it('passes a DevenvError through unchanged', () => {
    const original = new DevenvError('already explained', { code: 'gpu' });
    expect(engineError(original, local, 'x')).toBe(original);
  });

  it('copes with something that is not an Error', () => {
    const error = engineError('socket hang up', local, 'pinging');
    expect(error).toBeInstanceOf(DevenvError);
    expect(error.message).toBe('Docker engine error while pinging: socket hang up');
    expect(error.exitCode).toBe(4);
  });
});

describe('engineMessage', () => {
  it.each([
    {
      label: 'the JSON message wins',
      error: httpError(404, 'no such image', 'No such image: x:latest'),
      message: 'No such image: x:latest',
    },
    {
      label: 'the JSON message is trimmed',
      error: { json: { message: '  pull access denied\n' } },
      message: 'pull access denied',
    },
    {
      label: "dockerode's wrapping is removed",
      error: new Error('(HTTP code 409) unexpected - Conflict. The container name is in use '),
      message: 'Conflict. The container name is in use',
    },
    {
      label: 'a null json falls back to the message',
      error: Object.assign(new Error('plain failure'), { json: null }),
      message: 'plain failure',
    },
    {
      label: 'an empty JSON message falls back',
      error: Object.assign(new Error('(HTTP code 500) server error - boom'), { json: { message: '' } }),
      message: 'boom',
    },
    { label: 'a string', error: 'just text', message: 'just text' },
  ])('$label', ({ error, message }) => {
    expect(engineMessage(error)).toBe(message);
  });
});

describe('statusOf', () => {
  it.each([
    { error: httpError(404, 'not found', 'x'), status: 404 },
    { error: socketError('ENOENT'), status: undefined },
    { error: undefined, status: undefined },
  ])('$status', ({ error, status }) => {
    expect(statusOf(error)).toBe(status);
  });
});

describe('DockerodeEngine: engine answers become typed errors', () => {
  const endpoint = {
    url: DEFAULT_SOCKET,
    source: 'default',
    remote: false,
    hostName: 'this machine',
    ssh: null,
    modemOptions: {},
  };
  /** A dockerode stand-in whose every call rejects with `error`. */
  const engineFailingWith = (error: unknown) => {
    const reject = async () => {
      throw error;
    };
    const docker = {
      createContainer: reject,
      getContainer: () => ({ start: reject }),
      getImage: () => ({ remove: reject }),
    };
    return new DockerodeEngine(docker as unknown as Dockerode, endpoint);
  };

  it('a taken container name is ContainerNameTaken', async () => {
    const engine = engineFailingWith(
      httpError(409, 'unexpected', 'Conflict. The container name "/devenv-x-alice" is already in use'),
    );
    await expect(
      engine.createContainer({ name: 'devenv-x-alice' } as ContainerCreateBody),
    ).rejects.toBeInstanceOf(ContainerNameTaken);
  });

  it('a GPU request the engine cannot serve is a GPU error (exit 8) with the toolkit fix', async () => {
    const engine = engineFailingWith(
      httpError(500, 'server error', 'could not select device driver "" with capabilities: [[gpu]]'),
    );
    const error = (await engine.startContainer('c1').catch((e) => e)) as DevenvError;
    expect(error.exitCode).toBe(8);
    expect(error.hint).toContain('nvidia-ctk runtime configure');
  });

  // What Docker 20.10 said here when a published port was taken (both at start, after create).
  it.each([
    {
      label: 'held by another container',
      says: 'driver failed programming external connectivity on endpoint devenv-svc-devtest (1f2e…): Bind for 127.0.0.1:18888 failed: port is already allocated',
      message:
        'host port 127.0.0.1:18888 is already taken (the Docker engine says: port is already allocated)',
    },
    {
      label: 'held by a host process',
      says: 'driver failed programming external connectivity on endpoint devenv-svc-devtest (9c0d…): Error starting userland proxy: listen tcp4 127.0.0.1:18889: bind: address already in use',
      message: 'host port 127.0.0.1:18889 is already taken (the Docker engine says: address already in use)',
    },
    {
      label: 'every address',
      says: 'driver failed programming external connectivity on endpoint x (1): Bind for 0.0.0.0:8888 failed: port is already allocated',
      message: 'host port 8888 is already taken (the Docker engine says: port is already allocated)',
    },
    {
      label: 'UDP',
      says: 'Error starting userland proxy: listen udp4 0.0.0.0:5353: bind: address already in use',
      message: 'host port 5353/udp is already taken (the Docker engine says: address already in use)',
    },
  ])('a taken host port ($label) is HostPortTaken (exit 7), one line', async ({ says, message }) => {
    const error = (await engineFailingWith(httpError(500, 'server error', says))
      .startContainer('c1')
      .catch((e) => e)) as DevenvError;
    expect(error).toBeInstanceOf(HostPortTaken);
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(7);
    expect(error.hint).toBe(
      'stop what holds it or choose another host port in "ports"; the container was removed',
    );
  });

  it('an already started container is success', async () => {
    await expect(engineFailingWith(httpError(304, 'not modified', '')).startContainer('c1')).resolves.toBe(
      undefined,
    );
  });

  it('an image still in use is ImageInUse; a missing one is success', async () => {
    await expect(
      engineFailingWith(httpError(409, 'conflict', 'image is being used by running container')).removeImage(
        'i1',
      ),
    ).rejects.toBeInstanceOf(ImageInUse);
    await expect(
      engineFailingWith(httpError(404, 'no such image', 'No such image')).removeImage('i1'),
    ).resolves.toBe(undefined);
  });
});

describe('signalExitCode', () => {
  it.each([
    ['SIGHUP', 129],
    ['SIGINT', 130],
    ['SIGKILL', 137],
    ['SIGTERM', 143],
  ] as const)('%s exits %i, as shells report it', (signal, code) => {
    expect(signalExitCode(signal)).toBe(code);
  });
});
