import { describe, expect, it } from 'vitest';
import { tf } from '../../inference/backend.js';
import { checkParams, makeDistribution, type CategoricalDistribution, type Params } from '../../inference/distributions/index.js';
import { FAMILY_NAMES } from '../../language/distributions.js';
import { irGrads, irSecond } from './ir-grad.js';

type T = tf.Tensor;


// ---- float64 references -------------------------------------------------
function lgamma64(x: number): number {
  let shift = 0;
  while (x < 20) { shift -= Math.log(x); x += 1; }
  const inv = 1 / x, i2 = inv * inv;
  return shift + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + inv * (1 / 12 - i2 * (1 / 360 - i2 * (1 / 1260 - i2 / 1680)));
}
const LOG_2PI = Math.log(2 * Math.PI);
const sig = (x: number): number => 1 / (1 + Math.exp(-x));
const lbeta = (a: number, b: number): number => lgamma64(a) + lgamma64(b) - lgamma64(a + b);

const s = (v: number[] | number): T => (Array.isArray(v) ? tf.tensor1d(v) : tf.scalar(v));

interface DensityCase {
  family: string;
  params: Record<string, number[] | number>;
  x: number[];
  /** reference log density with the parameters of x's position (scalars broadcast). */
  ref: (x: number, p: Record<string, number>) => number;
}
const at = (p: Record<string, number[] | number>, i: number): Record<string, number> =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Array.isArray(v) ? v[i]! : v]));

