import { describe, expect, it } from 'vitest';
import { tf } from '../../inference/backend.js';
import * as ops from '../../inference/ops.js';
import { irGrad, irSecond } from './ir-grad.js';

type T = tf.Tensor;


/** Value, first and second derivative at x0 of a scalar function, by the compiled engine's reverse mode (twice). */
function derivatives(f: (x: T) => T, x0: number): [number, number, number] {
  const scalar = (v: T) => f(tf.reshape(v, []));
  const { value, grad } = irGrad(scalar, [x0]);
  return [value, grad[0]!, irSecond(f, x0)];
}

// Float64 references: f, f′, f″.
const sig = (x: number): number => 1 / (1 + Math.exp(-x));
const softplus64 = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
interface Case { name: string; op: (x: T) => T; f: (x: number) => number; d1: (x: number) => number; d2: (x: number) => number; points: number[] }
const cases: Case[] = [
  { name: 'exp', op: ops.exp, f: Math.exp, d1: Math.exp, d2: Math.exp, points: [-3, 0, 1, 20] },
  { name: 'sigmoid', op: ops.sigmoid, f: sig, d1: (x) => sig(x) * sig(-x), d2: (x) => sig(x) * sig(-x) * (1 - 2 * sig(x)), points: [-30, -2, 0.5, 1, 30] },
  { name: 'tanh', op: ops.tanh, f: Math.tanh, d1: (x) => 1 - Math.tanh(x) ** 2, d2: (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2), points: [-4, -0.3, 1, 10] },
  { name: 'softplus', op: ops.softplus, f: softplus64, d1: sig, d2: (x) => sig(x) * sig(-x), points: [-50, -3, 0, 1, 50, 100] },
  { name: 'log1pexp', op: ops.log1pexp, f: softplus64, d1: sig, d2: (x) => sig(x) * sig(-x), points: [-20, 2] },
  { name: 'logSigmoid', op: ops.logSigmoid, f: (x) => -softplus64(-x), d1: (x) => sig(-x), d2: (x) => -sig(x) * sig(-x), points: [-100, -3, 0, 1, 40] },
  { name: 'expm1', op: ops.expm1, f: Math.expm1, d1: Math.exp, d2: Math.exp, points: [-5, 1e-3, 1, 10] },
  { name: 'log', op: ops.log, f: Math.log, d1: (x) => 1 / x, d2: (x) => -1 / (x * x), points: [1e-3, 0.5, 1, 1e4] },
  { name: 'log1p', op: ops.log1p, f: Math.log1p, d1: (x) => 1 / (1 + x), d2: (x) => -1 / (1 + x) ** 2, points: [-0.9, 1e-4, 1, 1e4] },
  { name: 'sqrt', op: ops.sqrt, f: Math.sqrt, d1: (x) => 0.5 / Math.sqrt(x), d2: (x) => -0.25 * x ** -1.5, points: [1e-2, 1, 4, 1e4] },
  { name: 'square', op: ops.square, f: (x) => x * x, d1: (x) => 2 * x, d2: () => 2, points: [-3, 0, 1, 1e3] },
  { name: 'abs', op: ops.abs, f: Math.abs, d1: Math.sign, d2: () => 0, points: [-3, 1, 100] },
  { name: 'pow(x, 3.5)', op: (x) => ops.pow(x, 3.5), f: (x) => x ** 3.5, d1: (x) => 3.5 * x ** 2.5, d2: (x) => 8.75 * x ** 1.5, points: [0.1, 1, 2, 30] },
  { name: 'pow(x, tensor 2.5)', op: (x) => ops.pow(x, tf.scalar(2.5)), f: (x) => x ** 2.5, d1: (x) => 2.5 * x ** 1.5, d2: (x) => 3.75 * x ** 0.5, points: [0.5, 3] },
  { name: 'pow(2, x)', op: (x) => ops.pow(tf.scalar(2), x), f: (x) => 2 ** x, d1: (x) => 2 ** x * Math.LN2, d2: (x) => 2 ** x * Math.LN2 ** 2, points: [-3, 0, 1, 10] },
  {
    name: 'logSumExp', op: (x) => ops.logSumExp(tf.stack([x, tf.mul(2, x), tf.scalar(0.3)])),
    f: (x) => Math.log(Math.exp(x) + Math.exp(2 * x) + Math.exp(0.3)),
    d1: (x) => { const z = Math.exp(x) + Math.exp(2 * x) + Math.exp(0.3); return (Math.exp(x) + 2 * Math.exp(2 * x)) / z; },
    d2: (x) => { const a = Math.exp(x), b = Math.exp(2 * x), z = a + b + Math.exp(0.3); return (a + 4 * b) / z - ((a + 2 * b) / z) ** 2; },
    points: [-2, 0.4, 1, 30],
  },
  {
    name: 'softmax[0]', op: (x) => tf.gather(ops.softmax(tf.stack([x, tf.mul(2, x), tf.scalar(0.3)])), 0),
    f: (x) => Math.exp(x) / (Math.exp(x) + Math.exp(2 * x) + Math.exp(0.3)),
    d1: (x) => { const a = Math.exp(x), b = Math.exp(2 * x), z = a + b + Math.exp(0.3); return a / z - a * (a + 2 * b) / z ** 2; },
    d2: (x) => {
      const a = Math.exp(x), b = Math.exp(2 * x), z = a + b + Math.exp(0.3), zp = a + 2 * b, zpp = a + 4 * b;
      return a / z - 2 * a * zp / z ** 2 - a * zpp / z ** 2 + 2 * a * zp ** 2 / z ** 3;
    },
    points: [-2, 0.4, 1],
  },
  {
    name: 'logSoftmax[1]', op: (x) => tf.gather(ops.logSoftmax(tf.stack([x, tf.mul(2, x), tf.scalar(0.3)])), 1),
    f: (x) => 2 * x - Math.log(Math.exp(x) + Math.exp(2 * x) + Math.exp(0.3)),
    d1: (x) => { const a = Math.exp(x), b = Math.exp(2 * x), z = a + b + Math.exp(0.3); return 2 - (a + 2 * b) / z; },
    d2: (x) => { const a = Math.exp(x), b = Math.exp(2 * x), z = a + b + Math.exp(0.3); return -((a + 4 * b) / z - ((a + 2 * b) / z) ** 2); },
    points: [-2, 0.4, 1, 25],
  },
];

