import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { expectOneLineError } from './errors-kit.js';
import {
  agentEnv,
  containerId,
  devenv,
  E2E_ROOT,
  makeEnvDir,
  quickRc,
  REMOTE_GPU_STATE,
  REMOTES,
  type RemoteServer,
  type RunResult,
  remoteDocker,
  remoteEnvObjects,
  removeRemoteEnv,
  setRemoteGpuState,
  TEST_USER,
  userEnv,
  vscodeNameConfig,
} from './harness.js';

/**
 * Issue 11: an env on a remote engine, and envs placed across several servers. The servers are
 * `.ci/remote-hosts.sh`'s: r1 (plain engine, devtest is UID 5242 there), r2 (GPU engine, fake
 * 8x H100, UID 6242), r3 (sshd only). Each has its own /home, seen from outside under
 * /srv/devenv-rN/home, so a folder made on the wrong host, or with the local UID (4242), shows.
 * Others may use the servers meanwhile: every check and every clean-up is about this file's envs.
 */
const { r1, r2, r3 } = REMOTES;
const AGENT = agentEnv(TEST_USER);
const LOCAL_HOME = `/home/${TEST_USER.name}`;
const LEASE = 'dev.devenv.gpu-lease';

/** devenv as devtest in `dir`, with devtest's agent (and `env`, e.g. DOCKER_HOST). */
function run(dir: string, args: string[], env: Record<string, string> = {}): RunResult {
  return devenv(TEST_USER, dir, args, { env: { ...AGENT, ...env } });
}

/** DOCKER_HOST=ssh://devtest@<server>. */
const on = (server: RemoteServer) => ({ DOCKER_HOST: server.url(TEST_USER) });

const containerOf = (name: string) => `devenv-${name}-${TEST_USER.name}`;
const warnings = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('devenv: warning:'));
/** The one warning placement and the fleet views give for r3, which has no engine. */
const R3_WARNING =
  /^devenv: warning: ssh:\/\/devtest@127\.0\.0\.1:2203: no Docker engine answers on devtest@127\.0\.0\.1:2203: /;

function owner(file: string): string {
  const s = statSync(file);
  return `${s.uid}:${s.gid}`;
}

/** Paths under the local home (but devenv's own state) and directly in /tmp whose name mentions `word`. */
function localPathsNaming(word: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (full === path.join(LOCAL_HOME, '.local/state/devenv')) continue;
      if (entry.includes(word)) found.push(full);
      if (lstatSync(full).isDirectory()) walk(full);
    }
  };
  walk(LOCAL_HOME);
  for (const entry of readdirSync('/tmp')) if (entry.includes(word)) found.push(path.join('/tmp', entry));
  return found;
}

interface GpuJson {
  index: number;
  uuid: string;
  heldBy: { user: string; env: string } | null;
  busy: string | null;
}

/** r2's GPU map as devtest sees it over ssh. */
function r2Gpus(): GpuJson[] {
  const result = run(E2E_ROOT, ['gpus', '--json'], on(r2));
  expect(result.code, result.stderr).toBe(ExitCode.ok);
  return (JSON.parse(result.stdout) as { gpus: GpuJson[] }).gpus;
}
const freeOnR2 = () => r2Gpus().filter((g) => g.heldBy === null && g.busy === null).length;

/** Forgets where devenv placed devtest's envs called `name`: that record is local state, kept after a prune. */
function forgetPlacements(name: string): void {
  const dir = `${LOCAL_HOME}/.local/state/devenv/placements`;
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir)) if (file.startsWith(`${name}-`)) rmSync(path.join(dir, file));
}

/** Runs `argv` inside the env's container on `server`, as root from outside (not through devenv). */
const inside = (server: RemoteServer, name: string, argv: string[]) =>
  remoteDocker(server, ['exec', containerOf(name), ...argv]);

