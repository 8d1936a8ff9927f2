// `@marginalize` sums a plated Bernoulli/Categorical site out of the model (estimators/marginal.ts):
// the ELBO's part for it is log Σ_k p(z = k) p(x | z = k) per entry, exact; the continuous
// latents' gradients are pathwise through that sum; afterwards z's guide holds its conditional
// posterior. Checked against closed forms and quadrature, then on the two-component mixture.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { Estimators } from '../../inference/estimators/step.js';
import { buildLayout } from '../../inference/layout.js';
import { compile, estimatorOptions, planFor } from '../../inference/model.js';
import { Rng } from '../../inference/rng.js';
import { compiledGradients } from './compiled-gradients.js';
import { setup } from '../../inference/setup.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const TIMEOUT = 120_000;
const logN = (x: number, m: number) => -0.5 * (x - m) ** 2 - 0.5 * Math.log(2 * Math.PI);
const x = [0.3, 1.9, -0.4, 2.6];

/** log(0.3 N(x; m + 2, 1) + 0.7 N(x; m, 1)) and its m-derivative. */
function mixture(xn: number, m: number): { value: number; grad: number } {
  const a = Math.log(0.3) + logN(xn, m + 2);
  const b = Math.log(0.7) + logN(xn, m);
  const hi = Math.max(a, b);
  const value = hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
  const w1 = Math.exp(a - value);
  return { value, grad: w1 * (xn - m - 2) + (1 - w1) * (xn - m) };
}

