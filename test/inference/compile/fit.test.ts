// Fits on the compiled step (backend 'js'): the conjugate posterior in closed form, bit-identical
// results for one seed, no tfjs tensor made per step, and generated source that no model text
// reaches. (A step that fails to compile: fallback.test.ts.)

import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../../inference/backend.js';
import { compileFitStep } from '../../../inference/compile/compile-fit.js';
import { compile, Fit } from '../../../inference/model.js';
import { prepare } from '../../../inference/prepare.js';
import { Rng } from '../../../inference/rng.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const NORMAL = `data N: int
data y: real[N]
mu ~ Normal(0, 5)
y ~ Normal(mu, 2)
`;
const Y = [3.1, 1.2, 4.4, 2.9, 3.8, 0.7, 2.2, 5.1, 3.3, 2.6];
/** Plated discrete assignments of well-separated points: REINFORCE's and its baselines' model. */
const ASSIGNMENTS = `plate N
data x: real[N]
z: int[N] ~ Bernoulli(0.5)
x ~ Normal(3 * z, 1)
`;

describe('fits on the compiled step', () => {
  it('reach the closed-form posterior of a conjugate model', async () => {
    const fit = await compile(NORMAL).fit({ data: { N: Y.length, y: Y }, backend: 'js', seed: 3, draws: 4000 });
    expect(fit.diagnostics.backend).toBe('js');
    const prec = 1 / 25 + Y.length / 4;
    const mean = Y.reduce((a, b) => a + b, 0) / 4 / prec;
    const sd = Math.sqrt(1 / prec);
    const mu = fit.summary()['mu']!;
    // 4 Monte Carlo standard errors of 4,000 draws, plus 0.1 sd for the optimiser's residual noise.
    expect(Math.abs(mu.mean - mean)).toBeLessThan(4 * (sd / Math.sqrt(4000)) + 0.1 * sd);
    expect(Math.abs(mu.sd - sd) / sd).toBeLessThan(0.15);
  });

  it('give bit-identical results for one seed, and other results for another', async () => {
    const m = compile(NORMAL);
    const run = (seed: number) => m.fit({ data: { N: Y.length, y: Y }, seed, steps: 300, tolRelObj: 0, draws: 50 });
    const [a, b, c] = [await run(5), await run(5), await run(6)];
    expect(a.diagnostics.backend).toBe('js');
    expect(b.toJSON().flat).toEqual(a.toJSON().flat);
    expect(b.toJSON().trace).toEqual(a.toJSON().trace);
    expect(c.toJSON().flat).not.toEqual(a.toJSON().flat);
  });

  it('make no tfjs tensor per step (the count stays flat over a long fit)', async () => {
    const counts: number[] = [];
    await compile(NORMAL).fit({ data: { N: Y.length, y: Y }, steps: 5000, tolRelObj: 0, evalEvery: 250, draws: 20, onProgress: () => counts.push(tf.memory().numTensors) });
    expect(counts.length).toBeGreaterThan(10);
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('run discrete estimators compiled too: REINFORCE on the RELAX toy drives θ down', async () => {
    const toy = compile('data t: real = 0.499\nparam phi: real = 0\nb ~ Bernoulli(logits = phi)\nminimize (t - b) ^ 2\n');
    const fit = await toy.fit({ estimator: 'reinforce', steps: 3000, lr: 0.05, draws: 10 });
    expect(fit.diagnostics.backend).toBe('js');
    // E[(t − b)²] falls as θ = σ(φ) → 0 (t < 0.5): 3,000 steps take φ well below 0.
    expect(fit.summary()['phi']!.mean).toBeLessThan(-1);
  });

  it('run a tfjs backend asked for by name on the same compiled step, on its kernels', async () => {
    const named = await compile(NORMAL).fit({ data: { N: Y.length, y: Y }, backend: 'cpu', steps: 100, draws: 10 });
    expect(named.diagnostics.backend).toBe('cpu');
    expect(named.diagnostics.lowering).toBe('tfjs');
    expect(named.diagnostics.notCompiled).toBeUndefined();
  });

  it("compile NVIL: its network trains as a parameter slot of its own, and the fit reaches the posterior", async () => {
    // Two well-separated components with known locations: z[n]'s posterior is nearly certain.
    const m = compile(ASSIGNMENTS);
    const x = [0.1, 2.9, 3.2, -0.3, 3.4, -0.2];
    const fit = await m.fit({ data: { N: x.length, x }, estimator: 'reinforce', baseline: 'nvil', particles: 4, steps: 1500, tolRelObj: 0, draws: 400 });
    expect(fit.diagnostics.backend).toBe('js');
    // p(z = 1 | x) = σ(3x − 4.5): > 0.95 for x near 3, < 0.02 for x near 0.
    const s = fit.summary();
    x.forEach((xn, n) => {
      const exact = 1 / (1 + Math.exp(-(3 * xn - 4.5)));
      // 400 draws: ±4 Monte Carlo standard errors (at least 0.05) around the exact posterior, plus the guide's residual 0.05.
      const se = Math.max(0.05, Math.sqrt(exact * (1 - exact) / 400));
      expect(Math.abs(s[`z[${n}]`]!.mean - exact), `z[${n}]`).toBeLessThan(4 * se + 0.05);
    });
  });
});

describe('a reparameterised Cauchy guide site', () => {
  // Its draw is tan(π(u − ½)) of uniform noise (the kernel Tan, traced as sin/cos). The posterior
  // N(0.25, ½) is symmetric about 0.25, so the best Cauchy guide is centred there.
  it('compiles, and the fit centres the guide at the posterior median', async () => {
    const m = compile('data y: real = 0.5\nmu ~ Normal(0, 1)\ny ~ Normal(mu, 1)\nguide {\n  param a: real = -1\n  param s: positive = 1\n  mu ~ Cauchy(a, s)\n}\n', { file: 'cauchy.tilde' });
    const fit = await m.fit({ steps: 3000, particles: 8, seed: 2, draws: 20000, backend: 'js' });
    expect(fit.diagnostics.lowering).toBe('js');
    // From a = −1: the draws' median carries π·s/(2√n) ≈ 0.005 of standard error (s ≈ 0.6), the
    // stochastic optimiser ~0.02 more (seed 2: 0.268); 0.1 is far below the 1.25 the fit moved.
    expect(Math.abs(fit.summary()['mu']!.q50 - 0.25)).toBeLessThan(0.1);
  });
});

describe('posterior draws on the compiled engine', () => {
  it('come back identical from a saved fit, and follow the law of the tfjs draws', async () => {
    const fit = await compile(NORMAL).fit({ data: { N: Y.length, y: Y }, seed: 3, draws: 4000 });
    expect(fit.diagnostics.backend).toBe('js');
    const saved = fit.toJSON();
    const again = await Fit.fromJSON(JSON.parse(JSON.stringify(saved)));
    expect(again.summary()).toEqual(fit.summary());
    expect(again.query('P(mu > 2.5)')).toEqual(fit.query('P(mu > 2.5)'));
    // The same fitted guide drawn by tfjs (a fit whose step ran there draws there).
    const tfjs = await Fit.fromJSON({ ...saved, diagnostics: { ...saved.diagnostics, backend: 'cpu' } });
    const [a, b] = [fit.summary()['mu']!, tfjs.summary()['mu']!];
    expect(b).not.toEqual(a);
    // Two independent means of 4,000 draws: 4 standard errors of their difference.
    expect(Math.abs(a.mean - b.mean)).toBeLessThan(4 * Math.sqrt(2 / 4000) * a.sd);
    // Sample sds of 4,000 normal draws are within ±2.2 % (sd √(1/2n)) of the truth: 4 of those, twice.
    expect(Math.abs(a.sd - b.sd) / b.sd).toBeLessThan(4 * Math.sqrt(2) * Math.sqrt(1 / 8000));
    // PSIS k̂ from the compiled draws' importance weights.
    expect(Number.isFinite(fit.diagnostics.khat)).toBe(true);
  });

  it('read PSIS k̂ from at least 4,000 importance weights, the same again from a saved fit', async () => {
    const m = compile(NORMAL);
    const data = { N: Y.length, y: Y };
    const fit = await m.fit({ data, steps: 300, draws: 500, seed: 2 });
    expect(fit.diagnostics.khatWeights).toBe(4000);
    const again = await Fit.fromJSON(fit.toJSON());
    expect(again.diagnostics.khat).toBe(fit.diagnostics.khat);
    // More draws than that: all of them, none added.
    expect((await m.fit({ data, steps: 300, draws: 5000, seed: 2 })).diagnostics.khatWeights).toBe(5000);
    // Draws made on tfjs are not topped up (they cost a batched pass each).
    expect((await m.fit({ data, steps: 300, draws: 500, seed: 2, backend: 'cpu' })).diagnostics.khatWeights).toBe(500);
  });
});

describe('minibatches on the compiled step', () => {
  // y[n] ~ Normal(θ[n], 1), θ[n] ~ Normal(μ, 1), μ ~ Normal(0, 5): Gaussian, so mean-field VI's means
  // are the exact posterior means, E[μ | y] = (Σy/2)/(1/25 + N/2) and E[θ[n] | y] = (y[n] + E[μ | y])/2.
  // Every θ[n] is a local latent: a batch whose rows were gathered wrongly would move its own entry.
  const N = 24;
  const rng = new Rng('compiled-minibatch');
  const y = Array.from({ length: N }, (_, n) => 1.5 + (n % 3) + rng.normal());
  const source = `plate N
