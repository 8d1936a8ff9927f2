// The tfjs lowering (inference/compile/lower-tfjs.ts) against the JavaScript one: every primitive's
// value, gradient and Hessian–vector product agree to float32 precision; bundled models' steps give
// the loss and gradient of the JavaScript step at the same noise; a fit on it reaches the JavaScript
// step's posterior; its tensor count stays flat; one seed gives identical numbers twice.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../inference/backend.js';
import { tfjs as tf } from '../../../inference/tfjs.js';
import { compileFitStep } from '../../../inference/compile/compile-fit.js';
import { grad } from '../../../inference/compile/grad.js';
import { Builder, sizeOf } from '../../../inference/compile/ir.js';
import { lowerJs } from '../../../inference/compile/lower-js.js';
import { affine, lowerTfjs } from '../../../inference/compile/lower-tfjs.js';
import { estimateGradients } from '../../../inference/gradients.js';
import { compile } from '../../../inference/model.js';
import { prepare } from '../../../inference/prepare.js';
import { Rng } from '../../../inference/rng.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

function values(n: number, lo: number, hi: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

/** |a − b| within float32's error for values of that size (after a few ops). */
function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string, rel = 2e-5): void {
  expect(a.length, what).toBe(b.length);
  const scale = Math.max(1, ...Array.from(b, Math.abs));
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(b[i]!)) {
      expect(a[i], `${what}[${i}]`).toBe(b[i]);
      continue;
    }
    expect(Math.abs(a[i]! - b[i]!), `${what}[${i}]: tfjs ${a[i]} vs js ${b[i]}`).toBeLessThanOrEqual(rel * scale);
  }
}

/** f, Σ w·f, its gradient and a Hessian–vector product, lowered both ways and compared at x. */
function compare(n: number, f: (b: Builder, x: number) => number, x: Float64Array, rel?: number): void {
  const b = new Builder();
  const p = b.push({ op: 'param', shape: [n], slot: 0 });
  const y = f(b, p);
  const w = b.constant(values(b.size(y), 0.5, 1.5, 7), b.shape(y).slice());
  const prod = b.binary('mul', y, w);
  const loss = b.reshape(b.sum(prod, b.shape(prod).map((_, i) => i)), []);
  const first = grad(b.program({}), loss, [p]);
  const b2 = new Builder(first.program.nodes);
  const v = b2.constant(values(n, -1, 1, 11), [n]);
  const gv = b2.reshape(b2.sum(b2.binary('mul', first.grads[0]!, v), [0]), []);
  const second = grad(b2.program({}), gv, [p]);
  const outs = [y, loss, first.grads[0]!, second.grads[0]!];
  const js = lowerJs(second.program, outs);
  js.buffers[p]!.set(x);
  js.run();
  const low = lowerTfjs(second.program, outs);
  try {
    const got = tf.tidy(() => low.run(new Map([[p, tf.tensor(Float32Array.from(x), [n])]])).map((t) => t.dataSync()));
    ['value', 'loss', 'gradient', 'Hessian–vector product'].forEach((what, k) => close(got[k]!, js.buffers[outs[k]!]!, what, rel));
  } finally {
    low.dispose();
  }
}

const N = 6;
const UNARY: [string, number, number][] = [
  ['neg', -2, 2], ['exp', -2, 2], ['log', 0.3, 3], ['log1p', -0.7, 3], ['expm1', -2, 2], ['sqrt', 0.3, 3], ['sin', -3, 3],
  ['cos', -3, 3], ['tanh', -2, 2], ['sigmoid', -4, 4], ['softplus', -4, 4], ['abs', 0.2, 2], ['reciprocal', 0.3, 3],
  ['atan', -3, 3], ['erf', -1.5, 1.5],
];
const PIECEWISE = ['sign', 'floor', 'ceil', 'round', 'trunc', 'isfinite', 'isnan', 'not'] as const;
const BINARY: [string, [number, number], [number, number]][] = [
  ['add', [-2, 2], [-2, 2]], ['sub', [-2, 2], [-2, 2]], ['mul', [-2, 2], [-2, 2]], ['div', [-2, 2], [0.5, 2]],
  ['pow', [0.5, 2], [-1.5, 2]], ['max', [-2, 2], [-2, 2]], ['min', [-2, 2], [-2, 2]],
];
const COMPARE = ['gt', 'ge', 'lt', 'le', 'eq', 'ne', 'and', 'or'] as const;
const range = (from: number, n: number) => Int32Array.from({ length: n }, (_, i) => from + i);

