import { execFileSync, type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Test fixtures shared by the e2e files: users, images, and a way to run the real CLI as a user. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(REPO_ROOT, 'bin', 'devenv.cjs');
export const E2E_ROOT = '/tmp/devenv-e2e';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
}
/** UID neither 0 nor 1000, as the issue asks; a directory-service-sized UID; a second user. */
export const TEST_USER: TestUser = { name: 'devtest', uid: 4242, gid: 4242 };
export const BIG_USER: TestUser = { name: 'devbig', uid: 200000, gid: 200000 };
export const OTHER_USER: TestUser = { name: 'devother', uid: 4343, gid: 4343 };
/** A user who is NOT in the docker group, for the socket-permission case. */
export const NODOCKER_USER: TestUser = { name: 'devnodocker', uid: 4444, gid: 4444 };

export const BASE_RAW = process.env.DEVENV_TEST_BASE_IMAGE ?? 'devenv-test-base:bookworm';
/** The raw base plus the packages every devenv image installs, so most tests build in seconds. */
export const BASE_READY = 'devenv-test-base:ready';
/** Like Ubuntu 24.04's "ubuntu" at 1000: "ubuntu" holds TEST_USER's UID/GID, and "devbig" exists at 1000. */
export const BASE_COLLIDE = 'devenv-test-base:collide';

