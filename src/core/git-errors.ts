import { DevenvError } from './errors.js';
import { firstLine } from './first-line.js';

/** Turns git's stderr from a failed clone into one line a user can act on. */
export function cloneError(repo: string, stderr: string): DevenvError {
  const text = stderr.replace(/\s+/g, ' ');
  const hintAuth =
    'check your access: for https set up a credential helper or token, for ssh load your key (`ssh-add`) and forward the agent (`ssh -A`)';
  const cases: Array<[RegExp, string, string]> = [
    [
      /Authentication failed|could not read Username|terminal prompts disabled|Permission denied \(publickey|Host key verification failed|403/i,
      `cannot clone ${repo}: authentication failed`,
      hintAuth,
    ],
    [
      /Repository not found|does not appear to be a git repository|not found|does not exist|404/i,
      `cannot clone ${repo}: repository not found`,
      'check the "repo" URL or path in .devenvrc',
    ],
    [
      /Could not resolve host|Connection refused|Connection timed out|Network is unreachable|unable to access|Could not read from remote/i,
      `cannot clone ${repo}: the remote cannot be reached`,
      'check the network and the host name in "repo"',
    ],
    [
      /Remote branch .* not found|couldn't find remote ref/i,
      `cannot clone ${repo}: branch not found`,
      'check "branch" in .devenvrc',
    ],
  ];
  for (const [pattern, message, hint] of cases) {
    if (pattern.test(text)) return new DevenvError(message, { hint, code: 'git' });
  }
  const said =
    stderr
      .split('\n')
      .find((l) => /fatal|error/i.test(l))
      ?.trim() ??
    firstLine(stderr) ??
    'git failed';
  return new DevenvError(`cannot clone ${repo}: ${said}`, {
    hint: 'run the same `git clone` by hand to see more',
    code: 'git',
  });
}

/** A local path (absolute or relative) rather than a URL or scp-like user@host:path. */
export function isLocalRepo(repo: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) return false;
  if (/^[^/\s]+@[^/\s]+:/.test(repo)) return false;
  if (/^[a-z0-9.-]+:[^/]/i.test(repo) && !repo.startsWith('.')) return false;
  return true;
}