describe('an env on a remote engine (DOCKER_HOST=ssh://devtest@r1): every host-side step happens on r1', () => {
  const name = 'rhbasic';
  const container = containerOf(name);
  const remoteRoot = `${r1.home(TEST_USER)}/devenv/${name}`;
  const agentDir = `/tmp/devenv-agent-${TEST_USER.uid}`;
  const agentDirMtime = () => (existsSync(agentDir) ? statSync(agentDir).mtimeMs : null);
  let dir: string;
  let started: RunResult;
  let agentDirBefore: number | null;
  const r = (args: string[]) => run(dir, args, on(r1));

  beforeAll(() => {
    removeRemoteEnv(r1, name);
    // sshAgent on: locally it would link the agent into /tmp/devenv-agent-<uid>; on r1 it must not.
    dir = makeEnvDir(name, TEST_USER, quickRc(name, { sshAgent: true }));
    agentDirBefore = agentDirMtime();
    started = r(['start', '--detach']);
  });
  afterAll(() => {
    removeRemoteEnv(r1, name);
    rmSync(dir, { recursive: true, force: true });
  });

  it('start builds and runs the env on r1, as devtest with the UID and GID r1 gives it', () => {
    expect(started.code, started.stderr).toBe(ExitCode.ok);
    expect(remoteEnvObjects(r1, name).containers).not.toBe('');
    expect(containerId(container)).toBeNull();
    const id = (flag: string) => r(['exec', '--', 'id', flag]);
    for (const [flag, want] of [
      ['-u', String(r1.uid(TEST_USER))],
      ['-g', String(r1.uid(TEST_USER))],
      ['-un', TEST_USER.name],
    ]) {
      const result = id(flag as string);
      expect(result.code, result.stderr).toBe(ExitCode.ok);
      expect(result.stdout.trim(), `id ${flag}`).toBe(want);
    }
  });

  it("the env's folders are made on r1 and owned by the r1 account; files made inside land there", () => {
    const ids = `${r1.uid(TEST_USER)}:${r1.uid(TEST_USER)}`;
    expect(owner(`${remoteRoot}/projects`)).toBe(ids);
    expect(owner(`${remoteRoot}/temp/.vscode-server`)).toBe(ids);
    const made = r(['exec', '--', 'bash', '-c', 'echo hi > ~/projects/made-inside && mkdir ~/projects/sub']);
    expect(made.code, made.stderr).toBe(ExitCode.ok);
    expect(readFileSync(`${remoteRoot}/projects/made-inside`, 'utf8')).toBe('hi\n');
    expect(owner(`${remoteRoot}/projects/made-inside`)).toBe(ids);
    expect(owner(`${remoteRoot}/projects/sub`)).toBe(ids);
  });

  it("nothing is written on the local machine but devenv's own state", () => {
    expect(readdirSync(dir)).toEqual(['.devenvrc']);
    expect(localPathsNaming(name)).toEqual([]);
    expect(existsSync(vscodeNameConfig(LOCAL_HOME, container))).toBe(false);
    expect(agentDirMtime()).toBe(agentDirBefore);
    // sshAgent says once why it does not forward into a remote env, instead of linking locally.
    expect(warnings(started.stderr)).toEqual([
      expect.stringMatching(
        /^devenv: warning: sshAgent: devenv does not forward your agent into an env on devtest@127\.0\.0\.1:2201 /,
      ),
    ]);
    // devenv's own state stays local: the build log is there.
    expect(existsSync(`${LOCAL_HOME}/.local/state/devenv/logs/${container}-build.log`)).toBe(true);
  });

  it("VS Code's attach file is written in the r1 home, for the container's user and folder", () => {
    const file = vscodeNameConfig(r1.home(TEST_USER), container);
    expect(owner(file)).toBe(`${r1.uid(TEST_USER)}:${r1.uid(TEST_USER)}`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      remoteUser: TEST_USER.name,
      workspaceFolder: `/home/${TEST_USER.name}/projects`,
    });
  });

  it('status names r1, its folders and the r1 account; --json has host and hostRoot', () => {
    const result = r(['status']);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(result.stdout).toMatch(
      new RegExp(`^host: +devtest@127\\.0\\.0\\.1:2201 \\(folders in /home/devtest/devenv/${name}\\)$`, 'm'),
    );
    expect(result.stdout).toMatch(/^user: +devtest \(uid 5242, gid 5242 on devtest@127\.0\.0\.1:2201\)$/m);
    expect(result.stdout).toMatch(new RegExp(`^container: +${container} \\(running`, 'm'));
    const json = JSON.parse(r(['status', '--json']).stdout);
    expect(json).toMatchObject({
      host: 'devtest@127.0.0.1:2201',
      hostRoot: `/home/devtest/devenv/${name}`,
      engine: { url: r1.url(TEST_USER), source: 'DOCKER_HOST', remote: true },
      user: { name: TEST_USER.name, uid: r1.uid(TEST_USER), gid: r1.uid(TEST_USER) },
    });
  });

  it('stop removes the container on r1; start brings it back with the files; rebuild rebuilds there', () => {
    const stopped = r(['stop']);
    expect(stopped.code, stopped.stderr).toBe(ExitCode.ok);
    expect(remoteEnvObjects(r1, name).containers).toBe('');
    const again = r(['start', '--detach']);
    expect(again.code, again.stderr).toBe(ExitCode.ok);
    expect(again.stderr).not.toMatch(/building image/);
    expect(r(['exec', '--', 'cat', `/home/devtest/projects/made-inside`]).stdout).toBe('hi\n');

    // A rebuild builds again (every layer cached here) and replaces the container.
    const containerBefore = remoteDocker(r1, ['inspect', '--format', '{{.Id}}', container]);
    const rebuilt = r(['rebuild', '--detach']);
    expect(rebuilt.code, rebuilt.stderr).toBe(ExitCode.ok);
    expect(rebuilt.stderr).toMatch(new RegExp(`built image ${container}:latest`));
    expect(remoteDocker(r1, ['inspect', '--format', '{{.Id}}', container])).not.toBe(containerBefore);
    expect(r(['exec', '--', 'id', '-u']).stdout.trim()).toBe(String(r1.uid(TEST_USER)));
    expect(containerId(container)).toBeNull();
  });

  it('prune removes the container and the image on r1, and leaves the projects/ files there', () => {
    expect(remoteEnvObjects(r1, name).images).not.toBe('');
    const pruned = r(['prune', '--yes']);
    expect(pruned.code, pruned.stderr).toBe(ExitCode.ok);
    expect(remoteEnvObjects(r1, name)).toEqual({ containers: '', images: '' });
    expect(readFileSync(`${remoteRoot}/projects/made-inside`, 'utf8')).toBe('hi\n');
  });
});

