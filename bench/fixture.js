// The bench's own env: a temp dir with a .devenvrc over the test base image, local wheels
// for the requirements file, and a clean-up that touches only objects labelled with that dir.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BASE_IMAGE = process.env.DEVENV_BENCH_BASE_IMAGE ?? 'devenv-test-base:ready';
const ROOT_LABEL = 'dev.devenv.root';

export function docker(args, options = {}) {
  const result = spawnSync('docker', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

export function dockerOk(args) {
  return spawnSync('docker', args, { stdio: 'ignore' }).status === 0;
}

/**
 * The account devenv runs as in the bench: `name` (a member of the docker group) when the bench
 * runs as root, as devenv's users do not; otherwise whoever runs the bench. Commands run as it
 * through setpriv, which execs in place (no PAM session, no extra process), and costs every
 * measured command, devenv, its floor and the docker CLI, the same.
 */
export function benchUser(name) {
  const self = os.userInfo();
  if (self.uid !== 0 || !name) return { name: self.username, uid: self.uid, gid: self.gid, wrap: null };
  const id = (flag) => spawnSync('id', [flag, name], { encoding: 'utf8' });
  const [uid, gid] = [id('-u'), id('-g')];
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`no user ${name} to run devenv as (--as USER)`);
  const ids = { uid: Number(uid.stdout), gid: Number(gid.stdout) };
  return {
    name,
    ...ids,
    wrap: ['setpriv', `--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--init-groups', '--'],
  };
}

/**
 * The bench's .devenvrc text for env `name`: the test base, no GPUs, no PyTorch, and a
 * requirements file of local wheels; `extra` adds keys (the registry).
 */
export function benchRc(name, extra = {}) {
  const rc = {
    name,
    baseImage: BASE_IMAGE,
    aptPackages: [],
    torch: 'none',
    gpus: 'none',
    requirements: 'req.txt',
    ...extra,
  };
  return `${JSON.stringify(rc, null, 2)}\n`;
}

/**
 * A temp env root with its .devenvrc, owned by `user`; the env name is unique so parallel runs
 * do not collide.
 */
export function makeBenchEnv(user) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-bench-'));
  const name = `bench-${path.basename(dir).slice('devenv-bench-'.length).toLowerCase()}`;
  mkdirSync(path.join(dir, 'wheels'));
  mkdirSync(path.join(dir, 'home'));
  writeFileSync(path.join(dir, '.devenvrc'), benchRc(name), { mode: 0o644 });
  const wheels = {
    a: buildWheel(path.join(dir, 'wheels'), 'devenv_bench_a', '0.1'),
    b: buildWheel(path.join(dir, 'wheels'), 'devenv_bench_b', '0.1'),
  };
  const env = {
    dir,
    name,
    // devenv names the container devenv-<env>-<user>.
    containerName: `devenv-${name}-${user.name}`,
    wheels,
    setRequirements(keys) {
      const lines = keys.map((key) => `./wheels/${path.basename(wheels[key])}`);
      writeFileSync(path.join(dir, 'req.txt'), `${lines.join('\n')}\n`);
    },
  };
  env.setRequirements(['a']);
  if (user.uid !== os.userInfo().uid) {
    const chown = spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
    if (chown.status !== 0) throw new Error(`chown of ${dir} to ${user.name} failed`);
  }
  return env;
}

/** A minimal pure-Python wheel (a zip with the package and its dist-info), made with python3. */
function buildWheel(outDir, name, version) {
  const script = `
import base64, hashlib, sys, zipfile
out, name, version = sys.argv[1:4]
info = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f"VERSION = {version!r}\\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: devenv-bench\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
def digest(text):
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
record = [f"{p},sha256={digest(t)},{len(t.encode())}" for p, t in files.items()]
files[f"{info}/RECORD"] = "\\n".join(record + [f"{info}/RECORD,,"]) + "\\n"
with zipfile.ZipFile(out, "w") as z:
    for p, t in files.items():
        z.writestr(zipfile.ZipInfo(p, date_time=(2020, 1, 1, 0, 0, 0)), t)
`;
  const file = path.join(outDir, `${name}-${version}-py3-none-any.whl`);
  const result = spawnSync('python3', ['-c', script, file, name, version], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`making the wheel ${file} failed: ${result.stderr}`);
  return file;
}

/**
 * Removes the containers and images whose dev.devenv.root label is `dir`, nothing else, on the
 * engine at `host` (DOCKER_HOST's form; the default engine without it).
 */
export function removeLabelled(dir, host) {
  const options = host ? { env: { ...process.env, DOCKER_HOST: host } } : {};
  const list = (args) => docker(args, options).split('\n').filter(Boolean);
  const filter = ['--filter', `label=${ROOT_LABEL}=${dir}`];
  const containers = list(['ps', '-aq', ...filter]);
  if (containers.length > 0) docker(['rm', '-f', ...containers], options);
  const images = [...new Set(list(['images', '-aq', ...filter]))];
  // Removing a tagged image also removes its untagged parents (the classic builder's layers).
  if (images.length > 0) spawnSync('docker', ['rmi', '-f', ...images], { stdio: 'ignore', ...options });
}

export function removeBenchEnv(env) {
  removeLabelled(env.dir);
  rmSync(env.dir, { recursive: true, force: true });
}
