// The count samplers of distributions/counts.ts (Poisson, Binomial, and through them
// NegBinomial, NegBinomial2 and BetaBinomial), written in tfjs ops over noise.ts so that a
// step drawing counts compiles. Each family at several parameters, edges included, is drawn
// 20,000 times eagerly (the eager tensors, float64 values and float32 noise) and 50,000 on the compiled engine (the draw traced and
// lowered to float64 JavaScript, noise from a seeded stream): a chi-square goodness-of-fit
// test against the exact pmf, cells with expected count < 5 pooled with their neighbours
// (p > 1e-4), and the sample mean and variance within 4 standard errors of the exact ones.
// Then models with a count latent compile (no tape), and their fits and `tilde grad` agree on the
// JavaScript lowering (float64) and the tfjs lowering (backend 'cpu': tfjs kernels, float32 noise).
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../inference/backend.js';
import { lowerJs } from '../../inference/compile/lower-js.js';
import { fillNoise, noiseBuffers } from '../../inference/compile/step-js.js';
import { traceOutputs } from '../../inference/compile/trace.js';
import { makeDistribution, type Params } from '../../inference/distributions/index.js';
import { estimateGradients } from '../../inference/gradients.js';
import { compile } from '../../inference/model.js';
import { Rng } from '../../inference/rng.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

// ---- float64 reference: lgamma, pmfs, chi-square tail ----

const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) (Numerical Recipes' gammq). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - lgamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lead);
  }
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(lead) * h;
}

const f32 = Math.fround;
type Pmf = (k: number) => number;

/** The exact log pmf of each family at float32-rounded parameters (as both engines see them). */
function logPmfOf(family: string, p: Record<string, number>): { logPmf: Pmf; max: number } {
  const lchoose = (n: number, k: number) => lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
  const negBin = (r: number, mu: number): Pmf => (k) => lgamma(k + r) - lgamma(k + 1) - lgamma(r) + r * Math.log(r / (mu + r)) + k * Math.log(mu / (mu + r));
  switch (family) {
    case 'Poisson': {
      const l = f32(p['rate']!);
      return { logPmf: (k) => k * Math.log(l) - l - lgamma(k + 1), max: Infinity };
    }
    case 'Binomial': {
      const n = p['total_count']!;
      const q = f32(p['probs']!);
      return { logPmf: (k) => (q === 0 ? (k === 0 ? 0 : -Infinity) : q === 1 ? (k === n ? 0 : -Infinity) : lchoose(n, k) + k * Math.log(q) + (n - k) * Math.log1p(-q)), max: n };
    }
    case 'NegBinomial':
      return { logPmf: negBin(f32(p['alpha']!), f32(p['alpha']!) / f32(p['beta']!)), max: Infinity };
    case 'NegBinomial2':
      return { logPmf: negBin(f32(p['phi']!), f32(p['mu']!)), max: Infinity };
    case 'BetaBinomial': {
      const n = p['total_count']!;
      const a = f32(p['a']!);
      const b = f32(p['b']!);
      const lbeta = (x: number, y: number) => lgamma(x) + lgamma(y) - lgamma(x + y);
      return { logPmf: (k) => lchoose(n, k) + lbeta(k + a, n - k + b) - lbeta(a, b), max: n };
    }
  }
  throw new Error(family);
}

/** The pmf on 0 … hi, hi far enough out that the tail beyond is negligible (< 1e-14 of the mass). */
function pmfTable(family: string, p: Record<string, number>): number[] {
  const { logPmf, max } = logPmfOf(family, p);
  const out: number[] = [];
  let mass = 0;
  let peak = 0;
  for (let k = 0; k <= max; k++) {
    const v = Math.exp(logPmf(k));
    out.push(v);
    mass += v;
    peak = Math.max(peak, v);
    // Past the bulk (most of the mass seen) and the terms negligible: stop.
    if (mass > 1 - 1e-6 && v < 1e-17 * peak && k > 10) break;
    if (k > 5e6) throw new Error('internal: pmf table too long');
  }
  expect(Math.abs(mass - 1), `${family} reference mass`).toBeLessThan(1e-9);
  return out;
}

