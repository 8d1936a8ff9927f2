// Minibatches along a plate (issue 6). At fixed parameters the minibatch estimate of the
// ELBO, and of its gradient, must be unbiased for the full-data one: the mean of many
// batched estimates matches the mean of many full-data estimates, |z| < 4 with
// z = (mean_batched − mean_full) / √(se_batched² + se_full²) (each se from the spread of
// its own estimates). Then fits: deterministic, flat tensor count, the same posterior as
// full batch, and the errors that name the plate.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../inference/backend.js';
import { BATCH_ROWS, batchOf, checkBatchable, IndexSampler } from '../../inference/batch.js';
import { JsStep } from '../../inference/compile/step-js.js';
import { traceLoss } from '../../inference/compile/trace.js';
import { EmaBaseline } from '../../inference/estimators/baselines.js';
import { Estimators } from '../../inference/estimators/step.js';
import { evaluateJoint, type JointOptions } from '../../inference/joint.js';
import { compile, estimatorOptions, planFor, type FitOptions } from '../../inference/model.js';
import { prepareStart } from '../../inference/prepare.js';
import { chunksOnTfjs, fullElbo } from '../../inference/full-elbo.js';
import { particleValue } from '../../inference/objective.js';
import { Rng } from '../../inference/rng.js';
import { compiledGradients } from './compiled-gradients.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const TIMEOUT = 300_000;

/** Mean and standard error of the mean, per component, of rows of estimates. */
function moments(rows: ArrayLike<number>[]): { mean: number[]; se: number[] } {
  const n = rows.length;
  const d = rows[0]!.length;
  const mean = Array.from({ length: d }, (_, i) => rows.reduce((a, r) => a + r[i]!, 0) / n);
  const se = mean.map((m, i) => Math.sqrt(rows.reduce((a, r) => a + (r[i]! - m) ** 2, 0) / (n - 1) / n));
  return { mean, se };
}

/** A model, its data and a fixed parameter vector to estimate at (the fit's random start). */
function fixture(source: string, data: Record<string, unknown>, seed = 11) {
  const model = compile(source);
  const { setup: s, layout, random: init } = prepareStart(model.program, model.bind(data), { seed });
  // Move the discrete guides' logits off 0 so the test does not sit at a symmetric point.
  const r = new Rng(seed).split('logits');
  for (const b of layout.blocks.values()) if (b.key.startsWith('q:logits:')) for (let i = b.offset; i < b.offset + b.size; i++) init[i] = 2 * r.uniform() - 1;
  return { model, s, layout, init };
}

/** x with two clusters, so the local discrete latent matters. */
const X = [-0.4, 2.3, 0.1, 1.8, 2.6, -1.1, 0.5, 2.0];

const MIXED = `plate N
data x: real[N]
mu ~ Normal(0, 2)
s: positive[N] ~ LogNormal(0, 0.5)
z: int[N] ~ Bernoulli(0.4)
x ~ Normal(mu + 2 * z, s)
`;

const AMORTISED = `plate N
data x: real[N]
mu ~ Normal(0, 2)
z: int[N] ~ Bernoulli(0.4)
w: real[N] ~ Normal(0, 1)
x ~ Normal(mu + 2 * z + w, 1)
guide {
  param a: real = 0.5
  param b: real = -0.2
  z ~ Bernoulli(logits = a * x + b)
  w ~ Normal(0.3 * x, 0.8)
}
`;

function zScores(a: { mean: number[]; se: number[] }, b: { mean: number[]; se: number[] }): number[] {
  return a.mean.map((m, i) => {
    const se = Math.hypot(a.se[i]!, b.se[i]!);
    return se === 0 ? (m === b.mean[i] ? 0 : Infinity) : (m - b.mean[i]!) / se;
  });
}

describe('minibatch ELBO estimate', () => {
  for (const [name, source] of [
    ['mean-field local latents (continuous with a transform, and discrete)', MIXED],
    ['an amortised explicit guide (discrete and continuous local sites)', AMORTISED],
  ] as const) {
    it(`is unbiased for the full-data ELBO: ${name}`, () => {
      const { s, layout, init } = fixture(source, { x: X });
      const info = checkBatchable(s, 3);
      const flat = tf.tensor1d(init);
      const jo: JointOptions = { setup: s, layout, S: 20, rng: new Rng(5), mode: 'inference' };
      const full: Float32Array[] = [];
      for (let k = 0; k < 300; k++) full.push(tf.tidy(() => tf.mean(particleValue(evaluateJoint(jo, flat), 'inference')).dataSync() as Float32Array));
      const sampler = new IndexSampler(info.N, 3, new Rng(6));
      const batched: Float32Array[] = [];
      const rng = new Rng(7);
      for (let k = 0; k < 3000; k++) {
        batched.push(
          tf.tidy(() => {
            const b = batchOf(s, layout, info, sampler.next(), info.N / 3);
            return tf.mean(particleValue(evaluateJoint({ ...jo, S: 2, rng, setup: b.setup, layout: b.layout, batch: b.batch }, flat), 'inference')).dataSync() as Float32Array;
          }),
        );
      }
      flat.dispose();
      s.dispose();
      const z = zScores(moments(batched), moments(full))[0]!;
      expect(Math.abs(z)).toBeLessThan(4);
    }, TIMEOUT);
  }
});