// The trace holds x in float32 (6e-8 unit roundoff) and runs in float64, so
// values are compared to float64 references at 1e-4 relative with an absolute
// floor scaled by the function's magnitude (derivatives of terms that cancel,
// e.g. σ′ at |x| = 30, only carry absolute precision).
function close(actual: number, expected: number, scale: number): void {
  const tol = 1e-4 * Math.abs(expected) + 1e-6 * Math.max(1, scale);
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

describe('op table: first and second derivatives against float64 closed forms', () => {
  for (const c of cases) {
    it(c.name, () => {
      for (const x of c.points) {
        const [v, d1, d2] = derivatives(c.op, x);
        const scale = Math.abs(c.f(x));
        close(v, c.f(x), scale);
        close(d1, c.d1(x), Math.max(scale, Math.abs(c.d1(x))));
        close(d2, c.d2(x), Math.max(scale, Math.abs(c.d1(x)), Math.abs(c.d2(x))));
      }
    });
  }
});

describe('op table: second derivatives against central finite differences of the gradient', () => {
  // FD on the gradient at float32 points: truncation error h²·f⁗/6 ~ 2e-5 and rounding
  // error ~ 6e-8·|f′|/h ~ 1e-5·|f′| at h = 1e-2, hence a 1e-3 relative
  // tolerance. The step shrinks near the singularities at 0 (log, sqrt) and −1
  // (log1p), where f⁗ grows faster than the tolerance.
  for (const c of cases) {
    it(c.name, () => {
      for (const x of c.points.filter((p) => Math.abs(p) > 0.05 && Math.abs(p) <= 5)) {
        const h = 1e-2 * Math.min(1, Math.abs(x), Math.abs(1 + x));
        const [, , d2] = derivatives(c.op, x);
        const fd = (derivatives(c.op, x + h)[1] - derivatives(c.op, x - h)[1]) / (2 * h);
        expect(Math.abs(d2 - fd), `${c.name} at ${x}: ${d2} vs FD ${fd}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(fd)));
      }
    });
  }
});

describe('mixed path: d²/dx² of sin(x)·op(x) keeps the term through op', () => {
  // (sin·f)″ = −sin·f + 2cos·f′ + sin·f″; tfjs's own tape drops the last term for exp, sigmoid,
  // tanh, softmax and logSumExp (tfjs issue #3252), reverse mode on the IR does not.
  for (const c of cases) {
    it(c.name, () => {
      const x = c.points.find((p) => p > 0 && p <= 5) ?? 1;
      const [, , d2] = derivatives((t) => tf.mul(tf.sin(t), c.op(t)), x);
      const expected = -Math.sin(x) * c.f(x) + 2 * Math.cos(x) * c.d1(x) + Math.sin(x) * c.d2(x);
      close(d2, expected, Math.max(1, Math.abs(c.f(x)), Math.abs(c.d1(x)), Math.abs(c.d2(x))));
    });
  }

  it('sin(x)·sigmoid(x) at 1 is −0.4792', () => {
    const [, , d2] = derivatives((t) => tf.mul(tf.sin(t), ops.sigmoid(t)), 1);
    expect(d2).toBeCloseTo(-0.47918, 4);
  });

  it("tfjs's raw sigmoid, traced, gives the same (the IR differentiates what the kernel computes)", () => {
    const [, , d2] = derivatives((t) => tf.mul(tf.sin(t), tf.sigmoid(t)), 1);
    expect(d2).toBeCloseTo(-0.47918, 4);
  });
});

describe('detach', () => {
  it('passes the value through and has zero derivatives: f = x²/2 + detach(x²)·x', () => {
    // Without detach f′ = x + 3x² = 30 and f″ = 1 + 6x = 19 at 3.
    const [v, d1, d2] = derivatives((x) => tf.add(tf.div(tf.square(x), 2), tf.mul(ops.detach(tf.square(x)), x)), 3);
    expect(v).toBe(31.5);
    expect(d1).toBe(12);
    expect(d2).toBe(1);
  });

  it('holds a factor constant at second order: f = detach(x²)·x + x³/3', () => {
    const [, d1, d2] = derivatives((x) => tf.add(tf.mul(ops.detach(tf.square(x)), x), tf.div(tf.pow(x, 3), 3)), 3);
    expect(d1).toBeCloseTo(18, 4);
    expect(d2).toBeCloseTo(6, 4);
  });
});

describe('stability and tfjs ops the table relies on', () => {
  it('logSumExp of all −∞ is −∞, and large inputs do not overflow', () => {
    tf.tidy(() => {
      expect(ops.logSumExp(tf.tensor1d([-Infinity, -Infinity])).dataSync()[0]).toBe(-Infinity);
      expect(ops.logSumExp(tf.tensor1d([1000, 1000])).dataSync()[0]).toBeCloseTo(1000 + Math.LN2, 3);
      const lse = ops.logSumExp(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), 1, true);
      expect(lse.shape).toEqual([2, 1]);
    });
  });

  it('softplus and logSigmoid stay finite in the tails', () => {
    tf.tidy(() => {
      expect(Array.from(ops.softplus(tf.tensor1d([-200, 200])).dataSync())).toEqual([0, 200]);
      expect(Array.from(ops.logSigmoid(tf.tensor1d([-200, 200])).dataSync())).toEqual([-200, -0]);
    });
  });

  // A mask computed from a differentiated value: the comparison is piecewise constant, its
  // derivative zero, and the selected branch's derivatives pass through.
  const piecewise: Array<[string, (x: T) => T, (x: number) => number]> = [
    ['where(x > 0)', (x) => tf.where(tf.greater(x, 0), tf.mul(x, tf.mul(x, x)), x), (x) => (x > 0 ? 6 * x : 0)],
    ['maximum', (x) => tf.maximum(tf.mul(x, tf.mul(x, x)), tf.scalar(-1)), (x) => (x ** 3 > -1 ? 6 * x : 0)],
    ['minimum', (x) => tf.minimum(tf.mul(x, tf.mul(x, x)), tf.scalar(8)), (x) => (x ** 3 < 8 ? 6 * x : 0)],
    ['clipByValue', (x) => tf.clipByValue(tf.mul(x, tf.mul(x, x)), -1, 8), (x) => (x ** 3 > -1 && x ** 3 < 8 ? 6 * x : 0)],
    ['max', (x) => tf.max(tf.stack([tf.mul(x, tf.mul(x, x)), tf.scalar(0.5)])), (x) => (x ** 3 > 0.5 ? 6 * x : 0)],
    ['min', (x) => tf.min(tf.stack([tf.mul(x, tf.mul(x, x)), tf.scalar(0.5)])), (x) => (x ** 3 < 0.5 ? 6 * x : 0)],
  ];
  for (const [name, f, d2] of piecewise) {
    it(`${name} has correct second derivatives`, () => {
      for (const x of [-1.5, 0.7, 1.2, 3]) expect(derivatives(f, x)[2]).toBeCloseTo(d2(x), 4);
    });
  }

  it('arithmetic, matMul, reductions and reshaping are exact at second order', () => {
    // f(x) = Σ (A·[x, x²]ᵀ)² / 2 + mean(gather(...)) — a polynomial with a known f″.
    const f = (x: T): T => {
      const v = tf.reshape(tf.stack([x, tf.square(x)]), [2, 1]);
      const a = tf.tensor2d([[1, 2], [3, -1]]);
      const y = tf.matMul(a, v);
      const g = tf.gather(tf.concat([tf.reshape(y, [2]), tf.reshape(tf.div(x, 2), [1])]), [0, 2]);
      return tf.add(tf.div(tf.sum(tf.square(y)), 2), tf.mean(tf.sub(g, tf.neg(tf.expandDims(x)))));
    };
    // y₀ = x + 2x², y₁ = 3x − x²; the gathered mean is (y₀ + x/2)/2 + x.
    const fx = (x: number): number => ((x + 2 * x * x) ** 2 + (3 * x - x * x) ** 2) / 2 + ((x + 2 * x * x) + x / 2) / 2 + x;
    const h = 1e-3;
    for (const x of [-1, 0.5, 2]) {
      const fd2 = (fx(x + h) - 2 * fx(x) + fx(x - h)) / (h * h);
      expect(derivatives(f, x)[2]).toBeCloseTo(fd2, 2);
    }
  });
});
