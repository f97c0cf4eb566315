import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonc } from '../../../src/core/config/jsonc.js';
import {
  attachedConfigChanges,
  attachedConfigFor,
  attachedContainerAuthority,
  attachedContainerUri,
  codeCommand,
  type SshHostRef,
  shellQuote,
  sshRemoteAuthority,
} from '../../../src/core/vscode-attach.js';
import { localHost } from '../../../src/host/local-host.js';
import { nameConfigFiles, writeNameConfig } from '../../../src/host/vscode-config.js';

const ours = attachedConfigFor({
  containerUser: 'alice',
  workdir: '/home/alice/projects/podcastllm',
  env: { HF_HOME: '/data/hf' },
  extensions: ['ms-python.python', 'ms-python.python'],
});

describe('attached-container URI', () => {
  it('hex-encodes {"containerName":"/<name>"} as the Dev Containers extension reads it', () => {
    const authority = attachedContainerAuthority('devenv-x-alice');
    const hex = authority.replace(/^attached-container\+/, '');
    expect(hex).toMatch(/^[0-9a-f]+$/);
    expect(Buffer.from(hex, 'hex').toString('utf8')).toBe('{"containerName":"/devenv-x-alice"}');
    expect(attachedContainerAuthority('/devenv-x-alice')).toBe(authority);
  });

  it.each([
    { folder: '/home/alice/projects', path: '/home/alice/projects' },
    { folder: 'home/alice', path: '/home/alice' },
    { folder: '/home/alice/my repo', path: '/home/alice/my%20repo' },
  ])('puts the folder $folder in the path', ({ folder, path: expected }) => {
    const uri = attachedContainerUri('c', folder);
    expect(uri).toBe(`vscode-remote://${attachedContainerAuthority('c')}${expected}`);
  });

  it('is a well-formed URI', () => {
    const url = new URL(attachedContainerUri('devenv-x-alice', '/home/alice/projects'));
    expect(url.protocol).toBe('vscode-remote:');
    expect(url.pathname).toBe('/home/alice/projects');
  });

  it('builds the code command line', () => {
    expect(codeCommand('c', '/w')).toEqual(['code', '--folder-uri', attachedContainerUri('c', '/w')]);
  });

  it.each([
    { arg: 'code', quoted: 'code' },
    {
      arg: 'vscode-remote://attached-container+7b/home/a',
      quoted: 'vscode-remote://attached-container+7b/home/a',
    },
    { arg: 'a b', quoted: "'a b'" },
    { arg: "it's", quoted: "'it'\\''s'" },
  ])('shellQuote($arg)', ({ arg, quoted }) => {
    expect(shellQuote(arg)).toBe(quoted);
  });
});

describe('attachedConfigChanges', () => {
  it('sets every key of ours in a new file, extensions without duplicates', () => {
    expect(attachedConfigChanges(undefined, ours)).toEqual([
      { path: ['remoteUser'], value: 'alice' },
      { path: ['workspaceFolder'], value: '/home/alice/projects/podcastllm' },
      { path: ['remoteEnv'], value: { HF_HOME: '/data/hf' } },
      { path: ['extensions'], value: ['ms-python.python'] },
    ]);
  });

  it('leaves keys it does not own, overlays the ones it does, adds to env and extensions', () => {
    const existing = {
      remoteUser: 'root',
      workspaceFolder: '/home/alice/projects/podcastllm',
      forwardPorts: [8888],
      remoteEnv: { HF_HOME: '/old', MINE: '1' },
      extensions: ['esbenp.prettier-vscode'],
    };
    expect(attachedConfigChanges(existing, ours)).toEqual([
      { path: ['remoteUser'], value: 'alice' },
      { path: ['remoteEnv', 'HF_HOME'], value: '/data/hf' },
      { path: ['extensions', -1], value: 'ms-python.python' },
    ]);
  });

  it('has nothing to change when the file already says it all (extension case aside)', () => {
    const existing = {
      remoteUser: 'alice',
      workspaceFolder: '/home/alice/projects/podcastllm',
      remoteEnv: { HF_HOME: '/data/hf' },
      extensions: ['MS-Python.python'],
    };
    expect(attachedConfigChanges(existing, ours)).toEqual([]);
  });

  it('replaces a remoteEnv or extensions of the wrong type', () => {
    expect(attachedConfigChanges({ remoteEnv: 'x', extensions: 'y' }, ours)).toEqual(
      expect.arrayContaining([
        { path: ['remoteEnv'], value: { HF_HOME: '/data/hf' } },
        { path: ['extensions'], value: ['ms-python.python'] },
      ]),
    );
  });

  it.each([[null], [[1, 2]], ['text'], [3]])('refuses content that is not an object: %j', (existing) => {
    expect(attachedConfigChanges(existing, ours)).toBeNull();
  });
});

