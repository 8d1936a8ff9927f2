// The Laplace start (inference/init.ts) against closed forms: the mode and curvature of a
// conjugate Normal model and of a Gamma–Poisson model in log space, the full Laplace covariance
// of a Bayesian linear regression (Gaussian, so Laplace is exact), determinism, the models it
// must leave alone, and a fit of a badly conditioned regression that starts from it.

import { CholeskyDecomposition, Matrix, inverse } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { chooseInit, findMode, toOriginal, type InitKind } from '../../inference/init.js';
import { FitError } from '../../language/errors.js';
import type { GuideKind } from '../../inference/layout.js';
import { compile } from '../../inference/model.js';
import { prepareStart } from '../../inference/prepare.js';
import { Rng } from '../../inference/rng.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** Setup, layout and Stan-style random inits of a model, as Model.fit builds them. */
function prepare(source: string, data: Record<string, unknown>, guide: GuideKind = 'meanfield') {
  const model = compile(source, { file: 'init.tilde' });
  const { setup: s, layout, random: base } = prepareStart(model.program, model.bind(data), { guide, seed: 3 });
  return { s, layout, base, init: (kind: InitKind) => chooseInit(kind, s, layout, base) };
}

const NORMAL = `data N: int
data y: real[N]
mu ~ Normal(1, 2)
y ~ Normal(mu, 0.5)`;

describe('mode search on the compiled density (float64, generated JavaScript)', () => {
  it('finds the conjugate Normal mode and precision to float64 accuracy', () => {
    const y = [2.1, 3.4, 1.7, 2.9, 3.3, 2.2, 2.8];
    const { s, layout, base } = prepare(NORMAL, { N: y.length, y });
    try {
      const m = findMode(s, layout, base);
      if (!m.ok) throw new Error(m.reason);
      const precision = 1 / 4 + y.length / 0.25;
      const mean = (1 / 4 + y.reduce((a, b) => a + b, 0) / 0.25) / precision;
      // The arithmetic is float64 and only the data's float32 rounding (they are traced from tfjs tensors: 6e-8 relative) remains.
      expect(Math.abs(m.mode[0]! - mean) * Math.sqrt(precision)).toBeLessThan(1e-6);
      expect(Math.abs(m.precision.get(0, 0) - precision) / precision).toBeLessThan(1e-6);
    } finally {
      s.dispose();
    }
  });

  it('gets the Gamma–Poisson curvature in unconstrained space, Jacobian included', () => {
    const k = [3, 5, 2, 4, 6, 3];
    const { s, layout, base } = prepare(`data N: int\ndata k: int[N]\nlam ~ Gamma(3, 2)\nk ~ Poisson(lam)`, { N: k.length, k });
    try {
      const m = findMode(s, layout, base);
      if (!m.ok) throw new Error(m.reason);
      const alpha = 3 + k.reduce((a, b) => a + b, 0);
      const beta = 2 + k.length;
      // Newton stops once its decrement is below 1e-6 (squared sds), which bounds these.
      expect(Math.abs(m.mode[0]! - Math.log(alpha / beta)) * Math.sqrt(alpha)).toBeLessThan(1e-4);
      expect(Math.abs(m.precision.get(0, 0) - alpha) / alpha).toBeLessThan(1e-4);
    } finally {
      s.dispose();
    }
  });

  it('gives a regression its full precision matrix XᵀX/σ² + I/τ², off-diagonals included', () => {
    const rng = new Rng(5);
    const N = 30;
    const X = Array.from({ length: N }, () => [1, 5 + rng.normal(), rng.normal()]);
    const y = X.map((r) => r[0]! - r[1]! + 0.5 * r[2]! + rng.normal());
    const { s, layout, base } = prepare(`data N: int\ndata X: real[N, 3]\ndata y: real[N]\nbeta: real[3] ~ Normal(0, 2)\ny ~ Normal(X @ beta, 0.7)`, { N, X, y });
    try {
      const m = findMode(s, layout, base);
      if (!m.ok) throw new Error(m.reason);
      const Xm = new Matrix(X);
      const Lambda = Xm.transpose().mmul(Xm).div(0.49).add(Matrix.eye(3, 3).div(4));
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const scale = Math.sqrt(Lambda.get(i, i) * Lambda.get(j, j));
          // The Hessian is constant here: only the data's float32 rounding separates it from Λ.
          expect(Math.abs(m.precision.get(i, j) - Lambda.get(i, j)) / scale).toBeLessThan(1e-6);
        }
      }
    } finally {
      s.dispose();
    }
  });
});

