import { describe, expect, it } from 'vitest';
import { firstLine } from '../../../src/core/first-line.js';

describe("firstLine: the first non-blank line of a tool's output, trimmed", () => {
  it.each([
    [
      'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.\n',
      'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.',
    ],
    ['\n  \n  mkdir: cannot create directory  \nsecond\n', 'mkdir: cannot create directory'],
    ['first\r\nsecond\r\n', 'first'],
    ['', null],
    [' \n\t\n', null],
  ])('%j -> %j', (text, line) => {
    expect(firstLine(text)).toBe(line);
  });
});
