import { describe, expect, it } from 'vitest';
import { fitLine } from '../../../src/ui/ui.js';

describe('fitLine', () => {
  it('keeps a line that fits as it is', () => {
    expect(fitLine('building image x', 40)).toBe('building image x');
    expect(fitLine('a'.repeat(40), 40)).toBe('a'.repeat(40));
  });

  it('cuts a longer one to the width, the ellipsis included', () => {
    const line = `pushing devenv-shared:7bac6d91392f1343 to 127.0.0.1:17850/uv: 28eef0214b91: Pushing [=====>   ] ${'x'.repeat(40)}`;
    const fitted = fitLine(line, 118);
    expect(fitted).toHaveLength(118);
    expect(fitted.endsWith('…')).toBe(true);
    expect(line.startsWith(fitted.slice(0, -1))).toBe(true);
  });

  it('leaves the text whole on a terminal too narrow to cut for', () => {
    expect(fitLine('abc', 1)).toBe('abc');
  });
});