interface Check {
  chi2: number;
  df: number;
  pValue: number;
  mean: number;
  variance: number;
  exactMean: number;
  exactVariance: number;
  seMean: number;
  seVariance: number;
}

function check(draws: ArrayLike<number>, pmf: number[]): Check {
  const n = draws.length;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const x = draws[i]!;
    expect(Number.isInteger(x) && x >= 0 && x < pmf.length, `draw ${x} outside the support`).toBe(true);
    counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  // Cells: runs of consecutive values whose expected count reaches 5; a short remainder joins the last cell.
  const cells: { e: number; o: number }[] = [];
  let e = 0;
  let o = 0;
  for (let k = 0; k < pmf.length; k++) {
    e += n * pmf[k]!;
    o += counts.get(k) ?? 0;
    if (e >= 5) {
      cells.push({ e, o });
      e = 0;
      o = 0;
    }
  }
  if (cells.length === 0) cells.push({ e: 0, o: 0 });
  cells[cells.length - 1]!.e += e;
  cells[cells.length - 1]!.o += o;
  const chi2 = cells.reduce((s, c) => s + (c.o - c.e) ** 2 / c.e, 0);
  const df = cells.length - 1;
  const pValue = df > 0 ? gammaQ(df / 2, chi2 / 2) : 1;
  // Exact moments and the standard errors of the sample mean and variance.
  let m1 = 0;
  pmf.forEach((p, k) => (m1 += p * k));
  let m2 = 0;
  let m4 = 0;
  pmf.forEach((p, k) => {
    m2 += p * (k - m1) ** 2;
    m4 += p * (k - m1) ** 4;
  });
  let mean = 0;
  for (let i = 0; i < n; i++) mean += draws[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (draws[i]! - mean) ** 2;
  variance /= n - 1;
  return { chi2, df, pValue, mean, variance, exactMean: m1, exactVariance: m2, seMean: Math.sqrt(m2 / n), seVariance: Math.sqrt(Math.max(m4 - m2 * m2, 0) / n) };
}

/** Draws per case on the compiled engine; the eager tensors (24 rounds per draw, ~10× slower) draw N_EAGER. */
const N = 50_000;
const N_EAGER = 20_000;

/** Draws made eagerly, as a draw that does not trace is made. */
function eagerDraws(family: string, p: Record<string, number>, seed: number): Float32Array {
  return tf.tidy(() => {
    const params: Params = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, tf.scalar(v)]));
    return makeDistribution(family, params).sample([N_EAGER], seed).dataSync() as Float32Array;
  });
}

/** Draws per run of the compiled draw: the trace is made once at this size, then run N / BATCH times with fresh noise. */
const BATCH = 2000;

/** Draws on the compiled engine: the draw traced with its parameters as the traced vector, lowered, run with fresh float64 noise. */
function compiledDraws(family: string, p: Record<string, number>, seed: number, n = N): Float64Array {
  const names = Object.keys(p);
  const init = Float32Array.from(names.map((k) => p[k]!));
  const out = traceOutputs(init, (flat) => {
    const params: Params = Object.fromEntries(names.map((k, i) => [k, tf.reshape(tf.slice(flat, [i], [1]), [])]));
    return { x: makeDistribution(family, params).sample([BATCH], seed) };
  });
  expect(out.traced.has('x')).toBe(true);
  const id = out.program.outputs['x']!;
  const low = lowerJs(out.program, [id]);
  low.buffers[out.params[0]!]!.set(init);
  const noise = noiseBuffers(out.noise, out.program, low.buffers, (i) => i);
  const rng = new Rng(seed);
  const draws = new Float64Array(n);
  for (let at = 0; at < n; at += BATCH) {
    fillNoise(noise, rng);
    low.run();
    draws.set(low.buffers[id]!.subarray(0, Math.min(BATCH, n - at)), at);
  }
  return draws;
}

interface Case {
  family: string;
  params: Record<string, number>;
  /** Which branch serves (for the title). */
  note: string;
}

