// The summary table of a fit with matrix parameters: a belief net on MNIST has 157,000 rows (W is
// 200 × 784), more than a JavaScript call takes as arguments.
import { describe, expect, it } from 'vitest';
import { table } from '../../repl/format.js';

describe('table', () => {
  it('pads every column to its widest cell, for any number of rows', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [`W[${i}]`, String(i % 7 === 0 ? -1.25 : 3)]);
    const out = table(['name', 'mean'], rows).split('\n');
    expect(out).toHaveLength(200_001);
    expect(out[0]).toBe('name' + ' '.repeat(8) + 'mean');
    expect(out[200_000]).toBe('W[199999]' + ' '.repeat(6) + '3');
    expect(out[1]).toBe('W[0]' + ' '.repeat(7) + '-1.25');
  });
});
