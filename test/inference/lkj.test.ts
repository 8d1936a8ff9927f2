// LKJ families: normalised densities against independent values, draws against the known
// marginal of one correlation, and a fit with no data that recovers the prior.
import { describe, expect, it } from 'vitest';
import { tf } from '../../inference/backend.js';
import { makeDistribution } from '../../inference/distributions/index.js';
import { lkjLogNormaliser } from '../../inference/distributions/lkj.js';
import { compile } from '../../inference/model.js';


/** eta as the evaluator passes it: padded to the value's rank, [P, 1, 1]. */
const etaParam = (eta: number) => ({ eta: tf.tensor3d([eta], [1, 1, 1]) });

const factor2 = (r: number) => [[1, 0], [r, Math.sqrt(1 - r * r)]];
const corr2 = (r: number) => [[1, r], [r, 1]];

// scipy 1.17: stats.beta.logpdf((r + 1) / 2, eta, eta) − log 2, the density of r when (r + 1)/2 ~ Beta(eta, eta),
// at r = −0.7, 0, 0.3, 0.9.
const K2: Array<[number, number[]]> = [
  [0.5, [-0.8080576092175172, -1.1447298858494, -1.0975745461137794, -0.31436428243857495]],
  [1, [-0.6931471805599453, -0.6931471805599453, -0.6931471805599453, -0.6931471805599453]],
  [2, [-0.9610266257155463, -0.2876820724517809, -0.3819927519230223, -1.948413279273431]],
  [5, [-2.485983018708991, 0.2073951943460709, -0.16984752353889465, -6.435529632940529]],
];
const RS = [-0.7, 0, 0.3, 0.9];

describe('LKJ densities', () => {
  it('K = 2: both families are the Beta(eta, eta) density of (r + 1)/2, normalised', () => {
    for (const [eta, want] of K2) {
      const chol = makeDistribution('LKJCorrCholesky', etaParam(eta)).logProb(tf.tensor3d(RS.map(factor2).flat(2), [RS.length, 2, 2]));
      const corr = makeDistribution('LKJCorr', etaParam(eta)).logProb(tf.tensor3d(RS.map(corr2).flat(2), [RS.length, 2, 2]));
      expect(chol.shape).toEqual([RS.length]);
      Array.from(chol.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
      Array.from(corr.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    }
  });

  it('K = 3, 4: the normaliser matches quadrature of the unnormalised density over the free entries', () => {
    // scipy 1.17 quad / dblquad / tplquad over each row's unit ball of Π L_ii^(K − i − 1 + 2η − 2),
    // minus the log of the product (scripts/reference/lkj_reference.py).
    const want: Array<[number, number, number]> = [
      [3, 0.8, -1.9031474434948374],
      [3, 2.0, -0.6154833381271297],
      [4, 0.8, -2.9444222886469102],
      [4, 2.0, -0.8090989015398397],
    ];
    for (const [K, eta, logC] of want) expect(lkjLogNormaliser(tf.scalar(eta), K).dataSync()[0]!).toBeCloseTo(logC, 4);
  });

  it('K = 3 at a given matrix: Stan\'s lkj_corr_cholesky and lkj_corr', () => {
    // numpy: Ω below, L = cholesky(Ω), eta = 2; (η − 1) log det Ω + log C and Σ (K − i − 1 + 2η − 2) log L_ii + log C.
    const O = [[1, 0.5, 0.3], [0.5, 1, 0.2], [0.3, 0.2, 1]];
    const L = [[1, 0, 0], [0.5, 0.8660254037844386, 0], [0.3, 0.0577350269189626, 0.9521904571390466]];
    expect(makeDistribution('LKJCorr', etaParam(2)).logProb(tf.tensor(O.flat(), [1, 3, 3])).dataSync()[0]).toBeCloseTo(-1.0011458189391145, 4);
    expect(makeDistribution('LKJCorrCholesky', etaParam(2)).logProb(tf.tensor(L.flat(), [1, 3, 3])).dataSync()[0]).toBeCloseTo(-1.1449868551650053, 4);
    // Off the support: a matrix that is not positive definite has density zero.
    const bad = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]];
    expect(makeDistribution('LKJCorr', etaParam(2)).logProb(tf.tensor(bad.flat(), [1, 3, 3])).dataSync()[0]).toBe(-Infinity);
  });
});

