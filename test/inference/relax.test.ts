// Unit tests of inference/estimators/relax.ts against shared/RELAX.md: the conditional
// sample z̃ ~ p(z | b, ℓ) (§1.2, §2), its derivative with the noise held fixed (§1.2, §7.4),
// the law of the b-mixture of z̃ (§7.9), and second-order safety of the surrogate-parameter
// gradient (§4, §7.10): d/dφ Σ ĝ² as the engine computes it against finite differences.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../inference/backend.js';
import { Estimators } from '../../inference/estimators/step.js';
import { conditionalSample, hardValue, relaxedSample, score, uniformNoise, type Surrogate } from '../../inference/estimators/relax.js';
import { grad } from '../../inference/compile/grad.js';
import { lowerJs } from '../../inference/compile/lower-js.js';
import { traceLoss } from '../../inference/compile/trace.js';
import { compile, estimatorOptions, planFor } from '../../inference/model.js';
import { prepare } from '../../inference/prepare.js';
import { Rng } from '../../inference/rng.js';
import { irGrad } from './ir-grad.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Kolmogorov–Smirnov distance between a sample and a CDF. */
function ksDistance(xs: Float32Array | number[], cdf: (x: number) => number): number {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const F = cdf(s[i]!);
    d = Math.max(d, Math.abs(F - i / n), Math.abs((i + 1) / n - F));
  }
  return d;
}
/** The KS critical value at α ≈ 0.001 (asymptotic 1.95/√n). */
const ksCritical = (n: number) => 1.95 / Math.sqrt(n);

describe('Bernoulli conditional sample (RELAX.md §1.2)', () => {
  const logits = [-6, -2.5, -0.7, 0, 0.4, 1.3, 3, 7];

  it('H(z̃) = b for every draw, including noise at the clipping bounds', () => {
    tf.tidy(() => {
      const N = 4000;
      const l = tf.tensor2d(Array.from({ length: N }, () => logits), [N, logits.length]);
      const u = uniformNoise([N, logits.length], 11);
      // Noise at the clipping bounds, where float32 cancellation would bite first.
      const vRand = uniformNoise([N - 2, logits.length], 12);
      const v = tf.concat([vRand, tf.fill([1, logits.length], 1e-6), tf.fill([1, logits.length], 1 - 1e-6)]);
      const b = hardValue('Bernoulli', relaxedSample('Bernoulli', l, u));
      const zt = conditionalSample('Bernoulli', l, b, v);
      const hz = tf.cast(tf.greater(zt, 0), 'float32');
      expect(tf.sum(tf.notEqual(hz, b)).dataSync()[0]).toBe(0);
      expect(tf.all(tf.isFinite(zt)).dataSync()[0]).toBe(1);
      // Both values of b occur for the moderate logits, so both branches were exercised.
      const ones = tf.sum(b, 0).dataSync();
      expect(ones[3]).toBeGreaterThan(N * 0.4);
      expect(ones[3]).toBeLessThan(N * 0.6);
    });
  });

  it('∂z̃/∂ℓ with v fixed equals the closed forms: σ(ℓ + log v) (b = 1), (1−θ)(1−v)/(1 − (1−θ)v) (b = 0)', () => {
    tf.tidy(() => {
      const vs = [1e-4, 0.03, 0.2, 0.5, 0.77, 0.95, 0.9999];
      const rows: number[][] = [];
      for (const l of logits) for (const v of vs) for (const b of [0, 1]) rows.push([l, v, b]);
      const l = tf.tensor1d(rows.map((r) => r[0]!));
      const v = tf.tensor1d(rows.map((r) => r[1]!));
      const b = tf.tensor1d(rows.map((r) => r[2]!));
      // Each z̃_i depends on ℓ_i alone, so the gradient of the sum is the elementwise derivative.
      const g = irGrad((x: tf.Tensor) => conditionalSample('Bernoulli', x, b, v), l.dataSync()).grad;
      rows.forEach(([li, vi, bi], i) => {
        const th = sigmoid(li!);
        const want = bi ? sigmoid(li! + Math.log(vi!)) : ((1 - th) * (1 - vi!)) / (1 - (1 - th) * vi!);
        expect(Math.abs(g[i]! - want), `ℓ=${li} v=${vi} b=${bi}: ${g[i]} vs ${want}`).toBeLessThan(1e-5 + 1e-4 * want);
      });
    });
  });

  it('the mixture over b of z̃ is Logistic(ℓ, 1) (KS at α ≈ 0.001)', () => {
    for (const l0 of [-1.5, 0, 0.8]) {
      const N = 20000;
      const zt = tf.tidy(() => {
        const l = tf.fill([N], l0);
        const b = hardValue('Bernoulli', relaxedSample('Bernoulli', l, uniformNoise([N], 21)));
        return conditionalSample('Bernoulli', l, b, uniformNoise([N], 22)).dataSync() as Float32Array;
      });
      const d = ksDistance(zt, (x) => sigmoid(x - l0));
      expect(d, `ℓ = ${l0}: KS distance ${d}`).toBeLessThan(ksCritical(N));
    }
  });
});

