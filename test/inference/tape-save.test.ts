// The kernel-free tape bookkeeping (inference/tape-save.ts) and the lean arithmetic
// gradients (inference/lean-grads.ts): the same numbers as tfjs's own, to the bit, at
// first and second order, on cpu and wasm, with fewer kernels and no leaked tensors.
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../inference/backend.js';
import { replacedGradients } from '../../inference/lean-grads.js';
import { alias } from '../../inference/tape-save.js';
import '../../inference/ops.js';
import { Rng } from '../../inference/rng.js';

afterAll(async () => {
  await selectBackend('cpu');
});

const rng = new Rng('tape-save');
const values = (shape: number[]) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
const positive = (shape: number[]) => values(shape).map((v) => Math.abs(v) + 0.5);

const BINARY = ['Add', 'Sub', 'Multiply', 'RealDiv'] as const;
const UNARY = ['Square', 'Log', 'Sqrt', 'Cast', 'Identity'] as const;
const op = (k: string, a: tf.Tensor, b?: tf.Tensor): tf.Tensor =>
  ({ Add: tf.add, Sub: tf.sub, Multiply: tf.mul, RealDiv: tf.div } as Record<string, (x: tf.Tensor, y: tf.Tensor) => tf.Tensor>)[k]?.(a, b!) ??
  ({ Square: tf.square, Log: tf.log, Sqrt: tf.sqrt, Cast: (x: tf.Tensor) => tf.cast(x, 'float32'), Identity: tf.clone } as Record<string, (x: tf.Tensor) => tf.Tensor>)[k]!(a);

// Broadcasting pairs: equal shapes, a scalar either side, missing and unit leading axes.
const SHAPES: [number[], number[]][] = [
  [[3, 4], [3, 4]],
  [[], [3, 4]],
  [[3, 4], []],
  [[4], [3, 4]],
  [[1, 4], [3, 4]],
  [[3, 1], [1, 4]],
  [[2, 1, 4], [3, 1]],
];

/** The gradient of `kernel` at (a, b) for the upstream dy, from a gradient config. */
function viaConfig(config: tf.GradConfig, a: tf.Tensor, b: tf.Tensor | undefined, dy: tf.Tensor): Record<string, number[]> {
  const saved = b ? [a, b] : [a];
  const g = config.gradFunc(dy, saved, {}) as Record<string, () => tf.Tensor>;
  const out: Record<string, number[]> = {};
  for (const [k, f] of Object.entries(g)) {
    const t = f();
    out[k] = [...t.shape, ...Array.from(t.dataSync())];
  }
  return out;
}

describe.each(['cpu', 'wasm'] as const)('lean gradients on %s', (backend) => {
  it('are bit-identical to the tfjs gradients they replace, with every broadcast', async () => {
    await selectBackend(backend);
    for (const k of BINARY) {
      for (const [sa, sb] of SHAPES) {
        tf.tidy(() => {
          const a = tf.tensor(positive(sa), sa);
          const b = tf.tensor(positive(sb), sb);
          const dy = tf.tensor(values(op(k, a, b).shape), op(k, a, b).shape);
          const lean = viaConfig(tf.getGradient(k)!, a, b, dy);
          const theirs = viaConfig(replacedGradients.get(k)!, a, b, dy);
          expect(lean, `${k} ${sa} ${sb}`).toEqual(theirs);
        });
      }
    }
    for (const k of UNARY) {
      tf.tidy(() => {
        const x = tf.tensor(positive([5]), [5]);
        const dy = tf.tensor(values([5]), [5]);
        expect(viaConfig(tf.getGradient(k)!, x, undefined, dy), k).toEqual(viaConfig(replacedGradients.get(k)!, x, undefined, dy));
      });
    }
  });

  it('every replaced kernel has its tfjs gradient kept as the oracle', () => {
    expect([...replacedGradients.keys()].sort()).toEqual([...BINARY, ...UNARY].sort());
  });

  it('second derivatives through saved tensors and aliases match the closed form', async () => {
    await selectBackend(backend);
    // f(x, y) = Σ x²·y / (x + y) − log x; h = ∂/∂y Σ (∂f/∂x)², a gradient of a gradient.
    const X = positive([6]);
    const Y = positive([6]);
    const h = tf.tidy(() => {
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sub(tf.div(tf.mul(tf.square(x), y), tf.add(x, y)), tf.log(x)));
      const y0 = tf.tensor1d(Y);
      return Array.from(tf.grad((y: tf.Tensor) => tf.sum(tf.square(tf.grads(f)([tf.tensor1d(X), y])[0]!)))(y0).dataSync());
    });
    // g = ∂f/∂x = y(x² + 2xy)/(x + y)² − 1/x, so h = 2g·∂g/∂y (∂g/∂y by central differences).
    const g = (x: number, y: number) => (y * (x * x + 2 * x * y)) / (x + y) ** 2 - 1 / x;
    const eps = 1e-4;
    X.forEach((x, i) => {
      const y = Y[i]!;
      const dgdy = (g(x, y + eps) - g(x, y - eps)) / (2 * eps);
      expect(h[i]!).toBeCloseTo(2 * g(x, y) * dgdy, 2);
    });
  });

  it('a step of gradients runs no Identity or float32→float32 Cast kernels and leaks no tensors', async () => {
    await selectBackend(backend);
    const x = tf.variable(tf.tensor2d(values([4, 3]), [4, 3]));
    const w = tf.tensor1d(positive([3]));
    const step = () =>
      tf.tidy(() => {
        tf.variableGrads(() => tf.sum(tf.div(tf.mul(tf.add(x, w), tf.sub(x, 1)), tf.sqrt(tf.add(tf.square(x), 1)))) as tf.Scalar, [x]);
      });
    step();
    const before = tf.memory().numTensors;
    const prof = await tf.profile(() => step());
    for (let i = 0; i < 50; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    const names = prof.kernels.map((k) => k.name);
    expect(names.filter((n) => n === 'Identity')).toEqual([]);
    expect(names.filter((n) => n === 'Cast')).toEqual([]);
    // Forward 8 kernels; backward of 8 arithmetic kernels: no Reshape where shapes already match.
    expect(names.filter((n) => n === 'Reshape').length).toBeLessThanOrEqual(1);
    x.dispose();
    w.dispose();
  });

  it('an alias shares the buffer, outlives its source and is freed with it', async () => {
    await selectBackend(backend);
    const before = tf.memory().numTensors;
    const t = tf.tensor1d([1, 2, 3]);
    const a = alias(t);
    t.dispose();
    expect(Array.from(a.dataSync())).toEqual([1, 2, 3]);
    a.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(tf.tidy(() => tf.memory().numBytes));
  });
});
