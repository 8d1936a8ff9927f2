// MultiNormal and MultiNormalCholesky: densities against scipy, batching over leading axes,
// the reparameterised sampler's moments, and a latent vector fitted with the full-rank guide
// against its closed-form posterior on the compiled engine.

import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../inference/backend.js';
import { makeDistribution } from '../../inference/distributions/index.js';
import { compile } from '../../inference/model.js';
import { irGrad } from './ir-grad.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const MU = [0.5, -1.0, 2.0];
const S = [
  [2.0, 0.3, -0.4],
  [0.3, 1.0, 0.2],
  [-0.4, 0.2, 1.5],
];
// np.linalg.cholesky(S)
const L = [
  [1.4142135623730951, 0, 0],
  [0.21213203435596423, 0.9772410142846032, 0],
  [-0.282842712474619, 0.2660551452502585, 1.1615569980357674],
];
const XS = [
  [0, 0, 0],
  [1.2, -0.7, 3.1],
  [-2.0, 1.5, 0.0],
];
// scipy.stats.multivariate_normal(MU, S).logpdf(x) for x in XS (scipy 1.17).
const SCIPY = [-6.019224413334271, -3.894602760249287, -13.113714130059149];
// scipy.stats.multivariate_normal([0, 0], [[1, 0.9], [0.9, 1]]).logpdf([1, -1])
const SCIPY_CORRELATED = -11.007511462998526;

describe('MultiNormal densities', () => {
  it('match scipy, for MultiNormal(loc, cov) and MultiNormalCholesky(loc, L)', () => {
    const full = makeDistribution('MultiNormal', { loc: tf.tensor1d(MU), cov: tf.tensor2d(S) });
    const chol = makeDistribution('MultiNormalCholesky', { loc: tf.tensor1d(MU), scale_tril: tf.tensor2d(L) });
    const x = tf.tensor2d(XS); // three events batched over the leading axis
    const a = full.logProb(x).dataSync();
    const b = chol.logProb(x).dataSync();
    expect(full.logProb(x).shape).toEqual([3]);
    SCIPY.forEach((want, i) => {
      expect(a[i]).toBeCloseTo(want, 4);
      expect(b[i]).toBeCloseTo(want, 4);
    });
    const corr = makeDistribution('MultiNormal', { loc: tf.tensor1d([0, 0]), cov: tf.tensor2d([[1, 0.9], [0.9, 1]]) });
    expect(corr.logProb(tf.tensor1d([1, -1])).dataSync()[0]).toBeCloseTo(SCIPY_CORRELATED, 4);
  });

  it('MultiNormalCholesky reads only the lower triangle of scale_tril', () => {
    const upper = L.map((r, i) => r.map((v, j) => (j > i ? 7 : v)));
    const d = makeDistribution('MultiNormalCholesky', { loc: tf.tensor1d(MU), scale_tril: tf.tensor2d(upper) });
    expect(d.logProb(tf.tensor1d(XS[1]!)).dataSync()[0]).toBeCloseTo(SCIPY[1]!, 4);
  });

  it('batches over leading axes of loc and cov', () => {
    // Two covariances [2, K, K] against one x: one density each.
    const cov = tf.tensor3d([S, S.map((r, i) => r.map((v, j) => (i === j ? v : 0)))]);
    const d = makeDistribution('MultiNormal', { loc: tf.tensor1d(MU), cov });
    const lp = d.logProb(tf.tensor1d(XS[1]!)).dataSync();
    expect(lp.length).toBe(2);
    expect(lp[0]).toBeCloseTo(SCIPY[1]!, 4);
    // The second is diagonal: a sum of univariate normal densities.
    const ind = XS[1]!.reduce((acc, x, i) => acc - 0.5 * ((x - MU[i]!) ** 2 / S[i]![i]!) - 0.5 * Math.log(2 * Math.PI * S[i]![i]!), 0);
    expect(lp[1]).toBeCloseTo(ind, 4);
  });
});