describe('Categorical conditional sample (RELAX.md §2)', () => {
  const logits = [
    [0.3, -1.2, 2.0],
    [-3, 0, 0.5, 1, -0.2],
  ];

  it('argmax z̃ = b for every draw', () => {
    for (const lg of logits) {
      tf.tidy(() => {
        const N = 5000;
        const K = lg.length;
        const l = tf.tensor2d(Array.from({ length: N }, () => lg), [N, K]);
        const b = hardValue('Categorical', relaxedSample('Categorical', l, uniformNoise([N, K], 31)));
        const zt = conditionalSample('Categorical', l, b, uniformNoise([N, K], 32));
        expect(tf.all(tf.isFinite(zt)).dataSync()[0]).toBe(1);
        expect(tf.sum(tf.notEqual(tf.cast(tf.argMax(zt, -1), 'float32'), b)).dataSync()[0]).toBe(0);
      });
    }
  });

  it('the mixture over b of z̃ has the Gumbel(log θ_k) law per coordinate, and b ~ θ', () => {
    const lg = logits[1]!;
    const K = lg.length;
    const N = 20000;
    const m = Math.max(...lg);
    const lse = m + Math.log(lg.reduce((s, x) => s + Math.exp(x - m), 0));
    const logTheta = lg.map((x) => x - lse);
    const { zt, b } = tf.tidy(() => {
      const l = tf.tensor2d(Array.from({ length: N }, () => lg), [N, K]);
      const bb = hardValue('Categorical', relaxedSample('Categorical', l, uniformNoise([N, K], 41)));
      return { zt: conditionalSample('Categorical', l, bb, uniformNoise([N, K], 42)).dataSync() as Float32Array, b: bb.dataSync() as Float32Array };
    });
    for (let k = 0; k < K; k++) {
      const col = Array.from({ length: N }, (_, i) => zt[i * K + k]!);
      const d = ksDistance(col, (x) => Math.exp(-Math.exp(-(x - logTheta[k]!))));
      expect(d, `coordinate ${k}: KS distance ${d}`).toBeLessThan(ksCritical(N));
      const freq = b.filter((x) => x === k).length / N;
      const th = Math.exp(logTheta[k]!);
      expect(Math.abs(freq - th)).toBeLessThan(4 * Math.sqrt((th * (1 - th)) / N));
    }
  });

  it('score is onehot(b) − softmax(ℓ), and b − σ(ℓ) for Bernoulli', () => {
    tf.tidy(() => {
      const s = score('Categorical', tf.tensor2d([[0, Math.log(3)]]), tf.tensor1d([1])).dataSync();
      expect(s[0]).toBeCloseTo(-0.25, 6);
      expect(s[1]).toBeCloseTo(0.25, 6);
      expect(score('Bernoulli', tf.tensor1d([0]), tf.tensor1d([0])).dataSync()[0]).toBeCloseTo(-0.5, 6);
    });
  });
});