// The full-data ELBO a fit on tfjs kernels reports: its chunks traced once per chunk size, with their
// rows as the program's inputs, and run on tfjs. Chunks of 3 over 8 entries: sizes 3, 3 and 2 (two
// programs, the first reused). Its estimates must agree with the eager ones: |z| < 4 over repeats.
describe('the full-data ELBO in chunks on tfjs kernels', () => {
  for (const [name, source] of [
    ['mean-field local latents', MIXED],
    ['an amortised explicit guide', AMORTISED],
  ] as const) {
    it(`agrees with the eager chunks: ${name}`, () => {
      const { s, layout, init } = fixture(source, { x: X });
      const info = checkBatchable(s, 3);
      const flat = tf.tensor1d(init);
      const o = (k: number) => ({ setup: s, layout, plate: info, S: 8, rng: new Rng(`full ${k}`), chunk: 3 });
      const eager = Array.from({ length: 60 }, (_, k) => [fullElbo(o(k), flat)]);
      // chunksOnTfjs itself, which is undefined where the program does not trace (fullElbo then goes eager).
      const compiled = Array.from({ length: 60 }, (_, k) => [chunksOnTfjs(o(100 + k), flat)!]);
      expect(compiled.every(([v]) => Number.isFinite(v))).toBe(true);
      const z = zScores(moments(compiled), moments(eager))[0]!;
      expect(Math.abs(z), `compiled ${moments(compiled).mean[0]} vs eager ${moments(eager).mean[0]}`).toBeLessThan(4);
      // The compiled estimate varies with its noise (it is not the trace's values replayed).
      expect(new Set(compiled.map(([v]) => v)).size).toBeGreaterThan(50);
      flat.dispose();
    }, TIMEOUT);
  }
});

/** Gradient estimates of the ELBO w.r.t. the flat parameters, full data or minibatches of B. */
function gradientDraws(source: string, o: { estimator?: FitOptions['estimator']; baseline?: FitOptions['baseline']; particles: number; B?: number; draws: number; seed: number }): Float64Array[] {
  const { model, s, layout, init } = fixture(source, { x: X });
  const plan = planFor(model.program, { estimator: o.estimator });
  const est = new Estimators(model.program, plan, 'inference', o.particles, new Rng(o.seed).split('est'), estimatorOptions({ baseline: o.baseline }));
  const jo: JointOptions = { setup: s, layout, S: o.particles, rng: new Rng(o.seed), mode: 'inference' };
  const batch = o.B ? { info: checkBatchable(s, o.B), B: o.B, rng: new Rng(o.seed).split('batch') } : undefined;
  try {
    return compiledGradients(est, jo, init, { draws: o.draws, rng: new Rng(o.seed).split('steps-js'), batch });
  } finally {
    est.dispose();
    s.dispose();
  }
}

describe('minibatch gradient estimate', () => {
  // Enumeration re-runs the model once per value, so it gets fewer draws (its own site adds no variance).
  const cases: { name: string; source: string; estimator?: FitOptions['estimator']; baseline?: FitOptions['baseline']; particles: number; draws?: [number, number] }[] = [
    { name: 'REINFORCE, leave-one-out, mean-field guides', source: MIXED, estimator: 'reinforce', particles: 2 },
    { name: 'REINFORCE, per-entry EMA baseline, mean-field guides', source: MIXED, estimator: 'reinforce', baseline: 'ema', particles: 1 },
    { name: 'REINFORCE, amortised guide', source: AMORTISED, estimator: 'reinforce', particles: 2 },
    { name: 'enumerate, mean-field guides', source: MIXED, estimator: 'enumerate', particles: 2, draws: [400, 1500] },
  ];
  for (const c of cases) {
    it(`is unbiased for the full-data gradient: ${c.name}`, () => {
      const [nFull, nBatched] = c.draws ?? [800, 3000];
      const full = moments(gradientDraws(c.source, { ...c, draws: nFull, seed: 21 }));
      const batched = moments(gradientDraws(c.source, { ...c, B: 3, draws: nBatched, seed: 22 }));
      const z = zScores(batched, full);
      const worst = z.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
      expect(Math.abs(worst), `z = ${z.map((v) => v.toFixed(2)).join(' ')}`).toBeLessThan(4);
      // The test has power: most components have a gradient many standard errors from zero.
      const strong = full.mean.filter((m, i) => Math.abs(m) > 4 * full.se[i]!).length;
      expect(strong).toBeGreaterThan(full.mean.length / 2);
    }, TIMEOUT);
  }
});

