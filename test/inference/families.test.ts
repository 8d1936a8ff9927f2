// The families added for issue 20 (Logistic, SkewNormal, Weibull, VonMises, BetaBinomial,
// NegBinomial, NegBinomial2, OrderedLogistic, OrderedProbit): log densities against scipy.stats, pmfs that sum
// to one, sampler moments against closed forms, pathwise gradients against finite differences,
// the special functions they need (log I₀, log Φ), run-time parameter checks, and a fit of a
// model with each family on the compiled engine (backend 'js', no fallback).
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, selectBackend } from '../../inference/backend.js';
import { BESSEL_SPLIT, logBesselI0, logBesselI0Number, logBesselI0eNumber } from '../../inference/bessel.js';
import { checkParams, makeDistribution, type Params } from '../../inference/distributions/index.js';
import { compile } from '../../inference/model.js';
import { logNormalCdf } from '../../inference/special.js';
import { irGrad, irGrads } from './ir-grad.js';

type T = tf.Tensor;

beforeAll(async () => {
  await selectBackend('cpu');
});

const values = (t: T): number[] => Array.from(t.dataSync());
const s = (v: number[] | number): T => (Array.isArray(v) ? tf.tensor1d(v) : tf.scalar(v));
const paramsOf = (p: Record<string, number[] | number>): Params => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, s(v)]));