describe('MultiNormal reparameterised draws', () => {
  it('have mean loc and covariance cov (tolerances from the standard errors)', () => {
    const n = 40000;
    const d = makeDistribution('MultiNormal', { loc: tf.tensor1d(MU), cov: tf.tensor2d(S) });
    const draws = d.rsample!([n, 3], 11).arraySync() as number[][];
    const mean = [0, 1, 2].map((j) => draws.reduce((a, r) => a + r[j]!, 0) / n);
    mean.forEach((m, j) => expect(Math.abs(m - MU[j]!), `mean ${j}`).toBeLessThan(4 * Math.sqrt(S[j]![j]! / n)));
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j <= i; j++) {
        const c = draws.reduce((a, r) => a + (r[i]! - mean[i]!) * (r[j]! - mean[j]!), 0) / (n - 1);
        // Var of a sample covariance of normals: (Σᵢᵢ Σⱼⱼ + Σᵢⱼ²) / n.
        const se = Math.sqrt((S[i]![i]! * S[j]![j]! + S[i]![j]! ** 2) / n);
        expect(Math.abs(c - S[i]![j]!), `cov ${i},${j}: ${c}`).toBeLessThan(4 * se);
      }
    }
  });

  it('are differentiable in loc and cov (pathwise)', () => {
    const g = irGrad((m: tf.Tensor) => makeDistribution('MultiNormal', { loc: m, cov: tf.tensor2d(S) }).rsample!([5, 3], 2), MU).grad;
    // x = loc + L ε: d Σx / d loc = number of draws per component.
    expect(g).toEqual([5, 5, 5]);
  });
});

describe('a latent vector with a MultiNormal prior', () => {
  const source = `
data y: vector[3]
data m: vector[3]
data S: matrix[3, 3]
x: vector[3] ~ MultiNormal(m, S)
y ~ Normal(x, 1)
`;
  it('full-rank fit on the compiled engine matches the closed-form posterior', async () => {
    const y = [1.0, 0.0, 3.5];
    const fit = await compile(source, { file: 'mvn.tilde' }).fit({ data: { y, m: MU, S }, guide: 'fullrank', seed: 4, draws: 8000 });
    expect(fit.diagnostics.backend).toBe('js');
    // Posterior: precision S⁻¹ + I, mean P⁻¹(S⁻¹ m + y) (numpy: P = inv(inv(S) + I), P @ (inv(S) @ m + y), sqrt(diag(P))).
    const POST_MEAN = [0.79421852033317, -0.4091131798138166, 2.8998040176384126];
    const POST_SD = [0.807979730678891, 0.6973135864434268, 0.7657266024171627];
    const summary = fit.summary();
    for (let i = 0; i < 3; i++) {
      const row = summary[`x[${i}]`]!;
      // The Monte Carlo error of 8000 draws is 0.011 sd; the rest is the fit's.
      expect(Math.abs(row.mean - POST_MEAN[i]!) / POST_SD[i]!, `x[${i}] mean ${row.mean}`).toBeLessThan(0.1);
      expect(Math.abs(row.sd / POST_SD[i]! - 1), `x[${i}] sd ${row.sd}`).toBeLessThan(0.1);
    }
  }, 60_000);

  it('element sites in a loop (latent and observed rows) match the closed form', async () => {
    const loop = `
data M: int
data K: int
data y: real[M, K]
data S: matrix[K, K]
mu: vector[K] ~ Normal(0, 5)
for i in 0..M {
  x[i] ~ MultiNormal(mu, S)
  y[i] ~ MultiNormal(x[i], S)
}
`;
    const y = [[-0.004, -0.842], [1.517, -2.326], [-0.424, -1.793], [1.247, 0.069], [0.346, -1.239], [0.579, -0.648]];
    const fit = await compile(loop, { file: 'loop.tilde' }).fit({ data: { M: 6, K: 2, y, S: [[1, 0.5], [0.5, 1]] }, guide: 'fullrank', seed: 2, draws: 8000 });
    expect(fit.diagnostics.backend, fit.diagnostics.notCompiled).toBe('js');
    // x integrated out, yᵢ ~ MultiNormal(mu, 2S): P = inv(6 inv(2S) + I/25), mean P inv(2S) Σyᵢ (numpy).
    const MEAN = [0.5437075271609746, -1.1185441284681643];
    const SD = 0.5726076284589026;
    const summary = fit.summary();
    MEAN.forEach((m, k) => {
      expect(Math.abs(summary[`mu[${k}]`]!.mean - m) / SD, `mu[${k}]`).toBeLessThan(0.1);
      expect(Math.abs(summary[`mu[${k}]`]!.sd / SD - 1), `mu[${k}] sd`).toBeLessThan(0.1);
    });
  }, 60_000);
});
