// Unbiasedness of the gradient estimators (issue 4, "Evidence"; DESIGN.md "Correctness
// evidence"; RELAX.md §7.9). Small programs whose discrete latents can be enumerated: the
// exact gradient of E[cost] (optimisation mode) or of the ELBO (inference mode) is computed
// here in float64 by enumerating the support, and the mean of draws × particles estimates
// from estimateGradients must match it, |z| < 4 per component with
// z = (mean − exact) / sqrt(variance / draws) (variance: of the `draws` estimates, each a
// mean over `particles`). DRAWS × PARTICLES = 10,000 single-particle estimates per estimator.
//
// The exact gradient uses the score identity ∇E_p[f] = Σ_x p(x) f(x) ∇log p(x) (f does
// not depend on the parameters), with ∇log p in closed form per family:
//   Bernoulli(logits ℓ): b − σ(ℓ);  Categorical(logits ℓ): onehot(c) − softmax(ℓ);
//   Binomial(n, logits ℓ): k − n σ(ℓ);  Poisson(rate = exp θ): k − e^θ;
//   Geometric(probs = σ(θ)) (failures before the first success): (1 − σ(θ)) − k σ(θ).
// Poisson and Geometric are truncated far in the tail; the truncation error is computed
// (the same sum continued far beyond the cut) and asserted to be below 1e-12.

import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { estimateGradients, type GradientOptions } from '../../inference/gradients.js';
import { compile } from '../../inference/model.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

// Few draws of many particles: the cost of an estimate is mostly per evaluation, not per particle.
// z uses the variance of the DRAWS means, so DRAWS stays large enough (40) for a stable standard error.
const DRAWS = 40;
const PARTICLES = 250;
/** Surrogate training for "trained φ": φ-only steps at the initial θ (estimateGradients' surrogateSteps). */
const SURROGATE_STEPS = 50;
const SURROGATE_LR = 0.03;
/** Generous: other test files share the two cores. */
const TIMEOUT = 300_000;

// ---------------------------------------------------------------------------------------
// Exact enumeration in float64.

