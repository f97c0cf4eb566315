import { DevenvError } from '../core/errors.js';
import { firstLine } from '../core/first-line.js';
import { cloneError, isLocalRepo } from '../core/git-errors.js';
import type { CloneRequest, Host, HostAccount, HostRunResult, RepoState } from '../core/host.js';
import { freeBytesByDf } from './df.js';
import { noteRemoteRead } from './file-reads.js';
import { notAFolder } from './local-host.js';
import { requirementsTextContext } from './python-files.js';
import { runSsh, type SshTarget } from './ssh.js';

/**
 * A remote engine's host, reached with the system ssh (see ssh.ts). Every step is one remote
 * command over the shared connection; small sh scripts keep each step to one round trip.
 * Nothing is written on this machine.
 */
export async function openSshHost(target: SshTarget, name: string, env: NodeJS.ProcessEnv): Promise<Host> {
  const sh = (script: string, args: string[], options: { input?: string; forwardAgent?: boolean } = {}) =>
    runSsh(target, ['sh', '-c', script, 'sh', ...args], env, { timeoutMs: 120_000, ...options });
  const failed = (doing: string, stderr: string) =>
    new DevenvError(`${doing} on ${name} failed: ${firstLine(stderr) ?? 'no message'}`, {
      hint: `check the account's rights there: \`ssh ${target.display} ls -ld ~\``,
      code: 'host',
    });

  const who = await sh('id -un && id -u && id -g && printf "%s\\n" "$HOME"', []);
  const [userName, uid, gid, home] = who.stdout.toString().split('\n');
  if (who.code !== 0 || !userName || !uid || !gid || !home)
    throw failed('reading the account (id, $HOME)', who.stderr);
  const account: HostAccount = { name: userName, uid: Number(uid), gid: Number(gid), home };

  const readFile = async (file: string) => {
    noteRemoteRead();
    const read = await sh('[ -e "$1" ] || exit 3; exec cat -- "$1"', [file]);
    if (read.code === 3) return null;
    if (read.code !== 0) throw failed(`reading ${file}`, read.stderr);
    return read.stdout;
  };
  const run = async (argv: string[], options?: { timeoutMs?: number }): Promise<HostRunResult> => {
    const result = await runSsh(target, argv, env, { timeoutMs: options?.timeoutMs ?? 30_000 });
    if (result.timedOut) return { outcome: 'timeout' };
    // The remote shell says 127 for a program it cannot find.
    if (result.code === 127) return { outcome: 'missing' };
    return {
      outcome: 'exited',
      code: result.code ?? 128,
      stdout: result.stdout.toString(),
      stderr: result.stderr,
    };
  };

  return {
    name,
    remote: true,
    account,
    makeDirs: async (dirs) => {
      if (dirs.length === 0) return;
      const made = await sh(
        'for d; do if [ -e "$d" ] && [ ! -d "$d" ]; then printf "%s" "$d"; exit 3; fi; mkdir -p -- "$d" || exit 4; done',
        dirs,
      );
      if (made.code === 3) throw notAFolder(made.stdout.toString(), name);
      if (made.code !== 0) throw failed('creating folders', made.stderr);
    },
    removeEmptyDir: async (dir) => {
      await sh('rmdir -- "$1" 2>/dev/null; exit 0', [dir]);
    },
    kinds: async (paths) => {
      if (paths.length === 0) return [];
      const answer = await sh(
        'for p; do if [ -d "$p" ]; then echo d; elif [ -e "$p" ]; then echo f; else echo -; fi; done',
        paths,
      );
      const lines = answer.stdout.toString().split('\n');
      return paths.map((_, i) => (lines[i] === 'd' ? 'dir' : lines[i] === 'f' ? 'file' : null));
    },
    readFile,
    writeFile: async (file, content, mode) => {
      const written = await sh(
        'mkdir -p -- "$(dirname -- "$1")" && t="$1.devenv-$$.tmp" && cat >"$t" && { if [ -e "$1" ]; then chmod --reference="$1" "$t"; else chmod "$2" "$t"; fi; } && mv -f -- "$t" "$1"',
        [file, (mode ?? 0o644).toString(8)],
        { input: content },
      );
      if (written.code !== 0) throw failed(`writing ${file}`, written.stderr);
    },
    listDir: async (dir) => {
      const listed = await sh('[ -d "$1" ] || exit 0; ls -A -- "$1"', [dir]);
      return listed.stdout.toString().split('\n').filter(Boolean);
    },
    run,
    hasCommand: async (command) => (await sh('command -v "$1" >/dev/null', [command])).code === 0,
    cloneRepo: (request) => cloneOverSsh(target, name, env, request),
    freeBytes: (dir) => freeBytesByDf(run, dir),
    // A bind here would test this machine's ports, not the host's: the engine's error still says it.
    portHolder: async () => null,
    agentLink: () => ({
      problem: `sshAgent: devenv does not forward your agent into an env on ${name} (it would last only as long as one SSH session); use \`ssh -A\` to ${name} and a key there`,
    }),
    requirementsContext: async (file) => {
      const text = await readFile(file);
      return text === null ? null : requirementsTextContext(text.toString(), `${file} on ${name}`);
    },
  };
}