data y: real[N]
mu ~ Normal(0, 5)
theta: real[N] ~ Normal(mu, 1)
y ~ Normal(theta, 1)
`;
  it("are given each step its batch (rows, the guide's local entries) and reach the exact posterior means", async () => {
    const fit = await compile(source).fit({ data: { y }, batchSize: 6, particles: 4, steps: 6000, tolRelObj: 0, lr: 0.02, seed: 2, draws: 2000 });
    expect(fit.diagnostics.backend).toBe('js');
    expect(fit.diagnostics.batchSize).toBe(6);
    const muMean = y.reduce((a, b) => a + b, 0) / 2 / (1 / 25 + N / 2);
    const s = fit.summary();
    // Minibatch noise leaves the averaged iterate within ~0.1 of the optimum here; a wrong row shifts θ[n] by ≥ 0.5.
    expect(Math.abs(s['mu']!.mean - muMean)).toBeLessThan(0.15);
    y.forEach((yn, n) => expect(Math.abs(s[`theta[${n}]`]!.mean - (yn + muMean) / 2), `theta[${n}]`).toBeLessThan(0.2));
    // The full-data ELBO after a batched fit comes from the same fitted parameters.
    expect(Number.isFinite(fit.diagnostics.fullElbo!)).toBe(true);
  });

  it('give the same numbers for the same seed', async () => {
    const m = compile(source);
    const run = () => m.fit({ data: { y }, batchSize: 6, steps: 200, tolRelObj: 0, seed: 4, draws: 20 });
    const [a, b] = [await run(), await run()];
    expect(b.toJSON().flat).toEqual(a.toJSON().flat);
  });

  // Per-entry moving averages are state of the step (the averages and which entries were seen, [N]
  // each), read and set at the batch's rows, which the step is given as an input.
  it('carry per-entry moving-average baselines and reach the posterior (REINFORCE, one particle)', async () => {
    const z = compile(ASSIGNMENTS);
    const x = [0.1, 2.9, 3.2, -0.3, 3.4, -0.2, 2.7, 0.3];
    const fit = await z.fit({ data: { x }, estimator: 'reinforce', baseline: 'ema', particles: 1, batchSize: 3, steps: 4000, tolRelObj: 0, seed: 3, draws: 400 });
    expect(fit.diagnostics.backend).toBe('js');
    expect(fit.diagnostics.notCompiled).toBeUndefined();
    const s = fit.summary();
    x.forEach((xn, n) => {
      // As in the NVIL test above: p(z = 1 | x) = σ(3x − 4.5), 400 draws, the guide's residual 0.05.
      const exact = 1 / (1 + Math.exp(-(3 * xn - 4.5)));
      const se = Math.max(0.05, Math.sqrt((exact * (1 - exact)) / 400));
      expect(Math.abs(s[`z[${n}]`]!.mean - exact), `z[${n}]`).toBeLessThan(4 * se + 0.05);
    });
  });
});

describe('generated source', () => {
  it('holds no model text: names, strings and numbers the user wrote stay out of it', () => {
    const src = `data N: int