describe('per-entry moving-average baseline under minibatches', () => {
  it('is kept by true plate index; an unseen entry gets the average over entries, not its own signal', () => {
    const ema = new EmaBaseline(0.9);
    const read = (t: tf.Tensor) => Array.from(t.dataSync()).map((v) => Math.round(v * 1000) / 1000);
    tf.tidy(() => {
      const at1 = { N: 10, indices: Int32Array.from([0, 1]) };
      const f1 = tf.tensor2d([[5, 7]]);
      expect(read(ema.value(f1, at1))).toEqual([5, 7]); // the very first step: warm start at the signal
      ema.update(f1, at1);
      const at2 = { N: 10, indices: Int32Array.from([1, 4]) };
      const f2 = tf.tensor2d([[100, 200]]);
      // Entry 1 has its own average (7); entry 4 is new and gets the average over entries (6).
      expect(read(ema.value(f2, at2))).toEqual([7, 6]);
      ema.update(f2, at2);
      // Entry 1: 0.9·7 + 0.1·100 = 16.3; entry 4 starts at its first signal, 200; entry 0 keeps 5.
      const at3 = { N: 10, indices: Int32Array.from([0, 1, 4, 9]) };
      // Entry 9 is unseen: 0.9·6 + 0.1·150 = 20.4.
      expect(read(ema.value(tf.zeros([1, 4]), at3))).toEqual([5, 16.3, 200, 20.4]);
    });
    ema.dispose();
  });

  // The compiled step carries the averages and the seen-marks as state, read and set at the rows it
  // is given: over random batches and signals it must give the baselines tfjs computes exactly.
  it('gives the same baselines compiled as on tfjs, batch after batch', () => {
    const N = 7;
    const rng = new Rng('ema-compiled');
    const batches = Array.from({ length: 12 }, () => new IndexSampler(N, 2, rng.split(`b${rng.uniform()}`)).next());
    const signals = batches.map(() => [rng.normal() * 10, rng.normal() * 10]);
    const eager = new EmaBaseline(0.9);
    const traced = new EmaBaseline(0.9);
    // A fit's first evaluation makes the state, before the trace (compile-fit.ts): both start there.
    const first = { N, indices: Int32Array.from([2, 5]) };
    tf.tidy(() => {
      eager.update(tf.tensor2d([[1, -3]]), first);
      traced.update(tf.tensor2d([[1, -3]]), first);
    });
    const trace = traceLoss(
      Float32Array.from(signals[0]!),
      (flat) => {
        const at = { N, indices: batches[0]! };
        const f = flat.reshape([1, 2]);
        const b = traced.value(f, at);
        traced.update(f, at);
        // The loss must depend on the parameters; the two baselines come out as loss and value.
        return { loss: tf.add(b.slice([0, 0], [1, 1]).sum(), tf.mul(0, flat.sum())), value: b.slice([0, 1], [1, 1]).sum() };
      },
      { state: true },
    );
    const step = new JsStep(trace, [{ rule: 'sgd', lr: 0 }], new Rng(1));
    batches.forEach((indices, k) => {
      const want = tf.tidy(() => {
        const f = tf.tensor2d([signals[k]!]);
        const b = eager.value(f, { N, indices });
        eager.update(f, { N, indices });
        return Array.from(b.dataSync());
      });
      step.params.set(signals[k]!);
      step.setInput(BATCH_ROWS, indices);
      const b0 = step.evaluate();
      const b1 = step.estimate();
      // float32 (tfjs) against float64 (the step).
      expect(b0, `batch ${k}`).toBeCloseTo(want[0]!, 4);
      expect(b1, `batch ${k}`).toBeCloseTo(want[1]!, 4);
    });
    eager.dispose();
    traced.dispose();
  });
});