const densities: DensityCase[] = [
  { family: 'Normal', params: { loc: [0, 1, -2], scale: 2 }, x: [0.5, -1, 3], ref: (x, p) => -0.5 * ((x - p.loc!) / p.scale!) ** 2 - Math.log(p.scale!) - 0.5 * LOG_2PI },
  { family: 'HalfNormal', params: { scale: [1, 2, 0.5] }, x: [0.5, 3, -1], ref: (x, p) => (x < 0 ? -Infinity : Math.log(2) - 0.5 * LOG_2PI - Math.log(p.scale!) - 0.5 * (x / p.scale!) ** 2) },
  { family: 'Cauchy', params: { loc: 1, scale: [1, 3, 0.2] }, x: [0, 10, 1.1], ref: (x, p) => -Math.log(Math.PI * p.scale! * (1 + ((x - p.loc!) / p.scale!) ** 2)) },
  { family: 'HalfCauchy', params: { scale: 2 }, x: [0, 5, -0.1], ref: (x, p) => (x < 0 ? -Infinity : Math.log(2 / (Math.PI * p.scale! * (1 + (x / p.scale!) ** 2)))) },
  {
    family: 'StudentT', params: { df: [1, 4.5, 30], loc: 0.5, scale: 2 }, x: [0, 3, -7],
    ref: (x, p) => {
      const n = p.df!, z = (x - p.loc!) / p.scale!;
      return lgamma64((n + 1) / 2) - lgamma64(n / 2) - 0.5 * Math.log(n * Math.PI) - Math.log(p.scale!) - ((n + 1) / 2) * Math.log1p(z * z / n);
    },
  },
  { family: 'Laplace', params: { loc: [0, 1, 2], scale: 1.5 }, x: [1, -2, 2], ref: (x, p) => -Math.log(2 * p.scale!) - Math.abs(x - p.loc!) / p.scale! },
  { family: 'LogNormal', params: { loc: 0.3, scale: [1, 0.5, 2] }, x: [1, 2.5, -1], ref: (x, p) => (x <= 0 ? -Infinity : -Math.log(x * p.scale!) - 0.5 * LOG_2PI - 0.5 * ((Math.log(x) - p.loc!) / p.scale!) ** 2) },
  { family: 'Exponential', params: { rate: [0.5, 2, 1] }, x: [1, 0.1, -1], ref: (x, p) => (x < 0 ? -Infinity : Math.log(p.rate!) - p.rate! * x) },
  {
    family: 'Gamma', params: { shape: [0.5, 2, 9], rate: 1.5 }, x: [0.3, 2, 7],
    ref: (x, p) => p.shape! * Math.log(p.rate!) - lgamma64(p.shape!) + (p.shape! - 1) * Math.log(x) - p.rate! * x,
  },
  {
    family: 'InverseGamma', params: { shape: 3, scale: [1, 2, 0.5] }, x: [0.5, 1, -2],
    ref: (x, p) => (x <= 0 ? -Infinity : p.shape! * Math.log(p.scale!) - lgamma64(p.shape!) - (p.shape! + 1) * Math.log(x) - p.scale! / x),
  },
  { family: 'Beta', params: { a: [0.5, 2, 5], b: 3 }, x: [0.1, 0.5, 1.2], ref: (x, p) => (x <= 0 || x >= 1 ? -Infinity : (p.a! - 1) * Math.log(x) + (p.b! - 1) * Math.log1p(-x) - lbeta(p.a!, p.b!)) },
  { family: 'Uniform', params: { low: -1, high: [2, 3, 0] }, x: [0, 2.5, 0.5], ref: (x, p) => (x < p.low! || x > p.high! ? -Infinity : -Math.log(p.high! - p.low!)) },
  { family: 'Bernoulli', params: { probs: [0.2, 0.7, 0.5] }, x: [1, 0, 0.3], ref: (x, p) => x * Math.log(p.probs!) + (1 - x) * Math.log1p(-p.probs!) },
  { family: 'Bernoulli', params: { logits: [-2, 0.5, 30] }, x: [1, 0, 0], ref: (x, p) => x * p.logits! - (Math.max(p.logits!, 0) + Math.log1p(Math.exp(-Math.abs(p.logits!)))) },
  {
    family: 'Binomial', params: { total_count: [10, 5, 100], probs: 0.3 }, x: [3, 5, 31.5],
    ref: (x, p) => lgamma64(p.total_count! + 1) - lgamma64(x + 1) - lgamma64(p.total_count! - x + 1) + x * Math.log(p.probs!) + (p.total_count! - x) * Math.log1p(-p.probs!),
  },
  {
    family: 'Binomial', params: { total_count: 8, logits: [-1, 0, 2] }, x: [2, 8, 9],
    ref: (x, p) => (x > 8 ? -Infinity : lgamma64(9) - lgamma64(x + 1) - lgamma64(9 - x) + x * Math.log(sig(p.logits!)) + (8 - x) * Math.log(sig(-p.logits!))),
  },
  { family: 'Poisson', params: { rate: [0.5, 4, 100] }, x: [0, 3, 97], ref: (x, p) => x * Math.log(p.rate!) - p.rate! - lgamma64(x + 1) },
  { family: 'Poisson', params: { rate: 2 }, x: [-1, 1.5, 1], ref: (x, p) => (x < 0 || !Number.isInteger(x) ? -Infinity : x * Math.log(p.rate!) - p.rate! - lgamma64(x + 1)) },
  { family: 'Geometric', params: { probs: [0.1, 0.5, 0.9] }, x: [0, 3, 12], ref: (x, p) => Math.log(p.probs!) + x * Math.log1p(-p.probs!) },
];

function values(t: T): number[] {
  return Array.from(t.dataSync());
}