const CASES: Case[] = [
  ...[0.01, 3, 9.99].map((rate) => ({ family: 'Poisson', params: { rate }, note: 'inversion' })),
  ...[10, 50, 1e4].map((rate) => ({ family: 'Poisson', params: { rate }, note: 'PTRS' })),
  { family: 'Binomial', params: { total_count: 0, probs: 0.3 }, note: 'n = 0' },
  { family: 'Binomial', params: { total_count: 1, probs: 0.3 }, note: 'inversion' },
  ...[0.001, 0.5, 0.93].map((probs) => ({ family: 'Binomial', params: { total_count: 7, probs }, note: 'inversion' })),
  { family: 'Binomial', params: { total_count: 7, probs: 1 }, note: 'p = 1' },
  { family: 'Binomial', params: { total_count: 1000, probs: 0.0005 }, note: 'inversion' },
  { family: 'Binomial', params: { total_count: 1000, probs: 0.00999 }, note: 'inversion, mean just below 10' },
  { family: 'Binomial', params: { total_count: 1000, probs: 0.5 }, note: 'BTRS' },
  { family: 'Binomial', params: { total_count: 1000, probs: 0.99 }, note: 'BTRS flipped, n(1 − p) = 10' },
  { family: 'Binomial', params: { total_count: 1000, probs: 0.9995 }, note: 'inversion flipped' },
  { family: 'Binomial', params: { total_count: 20, probs: 0.5 }, note: 'BTRS at its least efficient' },
  { family: 'Binomial', params: { total_count: 100000, probs: 0.4 }, note: 'BTRS, large n' },
  { family: 'NegBinomial', params: { alpha: 3, beta: 0.4 }, note: 'Poisson(Gamma)' },
  { family: 'NegBinomial', params: { alpha: 0.3, beta: 0.05 }, note: 'Gamma boosted' },
  { family: 'NegBinomial2', params: { mu: 5, phi: 0.1 }, note: 'small φ' },
  { family: 'NegBinomial2', params: { mu: 5, phi: 2 }, note: '' },
  { family: 'NegBinomial2', params: { mu: 40, phi: 1000 }, note: 'large φ (near Poisson)' },
  { family: 'NegBinomial2', params: { mu: 0.5, phi: 0.5 }, note: '' },
  { family: 'BetaBinomial', params: { total_count: 20, a: 2, b: 3 }, note: '' },
  { family: 'BetaBinomial', params: { total_count: 1000, a: 0.5, b: 0.5 }, note: 'U-shaped, both branches' },
  { family: 'BetaBinomial', params: { total_count: 7, a: 30, b: 5 }, note: '' },
];

/** Chi-square p-value threshold and standard errors allowed. */
const ALPHA = 1e-4;
const SE = 4;

function expectFits(c: Check, label: string): void {
  console.log(`${label.padEnd(40)} chi² ${c.chi2.toFixed(1).padStart(6)} on ${String(c.df).padStart(3)} df, p = ${c.pValue.toFixed(3)}; mean ${((c.mean - c.exactMean) / c.seMean).toFixed(2).padStart(5)} s.e., variance ${((c.variance - c.exactVariance) / (c.seVariance || 1)).toFixed(2).padStart(5)} s.e.`);
  expect(c.pValue, `${label}: chi² = ${c.chi2.toFixed(1)} on ${c.df} df`).toBeGreaterThan(ALPHA);
  expect(Math.abs(c.mean - c.exactMean), `${label}: mean ${c.mean} vs ${c.exactMean}`).toBeLessThanOrEqual(SE * c.seMean + 1e-12);
  expect(Math.abs(c.variance - c.exactVariance), `${label}: variance ${c.variance} vs ${c.exactVariance}`).toBeLessThanOrEqual(SE * c.seVariance + 1e-12);
}