export function docker(args: string[], input?: string): string {
  return execFileSync('docker', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

export function dockerOk(args: string[]): boolean {
  return spawnSync('docker', args, { stdio: 'ignore' }).status === 0;
}

/** A fresh env root owned by `owner`, with a .devenvrc when `rc` is given. */
export function makeEnvDir(label: string, owner: TestUser, rc?: Record<string, unknown>): string {
  mkdirSync(E2E_ROOT, { recursive: true });
  chmodSync(E2E_ROOT, 0o1777);
  const dir = mkdtempSync(path.join(E2E_ROOT, `${label}-`));
  chownSync(dir, owner.uid, owner.gid);
  if (rc) writeRc(dir, owner, rc);
  return dir;
}

export function writeRc(dir: string, owner: TestUser, rc: Record<string, unknown>): void {
  const file = path.join(dir, '.devenvrc');
  writeFileSync(file, `${JSON.stringify(rc, null, 2)}\n`, { mode: 0o644 });
  chmodSync(file, 0o644);
  chownSync(file, owner.uid, owner.gid);
}

/** A small, quick config over the ready base; tests add what they exercise. */
export function quickRc(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, baseImage: BASE_READY, aptPackages: [], torch: 'none', gpus: 'none', ...extra };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real bin/devenv as `user`, with a clean login-like environment. */
export function devenv(
  user: TestUser,
  cwd: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): RunResult {
  const result: SpawnSyncReturns<string> = spawnSync(
    'runuser',
    ['-u', user.name, '--', 'env', '-i', ...userEnv(user, options.env), process.execPath, BIN, ...args],
    {
      cwd,
      input: options.input ?? '',
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 600_000,
    },
  );
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

export function userEnv(user: TestUser, extra: Record<string, string> = {}): string[] {
  const base: Record<string, string> = {
    HOME: user.uid === 0 ? '/root' : `/home/${user.name}`,
    USER: user.name,
    LOGNAME: user.name,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    ...extra,
  };
  return Object.entries(base).map(([k, v]) => `${k}=${v}`);
}

/**
 * Removes every devenv object whose env root lies under `dir` (test clean-up only), on the
 * default engine or, with `dockerHost`, on that one (e.g. GPU_ENGINE).
 */
export function removeEnvObjects(dir: string, dockerHost?: string): void {
  const env = dockerHost ? { ...process.env, DOCKER_HOST: dockerHost } : process.env;
  const listed = (args: string[]) =>
    spawnSync('docker', args, { encoding: 'utf8', env }).stdout.trim().split('\n').filter(Boolean);
  const mine = (lines: string[]) =>
    lines
      .filter((line) => line.includes(' ') && line.slice(line.indexOf(' ') + 1).startsWith(dir))
      .map((line) => line.slice(0, line.indexOf(' ')));
  const managed = ['--filter', 'label=dev.devenv.managed-by=devenv'];
  const containers = mine(
    listed(['ps', '-a', ...managed, '--format', '{{.ID}} {{.Label "dev.devenv.root"}}']),
  );
  if (containers.length > 0) spawnSync('docker', ['rm', '-f', ...containers], { stdio: 'ignore', env });
  const ids = [...new Set(listed(['images', '-aq', ...managed]))];
  if (ids.length === 0) return;
  // Other images may vanish meanwhile (another test cleaning up): read what inspect could answer.
  const format = '{{.Id}} {{index .Config.Labels "dev.devenv.root"}}';
  const images = mine(listed(['image', 'inspect', '--format', format, ...ids]));
  if (images.length > 0) spawnSync('docker', ['rmi', '-f', ...new Set(images)], { stdio: 'ignore', env });
}

export function containerId(name: string): string | null {
  const out = spawnSync('docker', ['ps', '-aq', '--filter', `name=^${name}$`], {
    encoding: 'utf8',
  }).stdout.trim();
  return out === '' ? null : out;
}

/** A tiny pure-Python wheel, made locally (no PyPI here): `import <name>` gives VALUE = version. */
export function makeWheel(dir: string, name: string, version: string): string {
  const script = `
import base64, hashlib, sys, zipfile
d, name, version = sys.argv[1:4]
files = {
    f"{name}/__init__.py": f"VALUE = {version!r}\\n",
    f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
    f"{name}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: devenv-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
for path, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(text.encode())}")
record.append(f"{name}-{version}.dist-info/RECORD,,")
out = f"{d}/{name}-{version}-py3-none-any.whl"
with zipfile.ZipFile(out, "w") as z:
    for path, text in files.items():
        z.writestr(path, text)
    z.writestr(f"{name}-{version}.dist-info/RECORD", "\\n".join(record) + "\\n")
print(out)
`;
  return execFileSync('python3', ['-c', script, dir, name, version], { encoding: 'utf8' }).trim();
}

/** Runs a command as `user` (for git and files the user must own). */
export function asUser(user: TestUser, cwd: string, command: string): string {
  return execFileSync(
    'runuser',
    ['-u', user.name, '--', 'env', '-i', ...userEnv(user), 'bash', '-c', command],
    { cwd, encoding: 'utf8' },
  );
}

export interface Running {
  /** The devenv node process (not runuser), for signals. */
  pid(): number;
  stderr(): string;
  stdout(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts the real bin/devenv as `user` in the background. */
export function spawnDevenv(
  user: TestUser,
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Running {
  const child = spawn(
    'runuser',
    ['-u', user.name, '--', 'env', '-i', ...userEnv(user, env), process.execPath, BIN, ...args],
    {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    pid: () =>
      Number(
        execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
          .trim()
          .split('\n')[0],
      ),
    stderr: () => err,
    stdout: () => out,
    done,
    async waitForStderr(pattern, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(err)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in stderr:\n${err}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/** Builds a test-only image from a Dockerfile text, once: later runs reuse it. */
export function ensureTestImage(tag: string, dockerfile: string): void {
  if (dockerOk(['image', 'inspect', tag])) return;
  docker(['build', '--network', 'host', '-t', tag, '-'], dockerfile);
}

/**
 * Makes a host user with a fixed UID/GID, in the docker group or (for the socket cases) not.
 * `.ci/test-users.sh` has made every test user before the servers of `.ci/remote-hosts.sh`
 * started, so this normally writes nothing: replacing /etc/passwd or /etc/group under a running
 * server drops that server's own copy in its namespace (that script says more).
 */
export function ensureTestUser(user: TestUser, options: { dockerGroup: boolean }): void {
  const id = spawnSync('id', ['-u', user.name], { encoding: 'utf8' });
  if (id.status !== 0) {
    if (spawnSync('getent', ['group', user.name]).status !== 0) {
      mustRun('groupadd', ['-g', String(user.gid), user.name]);
    }
    mustRun('useradd', [
      '-m',
      '-l',
      '-u',
      String(user.uid),
      '-g',
      String(user.gid),
      '-s',
      '/bin/bash',
      user.name,
    ]);
  } else if (id.stdout.trim() !== String(user.uid)) {
    throw new Error(
      `test user ${user.name} has uid ${id.stdout.trim()}, not ${user.uid}: remove it (userdel -r ${user.name}) and run \`bash .ci/test-users.sh\``,
    );
  }
  // Asks first rather than trusting usermod/gpasswd to leave /etc/group alone when nothing changes.
  const inDocker = spawnSync('id', ['-nG', user.name], { encoding: 'utf8' })
    .stdout.trim()
    .split(/\s+/)
    .includes('docker');
  if (options.dockerGroup && !inDocker) mustRun('usermod', ['-aG', 'docker', user.name]);
  if (!options.dockerGroup && inDocker) mustRun('gpasswd', ['-d', user.name, 'docker']);
}

function mustRun(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
}

/**
 * The GPU-capable engine `.ci/gpu-engine.sh` provisions: a second dockerd whose stand-in NVIDIA
 * hook makes it accept GPU device requests and set NVIDIA_VISIBLE_DEVICES in the container, with
 * no driver (see .ci/gpu-engine.sh). Point devenv at it with `DOCKER_HOST: GPU_ENGINE`.
 */
export const GPU_ENGINE = 'unix:///srv/devenv-gpu/run/docker.sock';

/** `docker` against the GPU-capable engine. */
export function gpuDocker(args: string[], input?: string): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: gpuEngineEnv(),
  }).trim();
}

export function gpuDockerOk(args: string[]): boolean {
  return spawnSync('docker', args, { stdio: 'ignore', env: gpuEngineEnv() }).status === 0;
}

/** Copies `tag` from the default engine to the GPU-capable one, unless the same image is there. */
export function ensureImageOnGpuEngine(tag: string): void {
  ensureImageOnEngine(tag, GPU_ENGINE);
}

function gpuEngineEnv(): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: GPU_ENGINE };
}

/** 8x H100 with distinct UUIDs (test/fixtures/nvidia-smi/DERIVED.md): the shared server's GPUs. */
export const GPU_SERVER_MACHINE = 'derived-server_h100-80gb-hbm3-x8_565.57.01';

/**
 * A user's environment on a shared GPU server: the GPU-capable engine, the fake nvidia-smi
 * playing GPU_SERVER_MACHINE (with `state`: FAKE_NVIDIA_SMI_STATE) and the stand-in NVIDIA hook
 * on PATH, as the toolkit installs it for everyone.
 */
export function gpuServerEnv(state?: string): Record<string, string> {
  return {
    DOCKER_HOST: GPU_ENGINE,
    PATH: `${path.join(REPO_ROOT, 'test/fixtures/fake-nvidia-smi')}:${path.join(REPO_ROOT, 'test/fixtures/fake-nvidia-toolkit')}:/usr/local/bin:/usr/bin:/bin`,
    FAKE_NVIDIA_SMI_DIR: path.join(REPO_ROOT, 'test/fixtures/nvidia-smi'),
    FAKE_NVIDIA_SMI_MACHINE: GPU_SERVER_MACHINE,
    ...(state ? { FAKE_NVIDIA_SMI_STATE: state } : {}),
  };
}

/** Removes every devenv container on the GPU-capable engine: its ledger starts empty. */
export function clearGpuLedger(): void {
  const leftovers = gpuDocker(['ps', '-aq', '--filter', 'label=dev.devenv.managed-by=devenv']);
  if (leftovers !== '') gpuDocker(['rm', '-f', ...leftovers.split('\n')]);
}

/** One of the "remote servers" `.ci/remote-hosts.sh` provisions on this machine (issue 11). */
export interface RemoteServer {
  name: 'r1' | 'r2' | 'r3';
  port: number;
  /** Its engine, as root reaches it from outside (`remoteDocker`); null: the server has none. */
  socket: string | null;
  /** `ssh://<user>@127.0.0.1:<port>`: what DOCKER_HOST (or devenv's engine setting) takes. */
  url(user: TestUser | string): string;
  /** That user's home on the server, seen from outside: a folder made on the wrong host shows. */
  home(user: TestUser | string): string;
  /** That user's UID (= GID) on the server: never the local one. */
  uid(user: TestUser | string): number;
}

function remoteServer(
  name: RemoteServer['name'],
  port: number,
  uids: Record<string, number>,
  engine: boolean,
): RemoteServer {
  const root = `/srv/devenv-${name}`;
  const nameOf = (user: TestUser | string) => (typeof user === 'string' ? user : user.name);
  const uid = (user: TestUser | string) => {
    const found = uids[nameOf(user)];
    if (found === undefined) throw new Error(`${nameOf(user)} has no account on ${name}`);
    return found;
  };
  return {
    name,
    port,
    socket: engine ? `unix://${root}/run/docker.sock` : null,
    url: (user) => `ssh://${nameOf(user)}@127.0.0.1:${port}`,
    home: (user) => {
      uid(user);
      return `${root}/home/${nameOf(user)}`;
    },
    uid,
  };
}

/**
 * Each server is an sshd (and a dockerd) in its own mount namespace with its own /home, accounts
 * and /var/run, so it behaves like another host (see .ci/remote-hosts.sh).
 * r1: a plain engine; devother is not in its docker group (permission denied on the socket).
 * r2: a GPU-capable engine (stand-in NVIDIA hook) and, on the ssh PATH, the fake nvidia-smi
 * playing GPU_SERVER_MACHINE with live usage from REMOTE_GPU_STATE. r3: no engine at all.
 * The local users' keys are in every server's authorized_keys and every server's host key in
 * every known_hosts (local and remote homes), so BatchMode ssh with `agentEnv` just works.
 */
export const REMOTES: Record<RemoteServer['name'], RemoteServer> = {
  r1: remoteServer('r1', 2201, { devtest: 5242, devother: 5343 }, true),
  r2: remoteServer('r2', 2202, { devtest: 6242, devother: 6343 }, true),
  r3: remoteServer('r3', 2203, { devtest: 7242, devother: 7343 }, false),
};

function remoteEngineEnv(server: RemoteServer): NodeJS.ProcessEnv {
  if (server.socket === null) throw new Error(`${server.name} has no Docker engine`);
  return { ...process.env, DOCKER_HOST: server.socket };
}

/** `docker` as root against a remote server's engine, through its socket (not over ssh). */
export function remoteDocker(server: RemoteServer, args: string[], input?: string): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: remoteEngineEnv(server),
  }).trim();
}

export function remoteDockerOk(server: RemoteServer, args: string[]): boolean {
  return spawnSync('docker', args, { stdio: 'ignore', env: remoteEngineEnv(server) }).status === 0;
}

/** Copies `tag` from the default engine to the one at `dockerHost`, unless the same image is there. */
export function ensureImageOnEngine(tag: string, dockerHost: string): void {
  const wanted = imageIdOn(tag);
  if (wanted === '') throw new Error(`image ${tag} is missing on the default engine`);
  // `docker save` keeps the image ID, so a copy made earlier shows up here as the same image.
  if (imageIdOn(tag, dockerHost) === wanted) return;
  const copy = spawnSync(
    'bash',
    ['-c', 'set -o pipefail; docker save "$1" | DOCKER_HOST="$2" docker load -q', 'copy', tag, dockerHost],
    { encoding: 'utf8' },
  );
  if (copy.status !== 0) throw new Error(`copying ${tag} to ${dockerHost} failed: ${copy.stderr}`);
}

/** The ID of image `tag` on the engine at `dockerHost` (the default engine without it); '' when it lacks it. */
function imageIdOn(tag: string, dockerHost?: string): string {
  const env = dockerHost ? { ...process.env, DOCKER_HOST: dockerHost } : process.env;
  return spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], {
    encoding: 'utf8',
    env,
  }).stdout.trim();
}

