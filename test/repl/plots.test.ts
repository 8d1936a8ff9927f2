// Text plots: bins that add up, bars in proportion, charts within their box.

import { describe, expect, test } from 'vitest';
import { bar, downsample, histogramBins, lineChart, renderHistogram, sparkline } from '../../repl/plots.js';

describe('histogram', () => {
  test('bins cover every finite value and are equal width', () => {
    const xs = Array.from({ length: 400 }, (_, i) => Math.sin(i) * 3);
    const bins = histogramBins([...xs, NaN, Infinity]);
    expect(bins).toHaveLength(20);
    expect(bins.reduce((a, b) => a + b.count, 0)).toBe(400);
    const w = bins[0]!.hi - bins[0]!.lo;
    for (const b of bins) expect(b.hi - b.lo).toBeCloseTo(w, 9);
    expect(bins[0]!.lo).toBe(Math.min(...xs));
  });

  test('integer draws get one bin per value', () => {
    const bins = histogramBins([0, 1, 1, 2, 2, 2, 4]);
    expect(bins.map((b) => [b.lo, b.count])).toEqual([[0, 1], [1, 2], [2, 3], [3, 0], [4, 1]]);
    expect(renderHistogram(bins, 7, 6)).toEqual([
      '0 │██       14.3%',
      '1 │████     28.6%',
      '2 │██████   42.9%',
      '3 │          0.0%',
      '4 │██       14.3%',
    ]);
  });

  test('a constant and an empty sample', () => {
    expect(histogramBins([2, 2, 2])).toEqual([{ lo: 2, hi: 3, count: 3 }]);
    expect(histogramBins([2.5, 2.5])).toEqual([{ lo: 2.5, hi: 2.5, count: 2 }]);
    expect(histogramBins([])).toEqual([]);
    expect(renderHistogram([], 0)).toEqual(['(no finite values)']);
  });

  test('bars use eighth blocks', () => {
    expect(bar(2.5)).toBe('██▌');
    expect(bar(0)).toBe('');
    expect(bar(0.999)).toBe('█');
  });
});

describe('line chart and sparkline', () => {
  test('downsample averages groups', () => {
    expect(downsample([1, 2, 3, 4], 2)).toEqual([1.5, 3.5]);
    expect(downsample([1, 2], 5)).toEqual([1, 2]);
  });

  test('sparkline spans the block range', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8)).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([3, 3], 4)).toBe('▄▄');
    expect(sparkline([], 4)).toBe('');
  });

  test('a rising series: max at the top right, min at the bottom left, joined by strokes', () => {
    const lines = lineChart([0, 10], 2, 5, 'step');
    expect(lines).toEqual([
      '10.00 ┤ •',
      '      ┤ │',
      '      ┤ │',
      '      ┤ │',
      '    0 ┤• ',
      '      └──',
      '       1 2  step',
    ]);
  });

  test('fits its width and height', () => {
    const values = Array.from({ length: 5000 }, (_, i) => -100 * Math.exp(-i / 500) + Math.sin(i));
    const lines = lineChart(values, 50, 10);
    expect(lines).toHaveLength(12);
    for (const l of lines.slice(0, 10)) expect([...l].length).toBeLessThanOrEqual(50 + 10);
    expect(lines[11]).toContain('5000');
  });
});