/** One support point of one site: its value, probability and ∇ log p w.r.t. the param vector. */
interface Atom {
  x: number;
  p: number;
  dlogp: number[];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const unit = (d: number, i: number, v: number) => Array.from({ length: d }, (_, j) => (j === i ? v : 0));

function lgammaInt(n: number): number {
  let s = 0;
  for (let k = 2; k < n; k++) s += Math.log(k);
  return s;
}

/** Bernoulli(logits = theta[i]) over a param vector of length d. */
function bernoulli(theta: number[], i: number): Atom[] {
  const q = sigmoid(theta[i]!);
  return [0, 1].map((b) => ({ x: b, p: b ? q : 1 - q, dlogp: unit(theta.length, i, b - q) }));
}

/** Categorical(logits = theta) (the whole vector). */
function categorical(theta: number[]): Atom[] {
  const m = Math.max(...theta);
  const e = theta.map((t) => Math.exp(t - m));
  const z = e.reduce((a, b) => a + b, 0);
  const pr = e.map((v) => v / z);
  return pr.map((p, c) => ({ x: c, p, dlogp: pr.map((q, k) => (k === c ? 1 : 0) - q) }));
}

function binomial(n: number, theta: number[], i: number): Atom[] {
  const q = sigmoid(theta[i]!);
  return Array.from({ length: n + 1 }, (_, k) => {
    const logp = lgammaInt(n + 1) - lgammaInt(k + 1) - lgammaInt(n - k + 1) + k * Math.log(q) + (n - k) * Math.log1p(-q);
    return { x: k, p: Math.exp(logp), dlogp: unit(theta.length, i, k - n * q) };
  });
}

/** Poisson(rate = exp(theta[i])) on 0..kmax. */
function poisson(theta: number[], i: number, kmax: number): Atom[] {
  const rate = Math.exp(theta[i]!);
  return Array.from({ length: kmax + 1 }, (_, k) => ({
    x: k,
    p: Math.exp(k * theta[i]! - rate - lgammaInt(k + 1)),
    dlogp: unit(theta.length, i, k - rate),
  }));
}

/** Geometric(probs = sigmoid(theta[i])): failures before the first success, on 0..kmax. */
function geometric(theta: number[], i: number, kmax: number): Atom[] {
  const q = sigmoid(theta[i]!);
  return Array.from({ length: kmax + 1 }, (_, k) => ({ x: k, p: q * Math.pow(1 - q, k), dlogp: unit(theta.length, i, 1 - q - k * q) }));
}

/** Joint states of independent sites: values, probability, summed scores. */
function product(sites: Atom[][]): { xs: number[]; p: number; dlogp: number[] }[] {
  let out = [{ xs: [] as number[], p: 1, dlogp: [] as number[] }];
  for (const site of sites) {
    const next: typeof out = [];
    for (const s of out) {
      for (const a of site) {
        next.push({ xs: [...s.xs, a.x], p: s.p * a.p, dlogp: s.dlogp.length ? s.dlogp.map((v, k) => v + a.dlogp[k]!) : [...a.dlogp] });
      }
    }
    out = next;
  }
  return out;
}

/** ∇ E[f] = Σ p f ∇log p, and the total probability covered. */
function exactGradient(sites: Atom[][], f: (xs: number[]) => number): { grad: number[]; mass: number } {
  const states = product(sites);
  const d = states[0]!.dlogp.length;
  const grad = new Array<number>(d).fill(0);
  let mass = 0;
  for (const s of states) {
    mass += s.p;
    const v = f(s.xs);
    for (let k = 0; k < d; k++) grad[k]! += s.p * v * s.dlogp[k]!;
  }
  return { grad, mass };
}

// ---------------------------------------------------------------------------------------
// The cases.

interface EstimatorSpec {
  label: string;
  options: Pick<GradientOptions, 'estimator' | 'baseline' | 'surrogateSteps' | 'surrogateLr'>;
}

const REINFORCE: EstimatorSpec[] = [
  { label: 'reinforce/loo', options: { estimator: 'reinforce', baseline: 'loo' } },
  { label: 'reinforce/ema', options: { estimator: 'reinforce', baseline: 'ema' } },
  { label: 'reinforce/none', options: { estimator: 'reinforce', baseline: 'none' } },
];
/** RELAX at initial φ equals REBAR at initial φ (r_ρ's output weights start at zero), so REBAR is tested trained. */
const RELAX: EstimatorSpec[] = [
  { label: 'relax/init φ', options: { estimator: 'relax' } },
  { label: 'relax/trained φ', options: { estimator: 'relax', surrogateSteps: SURROGATE_STEPS, surrogateLr: SURROGATE_LR } },
  { label: 'rebar/trained φ', options: { estimator: 'rebar', surrogateSteps: SURROGATE_STEPS, surrogateLr: SURROGATE_LR } },
];

interface Case {
  name: string;
  source: string;
  data?: Record<string, unknown>;
  /** The gradient block reported by estimateGradients (a param name, or `z.logits` for a guide). */
  block: string;
  exact: () => { grad: number[]; mass: number; truncation?: number };
  estimators: EstimatorSpec[];
  /** Concrete forced on this case: its bias is shown (not part of the unbiasedness assertion). */
  concrete?: boolean;
}

const thetaB = [0.3, -0.5, 1.0];
const tB = [0.2, 0.55, 0.9]; // linspace(0.2, 0.9, 3): RELAX.md §7.9
const theta3 = [0.2, -0.4, 0.5];
const w3 = [0.1, 0.9, -0.4];
const theta5 = [0.4, -0.3, 0.0, 0.8, -1.0];
const w5 = [0.7, -0.2, 0.3, 1.1, 0.0];
const POISSON_K = 60;
const GEOMETRIC_K = 400;

/** A truncated family's tail contribution: the same sum from the cut to far beyond it. */
function tail(sitesFar: Atom[][], sitesCut: Atom[][], f: (xs: number[]) => number): number {
  const far = exactGradient(sitesFar, f).grad;
  const cut = exactGradient(sitesCut, f).grad;
  return Math.max(...far.map((v, k) => Math.abs(v - cut[k]!)));
}

const CASES: Case[] = [
  {
    name: 'Bernoulli D=3, smooth: Σ(b − t)² (RELAX.md §7.9)',
    source: `param theta: real[3] = [0.3, -0.5, 1.0]
data t: real[3]
b: int[3] ~ Bernoulli(logits = theta)
minimize sum((b - t) ^ 2)`,
    data: { t: tB },
    block: 'theta',
    exact: () => exactGradient([0, 1, 2].map((i) => bernoulli(thetaB, i)), (b) => b.reduce((s, v, i) => s + (v - tB[i]!) ** 2, 0)),
    estimators: [...REINFORCE, ...RELAX],
    concrete: true,
  },
  {
    name: 'Bernoulli D=3, non-smooth: if b[0] > 0 then b[1] + 2 b[2] else (1 − b[2]) t[1]',
    source: `param theta: real[3] = [0.3, -0.5, 1.0]
data t: real[3]
b: int[3] ~ Bernoulli(logits = theta)
minimize if b[0] > 0 then b[1] + 2 * b[2] else (1 - b[2]) * t[1]`,
    data: { t: tB },
    block: 'theta',
    exact: () => exactGradient([0, 1, 2].map((i) => bernoulli(thetaB, i)), ([b0, b1, b2]) => (b0! > 0 ? b1! + 2 * b2! : (1 - b2!) * tB[1]!)),
    estimators: REINFORCE,
  },
  {
    name: 'Categorical K=3, smooth: (w[c] − 0.3)²',
    source: `param theta: real[3] = [0.2, -0.4, 0.5]
data w: real[3]
c ~ Categorical(logits = theta)
minimize (w[c] - 0.3) ^ 2`,
    data: { w: w3 },
    block: 'theta',
    exact: () => exactGradient([categorical(theta3)], ([c]) => (w3[c!]! - 0.3) ** 2),
    estimators: [...REINFORCE, ...RELAX],
    concrete: true,
  },
  {
    name: 'Categorical K=5, smooth: (w[c] − 0.3)² + w[c]',
    source: `param theta: real[5] = [0.4, -0.3, 0.0, 0.8, -1.0]
data w: real[5]
c ~ Categorical(logits = theta)
minimize (w[c] - 0.3) ^ 2 + w[c]`,
    data: { w: w5 },
    block: 'theta',
    exact: () => exactGradient([categorical(theta5)], ([c]) => (w5[c!]! - 0.3) ** 2 + w5[c!]!),
    estimators: [...REINFORCE, ...RELAX],
    concrete: true,
  },
  {
    name: 'Categorical K=5, non-smooth: if c >= 2 then w[c] else (c − 1)²',
    source: `param theta: real[5] = [0.4, -0.3, 0.0, 0.8, -1.0]
data w: real[5]
c ~ Categorical(logits = theta)
minimize if c >= 2 then w[c] else (c - 1) ^ 2`,
    data: { w: w5 },
    block: 'theta',
    exact: () => exactGradient([categorical(theta5)], ([c]) => (c! >= 2 ? w5[c!]! : (c! - 1) ** 2)),
    estimators: REINFORCE,
  },
  {
    name: 'Binomial n=4, smooth: (k − 1.5)²',
    source: `param theta: real = 0.3
k ~ Binomial(total_count = 4, logits = theta)
minimize (k - 1.5) ^ 2`,
    block: 'theta',
    exact: () => exactGradient([binomial(4, [0.3], 0)], ([k]) => (k! - 1.5) ** 2),
    estimators: REINFORCE,
  },
  {
    name: 'Binomial n=6, non-smooth: if k >= 4 then 1 else 0.2 k',
    source: `param theta: real = -0.2
k ~ Binomial(total_count = 6, logits = theta)
minimize if k >= 4 then 1 else 0.2 * k`,
    block: 'theta',
    exact: () => exactGradient([binomial(6, [-0.2], 0)], ([k]) => (k! >= 4 ? 1 : 0.2 * k!)),
    estimators: REINFORCE,
  },
  {
    name: `Poisson(rate = exp 0.5), smooth: (k − 3)² (support cut at ${POISSON_K})`,
    source: `param theta: real = 0.5
k ~ Poisson(rate = exp(theta))
minimize (k - 3) ^ 2`,
    block: 'theta',
    exact: () => {
      const f = ([k]: number[]) => (k! - 3) ** 2;
      return { ...exactGradient([poisson([0.5], 0, POISSON_K)], f), truncation: tail([poisson([0.5], 0, 4 * POISSON_K)], [poisson([0.5], 0, POISSON_K)], f) };
    },
    estimators: REINFORCE,
  },
  {
    name: `Poisson(rate = exp 1.2), non-smooth: if k > 3 then 1 else 0 (support cut at ${POISSON_K})`,
    source: `param theta: real = 1.2
k ~ Poisson(rate = exp(theta))
minimize if k > 3 then 1 else 0`,
    block: 'theta',
    exact: () => {
      const f = ([k]: number[]) => (k! > 3 ? 1 : 0);
      return { ...exactGradient([poisson([1.2], 0, POISSON_K)], f), truncation: tail([poisson([1.2], 0, 4 * POISSON_K)], [poisson([1.2], 0, POISSON_K)], f) };
    },
    estimators: REINFORCE,
  },
  {
    name: `Geometric(probs = σ(0.2)), smooth: (k − 2)² (support cut at ${GEOMETRIC_K})`,
    source: `param theta: real = 0.2
k ~ Geometric(probs = sigmoid(theta))
minimize (k - 2) ^ 2`,
    block: 'theta',
    exact: () => {
      const f = ([k]: number[]) => (k! - 2) ** 2;
      return { ...exactGradient([geometric([0.2], 0, GEOMETRIC_K)], f), truncation: tail([geometric([0.2], 0, 4 * GEOMETRIC_K)], [geometric([0.2], 0, GEOMETRIC_K)], f) };
    },
    estimators: REINFORCE,
  },
  {
    name: `Geometric(probs = σ(−0.5)), non-smooth: if k >= 2 then 2 else 0.5 k (support cut at ${GEOMETRIC_K})`,
    source: `param theta: real = -0.5
k ~ Geometric(probs = sigmoid(theta))
minimize if k >= 2 then 2 else 0.5 * k`,
    block: 'theta',
    exact: () => {
      const f = ([k]: number[]) => (k! >= 2 ? 2 : 0.5 * k!);
      return { ...exactGradient([geometric([-0.5], 0, GEOMETRIC_K)], f), truncation: tail([geometric([-0.5], 0, 4 * GEOMETRIC_K)], [geometric([-0.5], 0, GEOMETRIC_K)], f) };
    },
    estimators: REINFORCE,
  },
];

// Inference mode: z ~ Categorical(prior), x ~ Normal(mu[z], 1) observed; automatic guide
// q(z) = Categorical(logits = ψ), ψ starting at 0 (layout.ts: guide logits are not randomised).
// ELBO(ψ) = Σ_z q(z) [log p(z) + log N(x; mu_z, 1) − log q(z)], and since E_q[∇log q] = 0,
// ∇ψ ELBO = Σ_z q(z) ∇log q(z) [log p(z) + log N(x; mu_z, 1) − log q(z)].
const prior = [0.2, 0.5, 0.3];
const muI = [-1.0, 0.5, 2.0];
const xI = 1.3;
const INFERENCE: Case = {
  name: 'inference: z ~ Categorical([0.2, 0.5, 0.3]), x ~ Normal(mu[z], 1), ∇ELBO w.r.t. guide logits',
  source: `data x: real
data mu: real[3]
z ~ Categorical([0.2, 0.5, 0.3])
x ~ Normal(mu[z], 1)`,
  data: { x: xI, mu: muI },
  block: 'z.logits',
  exact: () => {
    const q = categorical([0, 0, 0]);
    const logN = (x: number, m: number) => -0.5 * (x - m) ** 2 - 0.5 * Math.log(2 * Math.PI);
    return exactGradient([q], ([z]) => Math.log(prior[z!]!) + logN(xI, muI[z!]!) - Math.log(q[z!]!.p));
  },
  estimators: [...REINFORCE, ...RELAX],
};

// ---------------------------------------------------------------------------------------

interface Row {
  label: string;
  mean: number[];
  variance: number[];
  z: number[];
}

function zScores(mean: number[], variance: number[], exact: number[], draws: number): number[] {
  return mean.map((m, k) => {
    const se = Math.sqrt(variance[k]! / draws);
    // A component whose estimates never vary must be exact (to float32 rounding).
    if (se === 0) return Math.abs(m - exact[k]!) < 1e-6 ? 0 : Infinity;
    return (m - exact[k]!) / se;
  });
}

async function measure(c: Case, spec: EstimatorSpec, seed: number): Promise<Row> {
  const model = compile(c.source, { file: 'unbiased.tilde' });
  const r = await estimateGradients(model, { data: c.data, draws: DRAWS, particles: PARTICLES, seed, backend: 'cpu', ...spec.options });
  const g = r.params[c.block];
  if (!g) throw new Error(`no gradient block '${c.block}' (have ${Object.keys(r.params).join(', ')})`);
  return { label: spec.label, mean: g.mean, variance: g.variance, z: zScores(g.mean, g.variance, c.exact().grad, g.draws) };
}

const fmtZ = (z: number[]) => z.map((v) => v.toFixed(2)).join(', ');

function check(c: Case, rows: Row[]): void {
  const ex = c.exact();
  const lines = [`${c.name}\n  exact ${ex.grad.map((v) => v.toPrecision(5)).join(', ')}${ex.truncation !== undefined ? ` (truncation error ≤ ${ex.truncation.toExponential(1)})` : ''}`];
  for (const r of rows) lines.push(`  ${r.label.padEnd(16)} z = ${fmtZ(r.z)}   var = ${r.variance.map((v) => v.toExponential(2)).join(', ')}`);
  console.log(lines.join('\n'));
  // Enumeration covers the support up to a negligible tail.
  expect(Math.abs(ex.mass - 1)).toBeLessThan(1e-12);
  if (ex.truncation !== undefined) expect(ex.truncation).toBeLessThan(1e-12);
  for (const r of rows) {
    for (const z of r.z) expect(Math.abs(z), `${c.name} — ${r.label}: z = ${fmtZ(r.z)}`).toBeLessThan(4);
  }
}

describe('gradient estimators are unbiased (exact gradient by enumeration, |z| < 4)', () => {
  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const rows: Row[] = [];
      for (const spec of c.estimators) rows.push(await measure(c, spec, 100 + i));
      check(c, rows);
    }, TIMEOUT);
  });

  it(INFERENCE.name, async () => {
    const rows: Row[] = [await measure(INFERENCE, { label: 'plan', options: {} }, 7)];
    for (const spec of INFERENCE.estimators) rows.push(await measure(INFERENCE, spec, 7));
    check(INFERENCE, rows);
  }, TIMEOUT);
});

describe('concrete is biased', () => {
  it('on the smooth Bernoulli and Categorical cases, some component is off by more than 4 standard errors', async () => {
    // Concrete (temperature 0.5) differentiates a relaxed cost f(softmax(z/λ)) that is not the
    // cost of the hard sample, so E[ĝ] ≠ ∇E[f(b)]: at least one component of one case has |z| > 4.
    const all: number[] = [];
    for (const [i, c] of CASES.entries()) {
      if (!c.concrete) continue;
      const r = await measure(c, { label: 'concrete', options: { estimator: 'concrete' } }, 200 + i);
      console.log(`concrete — ${c.name}: z = ${fmtZ(r.z)}`);
      all.push(...r.z.map(Math.abs));
    }
    expect(Math.max(...all)).toBeGreaterThan(4);
  }, TIMEOUT);
});