describe('Laplace guide of a Bayesian linear regression (exact: the posterior is Gaussian)', () => {
  const N = 40;
  const K = 3;
  const rng = new Rng(11);
  // Uncentred predictors make the posterior strongly correlated, the case the start is for.
  const X = Array.from({ length: N }, () => Array.from({ length: K }, (_, j) => (j === 0 ? 1 : 5 + rng.normal())));
  const trueBeta = [0.5, -1, 2];
  const y = X.map((row) => row.reduce((a, x, j) => a + x * trueBeta[j]!, 0) + 0.7 * rng.normal());
  const source = `data N: int
data K: int
data X: real[N, K]
data y: real[N]
beta: real[K] ~ Normal(0, 2)
y ~ Normal(X @ beta, 0.7)`;
  const data = { N, K, X, y };
  // Λ = XᵀX/σ² + I/τ², mean = Λ⁻¹ Xᵀy / σ².
  const Xm = new Matrix(X);
  const Lambda = Xm.transpose().mmul(Xm).div(0.49).add(Matrix.eye(K, K).div(4));
  const Sigma = inverse(Lambda);
  const mean = Sigma.mmul(Xm.transpose().mmul(Matrix.columnVector(y))).div(0.49).getColumn(0);

  it('full rank: loc = posterior mean, L Lᵀ = posterior covariance', () => {
    const { s, layout, init } = prepare(source, data, 'fullrank');
    try {
      const start = init('auto');
      expect(start.report.used).toBe('laplace');
      const flat = toOriginal(layout, start.flat, start.precondition!);
      const loc = layout.blocks.get('q:loc')!;
      for (let i = 0; i < K; i++) expect(Math.abs(flat[loc.offset + i]! - mean[i]!) / Math.sqrt(Sigma.get(i, i))).toBeLessThan(2e-3);
      const tril = layout.blocks.get('q:tril')!;
      const L = new Matrix(K, K);
      let k = tril.offset;
      for (let i = 0; i < K; i++) for (let j = 0; j <= i; j++, k++) L.set(i, j, i === j ? Math.exp(flat[k]!) : flat[k]!);
      const cov = L.mmul(L.transpose());
      // Each entry relative to √(Σii Σjj): a correlation-scale error.
      for (let i = 0; i < K; i++) {
        for (let j = 0; j < K; j++) {
          const rel = Math.abs(cov.get(i, j) - Sigma.get(i, j)) / Math.sqrt(Sigma.get(i, i) * Sigma.get(j, j));
          expect(rel, `cov[${i},${j}] ${cov.get(i, j)} vs ${Sigma.get(i, j)}`).toBeLessThan(2e-3);
        }
      }
      // The closed form is strongly correlated, so this is not a diagonal in disguise.
      expect(Math.abs(Sigma.get(0, 1)) / Math.sqrt(Sigma.get(0, 0) * Sigma.get(1, 1))).toBeGreaterThan(0.5);
      expect(new CholeskyDecomposition(cov).isPositiveDefinite()).toBe(true);
    } finally {
      s.dispose();
    }
  });

  it("mean-field: scales are the conditional sds 1/√Λii (mean-field ADVI's optimum on a Gaussian)", () => {
    const { s, layout, init } = prepare(source, data, 'meanfield');
    try {
      const start = init('auto');
      const flat = toOriginal(layout, start.flat, start.precondition!);
      const loc = layout.blocks.get('q:loc')!;
      const logscale = layout.blocks.get('q:logscale')!;
      for (let i = 0; i < K; i++) {
        expect(Math.abs(flat[loc.offset + i]! - mean[i]!) / Math.sqrt(Sigma.get(i, i))).toBeLessThan(2e-3);
        expect(Math.abs(flat[logscale.offset + i]! - -0.5 * Math.log(Lambda.get(i, i)))).toBeLessThan(2e-3);
      }
    } finally {
      s.dispose();
    }
  });

  it('is deterministic: the same model and data give the same start, bit for bit', () => {
    const a = prepare(source, data, 'fullrank');
    const b = prepare(source, data, 'fullrank');
    try {
      const sa = a.init('auto');
      const sb = b.init('auto');
      expect(Array.from(sa.flat)).toEqual(Array.from(sb.flat));
      expect(Array.from(sa.precondition!.shift)).toEqual(Array.from(sb.precondition!.shift));
      expect(Array.from(sa.precondition!.scale)).toEqual(Array.from(sb.precondition!.scale));
    } finally {
      a.s.dispose();
      b.s.dispose();
    }
  });
});