describe(`count samplers against the exact pmf (${N_EAGER.toLocaleString('en')} draws eagerly, ${N.toLocaleString('en')} compiled, chi² p > ${ALPHA}, moments within ${SE} s.e.)`, () => {
  CASES.forEach((c, i) => {
    const title = `${c.family}(${Object.entries(c.params).map(([k, v]) => `${k}=${v}`).join(', ')})${c.note ? ` — ${c.note}` : ''}`;
    it(title, () => {
      const pmf = pmfTable(c.family, c.params);
      expectFits(check(eagerDraws(c.family, c.params, 101 + i), pmf), `${title}: eager`);
      const compiled = compiledDraws(c.family, c.params, 202 + i);
      expectFits(check(compiled, pmf), `${title}: compiled`);
    }, 60_000);
  });

  it('Poisson(10⁶) on the compiled engine (float64)', () => {
    const pmf = pmfTable('Poisson', { rate: 1e6 });
    expectFits(check(compiledDraws('Poisson', { rate: 1e6 }, 7), pmf), 'Poisson(1e6): compiled');
  }, 60_000);

  it('a tensor of parameters draws each element from its own law (both branches in one draw)', () => {
    tf.tidy(() => {
      const rate = tf.tensor1d([0.5, 9.99, 10, 300]);
      const xs = makeDistribution('Poisson', { rate }).sample([20000, 4], 5).arraySync() as number[][];
      [0.5, 9.99, 10, 300].forEach((l, j) => {
        const col = xs.map((r) => r[j]!);
        const mean = col.reduce((a, x) => a + x, 0) / col.length;
        expect(Math.abs(mean - l), `rate ${l}`).toBeLessThan(4 * Math.sqrt(l / col.length));
      });
      const n = tf.tensor1d([0, 5, 60, 3000]);
      const p = tf.tensor1d([0.5, 0.9, 0.3, 0.999]);
      const bs = makeDistribution('Binomial', { total_count: n, probs: p }).sample([20000, 4], 6).arraySync() as number[][];
      [[0, 0.5], [5, 0.9], [60, 0.3], [3000, 0.999]].forEach(([nn, pp], j) => {
        const col = bs.map((r) => r[j]!);
        expect(col.every((x) => x >= 0 && x <= nn!)).toBe(true);
        const mean = col.reduce((a, x) => a + x, 0) / col.length;
        expect(Math.abs(mean - nn! * pp!), `n ${nn}, p ${pp}`).toBeLessThanOrEqual(4 * Math.sqrt((nn! * pp! * (1 - pp!)) / col.length) + 1e-12);
      });
    });
  });
});

// ---- models with a count latent ----

const Y = [2, 3, 4, 3, 2];
const logLik = (k: number) => Y.reduce((s, v) => s - 0.5 * (v - k) ** 2 - 0.5 * Math.log(2 * Math.PI), 0);
const logPoisson = (k: number, rate: number) => k * Math.log(rate) - rate - lgamma(k + 1);
const logChoose10 = (k: number) => lgamma(11) - lgamma(k + 1) - lgamma(11 - k);

interface LatentModel {
  source: string;
  /** log prior of k. */
  prior: (k: number) => number;
  /** log q(k) of the automatic guide at its one free parameter θ (Poisson: rate e^θ; Binomial: logits θ). */
  guide: (k: number, theta: number) => number;
  /** Support enumerated: 0 … K (the Poisson guides' mass beyond 60 is < 1e-30 at the rates reached). */
  K: number;
}

const LATENT_MODELS: Record<string, LatentModel> = {
  Poisson: { source: 'data y: real[5]\nk ~ Poisson(3)\ny ~ Normal(k, 1)\n', prior: (k) => logPoisson(k, 3), guide: (k, t) => logPoisson(k, Math.exp(t)), K: 60 },
  Binomial: {
    source: 'data y: real[5]\nk ~ Binomial(10, 0.3)\ny ~ Normal(k, 1)\n',
    prior: (k) => logChoose10(k) + k * Math.log(0.3) + (10 - k) * Math.log(0.7),
    guide: (k, t) => logChoose10(k) + k * t - 10 * Math.log1p(Math.exp(t)),
    K: 10,
  },
  // NegBinomial2(3, 2): Γ(k + 2)/(k! Γ(2)) (2/5)² (3/5)^k; its automatic guide is a Poisson.
  NegBinomial2: { source: 'data y: real[5]\nk ~ NegBinomial2(3, 2)\ny ~ Normal(k, 1)\n', prior: (k) => lgamma(k + 2) - lgamma(k + 1) + 2 * Math.log(0.4) + k * Math.log(0.6), guide: (k, t) => logPoisson(k, Math.exp(t)), K: 60 },
};