describe('nameConfig files', () => {
  const home = () => mkdtempSync(path.join(os.tmpdir(), 'devenv-vscode-'));
  const host = localHost(process.env);
  const storage = 'User/globalStorage/ms-vscode-remote.remote-containers/nameConfigs';

  it('names the VS Code server file, and the desktop one only when its folder exists', async () => {
    const dir = home();
    expect(await nameConfigFiles(host, dir, 'devenv-x-me')).toEqual([
      path.join(dir, '.vscode-server/data', storage, 'devenv-x-me.json'),
    ]);
    mkdirSync(path.join(dir, '.config/Code/User/globalStorage/ms-vscode-remote.remote-containers'), {
      recursive: true,
    });
    expect(await nameConfigFiles(host, dir, 'devenv-x-me')).toEqual([
      path.join(dir, '.vscode-server/data', storage, 'devenv-x-me.json'),
      path.join(dir, '.config/Code', storage, 'devenv-x-me.json'),
    ]);
  });

  it('creates the file (0644), then reports it unchanged', async () => {
    const [file] = (await nameConfigFiles(host, home(), 'c')) as [string];
    expect(await writeNameConfig(host, file, ours)).toBe('written');
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text)).toEqual({
      remoteUser: 'alice',
      workspaceFolder: '/home/alice/projects/podcastllm',
      remoteEnv: { HF_HOME: '/data/hf' },
      extensions: ['ms-python.python'],
    });
    expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(await writeNameConfig(host, file, ours)).toBe('unchanged');
  });

  it('keeps the keys already in the file and its mode', async () => {
    const [file] = (await nameConfigFiles(host, home(), 'c')) as [string];
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ forwardPorts: [3000], remoteUser: 'root' }), { mode: 0o600 });
    expect(await writeNameConfig(host, file, ours)).toBe('written');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      forwardPorts: [3000],
      remoteUser: 'alice',
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('edits a file with comments and trailing commas in place, keeping them', async () => {
    const [file] = (await nameConfigFiles(host, home(), 'c')) as [string];
    mkdirSync(path.dirname(file), { recursive: true });
    const text = [
      '{',
      '  // my comment',
      '  "forwardPorts": [3000],',
      '  "remoteEnv": {',
      '    "MINE": "1", // mine',
      '  },',
      '}',
      '',
    ].join('\n');
    writeFileSync(file, text);
    expect(await writeNameConfig(host, file, ours)).toBe('written');
    const after = readFileSync(file, 'utf8');
    expect(after).toContain('  // my comment\n  "forwardPorts": [3000],\n');
    expect(after).toContain('    "MINE": "1", // mine\n');
    expect(parseJsonc(after)).toMatchObject({
      ok: true,
      value: {
        forwardPorts: [3000],
        remoteUser: 'alice',
        workspaceFolder: '/home/alice/projects/podcastllm',
        remoteEnv: { MINE: '1', HF_HOME: '/data/hf' },
        extensions: ['ms-python.python'],
      },
    });
    expect(await writeNameConfig(host, file, ours)).toBe('unchanged');
  });

  it.each([
    { label: 'broken JSON', text: '{\n  "forwardPorts": [3000\n' },
    { label: 'a list', text: '[1, 2]\n' },
  ])('leaves $label exactly as it is', async ({ text }) => {
    const [file] = (await nameConfigFiles(host, home(), 'c')) as [string];
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    expect(await writeNameConfig(host, file, ours)).toBe('unparsable');
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});