/**
 * The clone runs on the host, as the account, with the user's agent forwarded for its ssh://
 * and git@ URLs. As locally, it goes to a temporary folder first, so a failure leaves nothing at
 * the destination; a folder that is there and not empty is never touched.
 */
const CLONE_SCRIPT = `
dest=$1 repo=$2 branch=$3
if [ -e "$dest" ] && ! { [ -d "$dest" ] && [ -z "$(ls -A -- "$dest")" ]; }; then
  if [ -e "$dest/.git" ]; then echo present; else echo not-git; fi
  exit 0
fi
command -v git >/dev/null 2>&1 || exit 20
echo cloning
parent=$(dirname -- "$dest")
mkdir -p -- "$parent" || exit 21
temp="$parent/.devenv-clone-$(basename -- "$dest")-$$"
rm -rf -- "$temp"
export GIT_TERMINAL_PROMPT=0
export GIT_SSH_COMMAND="\${GIT_SSH_COMMAND:-ssh} -o BatchMode=yes"
if [ -n "$branch" ]; then set -- --branch "$branch"; else set --; fi
if git clone "$@" -- "$repo" "$temp"; then
  if [ -d "$dest" ]; then rmdir -- "$dest"; fi
  mv -- "$temp" "$dest" && echo cloned
else
  rm -rf -- "$temp"
  exit 22
fi`;

async function cloneOverSsh(
  target: SshTarget,
  name: string,
  env: NodeJS.ProcessEnv,
  request: CloneRequest,
): Promise<RepoState> {
  const repo =
    isLocalRepo(request.repo) && !request.repo.startsWith('/')
      ? `${request.root}/${request.repo}`
      : request.repo;
  let started = false;
  const result = await runSsh(
    target,
    ['sh', '-c', CLONE_SCRIPT, 'sh', request.dest, repo, request.branch ?? ''],
    env,
    {
      forwardAgent: true,
      ...(request.signal ? { signal: request.signal } : {}),
      onStdout: (text) => {
        if (!started && /^cloning$/m.test(text)) {
          started = true;
          request.onCloneStart?.();
        }
      },
    },
  );
  const said = result.stdout.toString().split('\n').filter(Boolean);
  if (result.code === 0) {
    const state = said.at(-1);
    if (state === 'present' || state === 'not-git' || state === 'cloned') return state;
  }
  if (result.code === 20)
    throw new DevenvError(`git is not installed on ${name}, so devenv cannot clone ${request.repo} there`, {
      hint: `install it there (sudo apt-get install git), or clone it yourself into ${request.dest} on ${name}`,
      code: 'git',
    });
  if (result.code === 22) throw cloneError(request.repo, result.stderr);
  throw new DevenvError(
    `cloning ${request.repo} on ${name} failed: ${firstLine(result.stderr) ?? `exit ${result.code}`}`,
    {
      hint: `check that ${request.dest} can be created there`,
      code: 'git',
    },
  );
}
