/** The folder a repository clones into: its last path part without ".git" (as `git clone` names it). */
export function repoFolderName(repo: string): string {
  const trimmed = repo
    .trim()
    .replace(/[/\\]+$/, '')
    .replace(/\.git$/, '');
  const last = trimmed.split(/[/\\:]/).pop() ?? '';
  return last === '' || last === '.' || last === '..' ? 'repo' : last;
}