describe('the repo is cloned on the remote host, with the agent of the command that asks', () => {
  const repoName = 'rh-demo';
  const bare = `${r1.home(TEST_USER)}/git/${repoName}.git`;
  // git on r1 reaches r1's own sshd: only the agent forwarded from here holds a key it accepts.
  const repo = `ssh://devtest@127.0.0.1:${r1.port}/home/devtest/git/${repoName}.git`;
  const emptyAgent = path.join(E2E_ROOT, `rh-empty-agent-${process.pid}.sock`);
  let emptyAgentPid: number | undefined;
  let commit: string;
  const envs: Array<{ name: string; dir: string }> = [];
  const envDir = (name: string) => {
    removeRemoteEnv(r1, name);
    const dir = makeEnvDir(name, TEST_USER, quickRc(name, { repo }));
    envs.push({ name, dir });
    return dir;
  };
  const withEmptyAgent = { SSH_AUTH_SOCK: emptyAgent };

  beforeAll(() => {
    const work = mkdtempSync(path.join(E2E_ROOT, 'rh-repo-'));
    const git = (args: string[]) => execFileSync('git', args, { cwd: work, encoding: 'utf8' }).trim();
    git(['init', '-q', '-b', 'main']);
    git([
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@example.com',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'cloned on r1',
    ]);
    commit = git(['rev-parse', '--short', 'HEAD']);
    rmSync(bare, { recursive: true, force: true });
    git(['clone', '-q', '--bare', work, bare]);
    rmSync(work, { recursive: true, force: true });
    execFileSync('chown', ['-R', `${r1.uid(TEST_USER)}:${r1.uid(TEST_USER)}`, path.dirname(bare)]);

    // An agent that answers but holds no key: ssh still logs in with devtest's key file, so
    // only the clone, which needs the agent on r1, can tell the two apart.
    const agent = spawnSync(
      'runuser',
      ['-u', TEST_USER.name, '--', 'env', '-i', ...userEnv(TEST_USER), 'ssh-agent', '-s', '-a', emptyAgent],
      { encoding: 'utf8' },
    );
    const pid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1];
    if (agent.status !== 0 || pid === undefined) throw new Error(`ssh-agent failed: ${agent.stderr}`);
    emptyAgentPid = Number(pid);
  });
  afterAll(() => {
    if (emptyAgentPid !== undefined) process.kill(emptyAgentPid);
    rmSync(emptyAgent, { force: true });
    for (const { name, dir } of envs) {
      removeRemoteEnv(r1, name);
      rmSync(dir, { recursive: true, force: true });
    }
    rmSync(path.dirname(bare), { recursive: true, force: true });
  });

  it('start clones into the projects/ on r1, as the r1 account, not on this machine', () => {
    const dir = envDir('rhclone');
    // An earlier command whose agent has no key may have opened the shared ssh connection:
    // the clone must still use this command's agent.
    expect(run(dir, ['status'], { ...on(r1), ...withEmptyAgent }).code).toBe(ExitCode.ok);
    const result = run(dir, ['start', '--detach'], on(r1));
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(result.stderr).toContain(
      `cloned ${repo} into /home/devtest/devenv/rhclone/projects/${repoName} on devtest@127.0.0.1:2201`,
    );
    const clone = `${r1.home(TEST_USER)}/devenv/rhclone/projects/${repoName}`;
    expect(owner(`${clone}/.git/HEAD`)).toBe(`${r1.uid(TEST_USER)}:${r1.uid(TEST_USER)}`);
    expect(readdirSync(dir)).toEqual(['.devenvrc']);
    expect(localPathsNaming(repoName)).toEqual([]);
    const log = run(
      dir,
      ['exec', '--', 'git', '-C', `/home/devtest/projects/${repoName}`, 'log', '--oneline'],
      on(r1),
    );
    expect(log.code, log.stderr).toBe(ExitCode.ok);
    expect(log.stdout).toBe(`${commit} cloned on r1\n`);
  });

  it("with no key in this command's agent the clone fails (exit 9) and nothing is cloned, though a connection opened with the key is shared", () => {
    const dir = envDir('rhnoagent');
    // This opens (or keeps) the shared connection under the agent that holds the key.
    expect(run(dir, ['status'], on(r1)).code).toBe(ExitCode.ok);
    const result = run(dir, ['-q', 'start', '--detach'], { ...on(r1), ...withEmptyAgent });
    expectOneLineError(
      result,
      ExitCode.git,
      /cannot clone ssh:\/\/devtest@127\.0\.0\.1:2201\/home\/devtest\/git\/rh-demo\.git: authentication failed — .*`ssh-add`/,
    );
    expect(existsSync(`${r1.home(TEST_USER)}/devenv/rhnoagent/projects/${repoName}`)).toBe(false);
    expect(remoteEnvObjects(r1, 'rhnoagent')).toEqual({ containers: '', images: '' });
    expect(readdirSync(dir)).toEqual(['.devenvrc']);
  });
});

