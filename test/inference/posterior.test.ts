import { describe, expect, it } from 'vitest';
import { elementNames, quantileSorted, summarise } from '../../inference/posterior.js';

describe('posterior summaries', () => {
  it('quantiles interpolate order statistics like NumPy (type 7)', () => {
    const xs = [1, 2, 3, 4];
    expect(quantileSorted(xs, 0)).toBe(1);
    expect(quantileSorted(xs, 1)).toBe(4);
    expect(quantileSorted(xs, 0.5)).toBe(2.5);
    expect(quantileSorted(xs, 0.05)).toBeCloseTo(1.15, 12);
  });

  it('summarises mean, sample sd and quantiles', () => {
    const s = summarise([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.q50).toBe(4.5);
  });

  it('names elements row-major with 0-based indices', () => {
    expect(elementNames('mu', [])).toEqual(['mu']);
    expect(elementNames('X', [2, 2])).toEqual(['X[0, 0]', 'X[0, 1]', 'X[1, 0]', 'X[1, 1]']);
  });
});