function expectClose(actual: number[], expected: number[], rel: number, abs: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (e === -Infinity) expect(a, `index ${i}`).toBe(-Infinity);
    else expect(Math.abs(a - e), `index ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(rel * Math.abs(e) + abs);
  });
}

interface DensityCase {
  family: string;
  params: Record<string, number[] | number>;
  x: number[];
  /** Reference values; the scipy call that gave them is in the comment above each case. */
  ref: number[];
}

const densities: DensityCase[] = [
  // scipy.stats.logistic.logpdf([0.5, -3, 40], loc=[0, 1, -2], scale=[1, 2, 0.5])
  { family: 'Logistic', params: { loc: [0, 1, -2], scale: [1, 2, 0.5] }, x: [0.5, -3, 40], ref: [-1.4481539683602134, -2.9470032026458903, -83.30685281944005] },
  // scipy.stats.skewnorm.logpdf([0.5, -3, 2, -10], a=[2, -1.5, 0, 8], loc=[0, 1, -2, 0.5], scale=[1, 2, 0.5, 1.5])
  {
    family: 'SkewNormal', params: { loc: [0, 1, -2, 0.5], scale: [1, 2, 0.5, 1.5], alpha: [2, -1.5, 0, 8] }, x: [0.5, -3, 2, -10],
    ref: [-0.5235451316681773, -2.920289343169421, -32.22579135264473, -1598.0758653084356],
  },
  // scipy.stats.weibull_min.logpdf([0.5, 3, 1.2], c=[1.5, 0.7, 5], scale=[1, 2, 1.1]); −∞ below 0
  { family: 'Weibull', params: { shape: [1.5, 0.7, 5, 2], scale: [1, 2, 1.1, 1] }, x: [0.5, 3, 1.2, -1], ref: [-0.29466187276508204, -2.499662896874461, 0.31712229399373776, -Infinity] },
  // scipy.stats.vonmises.logpdf([0.5, -3, 3.1, 0.0], kappa=[0.5, 4, 50, 700], loc=[0, 1, -2, 0.01]); −∞ outside [−π, π]
  {
    family: 'VonMises', params: { loc: [0, 1, -2, 0.01, 0], kappa: [0.5, 4, 50, 700, 1] }, x: [0.5, -3, 3.1, 0, 3.2],
    ref: [-1.4606355046496402, -6.877424345379251, -30.06656543263214, 2.3214232268129003, -Infinity],
  },
  // scipy.stats.betabinom.logpmf([3, 0, 17, 10], n=[10, 5, 40, 10], a=[2, 0.5, 3.5, 1], b=[3, 0.7, 1.2, 1]); −∞ above n and off the integers
  {
    family: 'BetaBinomial', params: { total_count: [10, 5, 40, 10, 10, 10], a: [2, 0.5, 3.5, 1, 1, 1], b: [3, 0.7, 1.2, 1, 1, 1] }, x: [3, 0, 17, 10, 11, 2.5],
    ref: [-1.9389414797392193, -1.1945724693406976, -4.279494979292381, -2.3978952727983707, -Infinity, -Infinity],
  },
  // Stan's neg_binomial(α, β) is scipy's nbinom(n = α, p = β/(1 + β)):
  // scipy.stats.nbinom.logpmf([3, 0, 41], [2, 0.5, 30], b/(1 + b)) with b = [0.5, 3, 1.2]
  { family: 'NegBinomial', params: { alpha: [2, 0.5, 30, 1], beta: [0.5, 3, 1.2, 1] }, x: [3, 0, 41, -1], ref: [-2.0273255405408217, -0.14384103622589045, -5.3630330648973015, -Infinity] },
  // Stan's neg_binomial_2(μ, φ) is scipy's nbinom(n = φ, p = φ/(μ + φ)):
  // scipy.stats.nbinom.logpmf([3, 1, 250], phi, phi/(mu + phi)) with mu = [4, 0.3, 100], phi = [2, 10, 0.8]
  { family: 'NegBinomial2', params: { mu: [4, 0.3, 100, 1], phi: [2, 10, 0.8, 1] }, x: [3, 1, 250, 0.5], ref: [-2.0273255405408217, -1.529119628982921, -7.117739671691303, -Infinity] },
];

describe('log densities against scipy.stats', () => {
  for (const c of densities) {
    it(c.family, () => {
      tf.tidy(() => expectClose(values(makeDistribution(c.family, paramsOf(c.params)).logProb(tf.tensor1d(c.x))), c.ref, 3e-5, 3e-5));
    });
  }

  it('OrderedLogistic: log P(k) for every k, in both tails, 0-based', () => {
    // log(Fₖ₋₁ − Fₖ) with Fₖ = scipy.special.expit(eta − cₖ), F₋₁ = 1, F_{K−1} = 0, in float64:
    const cases: Array<[number, number[], number[]]> = [
      [0.4, [-1, 0.5, 2.2], [-1.6204174099184507, -1.1172965289174759, -1.0991031662670903, -1.9529776105260743]],
      [-3, [-1, 2], [-0.12692801104297252, -2.1847125404747922, -5.006715348489118]],
      [25, [-1, 0.5, 2.2], [-26.000012666397623, -24.752484937149802, -23.00172813088452, -1.2533885041751688e-10]],
    ];
    tf.tidy(() => {
      for (const [eta, cut, ref] of cases) {
        const d = makeDistribution('OrderedLogistic', { eta: tf.scalar(eta), cutpoints: tf.tensor1d(cut) });
        const got = values(d.logProb(tf.range(0, cut.length + 1)));
        // The far tail (25 − 2.2) is a difference of sigmoids near 1: kept to 1e-4 relative.
        expectClose(got, ref, 1e-4, 2e-5);
        expect(values(d.logProb(tf.tensor1d([-1, cut.length + 1, 0.5])))).toEqual([-Infinity, -Infinity, -Infinity]);
      }
      // A batch of etas against one cutpoint vector, and a batch of cutpoint rows.
      const batch = makeDistribution('OrderedLogistic', { eta: tf.tensor1d([0.4, -3]), cutpoints: tf.tensor2d([[-1, 0.5, 2.2], [-1, 0.5, 2.2]]) });
      expectClose(values(batch.logProb(tf.tensor1d([2, 0]))), [-1.0991031662670903, Math.log(1 - 1 / (1 + Math.exp(-(-3 + 1))))], 1e-5, 1e-5);
    });
  });
});

describe('OrderedProbit', () => {
  it('log P(k) for every k, in both tails', () => {
    // log(Φ(cₖ − η) − Φ(cₖ₋₁ − η)) with mpmath.ncdf at 50 digits (scipy.stats.norm.cdf agrees where
    // it does not round to 0 or 1: at eta = 0.4 to 1e-15).
    const cases: Array<[number, number[], number[]]> = [
      [0.4, [-1, 0.5, 2.2], [-2.516314852988329, -0.7785500089543413, -0.857451600485623, -3.326173796378594]],
      [9, [-1, 0.5, 2.2], [-53.23128515051247, -39.1973972320394, -25.976428579975945, -5.2309575441582756e-12]],
    ];
    tf.tidy(() => {
      for (const [eta, cut, ref] of cases) {
        const d = makeDistribution('OrderedProbit', { eta: tf.scalar(eta), cutpoints: tf.tensor1d(cut) });
        expectClose(values(d.logProb(tf.range(0, cut.length + 1))), ref, 2e-5, 1e-6);
      }
    });
  });
});

describe('pmfs sum to one over their support', () => {
  const cases: Array<[string, Record<string, number[] | number>, number]> = [
    ['BetaBinomial', { total_count: 15, a: 0.7, b: 2.5 }, 16],
    ['NegBinomial', { alpha: 3, beta: 0.8 }, 200], // tail beyond 200 < 1e-30
    ['NegBinomial2', { mu: 6, phi: 1.5 }, 400], // tail beyond 400 < 1e-25
    ['OrderedLogistic', { eta: 0.3, cutpoints: [-2, -0.1, 0.4, 3] }, 5],
    ['OrderedProbit', { eta: -0.8, cutpoints: [-2, -0.1, 0.4, 3] }, 5],
  ];
  for (const [family, params, n] of cases) {
    it(family, () => {
      const total = tf.tidy(() => tf.sum(tf.exp(makeDistribution(family, paramsOf(params)).logProb(tf.range(0, n)))).dataSync()[0]!);
      expect(Math.abs(total - 1)).toBeLessThan(2e-5);
    });
  }

  it('VonMises integrates to one over [−π, π] (Simpson, 2001 points)', () => {
    for (const kappa of [0.3, 8, 200]) {
      const n = 2000;
      const xs = Array.from({ length: n + 1 }, (_, i) => -Math.PI + (2 * Math.PI * i) / n);
      const p = tf.tidy(() => values(tf.exp(makeDistribution('VonMises', { loc: tf.scalar(0.7), kappa: tf.scalar(kappa) }).logProb(tf.tensor1d(xs)))));
      const h = (2 * Math.PI) / n;
      const integral = (h / 3) * p.reduce((a, v, i) => a + v * (i === 0 || i === n ? 1 : i % 2 ? 4 : 2), 0);
      expect(Math.abs(integral - 1), `kappa ${kappa}`).toBeLessThan(1e-4);
    }
  });
});

// n = 20,000 draws; the sample mean's standard error is sd/√n and the sample variance's
// σ²·√((κ − 1)/n), κ the kurtosis (scipy's excess kurtosis + 3, rounded up). Five standard
// errors per check; the seeds are fixed.
describe('sampler moments (n = 20,000, 5 standard errors)', () => {
  const n = 20000;
  interface MomentCase { family: string; params: Record<string, number>; mean: number; variance: number; kurtosis: number }
  const cases: MomentCase[] = [
    // Var = s²π²/3, excess kurtosis 1.2.
    { family: 'Logistic', params: { loc: 1, scale: 0.5 }, mean: 1, variance: (0.25 * Math.PI ** 2) / 3, kurtosis: 4.2 },
    // scipy.stats.skewnorm.stats(3, loc=0.5, scale=2, moments='mvk') → 2.013879513212096, 1.708168819476707, 0.5098
    { family: 'SkewNormal', params: { loc: 0.5, scale: 2, alpha: 3 }, mean: 2.013879513212096, variance: 1.708168819476707, kurtosis: 3.6 },
    // scipy.stats.weibull_min.stats(1.7, scale=2, moments='mvk') → 1.7844890049986482, 1.167419308983415, 0.7724
    { family: 'Weibull', params: { shape: 1.7, scale: 2 }, mean: 1.7844890049986482, variance: 1.167419308983415, kurtosis: 3.8 },
    // scipy.stats.betabinom.stats(20, 2, 3, moments='mvk') → 8, 20, −0.657
    { family: 'BetaBinomial', params: { total_count: 20, a: 2, b: 3 }, mean: 8, variance: 20, kurtosis: 2.4 },
    // α/β and α(1 + β)/β²; scipy.stats.nbinom.stats(3, 0.4/1.4, moments='mvk') → 7.5, 26.25, 2.04
    { family: 'NegBinomial', params: { alpha: 3, beta: 0.4 }, mean: 7.5, variance: 26.25, kurtosis: 5.1 },
    // μ and μ + μ²/φ; scipy.stats.nbinom.stats(2, 2/7, moments='mvk') → 5, 17.5, 3.06
    { family: 'NegBinomial2', params: { mu: 5, phi: 2 }, mean: 5, variance: 17.5, kurtosis: 6.1 },
  ];
  for (const c of cases) {
    it(`${c.family}(${Object.entries(c.params).map(([k, v]) => `${k}=${v}`).join(', ')})`, () => {
      const xs = tf.tidy(() => values(makeDistribution(c.family, paramsOf(c.params)).sample([n], 4321)));
      const mean = xs.reduce((a, x) => a + x, 0) / n;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
      expect(Math.abs(mean - c.mean), `mean ${mean} vs ${c.mean}`).toBeLessThan(5 * Math.sqrt(c.variance / n));
      expect(Math.abs(variance - c.variance), `variance ${variance} vs ${c.variance}`).toBeLessThan(5 * c.variance * Math.sqrt((c.kurtosis - 1) / n));
    });
  }

  it('VonMises: circular moments E cos(x − loc) = I₁/I₀, E sin(x − loc) = 0, draws in [−π, π]', () => {
    // scipy.special.i1(k) / scipy.special.i0(k) and scipy.special.iv(2, k) / scipy.special.i0(k)
    const refs: Array<[number, number, number]> = [
      [0.5, 0.24249961258080202, 0.030001549676792225],
      [4, 0.8635226110245504, 0.5682386944877246],
    ];
    for (const [kappa, r1, r2] of refs) {
      const loc = 2.9; // near π, so that wrapping is exercised
      const xs = tf.tidy(() => values(makeDistribution('VonMises', { loc: tf.scalar(loc), kappa: tf.scalar(kappa) }).sample([n], 77)));
      expect(xs.every((x) => x >= -Math.PI - 1e-6 && x <= Math.PI + 1e-6)).toBe(true);
      const c = xs.reduce((a, x) => a + Math.cos(x - loc), 0) / n;
      const sn = xs.reduce((a, x) => a + Math.sin(x - loc), 0) / n;
      // Var cos = (1 + I₂/I₀)/2 − (I₁/I₀)², Var sin = (1 − I₂/I₀)/2.
      expect(Math.abs(c - r1)).toBeLessThan(5 * Math.sqrt(((1 + r2) / 2 - r1 * r1) / n));
      expect(Math.abs(sn)).toBeLessThan(5 * Math.sqrt((1 - r2) / 2 / n));
    }
  });

  // Draws come from a fixed number of Best–Fisher rounds in tfjs ops (no value read back): their
  // histogram over 24 arcs against the density's own integral, from flat to very concentrated.
  it('VonMises: draws follow the density (chi-square over 24 arcs), κ from 1e-9 to 700', () => {
    const bins = 24;
    for (const kappa of [1e-9, 0.01, 0.9, 30, 700]) {
      const loc = -3; // near −π: draws wrap
      const draws = tf.tidy(() => values(makeDistribution('VonMises', { loc: tf.scalar(loc), kappa: tf.scalar(kappa) }).sample([n], 5)));
      expect(draws.every((x) => x >= -Math.PI - 1e-6 && x <= Math.PI + 1e-6)).toBe(true);
      // Arcs of equal probability would need the CDF; equal-width arcs with Simpson's rule on each
      // (in units of the largest log-density, which is κ) are exact enough here.
      const mass = Array.from({ length: bins }, (_, b) => {
        const a = -Math.PI + (2 * Math.PI * b) / bins;
        const h = (2 * Math.PI) / bins / 200;
        let sum = 0;
        for (let i = 0; i <= 200; i++) sum += (i === 0 || i === 200 ? 1 : i % 2 ? 4 : 2) * Math.exp(kappa * (Math.cos(a + i * h - loc) - 1));
        return (sum * h) / 3;
      });
      const total = mass.reduce((a, b) => a + b, 0);
      const counts = new Array<number>(bins).fill(0);
      for (const x of draws) counts[Math.min(bins - 1, Math.floor(((x + Math.PI) / (2 * Math.PI)) * bins))]!++;
      // Cells expected to hold fewer than 5 draws are pooled.
      let chi = 0;
      let cells = 0;
      let poolE = 0;
      let poolO = 0;
      mass.forEach((m, b) => {
        const e = (n * m) / total;
        if (e < 5) {
          poolE += e;
          poolO += counts[b]!;
          return;
        }
        chi += (counts[b]! - e) ** 2 / e;
        cells++;
      });
      if (poolE > 0) {
        chi += (poolO - poolE) ** 2 / Math.max(poolE, 1e-300);
        cells++;
      }
      // χ² with cells − 1 degrees of freedom: mean df, sd √(2 df); 6 sd above the mean is p < 1e-5.
      const df = cells - 1;
      expect(chi, `κ = ${kappa}: χ² ${chi.toFixed(1)} on ${df} df`).toBeLessThan(df + 6 * Math.sqrt(2 * df) + 1);
    }
  });

  it('OrderedLogistic: category frequencies are its probabilities', () => {
    tf.tidy(() => {
      const d = makeDistribution('OrderedLogistic', { eta: tf.scalar(0.4), cutpoints: tf.tensor1d([-1, 0.5, 2.2]) });
      const draws = values(d.sample([n], 9));
      const probs = values(tf.exp(d.logProb(tf.range(0, 4))));
      probs.forEach((p, k) => {
        const freq = draws.filter((x) => x === k).length / n;
        expect(Math.abs(freq - p), `category ${k}`).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
      });
      expect(values(d.mean())[0]).toBeCloseTo(probs.reduce((a, p, k) => a + k * p, 0), 5);
    });
  });

  it('draws repeat for a seed and broadcast parameters', () => {
    tf.tidy(() => {
      const cases: Array<[string, Record<string, number[] | number>]> = [
        ['VonMises', { loc: [0, 1, 2], kappa: 3 }],
        ['BetaBinomial', { total_count: 10, a: [1, 2, 3], b: 1 }],
        ['NegBinomial2', { mu: [1, 50, 3], phi: 2 }],
        ['SkewNormal', { loc: [0, 1, 2], scale: 1, alpha: -2 }],
      ];
      for (const [family, params] of cases) {
        const d = makeDistribution(family, paramsOf(params));
        const a = d.sample([4, 3], 5);
        expect(a.shape).toEqual([4, 3]);
        expect(values(a)).toEqual(values(d.sample([4, 3], 5)));
      }
    });
  });
});

describe('pathwise gradients against finite differences', () => {
  // The noise is fixed by the seed, so a draw is a smooth function of the parameters;
  // central differences in float32 with h = 1e-2 are good to ~1e-3 relative.
  const cases: Array<[string, Record<string, number>]> = [
    ['Logistic', { loc: 0.3, scale: 1.4 }],
    ['SkewNormal', { loc: -0.2, scale: 0.9, alpha: 1.7 }],
    ['Weibull', { shape: 1.6, scale: 2.1 }],
  ];
  for (const [family, params] of cases) {
    it(family, () => {
      const names = Object.keys(params);
      const total = (vals: Record<string, number>): number => tf.tidy(() => tf.sum(makeDistribution(family, paramsOf(vals)).rsample!([6], 13)).dataSync()[0]!);
      // Traced (the draw's noise an input) and differentiated by reverse mode, as a fit does.
      const grads = irGrads((...xs: T[]): T => tf.sum(makeDistribution(family, Object.fromEntries(names.map((k, i) => [k, xs[i]!]))).rsample!([6], 13)), names.map((k) => params[k]!));
      const h = 1e-2;
      names.forEach((k, i) => {
        const fd = (total({ ...params, [k]: params[k]! + h }) - total({ ...params, [k]: params[k]! - h })) / (2 * h);
        expect(Math.abs(grads[i]! - fd), `d/d${k}: ${grads[i]} vs FD ${fd}`).toBeLessThanOrEqual(3e-3 * Math.max(1, Math.abs(fd)));
      });
    });
  }

  it('VonMises log density: d/dκ = cos(x − loc) − I₁(κ)/I₀(κ) (scipy.special.i1/i0)', () => {
    const g = irGrad((k: T) => makeDistribution('VonMises', { loc: tf.scalar(0), kappa: k }).logProb(tf.scalar(0.3)), [0.5, 4]).grad;
    expectClose(g, [Math.cos(0.3) - 0.24249961258080202, Math.cos(0.3) - 0.8635226110245504], 1e-5, 1e-5);
  });
});

describe('special functions', () => {
  // np.log(scipy.special.i0e(x)) + x; at x = 1e-3 that sum cancels to ~1e-9 relative.
  const LOG_I0: Array<[number, number]> = [
    [1e-3, 2.499999844061702e-7],
    [0.5, 0.06154971918548119],
    [2, 0.8239935414829562],
    [14.9, 12.639073730400433],
    [15, 12.735669109476905],
    [15.1, 12.832287538686563],
    [50, 47.1275755018718],
    [700, 695.8056999984434],
    [1e5, 99993.32459998432],
  ];

  it('log I₀ in float64 agrees with scipy.special.i0e to 1e-10 relative on both sides of the split', () => {
    for (const [x, v] of LOG_I0) {
      const tol = x < 0.01 ? 1e-8 : 1e-10;
      expect(Math.abs(logBesselI0Number(x) - v) / v, `log I0(${x})`).toBeLessThan(tol);
      expect(Math.abs(logBesselI0eNumber(x) + x - v) / v, `log i0e(${x})`).toBeLessThan(tol);
    }
    expect(LOG_I0.some(([x]) => x < BESSEL_SPLIT) && LOG_I0.some(([x]) => x >= BESSEL_SPLIT)).toBe(true);
  });

  it('log I₀ as a tensor agrees to float32 precision, and its derivative is I₁/I₀', () => {
    const got = tf.tidy(() => values(logBesselI0(tf.tensor1d(LOG_I0.map(([x]) => x)))));
    LOG_I0.forEach(([x, v], i) => expect(Math.abs(got[i]! - v), `log I0(${x})`).toBeLessThanOrEqual(2e-6 * v + 1e-9));
    const d = irGrad(logBesselI0, [0.5, 4]).grad;
    expectClose(d, [0.24249961258080202, 0.8635226110245504], 1e-5, 1e-6);
  });

  it('log Φ matches scipy.special.log_ndtr in both tails, with derivative φ/Φ', () => {
    const xs = [-30, -8, -2, -0.3, 0, 0.4, 3, 9];
    // scipy.special.log_ndtr(xs)
    const ref = [-454.32124395634327, -35.01343715991456, -3.7831843336820317, -0.9621028181688505, -0.6931471805599453, -0.42247637022777607, -0.0013508099647481925, -1.1285884059538324e-19];
    const got = tf.tidy(() => values(logNormalCdf(tf.tensor1d(xs))));
    // The fit's own error bound is 1.2e-7; float32 rounding of its terms adds a few 1e-7.
    expectClose(got, ref, 1e-6, 1e-12);
    const g = irGrad(logNormalCdf, [-8, -0.3, 0.4, 3]).grad;
    const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    // φ(x)/Φ(x) with Φ = exp(log_ndtr) from the references above.
    expectClose(g, [phi(-8) / Math.exp(ref[1]!), phi(-0.3) / Math.exp(ref[3]!), phi(0.4) / Math.exp(ref[5]!), phi(3) / Math.exp(ref[6]!)], 2e-5, 1e-9);
  });
});

describe('run-time parameter checks', () => {
  it('name the rule, the value and where', () => {
    tf.tidy(() => {
      expect(checkParams('OrderedLogistic', { eta: s(0), cutpoints: s([-1, 0.5, 0.2]) })).toBe('cutpoints must be strictly increasing (found cutpoints[2] = 0.2 ≤ cutpoints[1] = 0.5)');
      expect(checkParams('OrderedLogistic', { eta: s(0), cutpoints: tf.tensor2d([[0, 1], [2, 2]]) })).toBe('cutpoints must be strictly increasing (found cutpoints[1, 1] = 2 ≤ cutpoints[1, 0] = 2)');
      expect(checkParams('OrderedLogistic', { eta: s(0), cutpoints: s([-1, 0.5, 2]) })).toBeNull();
      expect(checkParams('VonMises', { loc: s(0), kappa: s(-1) })).toBe('kappa must be > 0 (found -1 at index [])');
      expect(checkParams('BetaBinomial', { total_count: s(2.5), a: s(1), b: s(1) })).toBe('total_count must be a non-negative integer (found 2.5 at index [])');
      expect(checkParams('NegBinomial2', { mu: s(1), phi: s([1, 0]) })).toBe('phi must be > 0 (found 0 at index [1])');
    });
  });
});

describe('models with each family fit on the compiled engine', () => {
  const MODELS: Record<string, [string, Record<string, unknown>]> = {
    Logistic: ['data y: real[3]\nm ~ Normal(0, 5)\ns ~ HalfNormal(2)\ny ~ Logistic(m, s)', { y: [1, 2, 0.5] }],
    SkewNormal: ['data y: real[3]\nm ~ Normal(0, 5)\na ~ Normal(0, 3)\ny ~ SkewNormal(m, 1, a)', { y: [1, 2, 0.5] }],
    Weibull: ['data y: real[3]\nk ~ Gamma(2, 1)\nlam ~ Weibull(2, 1)\ny ~ Weibull(k, lam)', { y: [1, 2, 0.5] }],
    VonMises: ['data y: real[3]\nm ~ VonMises(0, 0.1)\nk ~ Gamma(2, 1)\ny ~ VonMises(m, k)', { y: [1, 2, 0.5] }],
    BetaBinomial: ['data y: int[3]\na ~ Gamma(2, 1)\nb ~ Gamma(2, 1)\ny ~ BetaBinomial(10, a, b)', { y: [1, 2, 5] }],
    NegBinomial: ['data y: int[3]\na ~ Gamma(2, 1)\nb ~ Gamma(2, 1)\ny ~ NegBinomial(a, b)', { y: [1, 2, 5] }],
    NegBinomial2: ['data y: int[3]\nmu ~ Gamma(2, 1)\nphi ~ Gamma(2, 1)\ny ~ NegBinomial2(mu, phi)', { y: [1, 2, 5] }],
    OrderedLogistic: ['data y: int[4]\neta ~ Normal(0, 2)\nc: ordered[2] ~ Normal(0, 5)\ny ~ OrderedLogistic(eta, c)', { y: [0, 1, 2, 2] }],
    OrderedProbit: ['data y: int[4]\neta ~ Normal(0, 2)\nc: ordered[2] ~ Normal(0, 5)\ny ~ OrderedProbit(eta, c)', { y: [0, 1, 2, 2] }],
  };
  for (const [family, [src, data]] of Object.entries(MODELS)) {
    it(family, async () => {
      const fit = await compile(src).fit({ data, backend: 'js', seed: 1, steps: 200 });
      expect(fit.diagnostics.backend).toBe('js');
      expect(Number.isFinite(fit.diagnostics.elbo)).toBe(true);
    }, 30000);
  }
});

describe('a VonMises guide site (score function) on the compiled engine', () => {
  // m ~ VonMises(0, 1), y = 0.3 ~ Normal(m, 1); guide VonMises(a, 2). The guide's entropy does not
  // depend on a, so the ELBO's optimum is the a maximising E_q[cos m − (0.3 − m)²/2] (quadrature).
  it('compiles (its draws are traced) and reaches the optimum of the ELBO', async () => {
    const src = 'data y: real = 0.3\nm ~ VonMises(0, 1)\ny ~ Normal(m, 1)\nguide {\n  param a: real\n  m ~ VonMises(a, 2)\n}\n';
    const objective = (a: number) => {
      let num = 0;
      let den = 0;
      const K = 4000;
      for (let i = 0; i <= K; i++) {
        const m = -Math.PI + (2 * Math.PI * i) / K;
        const w = (i === 0 || i === K ? 1 : i % 2 ? 4 : 2) * Math.exp(2 * Math.cos(m - a));
        num += w * (Math.cos(m) - 0.5 * (0.3 - m) ** 2);
        den += w;
      }
      return num / den;
    };
    let best = 0;
    for (let a = -1; a <= 1; a += 1e-3) if (objective(a) > objective(best)) best = a;
    const runs = await Promise.all([1, 2, 3].map((seed) => compile(src).fit({ particles: 8, steps: 3000, tolRelObj: 0, seed, draws: 10 })));
    for (const fit of runs) {
      expect(fit.diagnostics.backend).toBe('js');
      expect(fit.diagnostics.notCompiled).toBeUndefined();
    }
    const as = runs.map((f) => f.toJSON().flat[0]!);
    // The fitted a over seeds 1–3 lies within 0.008 of the optimum (sd 0.005): 0.03 is 6 sd.
    for (const a of as) expect(Math.abs(a - best), `a = ${a} vs ${best}`).toBeLessThan(0.03);
  }, 60000);
});

describe('ordered params and discrete latents of the new families', () => {
  it('an ordered param stays increasing while it is learned, from its declared start', async () => {
    const src = 'data y: int[6]\nparam c: ordered[2] = [-0.5, 0.5]\ny ~ OrderedLogistic(0, c)\n';
    const fit = await compile(src).fit({ data: { y: [0, 0, 0, 1, 2, 2] }, backend: 'js', seed: 2, steps: 1500 });
    const sm = fit.summary();
    const c = [sm['c[0]']!.mean, sm['c[1]']!.mean];
    expect(c[1]!).toBeGreaterThan(c[0]!);
    // Maximum likelihood: P(0) = σ(c₀) = 1/2 and P(2) = 1 − σ(c₁) = 1/3, so c = (0, log 2).
    expect(Math.abs(c[0]!)).toBeLessThan(0.1);
    expect(Math.abs(c[1]! - Math.LN2)).toBeLessThan(0.1);
  }, 30000);

  it('discrete latents get a guide of their support (Categorical, Binomial, Poisson) and fit', async () => {
    const src = [
      'data y: real[3]',
      'z ~ OrderedLogistic(0.5, [-1, 0, 1])',
      'v ~ BetaBinomial(5, 1, 2)',
      'u ~ NegBinomial2(3, 2)',
      'y ~ Normal(z + v + u, 1)',
    ].join('\n');
    // The count guides draw in tfjs ops over noise.ts (counts.ts), so this fit compiles.
    const fit = await compile(src).fit({ data: { y: [4, 5, 6] }, seed: 3, steps: 100 });
    expect(fit.diagnostics.backend).toBe('js');
    expect(fit.diagnostics.notCompiled).toBeUndefined();
    expect(Number.isFinite(fit.diagnostics.elbo)).toBe(true);
    const z = fit.samples('z', 200) as number[];
    expect(z.every((k) => Number.isInteger(k) && k >= 0 && k <= 3)).toBe(true);
    expect((fit.samples('v', 200) as number[]).every((k) => Number.isInteger(k) && k >= 0 && k <= 5)).toBe(true);
    expect((fit.samples('u', 200) as number[]).every((k) => Number.isInteger(k) && k >= 0)).toBe(true);
  }, 120_000);
});

describe('initial values of ordered params', () => {
  it('a start that is not strictly increasing is refused, saying where', async () => {
    const src = 'data y: int[3]\nparam c: ordered[2] = [0.5, 0.5]\ny ~ OrderedLogistic(0, c)\n';
    await expect(compile(src).fit({ data: { y: [0, 1, 2] }, steps: 5 })).rejects.toThrow(/strictly increasing \(entry 1 = 0.5 ≤ entry 0 = 0.5\)/);
  });
});

describe('the plan of an ordered latent', () => {
  it('says its guide goes through the ordered transform', () => {
    const model = compile('data y: int[3]\nc: ordered[2] ~ Normal(0, 5)\nw: positive_ordered[2] ~ Exponential(1)\ny ~ OrderedLogistic(w[0] - w[1], c)\n');
    const reasons = Object.fromEntries(model.plan.entries.map((e) => [e.site, e.reason]));
    expect(reasons['c']).toMatch(/unconstrained space \(ADVI\) through the ordered transform/);
    expect(reasons['w']).toMatch(/through the positive_ordered transform/);
  });
});

describe('arguments outside their domain at run time', () => {
  it('stop the fit with the statement, the argument and the offending entries', async () => {
    const src = 'data c: real[3]\ndata y: int[2]\neta ~ Normal(0, 1)\ny ~ OrderedLogistic(eta, c)\n';
    const fit = compile(src, { file: 'm.tilde' }).fit({ data: { c: [1, 0, 2], y: [0, 1] }, steps: 100 });
    await expect(fit).rejects.toThrow(/'y' \(m\.tilde:4:1\) is NaN: cutpoints must be strictly increasing \(found cutpoints\[0, 0, 1\] = 0 ≤ cutpoints\[0, 0, 0\] = 1\)/);
  });
});
