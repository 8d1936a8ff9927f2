// The summary table of a fit with matrix parameters: a belief net on MNIST has 157,000 rows (W is
// 200 × 784), more than a JavaScript call takes as arguments.
import { describe, expect, it } from 'vitest';
import { summaryTable, table } from '../../repl/format.js';

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

describe('summaryTable', () => {
  const row = (m: number) => ({ mean: m, sd: 1, q5: m - 1, q50: m, q95: m + 1 });
  it("prints the first rows of each variable and then how many more, keeping the variables' order", () => {
    const summary: Record<string, ReturnType<typeof row>> = { mu: row(0.5) };
    for (let i = 0; i < 1000; i++) summary[`z[${Math.floor(i / 10)},${i % 10}]`] = row(i);
    summary['sigma'] = row(2);
    const lines = summaryTable(summary, 3).split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['name', 'mu', 'z[0,0]', 'z[0,1]', 'z[0,2]', 'z[…]', 'sigma']);
    expect(lines[5]).toMatch(/^z\[…\]\s+\(997 more\)$/);
    // Without a limit, every row.
    expect(summaryTable(summary).split('\n')).toHaveLength(1 + 1002);
  });
});