describe('models the Laplace start leaves alone', () => {
  it('a discrete latent: auto keeps the random inits and says why; laplace is an error', () => {
    const { s, base, init } = prepare(`data y: real[3]\nmu ~ Normal(0, 5)\nz ~ Bernoulli(0.3)\ny ~ Normal(mu + 2 * z, 1)`, { y: [0.5, 2.2, 1.1] });
    try {
      const start = init('auto');
      expect(start.report).toEqual({ used: 'random', reason: "'z' (init.tilde:3:1) is a discrete latent" });
      expect(start.flat).toBe(base);
      expect(start.precondition).toBeUndefined();
      expect(() => init('laplace')).toThrow(/init 'laplace' cannot apply: 'z' \(init.tilde:3:1\) is a discrete latent/);
    } finally {
      s.dispose();
    }
  });

  it('an explicit guide block', () => {
    const { s, base, init } = prepare(`data y: real\nm ~ Normal(0, 1)\ny ~ Normal(m, 1)\nguide {\n  param a: real\n  m ~ Normal(a, 1)\n}`, { y: 0.3 });
    try {
      const start = init('auto');
      expect(start.report.used).toBe('random');
      expect(start.report.reason).toMatch(/explicit guide/);
      expect(start.flat).toBe(base);
    } finally {
      s.dispose();
    }
  });

  it('a funnel without a finite mode (centred eight schools) falls back to random inits', () => {
    const { s, base, init } = prepare(
      `data J: int\ndata y: real[J]\ndata sigma: real[J]\nmu ~ Normal(0, 5)\ntau ~ HalfCauchy(5)\ntheta: real[J] ~ Normal(mu, tau)\ny ~ Normal(theta, sigma)`,
      { J: 8, y: [28, 8, -3, 7, -1, 1, 18, 12], sigma: [15, 10, 16, 11, 9, 11, 10, 18] },
    );
    try {
      const start = init('auto');
      expect(start.report.used).toBe('random');
      // On the compiled (float64) density Newton's line search stalls in the funnel's neck.
      expect(start.report.reason).toMatch(/no regular mode|line search stalled/);
      expect(start.flat).toBe(base);
      // Asked for explicitly, a missing mode is the fit's error, with the way out.
      expect(() => init('laplace')).toThrow(FitError);
      expect(() => init('laplace')).toThrow(/init 'laplace' failed: (no regular mode|the line search stalled).*Use init 'random'/);
    } finally {
      s.dispose();
    }
  });

  it("init: 'random' is today's start", () => {
    const y = [1, 2, 3];
    const { s, base, init } = prepare(NORMAL, { N: 3, y });
    try {
      expect(init('random')).toEqual({ flat: base, report: { used: 'random', reason: 'asked for (init: random)' } });
    } finally {
      s.dispose();
    }
  });
});

describe('a fit from the Laplace start', () => {
  // kidiq's difficulty in miniature: an intercept and a slope on a predictor around 100 (posterior
  // correlation ≈ −0.99) with a wide prior; closed-form posterior as above.
  const N = 50;
  const rng = new Rng(21);
  const x = Array.from({ length: N }, () => 100 + 15 * rng.normal());
  const y = x.map((xi) => 20 + 0.6 * xi + 4 * rng.normal());
  const source = `data N: int\ndata x: real[N]\ndata y: real[N]\na ~ Normal(0, 1000)\nb ~ Normal(0, 1000)\ny ~ Normal(a + b * x, 4)`;
  const X = new Matrix(x.map((xi) => [1, xi]));
  const Lambda = X.transpose().mmul(X).div(16).add(Matrix.eye(2, 2).div(1e6));
  const Sigma = inverse(Lambda);
  const mean = Sigma.mmul(X.transpose().mmul(Matrix.columnVector(y))).div(16).getColumn(0);

  it('full rank reaches the closed-form posterior and reports the start', async () => {
    const fit = await compile(source, { file: 'ridge.tilde' }).fit({ data: { N, x, y }, guide: 'fullrank', seed: 4, backend: 'cpu', draws: 4000 });
    expect(fit.diagnostics.init?.used).toBe('laplace');
    const summary = fit.summary();
    // Monte Carlo error of a mean of 4,000 draws is 0.016 sd; the fitted guide may add a little.
    const names = ['a', 'b'];
    for (let i = 0; i < 2; i++) {
      const sd = Math.sqrt(Sigma.get(i, i));
      expect(Math.abs(summary[names[i]!]!.mean - mean[i]!) / sd, names[i]).toBeLessThan(0.15);
      expect(Math.abs(summary[names[i]!]!.sd / sd - 1), `${names[i]} sd`).toBeLessThan(0.15);
    }
  });

  it('the same seed gives the same fit', async () => {
    const model = compile(source, { file: 'ridge.tilde' });
    const o = { data: { N, x, y }, guide: 'fullrank' as const, seed: 9, backend: 'cpu' as const, steps: 150 };
    const [f1, f2] = [await model.fit(o), await model.fit(o)];
    expect(f1.summary()['a']!.mean).toBe(f2.summary()['a']!.mean);
    expect(f1.diagnostics.elbo).toBe(f2.diagnostics.elbo);
  });
});