/**
 * Copies `tag` from the default engine to each engine of `dockerHosts` that answers and lacks it:
 * saved once, loaded into all of them at once (the test engines are five; one at a time, the
 * copies of the ready base took a minute of a fresh CI run). An engine that does not answer is
 * left to the checks that repair it.
 */
export async function copyImageToEngines(tag: string, dockerHosts: string[]): Promise<void> {
  const wanted = imageIdOn(tag);
  if (wanted === '') throw new Error(`image ${tag} is missing on the default engine`);
  const answers = (host: string) =>
    spawnSync('docker', ['info'], { stdio: 'ignore', env: { ...process.env, DOCKER_HOST: host } }).status ===
    0;
  const missing = dockerHosts.filter((host) => answers(host) && imageIdOn(tag, host) !== wanted);
  if (missing.length === 0) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-e2e-image-'));
  try {
    const tar = path.join(dir, 'image.tar');
    const save = spawnSync('docker', ['save', '-o', tar, tag], { encoding: 'utf8' });
    if (save.status !== 0) throw new Error(`docker save ${tag} failed: ${save.stderr}`);
    await Promise.all(
      missing.map(
        (host) =>
          new Promise<void>((resolve, reject) => {
            const load = spawn('docker', ['load', '-q', '-i', tar], {
              env: { ...process.env, DOCKER_HOST: host },
              stdio: ['ignore', 'ignore', 'pipe'],
            });
            let stderr = '';
            load.stderr.on('data', (chunk) => {
              stderr += chunk;
            });
            load.on('close', (code) =>
              code === 0 ? resolve() : reject(new Error(`copying ${tag} to ${host} failed: ${stderr}`)),
            );
          }),
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes every devenv container on a remote server's engine (none on r3): a clean start. */
export function clearRemoteEnvObjects(server: RemoteServer): void {
  if (server.socket === null) return;
  const leftovers = remoteDocker(server, ['ps', '-aq', '--filter', 'label=dev.devenv.managed-by=devenv']);
  if (leftovers !== '') remoteDocker(server, ['rm', '-f', ...leftovers.split('\n')]);
}

/** The file r2's nvidia-smi reads its live usage from (FAKE_NVIDIA_SMI_STATE's format), if present. */
export const REMOTE_GPU_STATE = '/srv/devenv-r2/gpu-state';

/** Says what runs on r2's GPUs (`gpu <uuid> <MiB> <%>` / `app <pid> <uuid> <MiB>` lines); null: idle. */
export function setRemoteGpuState(text: string | null): void {
  if (text === null) {
    rmSync(REMOTE_GPU_STATE, { force: true });
    return;
  }
  // One rename: an nvidia-smi running over ssh meanwhile reads the old file or the new one.
  const next = `${REMOTE_GPU_STATE}.${process.pid}`;
  writeFileSync(next, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o644 });
  chmodSync(next, 0o644);
  renameSync(next, REMOTE_GPU_STATE);
}

/** The ssh-agent of `user` that global setup starts (holding the user's key): devenv's ssh transport needs one. */
export function agentEnv(user: TestUser): { SSH_AUTH_SOCK: string } {
  return { SSH_AUTH_SOCK: `/tmp/devenv-e2e-agent-${user.name}.sock` };
}

/**
 * Makes sure `user`'s agent answers with the user's key: reuses one that answers on the socket,
 * else starts one (as the user). Returns the pid it started, for the teardown; null when reused.
 */
export function ensureAgent(user: TestUser): number | null {
  const sock = agentEnv(user).SSH_AUTH_SOCK;
  const key = `/home/${user.name}/.ssh/id_ed25519`;
  const asIt = (command: string[]) =>
    spawnSync(
      'runuser',
      ['-u', user.name, '--', 'env', '-i', ...userEnv(user, { SSH_AUTH_SOCK: sock }), ...command],
      {
        encoding: 'utf8',
      },
    );
  if (!existsSync(key)) throw new Error(`${key} is missing: run \`bash .ci/remote-hosts.sh\``);
  let started: number | null = null;
  // ssh-add -l: 0 keys listed, 1 no keys, 2 no agent there.
  let listed = asIt(['ssh-add', '-l']).status;
  if (listed === 2) {
    rmSync(sock, { force: true });
    const agent = asIt(['ssh-agent', '-s', '-a', sock]);
    const pid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1];
    if (agent.status !== 0 || pid === undefined)
      throw new Error(`ssh-agent for ${user.name} failed: ${agent.stderr}`);
    started = Number(pid);
    listed = 1;
  }
  if (listed === 1) {
    const add = asIt(['ssh-add', '-q', key]);
    if (add.status !== 0) throw new Error(`ssh-add ${key} failed: ${add.stderr}`);
  }
  return started;
}

/** Runs a shell command on a remote server over ssh as `user`, with their agent, never prompting. */
export function remoteRun(user: TestUser, server: RemoteServer, command: string): RunResult {
  const result = spawnSync(
    'runuser',
    [
      '-u',
      user.name,
      '--',
      'env',
      '-i',
      ...userEnv(user, agentEnv(user)),
      'ssh',
      '-o',
      'BatchMode=yes',
      '-p',
      String(server.port),
      `${user.name}@127.0.0.1`,
      command,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Containers and images of `user`'s env `name` on a remote server's engine (none on r3). */
export function remoteEnvObjects(
  server: RemoteServer,
  name: string,
  user: TestUser = TEST_USER,
): { containers: string; images: string } {
  if (server.socket === null) return { containers: '', images: '' };
  const filters = [
    '--filter',
    `label=dev.devenv.env=${name}`,
    '--filter',
    `label=dev.devenv.user=${user.name}`,
  ];
  return {
    containers: remoteDocker(server, ['ps', '-aq', ...filters]),
    images: remoteDocker(server, ['images', '-aq', ...filters]),
  };
}

/** Where VS Code reads the attach file of `container`, under a home (local or a server's, from outside). */
export function vscodeNameConfig(home: string, container: string): string {
  return path.join(
    home,
    '.vscode-server/data/User/globalStorage/ms-vscode-remote.remote-containers/nameConfigs',
    `${container}.json`,
  );
}

/**
 * Test clean-up of one env on one server: its containers and images (by its labels, never
 * anyone else's), its folders under `remoteRoot` (default ~/devenv/<name>) and its VS Code attach
 * file there. Others may be using the servers meanwhile; this leaves their objects alone.
 */
export function removeRemoteEnv(
  server: RemoteServer,
  name: string,
  options: { user?: TestUser; remoteRoot?: string } = {},
): void {
  const user = options.user ?? TEST_USER;
  const { containers, images } = remoteEnvObjects(server, name, user);
  if (containers !== '')
    spawnSync('docker', ['rm', '-f', ...containers.split('\n')], {
      stdio: 'ignore',
      env: remoteEngineEnv(server),
    });
  if (images !== '')
    spawnSync('docker', ['rmi', '-f', ...new Set(images.split('\n'))], {
      stdio: 'ignore',
      env: remoteEngineEnv(server),
    });
  const home = server.home(user);
  const root = (options.remoteRoot ?? `~/devenv/${name}`).replace(/^~\//, `${home}/`);
  if (root.startsWith(`${home}/`)) rmSync(root, { recursive: true, force: true });
  rmSync(vscodeNameConfig(home, `devenv-${name}-${user.name}`), { force: true });
}

/**
 * The test registries `.ci/registry.sh` provisions (issue 20): Debian's docker-registry on loopback,
 * over plain HTTP, which every test engine (default, GPU-capable, the remote servers', the Slurm
 * nodes') pushes to and pulls from with no flag. REGISTRY_OPEN needs no credentials; REGISTRY_AUTH
 * answers 401 without them and takes `docker login REGISTRY_AUTH` with REGISTRY_USER and
 * REGISTRY_PASSWORD (basic auth, over that plain HTTP too).
 */
export const REGISTRY_OPEN = '127.0.0.1:17850';
export const REGISTRY_AUTH = '127.0.0.1:17851';
export const REGISTRY_USER = 'devreg';
export const REGISTRY_PASSWORD = 'devreg-secret';

/**
 * The Slurm test cluster `.ci/slurm-cluster.sh` provisions (issue 19): a controller and two compute
 * nodes on this machine. Each node's slurmd runs in its own mount namespace whose /var/run holds
 * that node's own GPU-capable engine (at the standard socket) and whose /usr/local/bin shows that
 * node's fake nvidia-smi and the stand-in NVIDIA hook; users, /etc/passwd and /home are the host's,
 * as on a real cluster. Job steps run in their node's namespace, so `srun -w nodeA docker …`
 * reaches nodeA's engine. Clients need SLURM_CONF (slurmRun sets it).
 */
export const SLURM_CONF = '/srv/devenv-slurm/etc/slurm.conf';
/** Both nodes; `SLURM_DEBUG_PARTITION` holds nodeB only. */
export const SLURM_DEFAULT_PARTITION = 'gpu';
export const SLURM_DEBUG_PARTITION = 'debug';

export interface SlurmNode {
  name: 'nodeA' | 'nodeB';
  /** Its engine as root reaches it from outside (`slurmNodeDocker`); inside a job, /var/run/docker.sock. */
  socket: string;
  /** GRES gpu count, and the GPUs its nvidia-smi lists (index = GRES index). */
  gpus: number;
  /** The machine of test/fixtures/nvidia-smi its nvidia-smi plays. */
  machine: string;
  cpus: number;
  memoryMb: number;
}

function slurmNode(
  name: SlurmNode['name'],
  gpus: number,
  machine: string,
  cpus: number,
  memoryMb: number,
): SlurmNode {
  return {
    name,
    socket: `unix:///srv/devenv-slurm/nodes/${name}/run/docker.sock`,
    gpus,
    machine,
    cpus,
    memoryMb,
  };
}

/** nodeA: 8x H100 (GPU_SERVER_MACHINE); nodeB: 4x A100, also in SLURM_DEBUG_PARTITION. */
export const SLURM_NODES: Record<SlurmNode['name'], SlurmNode> = {
  nodeA: slurmNode('nodeA', 8, GPU_SERVER_MACHINE, 16, 16000),
  nodeB: slurmNode('nodeB', 4, 'thamada_a100-sxm4-80gb-x4_555.42.02', 8, 8000),
};

/** Runs a shell command as `user` on the "login node" (this machine), with SLURM_CONF set, from /tmp. */
export function slurmRun(
  user: TestUser,
  command: string,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): RunResult {
  const result = spawnSync(
    'runuser',
    [
      '-u',
      user.name,
      '--',
      'env',
      '-i',
      ...userEnv(user, { SLURM_CONF, ...options.env }),
      'bash',
      '-c',
      command,
    ],
    // A job starts in the submitter's folder: one every node sees and every user may enter.
    { cwd: '/tmp', encoding: 'utf8', timeout: options.timeoutMs ?? 120_000 },
  );
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** A Slurm command as root (the cluster's admin: scancel from outside, scontrol show …). */
export function slurmAdmin(command: string, args: string[]): string {
  return execFileSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLURM_CONF },
  }).trim();
}

/** `docker` as root against a Slurm node's engine, through its socket from outside. */
export function slurmNodeDocker(node: SlurmNode, args: string[]): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DOCKER_HOST: node.socket },
  }).trim();
}