/**
 * Mean and variance of u = (r + 1)/2 over the off-diagonal correlations of draws [n, K, K], against
 * Beta(a, a): mean 1/2, variance 1/(4(2a + 1)). Tolerances are 4 standard errors: sd/√n for the
 * mean, and √((m4 − var²)/n) for the variance, with m4 Beta's fourth central moment.
 */
function checkMarginal(Omegas: Float32Array, n: number, K: number, a: number): void {
  const v = 1 / (4 * (2 * a + 1));
  const m4 = (3 * v * v * (2 * a + 1)) / (2 * a + 3); // Beta(a, a): excess kurtosis −6/(2a + 3)
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < i; j++) {
      let s = 0;
      let ss = 0;
      for (let d = 0; d < n; d++) {
        const u = (Omegas[d * K * K + i * K + j]! + 1) / 2;
        s += u;
        ss += (u - 0.5) ** 2;
      }
      expect(Math.abs(s / n - 0.5), `mean of Omega[${i}, ${j}]`).toBeLessThan(4 * Math.sqrt(v / n));
      expect(Math.abs(ss / n - v), `variance of Omega[${i}, ${j}]`).toBeLessThan(4 * Math.sqrt((m4 - v * v) / n));
    }
  }
}

describe('LKJ marginals: (r + 1)/2 ~ Beta(η − 1 + K/2, η − 1 + K/2) for every correlation', () => {
  it('draws of LKJCorrCholesky and LKJCorr', () => {
    const n = 20000;
    for (const [K, eta] of [[3, 1.5], [4, 0.7]] as const) {
      const L = makeDistribution('LKJCorrCholesky', etaParam(eta)).sample([n, K, K], 11);
      const O = tf.matMul(L, L, false, true);
      checkMarginal(O.dataSync() as Float32Array, n, K, eta - 1 + K / 2);
      const direct = makeDistribution('LKJCorr', etaParam(eta)).sample([n, K, K], 12);
      checkMarginal(direct.dataSync() as Float32Array, n, K, eta - 1 + K / 2);
    }
  });

  it('a fit with no data gives back the prior through the bijector and the density', { timeout: 60_000 }, async () => {
    const K = 3;
    const eta = 1.5;
    const src = `L: cholesky_factor_corr[${K}] ~ LKJCorrCholesky(${eta})\nOmega = L @ transpose(L)\n`;
    const n = 4000;
    const fit = await compile(src, { file: 'lkj_prior.tilde' }).fit({ guide: 'fullrank', seed: 3, draws: n, backend: 'js' });
    expect(fit.diagnostics.backend).toBe('js');
    const draws = fit.posterior.draws.get('Omega')!;
    expect(draws.shape).toEqual([K, K]);
    checkMarginal(draws.values, n, K, eta - 1 + K / 2);
  });

  it('LKJCorr on a corr_matrix latent, mean-field guide: the prior again', { timeout: 60_000 }, async () => {
    const K = 3;
    const eta = 2;
    const n = 4000;
    const fit = await compile(`Omega: corr_matrix[${K}] ~ LKJCorr(${eta})\n`, { file: 'lkj_corr_prior.tilde' }).fit({ guide: 'meanfield', seed: 4, draws: n, backend: 'js' });
    expect(fit.diagnostics.backend).toBe('js');
    checkMarginal(fit.posterior.draws.get('Omega')!.values, n, K, eta - 1 + K / 2);
  });
});