// ---------------------------------------------------------------------------------------
// Second-order safety. Construction: an Estimators for a small RELAX program (S particles,
// fixed seed ⇒ fixed noise u, v and fixed hard samples b). Estimators.loss(jo, flat, seed)
// returns a scalar whose gradient w.r.t. the surrogate parameters φ is d/dφ Σ ĝ² (its other
// parts, −E[cost] and the θ surrogate Σ sg[ĝ]·ℓ, carry no gradient to φ); with `collect` it
// also hands back the estimates ĝ themselves (per site, the mean over particles, w.r.t. the
// logits). So with the noise fixed, V(φ) := Σ ĝ(φ)² is a deterministic function of φ, the
// engine's AD gives dV/dφ through second-order autodiff (ĝ contains ∂c_φ/∂ℓ), and a central
// finite difference of V (re-evaluating ĝ at φ ± h with the same seed) must agree. The engine's
// dV/dφ is the compiled one: the loss traced at that seed and differentiated on the IR. The
// surrogate's variables are found by name in tfjs's registry (tilde/relax/SITE/...). The
// MLP's output weights start at zero (RELAX starts as REBAR), which would leave its hidden
// layer untested, so they are set to nonzero values first.

interface Harness {
  est: Estimators;
  jo: Parameters<Estimators['loss']>[0];
  flat: tf.Variable;
  dispose(): void;
}

function harness(source: string, data: Record<string, unknown>, S: number): Harness {
  const model = compile(source, { file: 'relax_fd.tilde' });
  const plan = planFor(model.program, { estimator: 'relax' });
  const prepared = prepare(model.program, model.bind(data), { seed: 5, plan, particles: S, estimators: estimatorOptions({ estimator: 'relax' }) });
  const { setup: s, layout, rng, random: init, mode, est } = prepared;
  const jo = { setup: s, layout, S, rng: rng.split('steps'), mode } as const;
  const flat = tf.variable(tf.tensor1d(init), true, `relax-fd/flat/${Math.random()}`);
  return {
    est,
    jo,
    flat,
    dispose() {
      flat.dispose();
      prepared.dispose();
    },
  };
}

const SEED = 1234;

/** V(φ) = Σ ĝ² at the fixed seed, in float64 from the collected float32 estimates. */
function sumSquares(h: Harness): number {
  return tf.tidy(() => {
    const collect = new Map<string, tf.Tensor[]>();
    const r = h.est.loss(h.jo, h.flat, SEED, collect);
    r.keep.forEach((t) => t.dispose());
    let v = 0;
    for (const list of collect.values()) {
      for (const g of list) {
        for (const x of g.dataSync()) v += x * x;
        g.dispose();
      }
    }
    return v;
  });
}

/** The surrogate of a site: its one φ Variable and where each part lies in it. */
function surrogateOf(h: Harness, site: string): Surrogate {
  const s = (h.est as unknown as { surrogates: Map<string, Surrogate> }).surrogates.get(site);
  if (!s) throw new Error(`no surrogate for ${site}`);
  return s;
}

