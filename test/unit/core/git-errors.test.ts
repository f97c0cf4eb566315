import { describe, expect, it } from 'vitest';
import { cloneError } from '../../../src/core/git-errors.js';

describe("cloneError: git's stderr as one line", () => {
  const REPO = 'https://git.example/team/model.git';

  it.each([
    ['fatal: Authentication failed for ...\n', 'authentication failed'],
    ["fatal: repository 'x' not found\n", 'repository not found'],
    ['fatal: unable to access ...: Could not resolve host: git.example\n', 'the remote cannot be reached'],
  ])('%j: a known case', (stderr, said) => {
    expect(cloneError(REPO, stderr).message).toBe(`cannot clone ${REPO}: ${said}`);
  });

  it("an unknown failure: git's fatal line, else its first line, else that git failed", () => {
    const said = (stderr: string) => cloneError(REPO, stderr).message.slice(`cannot clone ${REPO}: `.length);
    expect(said("Cloning into 'model'...\nfatal: the hook declined\n")).toBe('fatal: the hook declined');
    expect(said('\n  hook declined the clone  \nmore\n')).toBe('hook declined the clone');
    expect(said('')).toBe('git failed');
  });
});