describe('the tfjs lowering agrees with the JavaScript one, primitive by primitive', () => {
  for (const [op, lo, hi] of UNARY) {
    it(`${op}`, () => compare(N, (b, x) => b.unary(op as never, x), values(N, lo, hi, op.length)));
  }
  for (const op of PIECEWISE) {
    it(`${op} (times x)`, () => compare(N, (b, x) => b.binary('mul', b.unary(op, x), x), Float64Array.from([-2.2, -0.5, 0, 0.7, 1.5, 2.5])));
  }
  for (const [op, ra, rb] of BINARY) {
    it(`${op}`, () => {
      const x = new Float64Array(2 * N);
      x.set(values(N, ra[0], ra[1], 5), 0);
      x.set(values(N, rb[0], rb[1], 9), N);
      compare(2 * N, (b, x) => b.binary(op as never, b.gather(x, range(0, N), [N]), b.gather(x, range(N, N), [N])), x);
    });
  }
  for (const op of COMPARE) {
    it(`${op} (times x)`, () => compare(N, (b, x) => b.binary('mul', b.binary(op, x, b.constant(0.1)), x), Float64Array.from([-1, 0.1, 0, 0.5, 0.1, 2])));
  }
  it('a size-1 argument broadcasts', () =>
    compare(N + 1, (b, x) => {
      const v = b.gather(x, range(0, N), [2, 3]);
      const s = b.gather(x, Int32Array.from([N]), [1]);
      return b.binary('mul', b.binary('sub', v, s), s);
    }, values(N + 1, -2, 2, 4)));
  it('select, with a size-1 branch', () =>
    compare(2 * N, (b, x) => {
      const p = b.gather(x, range(0, N), [N]);
      const q = b.gather(x, Int32Array.from([N]), [1]);
      return b.select(b.binary('gt', p, b.constant(0)), b.binary('mul', p, p), b.unary('exp', q), [N]);
    }, values(2 * N, -1, 1, 8)));
  it('gather with repeats and padding (an indexed gather), and scatterAdd with dropped entries', () => {
    compare(N, (b, x) => b.binary('mul', b.gather(x, Int32Array.from([3, 0, -1, 3, 5, 1, 2, -1]), [2, 4]), b.gather(x, Int32Array.from([3, 0, -1, 3, 5, 1, 2, -1]), [2, 4])), values(N, -2, 2, 2));
    compare(N, (b, x) => b.unary('exp', b.scatterAdd(x, Int32Array.from([1, 0, 1, -1, 2, 0]), [3])), values(N, -1, 1, 3));
  });
  it('gathers that are broadcasts, transposes and slices, and scatter-adds that are sums', () => {
    const x = values(24, -1, 1, 13);
    const b3 = (b: Builder, v: number) => b.reshape(v, [2, 3, 4]);
    // Each pattern is squared so the gradient runs through the transposed map too.
    const sq = (b: Builder, v: number) => b.binary('mul', v, v);
    compare(24, (b, v) => sq(b, b.broadcastTo(b.gather(v, range(4, 3), [3, 1]), [2, 3, 5])), x);
    compare(24, (b, v) => {
      const t = b3(b, v);
      const map = new Int32Array(24);
      // [2, 3, 4] → [4, 2, 3]
      let k = 0;
      for (let c = 0; c < 4; c++) for (let a = 0; a < 2; a++) for (let bb = 0; bb < 3; bb++) map[k++] = a * 12 + bb * 4 + c;
      return sq(b, b.gather(t, map, [4, 2, 3]));
    }, x);
    compare(24, (b, v) => {
      // x[1, 0:2, 1:3] of the [2, 3, 4] view: a slice in the middle.
      const map = Int32Array.from([13, 14, 17, 18]);
      return sq(b, b.gather(b3(b, v), map, [2, 2]));
    }, x);
    compare(24, (b, v) => sq(b, b.sum(b3(b, v), [0, 2])), x);
    compare(24, (b, v) => sq(b, b.sum(b3(b, v), [1])), x);
  });
  it('lowers broadcasts, transposes, slices and sums as such, not as indexed gathers', () => {
    const b = new Builder();
    const x = b.push({ op: 'param', shape: [24], slot: 0 });
    const m = b.reshape(x, [4, 6]);
    const wide = b.broadcastTo(b.gather(m, range(0, 6), [1, 6]), [5, 6]);
    const t = new Int32Array(24);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 4; j++) t[i * 4 + j] = j * 6 + i;
    const tr = b.gather(m, t, [6, 4]);
    const y = b.binary('add', b.sum(wide, [0]), b.sum(tr, [1]), [1, 6]);
    const low = lowerTfjs(b.program({}), [b.reshape(y, [6])]);
    try {
      expect(low.patterns['gather']).toBeUndefined();
      expect(low.patterns['scatter']).toBeUndefined();
      expect(low.patterns['broadcast']).toBeGreaterThan(0);
      expect(low.patterns['transpose']).toBeGreaterThan(0);
      expect(low.patterns['sum']).toBe(2);
    } finally {
      low.dispose();
    }
  });
  it("a flat parameter vector's gradient, assembled from its blocks' (with gaps), is one concatenation", () => {
    // Blocks x[0:6] as [2, 3], x[8:14], x[16:20]; x[6:8] and x[14:16] unused (zero gradient).
    const f = (b: Builder, x: number) => {
      const p = b.gather(x, range(0, 6), [2, 3]);
      const q = b.gather(x, range(8, 6), [6]);
      const r = b.gather(x, range(16, 4), [4]);
      const s = b.binary('add', b.sum(b.unary('exp', p), [0, 1]), b.sum(b.binary('mul', q, q), [0]));
      return b.binary('add', s, b.sum(b.unary('sin', r), [0]));
    };
    compare(20, f, values(20, -1, 1, 51));
    const b = new Builder();
    const x = b.push({ op: 'param', shape: [20], slot: 0 });
    const loss = b.reshape(f(b, x), []);
    const d = grad(b.program({}), loss, [x]);
    const low = lowerTfjs(d.program, [d.grads[0]!]);
    try {
      expect(low.patterns['concatenation']).toBe(1);
      expect(low.patterns['pad']).toBeUndefined();
    } finally {
      low.dispose();
    }
  });
  it('affine recognises broadcasts, transposes and slices, and refuses other maps', () => {
    expect(affine(Int32Array.from([0, 1, 2, 0, 1, 2]))).toEqual({ offset: 0, dims: [2, 3], strides: [0, 1] });
    expect(affine(Int32Array.from([0, 2, 1, 3]))).toEqual({ offset: 0, dims: [2, 2], strides: [1, 2] });
    expect(affine(Int32Array.from([5, 6, 7]))).toEqual({ offset: 5, dims: [3], strides: [1] });
    expect(affine(Int32Array.from([0, 1, 3]))).toBeUndefined();
    expect(affine(Int32Array.from([0, -1]))).toBeUndefined();
  });
  for (const op of ['segmentMax', 'segmentMin'] as const) {
    it(`${op}, over an arbitrary map and over an axis`, () => {
      const x = Float64Array.from([0.3, -1.2, 0.9, 0.4, -0.5, 1.7]);
      compare(N, (b, v) => b.binary('mul', b.push({ op, shape: [3], args: [v], map: Int32Array.from([0, 1, 0, 1, 2, 2]) }), b.constant(Float64Array.from([1, 2, 3]), [3])), x);
      compare(N, (b, v) => b.push({ op, shape: [3], args: [v], map: Int32Array.from([0, 0, 1, 1, 2, 2]) }), x);
    });
  }
  for (const [batch, m, k, n] of [[2, 2, 3, 2], [1, 3, 1, 4], [1, 1, 5, 1]] as const)
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`matmul ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'}, ${batch} × [${m}, ${k}]·[${k}, ${n}]`, () => {
        const sizeA = batch * m * k;
        compare(sizeA + batch * k * n, (b, x) => {
          const a = b.gather(x, range(0, sizeA), ta ? [batch, k, m] : [batch, m, k]);
          const c = b.gather(x, range(sizeA, batch * k * n), tb ? [batch, n, k] : [batch, k, n]);
          return b.matmul(a, c, ta, tb);
        }, values(sizeA + batch * k * n, -1, 1, 21));
      });
    }
  it('take and put, with a repeated row, at outer 2 and outer 1', () => {
    for (const outer of [2, 1]) {
      compare(outer * 6, (b, x) => b.unary('exp', b.push({ op: 'take', shape: [outer, 3, 2], args: [b.reshape(x, [outer, 3, 2]), b.constant(Float64Array.from([2, 0, 2]), [3])], outer, n: 3, inner: 2 })), values(outer * 6, -1, 1, 31));
      compare(outer * 6, (b, x) => b.unary('sin', b.push({ op: 'put', shape: [outer, 4, 2], args: [b.reshape(x, [outer, 3, 2]), b.constant(Float64Array.from([3, 1, 3]), [3])], outer, n: 4, inner: 2 })), values(outer * 6, -1, 1, 32));
    }
  });
  it('stop', () => compare(N, (b, x) => b.binary('mul', b.push({ op: 'stop', shape: [N], args: [b.unary('exp', x)] }), x), values(N, -1, 1, 6)));
});

