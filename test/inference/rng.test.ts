import { describe, expect, it } from 'vitest';
import { Rng } from '../../inference/rng.js';

const take = (rng: Rng, n: number, f: (r: Rng) => number): number[] => Array.from({ length: n }, () => f(rng));

describe('Rng', () => {
  it('repeats its sequence for the same seed and differs across seeds', () => {
    expect(take(new Rng(7), 5, (r) => r.uniform())).toEqual(take(new Rng(7), 5, (r) => r.uniform()));
    expect(take(new Rng(7), 5, (r) => r.uniform())).not.toEqual(take(new Rng(8), 5, (r) => r.uniform()));
    expect(take(new Rng(1), 3, (r) => r.uniform())).not.toEqual(take(new Rng('1'), 3, (r) => r.uniform()));
  });

  it('splits into streams that depend on purpose and seed but not on consumption', () => {
    const a = new Rng(42);
    const before = take(a.split('noise'), 4, (r) => r.uniform());
    take(a, 100, (r) => r.uniform());
    expect(take(a.split('noise'), 4, (r) => r.uniform())).toEqual(before);
    expect(take(a.split('init'), 4, (r) => r.uniform())).not.toEqual(before);
    expect(take(new Rng(43).split('noise'), 4, (r) => r.uniform())).not.toEqual(before);
    expect(take(a.split('noise').split('x'), 4, (r) => r.uniform())).not.toEqual(before);
  });

  it('int gives non-negative 31-bit integers', () => {
    for (const v of take(new Rng(3), 1000, (r) => r.int())) {
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 31).toBe(true);
    }
  });

  it('normal has mean 0 and variance 1 (5 standard errors, n = 20000)', () => {
    const n = 20000;
    const xs = take(new Rng(5), n, (r) => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / n;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n)); // SE of the mean = σ/√n
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / (n - 1))); // SE of s² = σ²√(2/(n−1))
  });
});
