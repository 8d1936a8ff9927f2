// Gaussian-process models against references computed without tilde.
//
// gp_regression: the posterior of (rho, alpha, sigma) by grid quadrature in numpy
// (scripts/reference/gp_regression.py → test/reference/own/gp_regression.json); a full-rank fit
// must put every posterior mean within 0.3 reference sd, as the posteriordb references do
// (reference.test.ts). 4000 draws leave a Monte Carlo error of 0.016 sd.
//
// gp_poisson: a latent GP under Poisson counts, non-centred (f = L eta). No exact posterior: the
// checks are that the fit compiles, and that the posterior mean of the rate exp(f) tracks the
// rate the data were simulated with (scripts/reference/gp_poisson.py) better than the best
// constant rate does — which a fit that ignored x (or the GP) could not.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { compile } from '../../inference/model.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): unknown => JSON.parse(readFileSync(`${ROOT}/${path}`, 'utf8'));

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('Gaussian-process models', () => {
  it('gp_regression: full-rank posterior means within 0.3 sd of the quadrature reference', { timeout: 120_000 }, async () => {
    const source = readFileSync(`${ROOT}/models/gp_regression.tilde`, 'utf8');
    const data = read('models/gp_regression.json') as Record<string, unknown>;
    const ref = (read('test/reference/own/gp_regression.json') as { parameters: Record<string, { mean: number; sd: number }> }).parameters;
    const fit = await compile(source, { file: 'gp_regression.tilde' }).fit({ data, guide: 'fullrank', seed: 1, draws: 4000 });
    expect(fit.diagnostics.backend, fit.diagnostics.notCompiled).toBe('js');
    const summary = fit.summary();
    for (const [name, r] of Object.entries(ref)) {
      const z = Math.abs(summary[name]!.mean - r.mean) / r.sd;
      expect(z, `${name}: ${summary[name]!.mean} vs ${r.mean} (sd ${r.sd})`).toBeLessThan(0.3);
    }
  });

  it('gp_poisson: compiles, and the posterior rate tracks the simulating rate better than any constant', { timeout: 120_000 }, async () => {
    const source = readFileSync(`${ROOT}/models/gp_poisson.tilde`, 'utf8');
    const data = read('models/gp_poisson.json') as { N: number; x: number[]; y: number[] };
    const truth = (read('test/reference/own/gp_poisson_truth.json') as { rate: number[] }).rate;
    const fit = await compile(source, { file: 'gp_poisson.tilde' }).fit({ data, seed: 1, draws: 1000 });
    expect(fit.diagnostics.backend, fit.diagnostics.notCompiled).toBe('js');
    const draws = fit.samples('f') as number[][];
    const rate = truth.map((_, i) => draws.reduce((a, f) => a + Math.exp(f[i]!), 0) / draws.length);
    // Errors on the log scale, where a rate of 0.5 and one of 17 weigh alike.
    const logTruth = truth.map(Math.log);
    const rms = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
    const fitted = rms(rate.map((r, i) => Math.log(r) - logTruth[i]!));
    // The best constant on the log scale is the mean log rate (the truth's own: no constant fitted to y does better).
    const meanLog = logTruth.reduce((a, b) => a + b, 0) / logTruth.length;
    const constant = rms(logTruth.map((l) => meanLog - l));
    expect(fitted, `rms log error ${fitted.toFixed(3)} vs the best constant's ${constant.toFixed(3)}`).toBeLessThan(0.6 * constant);
  });
});