/** The exact ELBO of the guide at θ, by enumeration over k. */
function exactElbo(m: LatentModel, theta: number): number {
  let s = 0;
  for (let k = 0; k <= m.K; k++) {
    const lq = m.guide(k, theta);
    s += Math.exp(lq) * (m.prior(k) + logLik(k) - lq);
  }
  return s;
}

/** The guide parameter that maximises the exact ELBO (ternary search; the ELBO is unimodal in θ here). */
function bestTheta(m: LatentModel): number {
  let lo = -5;
  let hi = 5;
  for (let i = 0; i < 200; i++) {
    const a = lo + (hi - lo) / 3;
    const b = hi - (hi - lo) / 3;
    if (exactElbo(m, a) < exactElbo(m, b)) lo = a;
    else hi = b;
  }
  return (lo + hi) / 2;
}

// Each fit's final (iterate-averaged) guide parameter scatters around the exact optimum θ*; its
// spread sd is measured over 8 fits on the JavaScript lowering (seeds 1 … 8). Their mean must be
// within 4·sd/√8 of θ*, and a fit of the same program on tfjs kernels (backend 'cpu') within 4·sd of θ*.
describe('models with a count latent compile and fit to the exact optimum of their guide', () => {
  for (const [family, m] of Object.entries(LATENT_MODELS)) {
    it(`${family} latent`, async () => {
      const theta = bestTheta(m);
      const thetas: number[] = [];
      for (let seed = 1; seed <= 8; seed++) {
        const fit = await compile(m.source).fit({ data: { y: Y }, seed, steps: 1000 });
        expect(fit.diagnostics.backend).toBe('js');
        expect(fit.diagnostics.lowering).toBe('js');
        expect(fit.diagnostics.notCompiled).toBeUndefined();
        thetas.push(fit.parameters[0]!);
      }
      const mean = thetas.reduce((a, b) => a + b, 0) / thetas.length;
      const sd = Math.sqrt(thetas.reduce((a, b) => a + (b - mean) ** 2, 0) / (thetas.length - 1));
      expect(Math.abs(mean - theta), `compiled fits ${thetas.map((t) => t.toFixed(3)).join(' ')} vs θ* ${theta.toFixed(4)}`).toBeLessThan((4 * sd) / Math.sqrt(thetas.length));
      const onTfjs = await compile(m.source).fit({ data: { y: Y }, seed: 1, steps: 1000, backend: 'cpu' });
      expect(onTfjs.diagnostics.backend).toBe('cpu');
      expect(onTfjs.diagnostics.lowering).toBe('tfjs');
      expect(Math.abs(onTfjs.parameters[0]! - theta), `tfjs fit ${onTfjs.parameters[0]} vs θ* ${theta.toFixed(4)} (sd ${sd.toFixed(4)})`).toBeLessThan(4 * sd);
    }, 120_000);
  }
});

// `tilde grad`: the mean gradient of the guide parameter at the seeded start on the JavaScript lowering
// against the tfjs one (backend 'cpu'), |difference| < 4 standard errors of the difference.
describe('tilde grad of a count site: compiled and tfjs means agree', () => {
  for (const family of ['Poisson', 'Binomial', 'NegBinomial2']) {
    it(`${family} latent`, async () => {
      const m = LATENT_MODELS[family]!;
      const js = await estimateGradients(compile(m.source), { data: { y: Y }, draws: 4000, seed: 3, backend: 'js' });
      const cpu = await estimateGradients(compile(m.source), { data: { y: Y }, draws: 1000, seed: 3, backend: 'cpu' });
      expect(js.backend).toBe('js');
      expect(cpu.backend).toBe('cpu');
      const a = js.params['k.logits']!;
      const b = cpu.params['k.logits']!;
      const se = Math.sqrt(a.variance[0]! / a.draws + b.variance[0]! / b.draws);
      expect(Math.abs(a.mean[0]! - b.mean[0]!), `compiled ${a.mean[0]} vs tfjs ${b.mean[0]} (s.e. ${se})`).toBeLessThan(4 * se);
    }, 120_000);
  }
});