describe('fits with batchSize', () => {
  // Normal means with a local latent per datum: θ_n ~ N(mu, 1), x_n ~ N(θ_n, 1), mu ~ N(0, 10).
  // Marginally x_n ~ N(mu, 2), so p(mu | x) = N(m, v) with v = 1 / (N/2 + 1/100), m = v·Σx/2;
  // a mean-field Gaussian guide recovers m exactly (its variance is the conditional one).
  const HIER = 'plate N\ndata x: real[N]\nmu ~ Normal(0, 10)\ntheta: real[N] ~ Normal(mu, 1)\nx ~ Normal(theta, 1)\n';
  const N = 60;
  const r = new Rng('hier-data');
  const x = Array.from({ length: N }, () => Number((1.5 + Math.SQRT2 * r.normal()).toFixed(3)));

  it('are deterministic in the seed', async () => {
    const m = compile(HIER);
    const a = await m.fit({ data: { x }, batchSize: 7, steps: 300, seed: 4, draws: 100 });
    const b = await m.fit({ data: { x }, batchSize: 7, steps: 300, seed: 4, draws: 100 });
    const c = await m.fit({ data: { x }, batchSize: 7, steps: 300, seed: 5, draws: 100 });
    expect(b.elboTrace).toEqual(a.elboTrace);
    expect(b.parameters).toEqual(a.parameters);
    expect(c.parameters).not.toEqual(a.parameters);
    expect(a.diagnostics.batchSize).toBe(7);
  }, TIMEOUT);

  it('keep the tensor count flat over a batched run', async () => {
    const m = compile(MIXED);
    const counts: { phase: string; n: number }[] = [];
    const before = tf.memory().numTensors;
    await m.fit({ data: { x: X }, batchSize: 3, steps: 3000, estimator: 'reinforce', baseline: 'ema', particles: 1, evalEvery: 100, tolRelObj: 1e-12, seed: 2, draws: 50, onProgress: (p) => counts.push({ phase: p.phase, n: tf.memory().numTensors }) });
    expect(tf.memory().numTensors).toBe(before);
    // Optimiser slots and baselines appear on the first steps, the averaged iterate when the final
    // phase starts; within a phase nothing accumulates.
    const optimise = counts.filter((c) => c.phase === 'optimise').slice(1).map((c) => c.n);
    const average = counts.filter((c) => c.phase === 'average').map((c) => c.n);
    expect(optimise.length).toBeGreaterThan(20);
    expect(new Set(optimise).size).toBe(1);
    expect(new Set(average.slice(1)).size).toBe(1);
  }, TIMEOUT);

  it('reach the full-batch posterior', async () => {
    const m = compile(HIER);
    const v = 1 / (N / 2 + 1 / 100);
    const mean = (v * x.reduce((a, b) => a + b, 0)) / 2;
    const draws = 4000;
    const batched = await m.fit({ data: { x }, batchSize: 10, steps: 6000, seed: 3, draws });
    const full = await m.fit({ data: { x }, steps: 6000, seed: 3, draws });
    const sd = Math.sqrt(v);
    for (const fit of [batched, full]) {
      const mu = fit.summary()['mu']!;
      // 4 Monte Carlo standard errors of the draws, plus the optimiser's residual noise: with
      // minibatches the local guides see 1/6 of the steps, so allow 10% of the posterior sd.
      expect(Math.abs(mu.mean - mean)).toBeLessThan((4 * sd) / Math.sqrt(draws) + 0.1 * sd);
    }
    // The local guides match too: E[θ_n] = (x_n + mu) / 2 under the guide's optimum.
    const tb = batched.summary();
    const tf_ = full.summary();
    for (const n of [0, 17, 42]) {
      const a = tb[`theta[${n}]`]!;
      const b = tf_[`theta[${n}]`]!;
      // Each is the mean of `draws` draws with sd ≈ 0.71: 4 combined MC standard errors plus 0.1 sd of optimiser noise.
      expect(Math.abs(a.mean - b.mean)).toBeLessThan(4 * Math.hypot(a.sd, b.sd) / Math.sqrt(draws) + 0.1 * Math.SQRT1_2 * 2);
    }
    // Both report the full-data ELBO; per datum it is that over N.
    expect(batched.diagnostics.elboPerDatum).toBeCloseTo(batched.diagnostics.fullElbo! / N, 6);
    expect(Math.abs(batched.diagnostics.fullElbo! - full.diagnostics.fullElbo!)).toBeLessThan(2);
  }, TIMEOUT);

  it('refuse a batch larger than the plate, or a model without one, naming it', async () => {
    const m = compile(HIER, { file: 'hier.tilde' });
    await expect(m.fit({ data: { x }, batchSize: 61, steps: 2 })).rejects.toThrow(/batchSize is 61, larger than plate 'N' \(hier\.tilde:1:7\), which has 60 entries in the data; expected 1\.\.60/);
    await expect(m.fit({ data: { x }, batchSize: 2.5, steps: 2 })).rejects.toThrow(/batchSize must be a positive integer, found 2\.5/);
    const flat = compile('data y: real[3]\nmu ~ Normal(0, 1)\ny ~ Normal(mu, 1)\n', { file: 'flat.tilde' });
    await expect(flat.fit({ data: { y: [1, 2, 3] }, batchSize: 2, steps: 2 })).rejects.toThrow(/batchSize subsamples a plate, but flat\.tilde declares none/);
  });
});
