// NVIL's learned input-dependent baseline (issue 6; Mnih & Gregor 2014) for REINFORCE on an
// amortised guide. Unbiased: the mean of many gradient estimates w.r.t. the guide's params
// matches the exact gradient (enumerated per plate entry in float64), |z| < 4, on the full
// data and on minibatches. Useful: when the learning signal depends on the input, the
// trained baseline lowers the gradient variance well below no baseline.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { checkBatchable } from '../../inference/batch.js';
import { Estimators } from '../../inference/estimators/step.js';
import type { JointOptions } from '../../inference/joint.js';
import { buildLayout, initialValues } from '../../inference/layout.js';
import { estimateGradients } from '../../inference/gradients.js';
import { compile, estimatorOptions, planFor, type FitOptions } from '../../inference/model.js';
import { evaluateInits } from '../../inference/prepare.js';
import { Rng } from '../../inference/rng.js';
import { compiledGradients } from './compiled-gradients.js';
import { setup } from '../../inference/setup.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const TIMEOUT = 300_000;
const A0 = 0.4;
const B0 = -0.3;
const SOURCE = `plate N
data x: real[N]
z: int[N] ~ Bernoulli(0.3)
x ~ Normal(3 * z, 1)
guide {
  param a: real = ${A0}
  param b: real = ${B0}
  z ~ Bernoulli(logits = a * x + b)
}
`;

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const logN = (v: number, m: number) => -0.5 * (v - m) ** 2 - 0.5 * Math.log(2 * Math.PI);

/** d ELBO / d(a, b) by enumerating each z_n: dELBO/dℓ_n = q₁q₀[(g₁ − g₀) − ℓ_n], g_k = log p(k) + log N(x_n; 3k, 1). */
function exactGradient(x: number[]): [number, number] {
  let ga = 0;
  let gb = 0;
  for (const xn of x) {
    const l = A0 * xn + B0;
    const q1 = sigmoid(l);
    const d = q1 * (1 - q1) * (Math.log(0.3) + logN(xn, 3) - Math.log(0.7) - logN(xn, 0) - l);
    ga += xn * d;
    gb += d;
  }
  return [ga, gb];
}

interface Run {
  baseline: FitOptions['baseline'];
  particles: number;
  B?: number;
  /** Steps training ψ alone (θ fixed) before measuring. */
  train: number;
  draws: number;
  seed: number;
}

/** ELBO-gradient estimates w.r.t. (a, b) at their initial values. */
function estimates(x: number[], r: Run): { a: number[]; b: number[] } {
  const model = compile(SOURCE);
  const s = setup(model.program, model.bind({ x }));
  const layout = buildLayout(s, 'meanfield');
  const init = initialValues(layout, s, { rng: new Rng(1), paramInits: evaluateInits(s), initScale: 0.1 });
  const est = new Estimators(model.program, planFor(model.program, { estimator: 'reinforce' }), 'inference', r.particles, new Rng(r.seed).split('est'), estimatorOptions({ baseline: r.baseline }));
  const jo: JointOptions = { setup: s, layout, S: r.particles, rng: new Rng(r.seed), mode: 'inference' };
  const batch = r.B ? { info: checkBatchable(s, r.B), B: r.B, rng: new Rng(r.seed).split('batch') } : undefined;
  const ia = layout.blocks.get('param:guide:a')!.offset;
  const ib = layout.blocks.get('param:guide:b')!.offset;
  const out = { a: [] as number[], b: [] as number[] };
  try {
    // ψ trained alone first (θ's rate 0), then the estimates.
    for (const g of compiledGradients(est, jo, init, { draws: r.draws, train: r.train, rng: new Rng(r.seed).split('steps-js'), batch })) {
      // The loss is −ELBO.
      out.a.push(-g[ia]!);
      out.b.push(-g[ib]!);
    }
  } finally {
    est.dispose();
    s.dispose();
  }
  return out;
}

const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
const variance = (v: number[]) => {
  const m = mean(v);
  return v.reduce((p, q) => p + (q - m) ** 2, 0) / (v.length - 1);
};
const z = (v: number[], exact: number) => (mean(v) - exact) / Math.sqrt(variance(v) / v.length);