function expectClose(actual: number[], expected: number[], rel = 2e-5, abs = 2e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (e === -Infinity) expect(a, `index ${i}`).toBe(-Infinity);
    else expect(Math.abs(a - e), `index ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(rel * Math.abs(e) + abs);
  });
}

describe('log densities against float64 closed forms', () => {
  for (const c of densities) {
    it(`${c.family}(${Object.keys(c.params).join(', ')})`, () => {
      tf.tidy(() => {
        const params: Params = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, s(v)]));
        const got = values(makeDistribution(c.family, params).logProb(tf.tensor1d(c.x)));
        expectClose(got, c.x.map((x, i) => c.ref(x, at(c.params, i))));
      });
    });
  }

  it('broadcasts x against the batch: [2, 1] values × [3] parameters → [2, 3]', () => {
    tf.tidy(() => {
      const d = makeDistribution('Normal', { loc: tf.tensor1d([0, 1, 2]), scale: tf.scalar(1) });
      const lp = d.logProb(tf.tensor2d([[0], [1]]));
      expect(lp.shape).toEqual([2, 3]);
      const ref = [0, 1].flatMap((x) => [0, 1, 2].map((m) => -0.5 * (x - m) ** 2 - 0.5 * LOG_2PI));
      expectClose(values(lp), ref);
    });
  });

  it('Categorical by index, by one-hot and relaxed, with a batch of parameters', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([[0, 1, 2], [3, -1, 0.5]]);
      const d = makeDistribution('Categorical', { logits }) as CategoricalDistribution;
      const lse = (r: number[]): number => Math.log(r.reduce((a, v) => a + Math.exp(v), 0));
      const rows = [[0, 1, 2], [3, -1, 0.5]];
      const lp = d.logProb(tf.tensor1d([2, 0]));
      expect(lp.shape).toEqual([2]);
      expectClose(values(lp), [2 - lse(rows[0]!), 3 - lse(rows[1]!)]);
      // [3, 1] indices against a [2, 3] batch → [3, 2]
      expect(d.logProb(tf.tensor2d([[0], [1], [2]])).shape).toEqual([3, 2]);
      expect(values(d.logProb(tf.tensor1d([3, 0.5])))).toEqual([-Infinity, -Infinity]);
      const relaxed = tf.tensor2d([[0.2, 0.3, 0.5], [1, 0, 0]]);
      const ref = rows.map((r, i) => r.reduce((a, v, k) => a + [[0.2, 0.3, 0.5], [1, 0, 0]][i]![k]! * (v - lse(r)), 0));
      expectClose(values(d.logProbOneHot(relaxed)), ref);
      const withProbs = makeDistribution('Categorical', { probs: tf.tensor1d([0.2, 0.3, 0.5]) });
      expectClose(values(withProbs.logProb(tf.tensor1d([0, 2]))), [Math.log(0.2), Math.log(0.5)]);
    });
  });

  it('Dirichlet reduces the last dim', () => {
    tf.tidy(() => {
      const alpha = [2, 0.5, 3];
      const x = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]];
      const d = makeDistribution('Dirichlet', { concentration: tf.tensor1d(alpha) });
      const norm = lgamma64(5.5) - alpha.reduce((a, v) => a + lgamma64(v), 0);
      const ref = x.map((r) => norm + r.reduce((a, v, k) => a + (alpha[k]! - 1) * Math.log(v), 0));
      const lp = d.logProb(tf.tensor2d(x));
      expect(lp.shape).toEqual([2]);
      expectClose(values(lp), ref);
      expect(values(d.logProb(tf.tensor1d([1.2, -0.2, 0])))).toEqual([-Infinity]);
    });
  });
});

describe('discrete pmfs sum to 1 over the support', () => {
  const cases: Array<[string, Params, number]> = [
    ['Bernoulli', { probs: tf.scalar(0.3) }, 2],
    ['Categorical', { logits: tf.tensor1d([0.1, -2, 3, 0]) }, 4],
    ['Binomial', { total_count: tf.scalar(12), probs: tf.scalar(0.35) }, 13],
    ['Poisson', { rate: tf.scalar(6.5) }, 60], // tail beyond 60 < 1e-30
    ['Geometric', { probs: tf.scalar(0.3) }, 200], // tail 0.7^200 < 1e-30
  ];
  for (const [family, params, n] of cases) {
    it(family, () => {
      const total = tf.tidy(() => tf.sum(tf.exp(makeDistribution(family, params).logProb(tf.range(0, n)))).dataSync()[0]!);
      expect(Math.abs(total - 1)).toBeLessThan(1e-5);
    });
  }
});

// Moments of draws: with n = 20,000 the standard error of the sample mean is
// sd/√n and that of the sample variance σ²·√((κ − 1)/n) (κ the kurtosis; for
// simplicity we use an upper bound on κ per family). Five SEs gives a
// false-failure rate around 1e-6 per check, and the seeds are fixed anyway.
describe('sampler moments (n = 20,000, 5 standard errors)', () => {
  const n = 20000;
  interface MomentCase { family: string; params: Record<string, number>; mean: number; variance: number; kurtosis: number }
  const cases: MomentCase[] = [
    { family: 'Normal', params: { loc: 1.5, scale: 2 }, mean: 1.5, variance: 4, kurtosis: 3 },
    { family: 'HalfNormal', params: { scale: 2 }, mean: 2 * Math.sqrt(2 / Math.PI), variance: 4 * (1 - 2 / Math.PI), kurtosis: 4 },
    { family: 'StudentT', params: { df: 10, loc: -1, scale: 0.5 }, mean: -1, variance: 0.25 * 10 / 8, kurtosis: 3 + 6 / 6 },
    { family: 'Laplace', params: { loc: 0.5, scale: 1.5 }, mean: 0.5, variance: 2 * 2.25, kurtosis: 6 },
    { family: 'LogNormal', params: { loc: 0, scale: 0.4 }, mean: Math.exp(0.08), variance: (Math.exp(0.16) - 1) * Math.exp(0.16), kurtosis: 6 },
    { family: 'Exponential', params: { rate: 2 }, mean: 0.5, variance: 0.25, kurtosis: 9 },
    { family: 'Gamma', params: { shape: 3, rate: 2 }, mean: 1.5, variance: 0.75, kurtosis: 5 },
    { family: 'Gamma', params: { shape: 0.3, rate: 1 }, mean: 0.3, variance: 0.3, kurtosis: 23 },
    { family: 'InverseGamma', params: { shape: 6, scale: 2 }, mean: 0.4, variance: 4 / (25 * 4), kurtosis: 3 + 30 * 11 / (2 * 1) },
    { family: 'Beta', params: { a: 2, b: 5 }, mean: 2 / 7, variance: 10 / (49 * 8), kurtosis: 3 },
    { family: 'Uniform', params: { low: -1, high: 3 }, mean: 1, variance: 16 / 12, kurtosis: 1.8 },
    { family: 'Bernoulli', params: { probs: 0.3 }, mean: 0.3, variance: 0.21, kurtosis: 3 },
    { family: 'Bernoulli', params: { logits: -1 }, mean: sig(-1), variance: sig(-1) * sig(1), kurtosis: 4 },
    { family: 'Binomial', params: { total_count: 20, probs: 0.3 }, mean: 6, variance: 4.2, kurtosis: 3.1 },
    { family: 'Binomial', params: { total_count: 100000, probs: 0.4 }, mean: 40000, variance: 24000, kurtosis: 3.1 },
    { family: 'Poisson', params: { rate: 3.5 }, mean: 3.5, variance: 3.5, kurtosis: 3.3 },
    { family: 'Poisson', params: { rate: 5000 }, mean: 5000, variance: 5000, kurtosis: 3.1 },
    { family: 'Geometric', params: { probs: 0.2 }, mean: 4, variance: 0.8 / 0.04, kurtosis: 10 },
  ];
  for (const c of cases) {
    it(`${c.family}(${Object.entries(c.params).map(([k, v]) => `${k}=${v}`).join(', ')})`, () => {
      const xs = tf.tidy(() => {
        const params = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, tf.scalar(v)]));
        return values(makeDistribution(c.family, params).sample([n], 1234));
      });
      expect(xs.length).toBe(n);
      const mean = xs.reduce((a, x) => a + x, 0) / n;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
      const seMean = Math.sqrt(c.variance / n);
      const seVar = c.variance * Math.sqrt((c.kurtosis - 1) / n);
      expect(Math.abs(mean - c.mean), `mean ${mean} vs ${c.mean}`).toBeLessThan(5 * seMean);
      expect(Math.abs(variance - c.variance), `variance ${variance} vs ${c.variance}`).toBeLessThan(5 * seVar);
    });
  }

  it('Categorical frequencies and Dirichlet means', () => {
    tf.tidy(() => {
      const probs = [0.1, 0.6, 0.3];
      const draws = values(makeDistribution('Categorical', { probs: tf.tensor1d(probs) }).sample([n], 99));
      probs.forEach((p, k) => {
        const freq = draws.filter((d) => d === k).length / n;
        expect(Math.abs(freq - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
      });
      const alpha = [1, 2, 7];
      const dir = makeDistribution('Dirichlet', { concentration: tf.tensor1d(alpha) }).sample([n], 5);
      expect(dir.shape).toEqual([n, 3]);
      const means = values(tf.mean(dir, 0));
      alpha.forEach((a, k) => {
        const m = a / 10;
        expect(Math.abs(means[k]! - m)).toBeLessThan(5 * Math.sqrt((m * (1 - m)) / 11 / n));
      });
      expectClose(values(tf.sum(dir, -1)).slice(0, 10), Array(10).fill(1), 1e-5, 1e-5);
    });
  });

  it('samples broadcast parameters to the requested shape and repeat for a seed', () => {
    tf.tidy(() => {
      const d = makeDistribution('Normal', { loc: tf.tensor1d([0, 10, 20]), scale: tf.scalar(1) });
      const a = d.sample([4, 3], 7);
      expect(a.shape).toEqual([4, 3]);
      expect(values(a)).toEqual(values(d.sample([4, 3], 7)));
      expect(values(a)).not.toEqual(values(d.sample([4, 3], 8)));
      const g = makeDistribution('Gamma', { shape: tf.tensor1d([0.5, 2]), rate: tf.scalar(1) });
      expect(values(g.sample([2], 3))).toEqual(values(g.sample([2], 3)));
      const pois = makeDistribution('Poisson', { rate: tf.tensor1d([1, 1000]) });
      expect(values(pois.sample([5, 2], 3))).toEqual(values(pois.sample([5, 2], 3)));
      expect(makeDistribution('Categorical', { logits: tf.zeros([3, 4]) }).sample([2, 3], 1).shape).toEqual([2, 3]);
    });
  });

  it('Cauchy has no mean; others report theirs', () => {
    tf.tidy(() => {
      expect(() => makeDistribution('Cauchy', { loc: tf.scalar(0), scale: tf.scalar(1) }).mean()).toThrow(/no mean/);
      expectClose(values(makeDistribution('Gamma', { shape: tf.scalar(3), rate: tf.scalar(2) }).mean()), [1.5]);
      expectClose(values(makeDistribution('Categorical', { probs: tf.tensor1d([0.5, 0.25, 0.25]) }).mean()), [0.75]);
    });
  });
});

describe('rsample gradients against finite differences', () => {
  // The draw's noise is fixed by the seed, so the draw is a smooth function of
  // the parameters; FD in float32 with h = 1e-2 is good to ~1e-3 relative.
  const cases: Array<[string, Record<string, number>]> = [
    ['Normal', { loc: 0.5, scale: 1.3 }],
    ['LogNormal', { loc: 0.2, scale: 0.7 }],
    ['HalfNormal', { scale: 1.1 }],
    ['Laplace', { loc: -0.3, scale: 0.8 }],
    ['Exponential', { rate: 1.7 }],
    ['Uniform', { low: -1, high: 2 }],
    ['Cauchy', { loc: 0.1, scale: 0.4 }],
    ['StudentT', { df: 5, loc: 0.1, scale: 0.9 }],
  ];
  for (const [family, params] of cases) {
    it(family, () => {
      const names = Object.keys(params).filter((k) => k !== 'df');
      const total = (vals: Record<string, number>): number =>
        tf.tidy(() => tf.sum(makeDistribution(family, Object.fromEntries(Object.entries(vals).map(([k, v]) => [k, tf.scalar(v)]))).rsample!([5], 11)).dataSync()[0]!);
      // The pathwise gradient the way a fit takes it: traced (the draw's noise an input) and differentiated by reverse mode.
      const grads = irGrads((...xs: T[]): T => {
        const p: Params = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, tf.scalar(v)]));
        names.forEach((k, i) => (p[k] = xs[i]!));
        return tf.sum(makeDistribution(family, p).rsample!([5], 11));
      }, names.map((k) => params[k]!));
      const h = 1e-2;
      names.forEach((k, i) => {
        const fd = (total({ ...params, [k]: params[k]! + h }) - total({ ...params, [k]: params[k]! - h })) / (2 * h);
        expect(Math.abs(grads[i]! - fd), `d/d${k}: ${grads[i]} vs FD ${fd}`).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(fd)));
      });
    });
  }

  it('logProb is twice differentiable in the parameters (Bernoulli logits, Categorical one-hot, Binomial)', () => {
    // RELAX differentiates the relaxed model twice: reverse mode over reverse mode on the IR.
    tf.tidy(() => {
      const d2 = (f: (x: T) => T, x: number): number => irSecond(f, x);
      // d²/dℓ² [x ℓ − softplus(ℓ)] = −σ(ℓ)σ(−ℓ)
      expect(d2((l) => makeDistribution('Bernoulli', { logits: l }).logProb(tf.scalar(0.3)), 0.7)).toBeCloseTo(-sig(0.7) * sig(-0.7), 5);
      expect(d2((l) => makeDistribution('Binomial', { total_count: tf.scalar(5), logits: l }).logProb(tf.scalar(2.5)), 0.7)).toBeCloseTo(-5 * sig(0.7) * sig(-0.7), 4);
      const cat = (l: T): T => (makeDistribution('Categorical', { logits: tf.stack([l, tf.scalar(0), tf.scalar(1)]) }) as CategoricalDistribution).logProbOneHot(tf.tensor1d([0.2, 0.5, 0.3]));
      const p0 = Math.exp(0.7) / (Math.exp(0.7) + 1 + Math.E);
      expect(d2(cat, 0.7)).toBeCloseTo(-p0 * (1 - p0), 5);
    });
  });
});

describe('checkParams', () => {
  it('accepts valid parameters of every family', () => {
    tf.tidy(() => {
      const valid: Record<string, Params> = {
        Normal: { loc: s(0), scale: s(1) }, HalfNormal: { scale: s(1) }, Cauchy: { loc: s(0), scale: s(1) }, HalfCauchy: { scale: s(1) },
        StudentT: { df: s(3), loc: s(0), scale: s(1) }, Laplace: { loc: s(0), scale: s(1) }, LogNormal: { loc: s(0), scale: s(1) },
        Exponential: { rate: s(1) }, Gamma: { shape: s(1), rate: s(1) }, InverseGamma: { shape: s(1), scale: s(1) }, Beta: { a: s(1), b: s(1) },
        Uniform: { low: s(0), high: s(1) }, Dirichlet: { concentration: s([1, 2]) }, Bernoulli: { logits: s(0) },
        Categorical: { probs: s([0.5, 0.5]) }, Binomial: { total_count: s(3), probs: s(0.5) }, Poisson: { rate: s(2) }, Geometric: { probs: s(0.5) },
        Logistic: { loc: s(0), scale: s(1) }, SkewNormal: { loc: s(0), scale: s(1), alpha: s(-2) }, Weibull: { shape: s(1), scale: s(1) },
        VonMises: { loc: s(0), kappa: s(1) }, BetaBinomial: { total_count: s(3), a: s(1), b: s(1) }, NegBinomial: { alpha: s(1), beta: s(1) },
        NegBinomial2: { mu: s(1), phi: s(1) }, OrderedLogistic: { eta: s(0), cutpoints: s([-1, 1]) }, OrderedProbit: { eta: s(0), cutpoints: s([-1, 1]) },
        MultiNormal: { loc: s([0, 1]), cov: tf.tensor2d([[1, 0.5], [0.5, 2]]) }, MultiNormalCholesky: { loc: s([0, 1]), scale_tril: tf.tensor2d([[1, 0], [0.5, 2]]) }, LKJCorrCholesky: { eta: s(2) }, LKJCorr: { eta: s(0.5) },
      };
      expect(Object.keys(valid).sort()).toEqual([...FAMILY_NAMES].sort());
      for (const [family, params] of Object.entries(valid)) expect(checkParams(family, params), family).toBeNull();
    });
  });

  it('names the parameter, the rule, the value and its index', () => {
    tf.tidy(() => {
      expect(checkParams('Normal', { loc: s(0), scale: s([1, 2, -1]) })).toBe('scale must be > 0 (found -1 at index [2])');
      expect(checkParams('Normal', { loc: s([0, NaN]), scale: s(1) })).toBe('loc must be finite (found NaN at index [1])');
      expect(checkParams('Bernoulli', { probs: tf.tensor2d([[0.5, 1.5]]) })).toBe('probs must be in (0, 1) (found 1.5 at index [0, 1])');
      expect(checkParams('Binomial', { total_count: s(2.5), probs: s(0.5) })).toBe('total_count must be a non-negative integer (found 2.5 at index [])');
      expect(checkParams('Categorical', { probs: tf.tensor2d([[0.5, 0.5], [0.5, 0.4]]) })).toBe('probs must sum to 1 along its last dimension (found 0.9 at index [1])');
      expect(checkParams('Uniform', { low: s(1), high: s(0) })).toBe('high must be > low (found low 1, high 0 at index [])');
      expect(checkParams('Bernoulli', { probs: s(0.5), logits: s(0) })).toBe('Bernoulli needs exactly one of probs or logits (found probs and logits)');
      expect(checkParams('Normal', { loc: s(0) })).toBe('Normal needs the parameter scale');
      expect(checkParams('Normal', { loc: s(0), scale: s(1), sd: s(1) })).toMatch(/Normal has no parameter 'sd'/);
      expect(checkParams('Gaussian', {})).toBe("unknown distribution family 'Gaussian'");
      expect(checkParams('MultiNormal', { loc: s([0, 0]), cov: tf.tensor2d([[1, 0.5], [0.4, 1]]) })).toBe('cov must be symmetric (found 0.4 at index [1, 0] and 0.5 at [0, 1])');
      expect(checkParams('MultiNormal', { loc: s([0, 0]), cov: tf.tensor3d([[[1, 0], [0, 1]], [[1, 0], [0, 0]]]) })).toBe('cov must have a positive diagonal (found 0 at index [1, 1, 1])');
      expect(checkParams('MultiNormalCholesky', { loc: s([0, 0]), scale_tril: tf.tensor2d([[-1, 0], [0.3, 1]]) })).toBe('scale_tril must have a positive diagonal (found -1 at index [0, 0])');
    });
  });
});

describe('no leaks', () => {
  it('methods return only their result', () => {
    const params = { loc: tf.scalar(0), scale: tf.scalar(1) };
    const d = makeDistribution('Normal', params);
    const x = tf.tensor1d([1, 2]);
    const before = tf.memory().numTensors;
    const outs = [d.logProb(x), d.sample([3], 1), d.rsample!([3], 1), d.mean()];
    expect(tf.memory().numTensors).toBe(before + outs.length);
    tf.dispose([...outs, x, params.loc, params.scale]);
  });
});
