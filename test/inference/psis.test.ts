import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { paretoKhat } from '../../inference/psis.js';

// Exact Pareto(α) importance ratios have tail shape k = 1/α. The estimator's standard
// error is about (1 + k)/√M with M = 3√n tail draws (Zhang & Stephens 2009); tolerances
// below are 4 standard errors.
function paretoLogRatios(alpha: number, n: number, seed: string): Float64Array {
  const rng = seedrandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = -Math.log(1 - rng()) / alpha;
  return out;
}

describe('PSIS k-hat', () => {
  const n = 40_000;
  const M = Math.ceil(3 * Math.sqrt(n));
  for (const k of [0.3, 0.6, 0.9]) {
    it(`recovers k = ${k} from exact Pareto ratios`, () => {
      const se = (1 + k) / Math.sqrt(M);
      const khat = paretoKhat(paretoLogRatios(1 / k, n, `pareto-${k}`));
      expect(Math.abs(khat - k)).toBeLessThan(4 * se);
    });
  }

  it('is small when q equals p (constant ratios plus noise-free tail)', () => {
    // Ratios of a wider q against a narrower p have a light (bounded) tail: k ≤ 0.
    const rng = seedrandom('light');
    const lw = Float64Array.from({ length: 4000 }, () => {
      const x = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()) * 2;
      return -0.5 * x * x + 0.5 * (x / 2) ** 2; // log N(x;0,1) − log N(x;0,2) + const
    });
    expect(paretoKhat(lw)).toBeLessThan(0.5);
  });

  it('gives NaN with too few draws', () => {
    expect(paretoKhat([1, 2, 3])).toBeNaN();
  });
});