describe('NVIL baseline', () => {
  const x = [-0.8, 3.4, 0.2, 2.7];

  for (const r of [
    { name: 'full data, 1 particle (EMA on the residual)', run: { baseline: 'nvil', particles: 1, train: 200, draws: 3000, seed: 3 } },
    { name: 'full data, 2 particles (leave-one-out on the residual)', run: { baseline: 'nvil', particles: 2, train: 200, draws: 2000, seed: 4 } },
    { name: 'minibatches of 2 of 4 entries', run: { baseline: 'nvil', particles: 1, B: 2, train: 200, draws: 4000, seed: 5 } },
  ] as { name: string; run: Run }[]) {
    it(`keeps the gradient unbiased: ${r.name}`, () => {
      const [ga, gb] = exactGradient(x);
      const e = estimates(x, r.run);
      expect(Math.abs(z(e.a, ga)), `a: mean ${mean(e.a)} exact ${ga}`).toBeLessThan(4);
      expect(Math.abs(z(e.b, gb)), `b: mean ${mean(e.b)} exact ${gb}`).toBeLessThan(4);
    }, TIMEOUT);
  }

  it('lowers the variance below no baseline when the signal depends on the input', () => {
    // Far-apart inputs: log N(x; 3z, 1) ranges over tens of nats between entries, which a
    // constant baseline cannot follow but b_ψ(x_n) can.
    const wide = [-2, -1, 0, 0.5, 3, 3.5, 4, 6];
    const none = estimates(wide, { baseline: 'none', particles: 1, train: 0, draws: 2000, seed: 6 });
    const nvil = estimates(wide, { baseline: 'nvil', particles: 1, train: 400, draws: 2000, seed: 6 });
    // Variances of 2000 draws are known to within ~±10% (sd of a sample variance ≈ σ²√(2/n) for
    // near-normal draws, more for heavy tails); a ratio below 1/2 is well outside that.
    expect(variance(nvil.a) / variance(none.a)).toBeLessThan(0.5);
    expect(variance(nvil.b) / variance(none.b)).toBeLessThan(0.5);
  }, TIMEOUT);

  // The compiled step (backend 'js') trains ψ as a parameter slot of its own, its least-squares
  // term added to the loss; estimateGradients reports each draw's gradient mean and variance.
  it('compiled: unbiased (1 particle, EMA on the residual) and below half the variance of no baseline', async () => {
    const m = compile(SOURCE, { file: 'nvil.tilde' });
    const draws = 3000;
    const [ga, gb] = exactGradient(x);
    const r = await estimateGradients(m, { data: { x }, baseline: 'nvil', particles: 1, draws, surrogateSteps: 200, seed: 7, backend: 'js' });
    expect(r.backend).toBe('js');
    const a = r.params['guide.a']!;
    const b = r.params['guide.b']!;
    expect(Math.abs((a.mean[0]! - ga) / Math.sqrt(a.variance[0]! / draws)), `a: mean ${a.mean[0]} exact ${ga}`).toBeLessThan(4);
    expect(Math.abs((b.mean[0]! - gb) / Math.sqrt(b.variance[0]! / draws)), `b: mean ${b.mean[0]} exact ${gb}`).toBeLessThan(4);
    const wide = [-2, -1, 0, 0.5, 3, 3.5, 4, 6];
    const none = await estimateGradients(m, { data: { x: wide }, baseline: 'none', particles: 1, draws: 2000, seed: 6, backend: 'js' });
    const nvil = await estimateGradients(m, { data: { x: wide }, baseline: 'nvil', particles: 1, draws: 2000, surrogateSteps: 400, seed: 6, backend: 'js' });
    expect(nvil.params['guide.a']!.variance[0]! / none.params['guide.a']!.variance[0]!).toBeLessThan(0.5);
    expect(nvil.params['guide.b']!.variance[0]! / none.params['guide.b']!.variance[0]!).toBeLessThan(0.5);
  }, TIMEOUT);

  it('refuses a REINFORCE site outside a plate, naming it', async () => {
    const m = compile('data y: real\nc ~ Bernoulli(0.5)\ny ~ Normal(c, 1)\n', { file: 'c.tilde' });
    await expect(m.fit({ data: { y: 0.3 }, estimator: 'reinforce', baseline: 'nvil', steps: 2 })).rejects.toThrow(/baseline 'nvil' needs REINFORCE sites along a plate.*'c' \(c\.tilde:2:1\)/);
  });
});
