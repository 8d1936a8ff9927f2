// Constrained matrix types outside LKJ priors: params fitted on the compiled engine through their
// bijector, initial values mapped back to unconstrained space, and observed LKJ data.
import { describe, expect, it } from 'vitest';
import { compile } from '../../inference/model.js';

describe('matrix-typed params and data', () => {
  it('a cholesky_factor_corr param and a cov_matrix param reach their maximum-likelihood values', { timeout: 60_000 }, async () => {
    // y1 centres L[1, 0] at 0.6 (its row keeps unit norm); y2 pins S[0, 0] at 2, S[1, 1] at 3 and S[0, 1] at 1.2.
    const src = [
      'data y1: real[4]',
      'data y2: real[3]',
      'param L: cholesky_factor_corr[2]',
      'param S: cov_matrix[2] = [[1, 0.5], [0.5, 1]]',
      'y1 ~ Normal(L[1, 0], 0.05)',
      'y2 ~ Normal([S[0, 0], S[1, 1], S[0, 1]], 0.05)',
    ].join('\n');
    const data = { y1: [0.55, 0.65, 0.6, 0.6], y2: [2, 3, 1.2] };
    const fit = await compile(src, { file: 'params.tilde' }).fit({ data, steps: 3000, seed: 1, backend: 'js' });
    expect(fit.diagnostics.backend).toBe('js');
    const s = fit.summary();
    expect(s['L[1, 0]']!.mean).toBeCloseTo(0.6, 2);
    expect(s['L[1, 1]']!.mean).toBeCloseTo(0.8, 2);
    expect(s['L[0, 1]']!.mean).toBe(0);
    expect(s['S[0, 0]']!.mean).toBeCloseTo(2, 2);
    expect(s['S[1, 1]']!.mean).toBeCloseTo(3, 2);
    expect(s['S[0, 1]']!.mean).toBeCloseTo(1.2, 2);
    expect(s['S[1, 0]']!.mean).toBeCloseTo(1.2, 2);
  });

  it('observed correlation matrices: the posterior of eta matches quadrature', { timeout: 60_000 }, async () => {
    // Reference by quadrature over eta (scipy 1.17, trapezoid on 8,001 points in (0, 40]): Gamma(2, rate 0.5)
    // prior times (eta − 1) log det R + log C_3(eta), C_3 from quad over the rows of the Cholesky
    // factor (row 1 on (−1, 1), row 2 on the unit disk in polar form), independently of lkj.ts
    // (scripts/reference/lkj_reference.py).
    const src = 'data R: corr_matrix[3]\neta ~ Gamma(2, 0.5)\nR ~ LKJCorr(eta)\n';
    const m = compile(src, { file: 'eta.tilde' });
    const cases: Array<[number[][], number, number]> = [
      [[[1, 0.02, -0.01], [0.02, 1, 0.03], [-0.01, 0.03, 1]], 6.930448740137846, 3.7306846027964595],
      [[[1, 0.8, 0.6], [0.8, 1, 0.7], [0.6, 0.7, 1]], 1.5434236902036236, 0.8469958982791502],
    ];
    for (const [R, mean, sd] of cases) {
      const fit = await m.fit({ data: { R }, seed: 1, draws: 4000, backend: 'js' });
      expect(fit.diagnostics.backend).toBe('js');
      const got = fit.summary()['eta']!.mean;
      expect(Math.abs(got - mean) / sd, `eta ${got} vs ${mean} ± ${sd}`).toBeLessThan(0.3);
    }
  });

  it('K = 1: a correlation matrix with no free values is the constant [[1]]', { timeout: 60_000 }, async () => {
    // mu ~ Normal(0, 1), y = 0.5 ~ Normal(mu + 2, 1): the posterior is Normal(−0.75, √0.5).
    const src = 'data K: int\ndata y: real[K]\nmu ~ Normal(0, 1)\nOmega: corr_matrix[K] ~ LKJCorr(2)\nL: cholesky_factor_corr[K] ~ LKJCorrCholesky(1)\ny ~ Normal(mu + Omega[0] + L[K - 1], 1)\n';
    const fit = await compile(src, { file: 'k1.tilde' }).fit({ data: { K: 1, y: [0.5] }, seed: 1, draws: 4000, backend: 'js' });
    const s = fit.summary();
    expect(s['Omega[0, 0]']!.mean).toBe(1);
    expect(s['L[0, 0]']!.mean).toBe(1);
    // 4,000 draws from a guide that should be exact here: the mean within 4 standard errors (plus the fit's own error).
    expect(Math.abs(s['mu']!.mean + 0.75)).toBeLessThan(4 * Math.sqrt(0.5 / 4000) + 0.03);
    expect(s['mu']!.sd).toBeCloseTo(Math.sqrt(0.5), 1);
  });
});