function modelData(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../../models/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

describe('bundled models: the tfjs-lowered step against the JavaScript step', () => {
  // sbn's default plan is RELAX: its surrogate is a second parameter slot, its loss second order.
  const cases = [...['eight_schools', 'gmm', 'sbn'].map((m) => [m, 'wasm'] as const), ['sbn', 'cpu'] as const];
  for (const [name, backend] of cases) {
    it(`${name} on ${backend}: the same loss and gradient at the same noise`, async () => {
      await selectBackend(backend);
      const m = compile(readFileSync(new URL(`../../../models/${name}.tilde`, import.meta.url), 'utf8'), { file: `${name}.tilde` });
      const p = prepare(m.program, m.bind(modelData(name)), { plan: m.plan, particles: 2 });
      try {
        const c = compileFitStep(p.est, { setup: p.setup, layout: p.layout, S: 2, rng: p.rng.split('steps'), mode: p.mode }, p.random, 'adam', 0.05, new Rng(2));
        expect(c.ok && c.step, c.ok ? c.jsReason : c.reason).toBeTruthy();
        if (!c.ok || !c.step) return;
        const js = c.step;
        const t = c.onTfjs();
        expect(t.ok, t.ok ? '' : t.reason).toBe(true);
        if (!t.ok) return;
        try {
          js.useTracedNoise(c.trace);
          t.step.useTracedNoise(c.trace);
          const lossJs = js.evaluate();
          const lossTf = t.step.evaluate();
          expect(Math.abs(lossTf - lossJs)).toBeLessThan(1e-4 * (1 + Math.abs(lossJs)));
          t.step.evaluateGradient();
          close(t.step.gradient(), js.grad, 'gradient', 1e-3);
        } finally {
          t.step.dispose();
        }
      } finally {
        p.dispose();
        await selectBackend('wasm');
      }
    });
  }
});

describe('choosing the lowering before lowering', () => {
  it("counts the step's matrix work on the differentiated program, and builds no JavaScript lowering when the tfjs one is wanted", async () => {
    await selectBackend('wasm');
    const m = compile(readFileSync(new URL('../../../models/sbn.tilde', import.meta.url), 'utf8'), { file: 'sbn.tilde' });
    const p = prepare(m.program, m.bind(modelData('sbn')), { plan: m.plan, particles: 2 });
    try {
      const jo = { setup: p.setup, layout: p.layout, S: 2, rng: p.rng.split('steps'), mode: p.mode } as const;
      const both = compileFitStep(p.est, jo, p.random, 'adam', 0.05, new Rng(2));
      if (!both.ok || !both.step) throw new Error('sbn does not compile');
      expect(both.products).toBeGreaterThan(0);
      let seen = -1;
      const first = compileFitStep(p.est, jo, p.random, 'adam', 0.05, new Rng(2), undefined, (products) => {
        seen = products;
        return true;
      });
      if (!first.ok) throw new Error(first.reason);
      expect(seen).toBe(both.products);
      expect(first.step).toBeUndefined();
      expect(first.jsReason).toBeUndefined();
      const t = first.onTfjs();
      if (!t.ok) throw new Error(t.reason);
      try {
        // The count the fit decides on equals the multiply–adds the tfjs lowering's products make, counted as it emits them.
        expect(both.products).toBe(t.step.lowered.matmulWork);
        both.step.useTracedNoise(both.trace);
        t.step.useTracedNoise(first.trace);
        const lossJs = both.step.evaluate();
        expect(Math.abs(t.step.evaluate() - lossJs)).toBeLessThan(1e-4 * (1 + Math.abs(lossJs)));
      } finally {
        t.step.dispose();
      }
    } finally {
      p.dispose();
    }
  });
});

const NORMAL = `data N: int
data y: real[N]
mu ~ Normal(0, 5)
sigma ~ HalfNormal(3)
y ~ Normal(mu, sigma)
`;
const Y = [3.1, 1.2, 4.4, 2.9, 3.8, 0.7, 2.2, 5.1, 3.3, 2.6];

describe('fits on the tfjs lowering', () => {
  it('reach the posterior means of the JavaScript step, within their standard errors', async () => {
    const m = compile(NORMAL);
    const opts = { data: { N: Y.length, y: Y }, seed: 3, draws: 4000, steps: 3000 };
    const [js, onTf] = [await m.fit({ ...opts, backend: 'js' }), await m.fit({ ...opts, backend: 'wasm' })];
    expect(onTf.diagnostics.backend).toBe('wasm');
    expect(onTf.diagnostics.lowering).toBe('tfjs');
    expect(onTf.diagnostics.notCompiled).toBeUndefined();
    for (const name of ['mu', 'sigma']) {
      const a = js.summary()[name]!;
      const b = onTf.summary()[name]!;
      // Two independent sets of 4,000 draws (4 standard errors of their difference), plus 0.1 sd for
      // the optimiser's residual noise in each fit.
      const se = Math.sqrt(2) * (a.sd / Math.sqrt(4000));
      expect(Math.abs(a.mean - b.mean), name).toBeLessThan(4 * se + 0.2 * a.sd);
      expect(Math.abs(a.sd - b.sd) / a.sd, name).toBeLessThan(0.15);
    }
  });

  it('keep the tensor count flat over 200 steps, and give identical numbers for one seed', async () => {
    const m = compile(NORMAL);
    const counts: Record<string, number[]> = { optimise: [], average: [] };
    const run = (seed: number, onProgress?: (p: { phase: string }) => void) => m.fit({ data: { N: Y.length, y: Y }, seed, steps: 200, tolRelObj: 0, evalEvery: 10, draws: 20, backend: 'wasm', onProgress });
    const before = tf.memory().numTensors;
    const a = await run(5, (p) => counts[p.phase]!.push(tf.memory().numTensors));
    expect(a.diagnostics.lowering).toBe('tfjs');
    // Flat within each phase (the average phase holds one more tensor: the running mean).
    expect(counts['optimise']!.length).toBeGreaterThanOrEqual(10);
    expect(new Set(counts['optimise']!.slice(1)).size).toBe(1);
    expect(new Set(counts['average']!.slice(1)).size).toBeLessThanOrEqual(1);
    expect(tf.memory().numTensors).toBe(before);
    const [b, c] = [await run(5), await run(6)];
    expect(b.toJSON().flat).toEqual(a.toJSON().flat);
    expect(b.toJSON().trace).toEqual(a.toJSON().trace);
    expect(c.toJSON().flat).not.toEqual(a.toJSON().flat);
  });

  it('keep the tensor count flat with carried state (a moving-average baseline) and a second slot (RELAX)', async () => {
    const flat = async (m: ReturnType<typeof compile>, o: Record<string, unknown>) => {
      const counts: Record<string, number[]> = { optimise: [], average: [] };
      const before = tf.memory().numTensors;
      const fit = await m.fit({ steps: 200, tolRelObj: 0, evalEvery: 10, draws: 10, backend: 'wasm', onProgress: (p) => counts[p.phase]!.push(tf.memory().numTensors), ...o });
      expect(fit.diagnostics.lowering).toBe('tfjs');
      expect(new Set(counts['optimise']!.slice(1)).size).toBe(1);
      expect(new Set(counts['average']!.slice(1)).size).toBeLessThanOrEqual(1);
      expect(tf.memory().numTensors).toBe(before);
    };
    const assignments = compile('plate N\ndata x: real[N]\nz: int[N] ~ Bernoulli(0.5)\nx ~ Normal(3 * z, 1)\n');
    await flat(assignments, { data: { x: [0.1, 2.9, 3.2, -0.3] }, estimator: 'reinforce', baseline: 'ema' });
    await flat(compile(readFileSync(new URL('../../../models/sbn.tilde', import.meta.url), 'utf8'), { file: 'sbn.tilde' }), { data: modelData('sbn') });
  });

  it('take a minibatch each step, and run RELAX with its surrogate as a second slot', async () => {
    const batched = compile('plate N\ndata y: real[N]\nmu ~ Normal(0, 10)\ny ~ Normal(mu, 1)\n');
    const y = Array.from(values(60, 1, 5, 17));
    const fit = await batched.fit({ data: { y }, batchSize: 6, particles: 4, steps: 3000, tolRelObj: 0, lr: 0.02, seed: 2, draws: 2000, backend: 'wasm' });
    expect(fit.diagnostics.lowering).toBe('tfjs');
    const exact = y.reduce((a, b) => a + b, 0) / (y.length + 1 / 100);
    expect(Math.abs(fit.summary()['mu']!.mean - exact)).toBeLessThan(0.1);
    const sbn = compile(readFileSync(new URL('../../../models/sbn.tilde', import.meta.url), 'utf8'), { file: 'sbn.tilde' });
    const r = await sbn.fit({ data: modelData('sbn'), steps: 60, tolRelObj: 0, draws: 10, backend: 'wasm', seed: 1 });
    expect(r.diagnostics.lowering).toBe('tfjs');
    expect(Object.keys(r.diagnostics.surrogates ?? {}).length).toBeGreaterThan(0);
    expect(Number.isFinite(r.diagnostics.elbo)).toBe(true);
  });
});

describe('structural patterns of the tfjs lowering', () => {
  it('a scatter-add into a box of a larger output (a block of the gradient vector) is a pad', () => {
    const x = values(12, -1, 1, 41);
    // Rows 1..2, columns 1..3 of a [4, 5] output, from a [2, 3] input transposed.
    const map = new Int32Array(6);
    for (let c = 0; c < 3; c++) for (let r = 0; r < 2; r++) map[c * 2 + r] = (1 + r) * 5 + 1 + c;
    compare(12, (b, v) => b.unary('exp', b.scatterAdd(b.gather(v, range(3, 6), [3, 2]), map, [4, 5])), x);
    compare(12, (b, v) => b.unary('exp', b.scatterAdd(v, Int32Array.from({ length: 12 }, (_, i) => 4 + i), [20])), x);
  });
});

describe('tilde grad on the tfjs lowering', () => {
  it('a tfjs backend by name estimates with the compiled program on its kernels, as the JavaScript step does', async () => {
    const m = compile(NORMAL);
    const o = { data: { N: Y.length, y: Y }, draws: 2000, particles: 1, seed: 4 };
    const [js, onTf] = [await estimateGradients(m, { ...o, backend: 'js' }), await estimateGradients(m, { ...o, backend: 'wasm' })];
    expect(js.lowering).toBe('js');
    expect(onTf.lowering).toBe('tfjs');
    expect(onTf.backend).toBe('wasm');
    for (const name of Object.keys(js.params)) {
      const a = js.params[name]!;
      const b = onTf.params[name]!;
      a.mean.forEach((mu, i) => {
        // One seed, one noise stream: the two agree to float32 (1e-4 of a standard deviation is loose for that).
        expect(Math.abs(mu - b.mean[i]!), `${name}[${i}]`).toBeLessThan(1e-4 * Math.sqrt(a.variance[i]!) + 1e-5 * (1 + Math.abs(mu)));
      });
    }
  });
});