describe('marginalize', () => {
  it('makes the ELBO of an all-discrete model log p(x), exactly, and z its exact posterior', async () => {
    const model = compile('plate N\ndata x: real[N]\nz: int[N] ~ Bernoulli(0.3) @marginalize\nx ~ Normal(2 * z, 1)\n');
    const fit = await model.fit({ data: { x }, steps: 3, evalEvery: 1, particles: 2, draws: 4000, backend: 'cpu' });
    const exact = x.reduce((a, xn) => a + mixture(xn, 0).value, 0);
    for (const e of fit.elboTrace) expect(e).toBeCloseTo(exact, 4);
    expect(fit.diagnostics.fullElbo).toBeCloseTo(exact, 4);
    const s = fit.summary();
    x.forEach((xn, n) => {
      const p = Math.exp(Math.log(0.3) + logN(xn, 2) - mixture(xn, 0).value);
      // Draws of z come from its guide, which now holds p(z_n = 1 | x_n): 4 binomial standard errors.
      expect(Math.abs(s[`z[${n}]`]!.mean - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / 4000) + 1e-6);
    });
    expect(fit.plan.bySite.get('z')!.estimator).toBe('marginalize');
  });

  it('gives the exact ELBO gradient for a continuous latent through the sum (quadrature), and none to z', () => {
    const model = compile('plate N\ndata x: real[N]\nmu ~ Normal(0, 1)\nz: int[N] ~ Bernoulli(0.3)\nx ~ Normal(mu + 2 * z, 1)\n');
    const s = setup(model.program, model.bind({ x }));
    const layout = buildLayout(s, 'meanfield');
    const loc = layout.blocks.get('q:loc')!.offset;
    const logscale = layout.blocks.get('q:logscale')!.offset;
    const logits = layout.blocks.get('q:logits:z')!;
    const [m, sd] = [0.4, 0.6];
    const init = new Float32Array(layout.size);
    init[loc] = m;
    init[logscale] = Math.log(sd);
    init.fill(0.7, logits.offset, logits.offset + logits.size);
    const est = new Estimators(model.program, planFor(model.program, { estimator: 'marginalize' }), 'inference', 1, new Rng(3).split('estimators'), estimatorOptions({ estimator: 'marginalize' }));
    const jo = { setup: s, layout, S: 1, rng: new Rng(3).split('steps'), mode: 'inference' } as const;
    const M = 4000;
    // The loss is −ELBO.
    const rows = compiledGradients(est, jo, init, { draws: M, rng: new Rng(3).split('steps-js') }).map((g) => g.map((v) => -v));
    est.dispose();
    s.dispose();
    // Exact: d/dm = E[g'(m + sd·ε)], d/dlog sd = E[g'(m + sd·ε)·sd·ε] + 1, g = log N(mu; 0, 1) + Σ log mixture.
    let dm = 0;
    let ds = 0;
    const h = 0.002;
    for (let e = -9; e <= 9; e += h) {
      const w = Math.exp(-0.5 * e * e) / Math.sqrt(2 * Math.PI) * h;
      const mu = m + sd * e;
      const g = -mu + x.reduce((a, xn) => a + mixture(xn, mu).grad, 0);
      dm += w * g;
      ds += w * g * sd * e;
    }
    ds += 1;
    const check = (i: number, exact: number) => {
      const v = rows.map((r) => r[i]!);
      const mean = v.reduce((a, b) => a + b, 0) / M;
      const se = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (M - 1) / M);
      expect(Math.abs(mean - exact) / Math.max(se, 1e-6)).toBeLessThan(4);
      return se;
    };
    const seLoc = check(loc, dm);
    check(logscale, ds);
    // A power check: the tolerance is tight enough to tell this gradient from the one at a different loc.
    const other = 0.4 + 0.1;
    const dmOther = (() => {
      let t = 0;
      for (let e = -9; e <= 9; e += h) {
        const mu = other + sd * e;
        t += (Math.exp(-0.5 * e * e) / Math.sqrt(2 * Math.PI)) * h * (-mu + x.reduce((a, xn) => a + mixture(xn, mu).grad, 0));
      }
      return t;
    })();
    expect(Math.abs(dmOther - dm)).toBeGreaterThan(8 * seLoc);
    for (let i = logits.offset; i < logits.offset + logits.size; i++) for (const r of rows) expect(Math.abs(r[i]!)).toBe(0);
  });

  it('recovers the two-component mixture, starting at the Laplace approximation of the summed-out model', async () => {
    const root = new URL('../../models/', import.meta.url);
    const model = compile(readFileSync(new URL('gmm.tilde', root), 'utf8'), { file: 'gmm.tilde' });
    const data = JSON.parse(readFileSync(new URL('gmm.json', root), 'utf8'));
    const fit = await model.fit({ data, estimator: 'marginalize', seed: 1 });
    expect(fit.diagnostics.init?.used).toBe('laplace');
    const s = fit.summary();
    const [lo, hi] = [s['locs[0]']!, s['locs[1]']!].sort((a, b) => a.mean - b.mean);
    // The model file's random-walk Metropolis reference (z summed out), in reference sds.
    expect(Math.abs(lo!.mean - -1.898) / 0.121).toBeLessThan(0.3);
    expect(Math.abs(hi!.mean - 1.986) / 0.122).toBeLessThan(0.3);
    expect(Math.abs(s['scale']!.mean - 1.071) / 0.064).toBeLessThan(0.3);
    expect(Math.abs(lo!.sd - 0.121) / 0.121).toBeLessThan(0.3);
    // Each point's assignment: the component nearer to it, for the points far from the middle.
    data.x.forEach((xn: number, n: number) => {
      if (Math.abs(xn) < 1.5) return;
      const nearHi = xn > 0;
      const p1 = s[`z[${n}]`]!.mean;
      const hiIsOne = hi === s['locs[1]'];
      expect(nearHi === hiIsOne ? p1 : 1 - p1).toBeGreaterThan(0.9);
    });
  }, TIMEOUT);

  it('starts a mixture fit under the automatic plan (RELAX for z) at the summed-out mode, which random inits do not reach', async () => {
    const root = new URL('../../models/', import.meta.url);
    const model = compile(readFileSync(new URL('gmm.tilde', root), 'utf8'), { file: 'gmm.tilde' });
    const data = JSON.parse(readFileSync(new URL('gmm.json', root), 'utf8'));
    const errors = (fit: Awaited<ReturnType<typeof model.fit>>) => {
      const s = fit.summary();
      const [lo, hi] = [s['locs[0]']!.mean, s['locs[1]']!.mean].sort((a, b) => a - b);
      return [Math.abs(lo! - -1.898) / 0.121, Math.abs(hi! - 1.986) / 0.122, Math.abs(s['scale']!.mean - 1.071) / 0.064];
    };
    // wasm, as the fit picks for this size by itself: the RELAX step is four times slower on cpu.
    const fit = await model.fit({ data, seed: 1, backend: 'wasm' });
    expect(fit.plan.bySite.get('z')!.estimator).toBe('relax');
    expect(fit.diagnostics.init).toMatchObject({ used: 'laplace', reason: expect.stringMatching(/with z summed out; z starts at the conditional posterior there/) });
    for (const e of errors(fit)) expect(e).toBeLessThan(0.5);
    // Power: the same fit from random inits stays near the label-symmetric point.
    const random = await model.fit({ data, seed: 1, backend: 'wasm', init: 'random', steps: 450, tolRelObj: 0, particles: 2 });
    expect(random.diagnostics.init?.used).toBe('random');
    expect(Math.max(...errors(random))).toBeGreaterThan(3);
  }, TIMEOUT);

  it('keeps the ELBO unbiased under minibatches', async () => {
    const model = compile('plate N\ndata x: real[N]\nz: int[N] ~ Bernoulli(0.3) @marginalize\nx ~ Normal(2 * z, 1)\n');
    const xs = [0.3, 1.9, -0.4, 2.6, 1.1, -1.2, 0.8, 3.0];
    const exact = xs.reduce((a, xn) => a + mixture(xn, 0).value, 0);
    const fit = await model.fit({ data: { x: xs }, batchSize: 3, steps: 2000, tolRelObj: 0, evalEvery: 100, particles: 1, backend: 'cpu' });
    const t = fit.elboTrace;
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    const se = Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / (t.length - 1) / t.length);
    expect(Math.abs(mean - exact) / se).toBeLessThan(4);
    // Power: a batch estimate without the N/B weight would be off by far more than that.
    expect(Math.abs(exact * (3 / 8) - exact)).toBeGreaterThan(20 * se);
    expect(fit.diagnostics.fullElbo).toBeCloseTo(exact, 4);
  }, TIMEOUT);

  it('sums a global site out over the whole plate, and refuses minibatches of it', async () => {
    // One w for all points: log Σ_w p(w) Π_n N(x_n; 2w, 1), which no part of the data can give.
    const model = compile('plate N\ndata x: real[N]\nw ~ Bernoulli(0.3) @marginalize\nx ~ Normal(2 * w, 1)\n', { file: 'w.tilde' });
    const a = Math.log(0.3) + x.reduce((t, xn) => t + logN(xn, 2), 0);
    const b = Math.log(0.7) + x.reduce((t, xn) => t + logN(xn, 0), 0);
    const exact = Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
    const fit = await model.fit({ data: { x }, steps: 2, evalEvery: 1, backend: 'cpu' });
    for (const e of fit.elboTrace) expect(e).toBeCloseTo(exact, 3);
    expect(fit.diagnostics.fullElbo).toBeCloseTo(exact, 3);
    await expect(model.fit({ data: { x }, batchSize: 2, steps: 2 })).rejects.toThrow(/batchSize: 'w' \(w\.tilde:3:1\) is summed out over all of plate 'N'/);
  });

  it('is deterministic in the seed', async () => {
    const model = compile('plate N\ndata x: real[N]\nmu ~ Normal(0, 1)\nz: int[N] ~ Bernoulli(0.3) @marginalize\nx ~ Normal(mu + 2 * z, 1)\n');
    const a = await model.fit({ data: { x }, steps: 200, seed: 4, init: 'random' });
    const b = await model.fit({ data: { x }, steps: 200, seed: 4, init: 'random' });
    expect(a.elboTrace).toEqual(b.elboTrace);
    expect(a.summary()).toEqual(b.summary());
  });

  it('refuses sites it cannot sum out, saying why and where', async () => {
    const latentChild = compile('plate N\ndata x: real[N]\nz: int[N] ~ Bernoulli(0.3) @marginalize\nw: real[N] ~ Normal(z, 1)\nx ~ Normal(w, 1)\n', { file: 'm.tilde' });
    await expect(latentChild.fit({ data: { x }, steps: 2 })).rejects.toThrow(/'z' \(m\.tilde:3:1\): marginalize cannot sum it out: its value decides the distribution of the latent 'w' \(m\.tilde:4:1\)/);
    const shared = compile('plate N\ndata x: real[N]\nz: int[N] ~ Bernoulli(0.3) @marginalize\nv: int[N] ~ Bernoulli(0.6)\nx ~ Normal(z + v, 1)\n', { file: 's.tilde' });
    await expect(shared.fit({ data: { x }, steps: 2 })).rejects.toThrow(/the term of 'x' .* also depends on the discrete latent 'v'/);
    const guided = compile('plate N\ndata x: real[N]\nz: int[N] ~ Bernoulli(0.3) @marginalize\nx ~ Normal(2 * z, 1)\nguide {\n  param p: real[N] = 0\n  z ~ Bernoulli(logits = p)\n}\n', { file: 'g.tilde' });
    await expect(guided.fit({ data: { x }, steps: 2 })).rejects.toThrow(/its site in the guide block \(g\.tilde:7:3\) would never be used/);
    const notPlated = compile('data x: real[2]\nz: int[2] ~ Bernoulli(0.3) @marginalize\nx ~ Normal(z, 1)\n');
    await expect(notPlated.fit({ data: { x: [0, 1] }, steps: 2 })).rejects.toThrow(/marginalize needs a scalar site or a vector along a plate/);
    expect(() => compile('mu ~ Normal(0, 1) @marginalize\n', { file: 'c.tilde' })).toThrow(/@marginalize needs a finite discrete family/);
  });
});