describe('remoteRoot puts the folders where it says on the remote host', () => {
  const name = 'rhroot';
  const remoteRoot = '~/elsewhere/rhroot';
  let dir: string;

  beforeAll(() => {
    removeRemoteEnv(r1, name, { remoteRoot });
    dir = makeEnvDir(name, TEST_USER, quickRc(name, { remoteRoot }));
  });
  afterAll(() => {
    removeRemoteEnv(r1, name, { remoteRoot });
    // ~/elsewhere itself, unless someone else keeps something there.
    spawnSync('rmdir', [`${r1.home(TEST_USER)}/elsewhere`], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('"~/elsewhere/rhroot": projects/ and the VS Code cache are there, in the r1 home, and mounted from there', () => {
    const result = run(dir, ['start', '--detach'], on(r1));
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    const there = `${r1.home(TEST_USER)}/elsewhere/${name}`;
    const ids = `${r1.uid(TEST_USER)}:${r1.uid(TEST_USER)}`;
    expect(owner(`${there}/projects`)).toBe(ids);
    expect(owner(`${there}/temp/.vscode-server`)).toBe(ids);
    expect(existsSync(`${r1.home(TEST_USER)}/devenv/${name}`)).toBe(false);
    const sources = remoteDocker(r1, [
      'inspect',
      '--format',
      '{{range .Mounts}}{{.Source}} {{.Destination}}{{"\\n"}}{{end}}',
      containerOf(name),
    ]);
    expect(sources).toContain(`/home/devtest/elsewhere/${name}/projects /home/devtest/projects`);
    expect(run(dir, ['status'], on(r1)).stdout).toMatch(
      new RegExp(
        `^host: +devtest@127\\.0\\.0\\.1:2201 \\(folders in /home/devtest/elsewhere/${name}\\)$`,
        'm',
      ),
    );
    expect(readdirSync(dir)).toEqual(['.devenvrc']);
  });
});

describe('placement across "hosts": the env goes where its GPUs are free, and later verbs follow it', () => {
  const hosts = [r1.url(TEST_USER), r2.url(TEST_USER), r3.url(TEST_USER)];
  const names = ['rhplace', 'rhnone', 'rhtie', 'rhon', 'rhbusy'];
  const dirs = new Map<string, string>();
  let stateBefore: string | null;
  const env = (name: string, gpus: unknown) => {
    const dir = makeEnvDir(name, TEST_USER, quickRc(name, { gpus, hosts }));
    dirs.set(name, dir);
    return dir;
  };
  const dirOf = (name: string) => dirs.get(name) as string;
  const placedLine = (stderr: string) =>
    stderr.split('\n').filter((line) => line.startsWith('devenv: placed on '));

  beforeAll(() => {
    for (const name of names) {
      for (const server of [r1, r2]) removeRemoteEnv(server, name);
      forgetPlacements(name);
    }
    stateBefore = existsSync(REMOTE_GPU_STATE) ? readFileSync(REMOTE_GPU_STATE, 'utf8') : null;
  });
  afterAll(() => {
    setRemoteGpuState(stateBefore);
    for (const name of names) {
      for (const server of [r1, r2]) removeRemoteEnv(server, name);
      forgetPlacements(name);
    }
    for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  });

  it('a "gpus": 2 env goes to r2, the host with free GPUs, and says so; r3 is one warning', () => {
    const free = freeOnR2();
    expect(free, 'r2 needs 2 free GPUs for this test: other envs hold them').toBeGreaterThanOrEqual(2);
    const dir = env('rhplace', 2);
    const result = run(dir, ['start', '--detach']);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(placedLine(result.stderr)).toEqual([
      `devenv: placed on ${r2.url(TEST_USER)}: ${free} of 8 GPUs free`,
    ]);
    expect(warnings(result.stderr)).toEqual([expect.stringMatching(R3_WARNING)]);
    expect(remoteEnvObjects(r1, 'rhplace').containers).toBe('');
    expect(readdirSync(dir)).toEqual(['.devenvrc']);

    // The lease is r2's: its label names 2 of r2's GPUs, and the engine gave exactly those.
    const container = containerOf('rhplace');
    const lease = remoteDocker(r2, [
      'inspect',
      '--format',
      `{{index .Config.Labels "${LEASE}"}}`,
      container,
    ]).split(',');
    expect(lease).toHaveLength(2);
    const r2Uuids = r2Gpus().map((g) => g.uuid);
    for (const uuid of lease) expect(r2Uuids).toContain(uuid);
    const visible = inside(r2, 'rhplace', ['cat', '/proc/1/environ'])
      .split('\0')
      .find((v) => v.startsWith('NVIDIA_VISIBLE_DEVICES='));
    expect(visible).toBe(`NVIDIA_VISIBLE_DEVICES=${lease.join(',')}`);
    expect(r2Gpus().filter((g) => g.heldBy?.env === 'rhplace')).toHaveLength(2);
  });

  it('later verbs find it on r2 without a flag: status, exec', () => {
    const status = run(dirOf('rhplace'), ['status']);
    expect(status.code, status.stderr).toBe(ExitCode.ok);
    expect(status.stdout).toMatch(
      /^host: +devtest@127\.0\.0\.1:2202 \(folders in \/home\/devtest\/devenv\/rhplace\)$/m,
    );
    expect(status.stdout).toMatch(/^user: +devtest \(uid 6242, gid 6242 on devtest@127\.0\.0\.1:2202\)$/m);
    expect(JSON.parse(run(dirOf('rhplace'), ['status', '--json']).stdout).host).toBe(
      'devtest@127.0.0.1:2202',
    );
    const id = run(dirOf('rhplace'), ['exec', '--', 'id', '-u']);
    expect(id.code, id.stderr).toBe(ExitCode.ok);
    expect(id.stdout.trim()).toBe(String(r2.uid(TEST_USER)));
  });

  it('a "gpus": "none" env goes by the list, to r1, and leaves the GPU server r2 to envs that want GPUs', () => {
    expect(freeOnR2(), 'r2 needs a free GPU for this test: other envs hold them all').toBeGreaterThan(0);
    const dir = env('rhnone', 'none');
    const result = run(dir, ['start', '--detach']);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(placedLine(result.stderr)).toEqual([`devenv: placed on ${r1.url(TEST_USER)}: 0 of 0 GPUs free`]);
    expect(remoteEnvObjects(r1, 'rhnone').containers).not.toBe('');
    expect(remoteEnvObjects(r2, 'rhnone')).toEqual({ containers: '', images: '' });
  });

  it('"gpus": "auto" goes where most GPUs are free; on a tie (r2 busy on all 8: 0 free, as on r1), to the first host in the list, r1', () => {
    setRemoteGpuState(
      r2Gpus()
        .map((g, i) => `app ${999_800 + i} ${g.uuid} 30000`)
        .join('\n'),
    );
    try {
      expect(freeOnR2()).toBe(0);
      const dir = env('rhtie', 'auto');
      const result = run(dir, ['start', '--detach']);
      expect(result.code, result.stderr).toBe(ExitCode.ok);
      expect(placedLine(result.stderr)).toEqual([`devenv: placed on ${r1.url(TEST_USER)}: 0 of 0 GPUs free`]);
    } finally {
      setRemoteGpuState(stateBefore);
    }
    expect(remoteEnvObjects(r1, 'rhtie').containers).not.toBe('');
    expect(remoteEnvObjects(r2, 'rhtie')).toEqual({ containers: '', images: '' });
    expect(run(dirOf('rhtie'), ['exec', '--', 'id', '-u']).stdout.trim()).toBe(String(r1.uid(TEST_USER)));
  });

  it('start --on forces a host (r1, though r2 has more free GPUs), and the env stays where its image is', () => {
    const dir = env('rhon', 'auto');
    const result = run(dir, ['start', '--detach', '--on', r1.url(TEST_USER)]);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(remoteEnvObjects(r1, 'rhon').containers).not.toBe('');
    expect(remoteEnvObjects(r2, 'rhon').containers).toBe('');
    expect(run(dir, ['status']).stdout).toMatch(/^host: +devtest@127\.0\.0\.1:2201 /m);
    // Stopped, it starts again on r1, where its image is, not on r2 with its free GPUs.
    expect(run(dir, ['stop']).code).toBe(ExitCode.ok);
    expect(remoteEnvObjects(r1, 'rhon').containers).toBe('');
    expect(freeOnR2()).toBeGreaterThan(0);
    const again = run(dir, ['start', '--detach']);
    expect(again.code, again.stderr).toBe(ExitCode.ok);
    expect(again.stderr).not.toMatch(/building image/);
    expect(placedLine(again.stderr)).toEqual([
      expect.stringMatching(/^devenv: placed on ssh:\/\/devtest@127\.0\.0\.1:2201: the env's image is there/),
    ]);
    expect(remoteEnvObjects(r1, 'rhon').containers).not.toBe('');
    expect(remoteEnvObjects(r2, 'rhon')).toEqual({ containers: '', images: '' });
  });

  it('r2 busy outside devenv (6 GPUs with foreign processes): "gpus": 4 has no room, exit 8, nothing created', () => {
    const uuids = r2Gpus().map((g) => g.uuid);
    setRemoteGpuState(
      uuids
        .slice(0, 6)
        .map((uuid, i) => `app ${999_900 + i} ${uuid} 30000`)
        .join('\n'),
    );
    try {
      const free = freeOnR2();
      expect(free).toBeLessThan(4);
      const dir = env('rhbusy', 4);
      const result = run(dir, ['-q', 'start', '--detach']);
      expectOneLineError(
        result,
        ExitCode.gpu,
        new RegExp(
          `^devenv: no host has 4 free GPUs: ssh://devtest@127\\.0\\.0\\.1:2201: 0 of 0 GPUs free; ssh://devtest@127\\.0\\.0\\.1:2202: ${free} of 8 GPUs free; ssh://devtest@127\\.0\\.0\\.1:2203: unreachable \\(`,
        ),
      );
      for (const server of [r1, r2]) {
        expect(remoteEnvObjects(server, 'rhbusy')).toEqual({ containers: '', images: '' });
        expect(existsSync(`${server.home(TEST_USER)}/devenv/rhbusy`)).toBe(false);
      }
      expect(readdirSync(dir)).toEqual(['.devenvrc']);
      // Nothing recorded: a later start places it afresh.
      expect(
        readdirSync(`${LOCAL_HOME}/.local/state/devenv/placements`).filter((f) => f.startsWith('rhbusy-')),
      ).toEqual([]);
    } finally {
      setRemoteGpuState(stateBefore);
    }
  });

  it('stop and prune go to r2 without a flag', () => {
    const dir = dirOf('rhplace');
    expect(run(dir, ['stop']).code).toBe(ExitCode.ok);
    expect(remoteEnvObjects(r2, 'rhplace').containers).toBe('');
    expect(r2Gpus().filter((g) => g.heldBy?.env === 'rhplace')).toEqual([]);
    const pruned = run(dir, ['prune', '--yes']);
    expect(pruned.code, pruned.stderr).toBe(ExitCode.ok);
    expect(remoteEnvObjects(r2, 'rhplace')).toEqual({ containers: '', images: '' });
  });
});

describe('whole-fleet views: gpus --all-hosts and ls --all-hosts', () => {
  const name = 'rhfleet';
  let dir: string;
  let lease: number[];

  beforeAll(() => {
    for (const server of [r1, r2]) removeRemoteEnv(server, name);
    forgetPlacements(name);
    dir = makeEnvDir(
      name,
      TEST_USER,
      quickRc(name, { gpus: 1, hosts: [r1, r2, r3].map((s) => s.url(TEST_USER)) }),
    );
    const started = run(dir, ['start', '--detach']);
    expect(started.code, started.stderr).toBe(ExitCode.ok);
    lease = r2Gpus()
      .filter((g) => g.heldBy?.env === name)
      .map((g) => g.index);
    expect(lease).toHaveLength(1);
  });
  afterAll(() => {
    for (const server of [r1, r2]) removeRemoteEnv(server, name);
    forgetPlacements(name);
    rmSync(dir, { recursive: true, force: true });
  });

  it("gpus --all-hosts prints r2's map of 8 GPUs (with this env's lease) and r1's, and r3 is one warning; exit 0", () => {
    const result = run(dir, ['gpus', '--all-hosts']);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(R3_WARNING)]);
    const sections = result.stdout.trimEnd().split('\n\n');
    // A host named by its URL is headed by it once: `ssh://devtest@127.0.0.1:2202`, then its map.
    const section = (server: RemoteServer) =>
      sections.find((s) => s.startsWith(`${server.url(TEST_USER)}\n`));
    const r2Rows = (section(r2) ?? '').split('\n').filter((line) => /^ {2}\d+ +NVIDIA H100/.test(line));
    expect(r2Rows).toHaveLength(8);
    expect(r2Rows[lease[0] as number]).toMatch(new RegExp(`devtest \\(env ${name}, ${containerOf(name)}\\)`));
    expect(section(r1)).toMatch(/no NVIDIA GPU/);
    expect(section(r3)).toBeUndefined();
  });

  it('ls --all-hosts lists the env on r2, r3 is one warning; --json rows carry their host', () => {
    const table = run(dir, ['ls', '--all-hosts']);
    expect(table.code, table.stderr).toBe(ExitCode.ok);
    expect(table.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(R3_WARNING)]);
    expect(table.stdout).toMatch(
      new RegExp(
        `^ssh://devtest@127\\.0\\.0\\.1:2202 +${name} +devtest +running .* ${lease[0]} +/home/devtest/devenv/${name}$`,
        'm',
      ),
    );
    const json = run(dir, ['ls', '--all-hosts', '--json']);
    expect(json.code, json.stderr).toBe(ExitCode.ok);
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    for (const row of rows) expect(typeof row.host, JSON.stringify(row)).toBe('string');
    expect(rows.filter((row) => row.env === name)).toEqual([
      expect.objectContaining({
        host: r2.url(TEST_USER),
        user: TEST_USER.name,
        uid: r2.uid(TEST_USER),
        root: `/home/devtest/devenv/${name}`,
        gpus: [{ index: lease[0], uuid: r2Gpus()[lease[0] as number]?.uuid }],
      }),
    ]);
  });
});

describe('devenv code for a remote env', () => {
  const name = 'rhcode';
  const container = containerOf(name);
  let dir: string;

  beforeAll(() => {
    removeRemoteEnv(r1, name);
    dir = makeEnvDir(name, TEST_USER, quickRc(name));
    const started = run(dir, ['start', '--detach'], on(r1));
    expect(started.code, started.stderr).toBe(ExitCode.ok);
  });
  afterAll(() => {
    removeRemoteEnv(r1, name);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the URI that opens the container through Remote-SSH to r1, and writes the attach file there', () => {
    const file = vscodeNameConfig(r1.home(TEST_USER), container);
    rmSync(file, { force: true });
    const result = run(dir, ['code'], on(r1));
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    const match =
      /^code --folder-uri vscode-remote:\/\/attached-container\+([0-9a-f]+)@ssh-remote\+([0-9a-f]+)(\/\S*)\n$/.exec(
        result.stdout,
      );
    expect(match, result.stdout).not.toBeNull();
    const [, containerHex, sshHex, folder] = match as RegExpExecArray;
    expect(JSON.parse(Buffer.from(containerHex as string, 'hex').toString('utf8'))).toEqual({
      containerName: `/${container}`,
    });
    expect(JSON.parse(Buffer.from(sshHex as string, 'hex').toString('utf8'))).toEqual({
      hostName: '127.0.0.1',
      user: TEST_USER.name,
      port: r1.port,
    });
    expect(folder).toBe('/home/devtest/projects');
    expect(result.stderr).toMatch(/Remote-SSH to devtest@127\.0\.0\.1:2201/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ remoteUser: TEST_USER.name });
    expect(existsSync(vscodeNameConfig(LOCAL_HOME, container))).toBe(false);
  });
});
