import { describe, expect, it } from 'vitest';
import { textTable } from '../../../src/core/text-table.js';

describe('textTable', () => {
  it('pads each column but the last to its widest cell, two spaces apart', () => {
    expect(
      textTable([
        ['NODE', 'GPU', 'HELD BY'],
        ['nodeA', '0', 'job 42 of me'],
        ['b', '10', 'free'],
      ]),
    ).toEqual(['NODE   GPU  HELD BY', 'nodeA  0    job 42 of me', 'b      10   free']);
  });

  it('leaves no trailing spaces when a last cell is empty, and no rows make no lines', () => {
    expect(
      textTable([
        ['A', ''],
        ['long', ''],
      ]),
    ).toEqual(['A', 'long']);
    expect(textTable([])).toEqual([]);
  });
});