/** dV/dφ by the engine (AD through Estimators.loss) against central differences, for chosen entries of φ. */
function checkPhiGradient(h: Harness, site: string): { name: string; ad: number; fd: number }[] {
  sumSquares(h); // creates the surrogate (and its network) lazily
  const sur = surrogateOf(h, site);
  const v = sur.phi;
  const parts = sur.parts;
  expect(Object.keys(parts).sort()).toEqual(['b1', 'b2', 'eta', 'loglambda', 'w1', 'w2']);
  expect(v.name).toBe(`tilde/relax/${site}/phi`);
  // Nonzero output weights and a moved temperature/scale, so every part of c_φ is live.
  const r = new Rng('relax-fd');
  const vals = Array.from(v.dataSync());
  const set = (name: string, f: (i: number) => number) => {
    const [o, n] = parts[name]!;
    for (let i = 0; i < n; i++) vals[o + i] = f(i);
  };
  set('w2', () => r.normal() * 0.5);
  set('b1', () => r.normal() * 0.3);
  set('loglambda', () => Math.log(0.7));
  set('eta', () => 0.8);
  tf.tidy(() => v.assign(tf.tensor1d(vals)));
  // The engine's dV/dφ: Estimators.loss traced at the fixed seed (its ĝ a tfjs gradient, run once),
  // then reverse mode on the IR w.r.t. φ — the derivative of a derivative a compiled RELAX step takes.
  const init = Float32Array.from(h.flat.dataSync());
  const tr = traceLoss(
    init,
    (flat) => {
      const res = h.est.loss(h.jo, flat, SEED);
      res.keep.forEach((t) => t.dispose());
      return res.loss;
    },
    { extra: [v], state: true },
  );
  const d = grad(tr.program, tr.loss, [tr.params[1]!]);
  const low = lowerJs(d.program, [d.grads[0]!]);
  low.buffers[tr.params[0]!]?.set(init);
  low.buffers[tr.params[1]!]?.set(vals);
  for (const n of tr.noise) low.buffers[n.id]?.set(n.values);
  for (const st of tr.state) low.buffers[st.id]?.set(st.init);
  low.run();
  const ad = Array.from(low.buffers[d.grads[0]!]!);
  const out: { name: string; ad: number; fd: number }[] = [];
  const probe = (name: string, index: number, step: number) => {
    const at0 = parts[name]![0] + index;
    const at = (x: number) => {
      const w = [...vals];
      w[at0] = x;
      tf.tidy(() => v.assign(tf.tensor1d(w)));
      return sumSquares(h);
    };
    const fd = (at(vals[at0]! + step) - at(vals[at0]! - step)) / (2 * step);
    at(vals[at0]!);
    out.push({ name: `${name}[${index}]`, ad: ad[at0]!, fd });
  };
  probe('loglambda', 0, 1e-2);
  probe('eta', 0, 1e-2);
  probe('w2', 0, 1e-2);
  probe('w2', 3, 1e-2);
  probe('w1', 0, 1e-2);
  probe('w1', 5, 1e-2);
  probe('b1', 1, 1e-2);
  probe('b2', 0, 1e-2);
  return out;
}

function expectClose(rows: { name: string; ad: number; fd: number }[], label: string): void {
  console.log(`${label}\n${rows.map((r) => `  ${r.name.padEnd(13)} AD ${r.ad.toExponential(4)}  FD ${r.fd.toExponential(4)}`).join('\n')}`);
  const scale = Math.max(...rows.map((r) => Math.abs(r.fd)));
  for (const r of rows) {
    // Central differences in float32 with h = 1e-2: O(h²) truncation plus rounding; 2% of the
    // entry or 0.5% of the largest entry.
    expect(Math.abs(r.ad - r.fd), `${label} ${r.name}: AD ${r.ad} vs FD ${r.fd}`).toBeLessThan(0.02 * Math.abs(r.fd) + 0.005 * scale);
  }
  // The check is not vacuous: the surrogate moves the estimator's square.
  expect(scale).toBeGreaterThan(0);
}

describe('second-order safety: the surrogate-parameter gradient d/dφ Σ ĝ² matches finite differences', () => {
  const live: Harness[] = [];
  afterAll(() => live.forEach((h) => h.dispose()));

  it('Bernoulli D = 3, smooth cost Σ(b − t)², S = 4', () => {
    const h = harness(
      `param theta: real[3] = [0.3, -0.5, 1.0]
data t: real[3]
b: int[3] ~ Bernoulli(logits = theta)
minimize sum((b - t) ^ 2) + b[0] * b[2]`,
      { t: [0.2, 0.55, 0.9] },
      4,
    );
    live.push(h);
    expectClose(checkPhiGradient(h, 'b'), 'Bernoulli');
  });

  it('Categorical K = 3, smooth cost (w[c] − 0.3)², S = 4', () => {
    const h = harness(
      `param theta: real[3] = [0.2, -0.4, 0.5]
data w: real[3]
c ~ Categorical(logits = theta)
minimize (w[c] - 0.3) ^ 2`,
      { w: [0.1, 0.9, -0.4] },
      4,
    );
    live.push(h);
    expectClose(checkPhiGradient(h, 'c'), 'Categorical');
  });
});
