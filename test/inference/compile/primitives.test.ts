// Every primitive of the IR (inference/compile/ir.ts): its JavaScript lowering against a reference
// value, its first derivative (grad.ts) against central finite differences, and its second
// derivative — grad applied to a gradient — against finite differences of the gradient, all in
// float64. Piecewise-constant primitives must have zero derivatives.

import { describe, expect, it } from 'vitest';
import { grad } from '../../../inference/compile/grad.js';
import { Builder, sizeOf } from '../../../inference/compile/ir.js';
import { lowerJs } from '../../../inference/compile/lower-js.js';

/** A seeded stream of values in [lo, hi) (a tiny LCG: the test needs fixed numbers, not quality). */
function values(n: number, lo: number, hi: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

interface Harness {
  /** Loss Σ w·f(x), its gradient, and the Hessian-vector product H v at x. */
  at(x: Float64Array): { loss: number; g: Float64Array; hv: Float64Array; gv: number };
  out(x: Float64Array): Float64Array;
}

/** f's value, gradient of Σ w·f and Hessian-vector product, all from one lowered program. */
function harness(n: number, f: (b: Builder, x: number) => number): Harness {
  const b = new Builder();
  const x = b.push({ op: 'param', shape: [n], slot: 0 });
  const y = f(b, x);
  const w = b.constant(values(b.size(y), 0.5, 1.5, 7), b.shape(y).slice());
  const prod = b.binary('mul', y, w);
  const loss = b.reshape(b.sum(prod, b.shape(prod).map((_, i) => i)), []);
  const first = grad(b.program({}), loss, [x]);
  const b2 = new Builder(first.program.nodes);
  const v = b2.constant(values(n, -1, 1, 11), [n]);
  const gv = b2.reshape(b2.sum(b2.binary('mul', first.grads[0]!, v), [0]), []);
  const second = grad(b2.program({}), gv, [x]);
  const low = lowerJs(second.program, [y, loss, first.grads[0]!, gv, second.grads[0]!]);
  const buf = (id: number) => low.buffers[id]!;
  return {
    at(xs) {
      buf(x).set(xs);
      low.run();
      return { loss: buf(loss)[0]!, g: Float64Array.from(buf(first.grads[0]!)), hv: Float64Array.from(buf(second.grads[0]!)), gv: buf(gv)[0]! };
    },
    out(xs) {
      buf(x).set(xs);
      low.run();
      return Float64Array.from(buf(y));
    },
  };
}

/** Central differences of the loss (first derivatives) and of g·v (second), compared with AD. */
function checkDerivatives(h: Harness, x: Float64Array, tol = 1e-6): void {
  const at = h.at(x);
  const eps = 1e-5;
  for (let i = 0; i < x.length; i++) {
    const up = Float64Array.from(x);
    const down = Float64Array.from(x);
    up[i]! += eps;
    down[i]! -= eps;
    const a = h.at(up);
    const c = h.at(down);
    const fdG = (a.loss - c.loss) / (2 * eps);
    const fdH = (a.gv - c.gv) / (2 * eps);
    expect(Math.abs(at.g[i]! - fdG), `first derivative, coordinate ${i}: AD ${at.g[i]} vs FD ${fdG}`).toBeLessThan(tol * (1 + Math.abs(fdG)));
    expect(Math.abs(at.hv[i]! - fdH), `second derivative, coordinate ${i}: AD ${at.hv[i]} vs FD ${fdH}`).toBeLessThan(10 * tol * (1 + Math.abs(fdH)));
  }
}

const N = 6;

const UNARY: [string, (x: number) => number, number, number][] = [
  ['neg', (x) => -x, -2, 2],
  ['exp', Math.exp, -2, 2],
  ['log', Math.log, 0.3, 3],
  ['log1p', Math.log1p, -0.7, 3],
  ['expm1', Math.expm1, -2, 2],
  ['sqrt', Math.sqrt, 0.3, 3],
  ['sin', Math.sin, -3, 3],
  ['cos', Math.cos, -3, 3],
  ['tanh', Math.tanh, -2, 2],
  ['sigmoid', (x) => 1 / (1 + Math.exp(-x)), -4, 4],
  ['softplus', (x) => Math.log(1 + Math.exp(x)), -4, 4],
  ['abs', Math.abs, 0.2, 2],
  ['reciprocal', (x) => 1 / x, 0.3, 3],
  ['atan', Math.atan, -3, 3],
  // The reference is the series of erf (exact to double precision on this range).
  ['erf', (x) => { let s = 0, t = x; for (let k = 0; k < 60; k++) { s += t / (2 * k + 1); t *= (-x * x) / (k + 1); } return (2 / Math.sqrt(Math.PI)) * s; }, -1.5, 1.5],
];

describe('unary primitives', () => {
  for (const [op, ref, lo, hi] of UNARY) {
    it(`${op}: value, first and second derivatives`, () => {
      const h = harness(N, (b, x) => b.unary(op as never, x));
      const x = values(N, lo, hi, op.length);
      const y = h.out(x);
      // erf's lowering is tfjs's approximation (Abramowitz–Stegun, |error| < 1.5e-7).
      const tol = op === 'erf' ? 2e-7 : 1e-12;
      x.forEach((xi, i) => expect(Math.abs(y[i]! - ref(xi))).toBeLessThan(tol * (1 + Math.abs(ref(xi)))));
      checkDerivatives(h, x, op === 'erf' ? 2e-6 : 1e-6);
    });
  }

  it('sigmoid and softplus keep their precision in the tails', () => {
    const h1 = harness(4, (b, x) => b.unary('sigmoid', x));
    const s = h1.out(Float64Array.from([-800, -40, 40, 800]));
    expect(s[0]).toBe(0);
    expect(s[1]! / Math.exp(-40)).toBeCloseTo(1, 12);
    expect(s[3]).toBe(1);
    const h2 = harness(3, (b, x) => b.unary('softplus', x));
    const p = h2.out(Float64Array.from([-800, 800, -40]));
    expect(p[0]).toBe(0);
    expect(p[1]).toBe(800);
    expect(p[2]! / Math.exp(-40)).toBeCloseTo(1, 12);
  });

  for (const op of ['sign', 'floor', 'ceil', 'round', 'trunc', 'isfinite', 'isnan', 'not'] as const) {
    it(`${op} is piecewise constant: zero derivatives`, () => {
      const h = harness(N, (b, x) => b.binary('mul', b.unary(op, x), x));
      const x = values(N, -2.2, 2.2, 3);
      const at = h.at(x);
      // d/dx [c(x)·x] = c(x) away from c's jumps.
      const c = h.out(x).map((v, i) => v / x[i]!);
      at.g.forEach((gi, i) => expect(gi).toBeCloseTo(c[i]! * values(N, 0.5, 1.5, 7)[i]!, 12));
    });
  }

  it('round is half to even, as tfjs rounds', () => {
    const h = harness(5, (b, x) => b.unary('round', x));
    expect(Array.from(h.out(Float64Array.from([0.5, 1.5, 2.5, -0.5, 2.6])))).toEqual([0, 2, 2, 0, 3]);
  });
});

const BINARY: [string, (a: number, b: number) => number, [number, number], [number, number]][] = [
  ['add', (a, b) => a + b, [-2, 2], [-2, 2]],
  ['sub', (a, b) => a - b, [-2, 2], [-2, 2]],
  ['mul', (a, b) => a * b, [-2, 2], [-2, 2]],
  ['div', (a, b) => a / b, [-2, 2], [0.5, 2]],
  ['pow', Math.pow, [0.5, 2], [-1.5, 2]],
  ['max', Math.max, [-2, 2], [-2, 2]],
  ['min', Math.min, [-2, 2], [-2, 2]],
];

describe('binary primitives', () => {
  for (const [op, ref, ra, rb] of BINARY) {
    it(`${op}: value, first and second derivatives in both arguments`, () => {
      const split = (b: Builder, x: number): [number, number] => [b.gather(x, Int32Array.from({ length: N }, (_, i) => i), [N]), b.gather(x, Int32Array.from({ length: N }, (_, i) => N + i), [N])];
      const h = harness(2 * N, (b, x) => {
        const [p, q] = split(b, x);
        return b.binary(op as never, p, q);
      });
      const x = new Float64Array(2 * N);
      x.set(values(N, ra[0], ra[1], 5), 0);
      x.set(values(N, rb[0], rb[1], 9), N);
      const y = h.out(x);
      for (let i = 0; i < N; i++) expect(y[i]).toBeCloseTo(ref(x[i]!, x[N + i]!), 12);
      checkDerivatives(h, x);
    });
  }

  it('a size-1 argument broadcasts, and its cotangent is the sum', () => {
    const h = harness(N + 1, (b, x) => {
      const v = b.gather(x, Int32Array.from({ length: N }, (_, i) => i), [2, 3]);
      const s = b.gather(x, Int32Array.from([N]), [1]);
      return b.binary('mul', b.binary('sub', v, s), s);
    });
    checkDerivatives(h, values(N + 1, -2, 2, 4));
  });

  it('select routes each cotangent to the branch taken', () => {
    const cond = Float64Array.from([1, 0, 1, 1, 0, 0]);
    const h = harness(2 * N, (b, x) => {
      const p = b.gather(x, Int32Array.from({ length: N }, (_, i) => i), [N]);
      const q = b.gather(x, Int32Array.from({ length: N }, (_, i) => N + i), [N]);
      return b.select(b.constant(cond, [N]), b.binary('mul', p, p), b.unary('exp', q));
    });
    checkDerivatives(h, values(2 * N, -1, 1, 8));
  });

  for (const op of ['gt', 'ge', 'lt', 'le', 'eq', 'ne', 'and', 'or'] as const) {
    it(`${op} has no derivative`, () => {
      const h = harness(N, (b, x) => b.binary('mul', b.binary(op, x, b.constant(0.1)), x));
      const x = values(N, -1, 1, 12);
      const c = h.out(x).map((v, i) => v / x[i]!);
      h.at(x).g.forEach((gi, i) => expect(gi).toBeCloseTo(c[i]! * values(N, 0.5, 1.5, 7)[i]!, 12));
    });
  }
});

describe('indexing and reduction primitives', () => {
  it('gather with repeats and padding, and its transpose scatterAdd', () => {
    const map = Int32Array.from([3, 0, -1, 3, 5, 1, 2, -1]);
    const h = harness(N, (b, x) => b.binary('mul', b.gather(x, map, [2, 4]), b.gather(x, map, [2, 4])));
    const x = values(N, -2, 2, 2);
    const y = h.out(x);
    Array.from(map).forEach((j, i) => expect(y[i]).toBeCloseTo(j < 0 ? 0 : x[j]! ** 2, 12));
    checkDerivatives(h, x);
    const s = harness(N, (b, x) => b.unary('exp', b.scatterAdd(x, Int32Array.from([1, 0, 1, -1, 2, 0]), [3])));
    const xs = values(N, -1, 1, 3);
    const ys = s.out(xs);
    expect(ys[0]).toBeCloseTo(Math.exp(xs[1]! + xs[5]!), 12);
    expect(ys[1]).toBeCloseTo(Math.exp(xs[0]! + xs[2]!), 12);
    expect(ys[2]).toBeCloseTo(Math.exp(xs[4]!), 12);
    checkDerivatives(s, xs);
  });

  for (const op of ['segmentMax', 'segmentMin'] as const) {
    it(`${op}: value and derivatives (distinct values)`, () => {
      const map = Int32Array.from([0, 1, 0, 1, 2, 2]);
      const h = harness(N, (b, x) => b.binary('mul', b.push({ op, shape: [3], args: [x], map }), b.constant(Float64Array.from([1, 2, 3]), [3])));
      const x = Float64Array.from([0.3, -1.2, 0.9, 0.4, -0.5, 1.7]);
      const y = h.out(x);
      const pick = op === 'segmentMax' ? Math.max : Math.min;
      expect(Array.from(y)).toEqual([pick(0.3, 0.9) * 1, pick(-1.2, 0.4) * 2, pick(-0.5, 1.7) * 3]);
      checkDerivatives(h, x);
    });
  }

  // The general loops (a batch of 2), and the lowering's outer (k = 1) and inner (m = n = 1) products.
  for (const [batch, m, k, n] of [[2, 2, 3, 2], [1, 3, 1, 4], [1, 1, 5, 1]] as const)
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`matmul ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'}, ${batch} × [${m}, ${k}]·[${k}, ${n}]: value, first and second derivatives`, () => {
      const sizeA = batch * m * k;
      const h = harness(sizeA + batch * k * n, (b, x) => {
        const a = b.gather(x, Int32Array.from({ length: sizeA }, (_, i) => i), ta ? [batch, k, m] : [batch, m, k]);
        const c = b.gather(x, Int32Array.from({ length: batch * k * n }, (_, i) => sizeA + i), tb ? [batch, n, k] : [batch, k, n]);
        return b.matmul(a, c, ta, tb);
      });
      const x = values(sizeA + batch * k * n, -1, 1, 21);
      const y = h.out(x);
      expect(y.length).toBe(batch * m * n);
      for (let t = 0; t < batch; t++)
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) {
              const av = x[t * m * k + (ta ? p * m + i : i * k + p)]!;
              const bv = x[sizeA + t * k * n + (tb ? j * k + p : p * n + j)]!;
              s += av * bv;
            }
            expect(y[t * m * n + i * n + j]).toBeCloseTo(s, 12);
          }
      checkDerivatives(h, x);
    });
  }

  // take and put: rows picked (and added back) by an index array given at run time, here a
  // constant one with a repeated row, so put must add, not overwrite.
  it('take: out[p, j, q] = x[p, idx[j], q]; value, first and second derivatives', () => {
    const idx = Float64Array.from([2, 0, 2]);
    const h = harness(12, (b, x) => {
      const ix = b.constant(idx, [3]);
      const t = b.push({ op: 'take', shape: [2, 3, 2], args: [b.reshape(x, [2, 3, 2]), ix], outer: 2, n: 3, inner: 2 });
      return b.unary('exp', t);
    });
    const x = values(12, -1, 1, 31);
    const y = h.out(x);
    for (let p = 0; p < 2; p++) for (let j = 0; j < 3; j++) for (let q = 0; q < 2; q++) expect(y[(p * 3 + j) * 2 + q]).toBe(Math.exp(x[(p * 3 + idx[j]!) * 2 + q]!));
    checkDerivatives(h, x);
  });

  it('put: out[p, idx[j], q] += g[p, j, q] over repeated rows; value, first and second derivatives', () => {
    const idx = Float64Array.from([3, 1, 3]);
    const h = harness(12, (b, x) => {
      const ix = b.constant(idx, [3]);
      const t = b.push({ op: 'put', shape: [2, 4, 2], args: [b.reshape(x, [2, 3, 2]), ix], outer: 2, n: 4, inner: 2 });
      return b.unary('sin', t);
    });
    const x = values(12, -1, 1, 32);
    const y = h.out(x);
    for (let p = 0; p < 2; p++)
      for (let r = 0; r < 4; r++)
        for (let q = 0; q < 2; q++) {
          let s = 0;
          for (let j = 0; j < 3; j++) if (idx[j] === r) s += x[(p * 3 + j) * 2 + q]!;
          expect(y[(p * 4 + r) * 2 + q]).toBeCloseTo(Math.sin(s), 14);
        }
    checkDerivatives(h, x);
  });

  it('stop holds its value constant: zero derivative through it, at every order', () => {
    const h = harness(N, (b, x) => b.binary('mul', b.push({ op: 'stop', shape: [N], args: [b.unary('exp', x)] }), x));
    const x = values(N, -1, 1, 6);
    const at = h.at(x);
    const w = values(N, 0.5, 1.5, 7);
    at.g.forEach((gi, i) => expect(gi).toBeCloseTo(Math.exp(x[i]!) * w[i]!, 12));
    at.hv.forEach((hi) => expect(hi).toBe(0));
  });

  it('a third derivative: differentiating grad(grad(f)) again (d³/dx³ of x·sin x)', () => {
    const b = new Builder();
    const x = b.push({ op: 'param', shape: [1], slot: 0 });
    const f = b.reshape(b.binary('mul', x, b.unary('sin', x)), []);
    const d1 = grad(b.program({}), f, [x]);
    const b1 = new Builder(d1.program.nodes);
    const d2 = grad(b1.program({}), b1.reshape(d1.grads[0]!, []), [x]);
    const b2 = new Builder(d2.program.nodes);
    const d3 = grad(b2.program({}), b2.reshape(d2.grads[0]!, []), [x]);
    const low = lowerJs(d3.program, [d3.grads[0]!]);
    const at = 0.7;
    low.buffers[x]!.set([at]);
    low.run();
    // (x sin x)''' = −3 sin x − x cos x.
    expect(low.buffers[d3.grads[0]!]![0]).toBeCloseTo(-3 * Math.sin(at) - at * Math.cos(at), 12);
    expect(sizeOf(d3.program.nodes[d3.grads[0]!]!.shape)).toBe(1);
  });
});