describe('findOnPath (for code --open)', () => {
  it('finds the first executable file of that name, skipping folders and non-executables', async () => {
    const { findOnPath } = await import('../../../src/host/path-lookup.js');
    const root = mkdtempSync(path.join(os.tmpdir(), 'devenv-path-'));
    const [a, b, c] = ['a', 'b', 'c'].map((d) => path.join(root, d)) as [string, string, string];
    mkdirSync(path.join(a, 'code'), { recursive: true });
    mkdirSync(b);
    writeFileSync(path.join(b, 'code'), '#!/bin/sh\n', { mode: 0o644 });
    mkdirSync(c);
    writeFileSync(path.join(c, 'code'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findOnPath('code', [a, b, c].join(':'))).toBe(path.join(c, 'code'));
    expect(findOnPath('code', [a, b].join(':'))).toBeNull();
    expect(findOnPath('code', '')).toBeNull();
    expect(findOnPath('code', undefined)).toBeNull();
  });
});

describe('VS Code over Remote-SSH', () => {
  const hexJson = (authority: string) =>
    JSON.parse(Buffer.from(authority.replace(/^ssh-remote\+/, ''), 'hex').toString('utf8')) as unknown;

  it.each<{ ref: SshHostRef; authority: string }>([
    { ref: { host: 'gpu-box', user: 'alice', port: null }, authority: 'ssh-remote+alice@gpu-box' },
    { ref: { host: 'gpu-box', user: 'alice', port: 22 }, authority: 'ssh-remote+alice@gpu-box' },
    { ref: { host: 'gpu-box', user: null, port: null }, authority: 'ssh-remote+gpu-box' },
    { ref: { host: 'gpu1.example.com', user: null, port: 22 }, authority: 'ssh-remote+gpu1.example.com' },
  ])('without a port other than 22: $authority', ({ ref, authority }) => {
    expect(sshRemoteAuthority(ref)).toBe(authority);
  });

  it.each<{ ref: SshHostRef; json: Record<string, unknown> }>([
    {
      ref: { host: 'gpu-box', user: 'alice', port: 2222 },
      json: { hostName: 'gpu-box', user: 'alice', port: 2222 },
    },
    { ref: { host: 'gpu-box', user: null, port: 2200 }, json: { hostName: 'gpu-box', port: 2200 } },
    { ref: { host: '::1', user: 'alice', port: 2222 }, json: { hostName: '::1', user: 'alice', port: 2222 } },
  ])('with port $ref.port: the hex of $json', ({ ref, json }) => {
    const authority = sshRemoteAuthority(ref);
    expect(authority).toMatch(/^ssh-remote\+[0-9a-f]+$/);
    expect(hexJson(authority)).toEqual(json);
  });

  it('nests the attached container in the Remote-SSH connection', () => {
    const host = { host: 'gpu-box', user: 'alice', port: null };
    expect(attachedContainerUri('devenv-x-alice', '/home/alice/my repo', host)).toBe(
      `vscode-remote://${attachedContainerAuthority('devenv-x-alice')}@ssh-remote+alice@gpu-box/home/alice/my%20repo`,
    );
  });

  it('nests with the hex authority when the host has a port', () => {
    const host = { host: 'gpu-box', user: 'alice', port: 2222 };
    const uri = attachedContainerUri('devenv-x-alice', 'w', host);
    const match = /^vscode-remote:\/\/attached-container\+([0-9a-f]+)@ssh-remote\+([0-9a-f]+)\/w$/.exec(uri);
    expect(match).not.toBeNull();
    const [, container, ssh] = match as unknown as [string, string, string];
    expect(Buffer.from(container, 'hex').toString('utf8')).toBe('{"containerName":"/devenv-x-alice"}');
    expect(JSON.parse(Buffer.from(ssh, 'hex').toString('utf8'))).toEqual({
      hostName: 'gpu-box',
      user: 'alice',
      port: 2222,
    });
  });

  it('is unchanged without an SSH host', () => {
    expect(attachedContainerUri('c', '/w', undefined)).toBe(
      `vscode-remote://${attachedContainerAuthority('c')}/w`,
    );
  });

  it('opens the nested URI from the code command line', () => {
    expect(codeCommand('c', '/w', { host: 'h', user: null, port: null })).toEqual([
      'code',
      '--folder-uri',
      `vscode-remote://${attachedContainerAuthority('c')}@ssh-remote+h/w`,
    ]);
  });
});