data constructor_y: real[N]
data scale__proto__: real = 1.2345678
param weird_Name0: real = 0.61803
mu_alert ~ Normal(weird_Name0, 3.14159)
constructor_y ~ Normal(mu_alert, scale__proto__)
`;
    const m = compile(src);
    const p = prepare(m.program, m.bind({ N: 3, constructor_y: [1.5, 2.5, 0.5] }), { plan: m.plan, particles: 2 });
    try {
      const c = compileFitStep(p.est, { setup: p.setup, layout: p.layout, S: 2, rng: p.rng.split('steps'), mode: p.mode }, p.random, 'adam', 0.05, new Rng(2));
      expect(c.ok && c.step).toBeTruthy();
      if (!c.ok || !c.step) return;
      const text = c.step.lowered.source;
      for (const word of ['constructor', 'proto', 'weird', 'mu_alert', 'Name0', '3.14159', '1.2345678', '0.61803', '1.5', '2.5']) expect(text).not.toContain(word);
      // Only generated names, integer literals and the fixed templates' operators and calls.
      const identifiers = new Set(text.match(/[A-Za-z_$][\w$]*/g));
      const allowed = /^(b\d+|c\d+|t\d+|[BMHfijkmopqrst]|ao|bo|oo|run|function|const|let|for|if|return|use|strict|fill|Math|Number|H|exp|log|log1p|expm1|sqrt|sin|cos|tanh|abs|sign|floor|ceil|trunc|pow|max|min|isFinite|sigmoid|softplus|round|erf|Infinity)$/;
      for (const id of identifiers) expect(id, `identifier '${id}' in the generated source`).toMatch(allowed);
      expect(text.startsWith('"use strict";')).toBe(true);
      expect(text.slice('"use strict";'.length)).not.toMatch(/["'`]/); // no string literal but the directive
      expect(text.match(/\d+\.\d+|\de[-+]?\d/g)).toBeNull(); // no non-integer number
    } finally {
      p.dispose();
    }
  });
});
