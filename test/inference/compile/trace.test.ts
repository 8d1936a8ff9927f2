// The tracer (inference/compile/trace.ts) and its kernel table (from-tfjs.ts): a function written
// with tfjs ops, traced once and lowered to JavaScript, must give tfjs's value (to float32
// precision) and a gradient that central differences of that value confirm — for every kernel
// rule — and the tracer must refuse what it cannot
// compile (a value read back, a hidden random draw, state in a Variable) with the reason.

import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../../inference/backend.js';
import { grad } from '../../../inference/compile/grad.js';
import { lowerJs } from '../../../inference/compile/lower-js.js';
import { traceHooks } from '../../../inference/compile/hooks.js';
import { NotCompilable, traceLoss } from '../../../inference/compile/trace.js';
import { recording } from '../../../inference/tensor/run.js';
import { variableHooks } from '../../../inference/tensor/tensor.js';
import { normalNoise } from '../../../inference/noise.js';
import * as ops from '../../../inference/ops.js';
import { Rng } from '../../../inference/rng.js';
import { digamma, lgamma } from '../../../inference/special.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const X = Float32Array.from({ length: 12 }, (_, i) => Math.sin(1.3 * i + 0.4) * 1.5);
/** Fixed weights of the output's shape, so that every output element matters with its own weight. */
const weighted = (t: tf.Tensor) => tf.sum(tf.mul(tf.sin(t), tf.add(0.5, tf.div(tf.range(0, t.size).reshape(t.shape), t.size))));

/**
 * Compiled value against tfjs's at X, and the compiled gradient (reverse mode on the IR) against
 * central differences of the compiled value in float64 (h = 1e-6: truncation ~1e-12, rounding ~1e-9).
 */
function agree(f: (x: tf.Tensor) => tf.Tensor, at: Float32Array = X): void {
  const tr = traceLoss(at, f);
  const { program, grads } = grad(tr.program, tr.loss, [tr.params[0]!]);
  const low = lowerJs(program, [tr.loss, grads[0]!]);
  const run = (x: Float64Array) => {
    low.buffers[tr.params[0]!]!.set(x);
    for (const n of tr.noise) low.buffers[n.id]?.set(n.values);
    low.run();
    return low.buffers[tr.loss]![0]!;
  };
  const x0 = Float64Array.from(at);
  const value = run(x0);
  const g = Float64Array.from(low.buffers[grads[0]!]!);
  expect(Math.abs(value - tr.lossValue)).toBeLessThan(1e-5 * (1 + Math.abs(tr.lossValue)));
  const h = 1e-6;
  for (let i = 0; i < at.length; i++) {
    const up = Float64Array.from(x0);
    const dn = Float64Array.from(x0);
    up[i]! += h;
    dn[i]! -= h;
    const fd = (run(up) - run(dn)) / (2 * h);
    expect(Math.abs(g[i]! - fd), `gradient ${i}: ${g[i]} vs FD ${fd}`).toBeLessThan(2e-5 * (1 + Math.abs(fd)));
  }
}

const m34 = (x: tf.Tensor) => x.reshape([3, 4]);

describe("kernel table: compiled value equals tfjs's, compiled gradient equals finite differences", () => {
  const cases: [string, (x: tf.Tensor) => tf.Tensor][] = [
    ['transpose', (x) => weighted(tf.transpose(m34(x)))],
    ['transpose of rank 3', (x) => weighted(tf.transpose(x.reshape([2, 3, 2]), [2, 0, 1]))],
    ['slice', (x) => weighted(tf.slice(m34(x), [1, 1], [2, 2]))],
    ['concat along each axis, with a constant', (x) => tf.add(weighted(tf.concat([m34(x), tf.ones([1, 4])], 0)), weighted(tf.concat([tf.fill([3, 2], 0.3), m34(x)], 1)))],
    ['stack and unstack', (x) => tf.add(weighted(tf.stack([m34(x), tf.square(m34(x))], 1)), weighted(tf.unstack(m34(x), 1)[2]!))],
    ['split', (x) => {
      const [a, , c] = tf.split(m34(x), [1, 2, 1], 1);
      return tf.add(weighted(a!), weighted(tf.mul(c!, 3)));
    }],
    ['gather with constant indices', (x) => weighted(tf.gather(m34(x), tf.tensor1d([2, 0, 2], 'int32'), 1))],
    ['tile and broadcastTo', (x) => tf.add(weighted(tf.tile(m34(x), [2, 1])), weighted(tf.broadcastTo(m34(x).reshape([1, 3, 4]), [2, 3, 4])))],
    ['pad with a constant', (x) => weighted(tf.pad(m34(x), [[1, 0], [0, 2]], 0.5))],
    ['cumsum: inclusive, exclusive, reverse', (x) => tf.addN([weighted(tf.cumsum(m34(x), 1)), weighted(tf.cumsum(m34(x), 1, true)), weighted(tf.cumsum(m34(x), 1, false, true)), weighted(tf.cumsum(m34(x), 1, true, true))])],
    ['softmax, logSoftmax, logSumExp (its shift held constant)', (x) => tf.addN([weighted(tf.softmax(m34(x))), weighted(tf.logSoftmax(m34(x))), weighted(ops.logSumExp(m34(x), 1)), weighted(ops.softmax(m34(x), 0))])],
    ['matMul with each transpose', (x) => {
      const a = m34(x);
      const b = tf.tensor2d([[0.3, -1], [0.5, 2], [1, 0.1], [-0.7, 0.4]]);
      return tf.addN([weighted(tf.matMul(a, b)), weighted(tf.matMul(b, a, true, true)), weighted(tf.matMul(a, a, false, true)), weighted(tf.matMul(a, a, true, false))]);
    }],
    ['batched matMul with broadcast batch', (x) => weighted(tf.matMul(x.reshape([2, 2, 3]), tf.tensor3d([[[1, 0.5], [0.2, -1], [0.3, 0.3]]])))],
    ['sum, mean, max, min over axes, kept and not', (x) => tf.addN([weighted(tf.sum(m34(x), 1)), weighted(tf.mean(m34(x), 0, true)), weighted(tf.max(m34(x), 1)), weighted(tf.min(m34(x), [0, 1])), weighted(tf.prod(tf.ones([2])))])],
    ['clip, where, squared difference, relu, rsqrt, abs, sign', (x) => tf.addN([
      weighted(tf.clipByValue(x, -0.5, 0.8)),
      weighted(tf.where(tf.greater(x, 0), x, tf.square(x))),
      weighted(tf.squaredDifference(x, tf.scalar(0.3))),
      weighted(tf.relu(x)),
      weighted(tf.rsqrt(tf.add(tf.abs(x), 1))),
      weighted(tf.mul(tf.sign(x), x)),
    ])],
    ['exp, log, log1p, sigmoid, softplus, tanh, logSigmoid, pow', (x) => tf.addN([
      weighted(ops.exp(x)), weighted(ops.log(tf.add(tf.square(x), 0.5))), weighted(ops.log1p(tf.square(x))), weighted(ops.sigmoid(x)),
      weighted(ops.softplus(x)), weighted(ops.tanh(x)), weighted(tf.logSigmoid(x)), weighted(tf.pow(tf.add(tf.abs(x), 0.5), tf.scalar(1.7))), weighted(tf.pow(tf.scalar(1.3), x)),
    ])],
    ['tan (the Cauchy draw)', (x) => weighted(tf.tan(tf.mul(x, 0.5)))],
    ['lgamma and digamma (special.ts)', (x) => tf.add(weighted(lgamma(tf.add(tf.abs(x), 0.3))), weighted(digamma(tf.add(tf.abs(x), 0.3))))],
    ['casts and one-hot of constant indices', (x) => tf.addN([weighted(tf.cast(tf.greater(x, 0), 'float32')), weighted(tf.mul(tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 4), m34(x)))])],
    ['one-hot of indices computed from the parameters (no gradient through the index)', (x) => weighted(tf.mul(tf.oneHot(tf.cast(tf.floor(tf.add(tf.abs(x.slice([0], [3])), 0.5)), 'int32'), 4), m34(x)))],
  ];
  for (const [name, f] of cases) it(name, () => agree(f));

  it('cumsum along a leading axis', () => {
    agree((x: tf.Tensor) => weighted(tf.cumsum(m34(x), 0, true)));
  });

  it('detach holds a factor constant (the gradient of detach(x)·x is x, not 2x)', () => {
    const tr = traceLoss(X, (x) => tf.sum(tf.mul(ops.detach(x), x)));
    const { program, grads } = grad(tr.program, tr.loss, [tr.params[0]!]);
    const low = lowerJs(program, [grads[0]!]);
    low.buffers[tr.params[0]!]!.set(X);
    low.run();
    X.forEach((v, i) => expect(low.buffers[grads[0]!]![i]).toBeCloseTo(v, 6));
  });

  it('noise becomes an input that each run can refill', () => {
    const rng = new Rng(3);
    const tr = traceLoss(X, (x) => tf.sum(tf.square(tf.add(x, normalNoise([12], rng.int())))));
    expect(tr.noise).toHaveLength(1);
    expect(tr.program.nodes[tr.noise[0]!.id]).toMatchObject({ op: 'noise', kind: 'normal', shape: [12] });
    agree((x) => tf.sum(tf.square(tf.add(x, normalNoise([12], new Rng(3).int())))));
    const { program, grads } = grad(tr.program, tr.loss, [tr.params[0]!]);
    const low = lowerJs(program, [tr.loss, grads[0]!]);
    low.buffers[tr.params[0]!]!.set(X);
    low.buffers[tr.noise[0]!.id]!.fill(0);
    low.run();
    // With the noise at zero the loss is Σx² and its gradient 2x.
    expect(low.buffers[tr.loss]![0]).toBeCloseTo(X.reduce((a, v) => a + v * v, 0), 5);
    X.forEach((v, i) => expect(low.buffers[grads[0]!]![i]).toBeCloseTo(2 * v, 5));
  });

  it('folds what depends on constants only: a data transform leaves no node in the step', () => {
    const data = tf.tensor1d(Array.from({ length: 12 }, (_, i) => i));
    const tr = traceLoss(X, (x) => tf.sum(tf.mul(x, tf.exp(tf.div(tf.sqrt(data), 3)))));
    const { program, grads } = grad(tr.program, tr.loss, [tr.params[0]!]);
    const low = lowerJs(program, [tr.loss, grads[0]!]);
    expect(low.source).not.toMatch(/Math\.sqrt|Math\.exp/);
  });
});

describe('what the tracer refuses, and why', () => {
  it('a value read back to JavaScript during the step', () => {
    expect(() => traceLoss(X, (x) => (tf.sum(x).dataSync()[0]! > 0 ? tf.sum(x) : tf.neg(tf.sum(x))))).toThrow(/read back to JavaScript/);
  });

  it('a random draw that bypasses the noise inputs', () => {
    const rng = new Rng(1);
    expect(() => traceLoss(X, (x) => tf.sum(tf.add(x, tf.randomNormal([12], 0, 1, 'float32', rng.int()))))).toThrow(/random draw\(s\) made outside/);
  });

  it('state kept in a Variable', () => {
    const v = tf.variable(tf.ones([12]), false, 'tilde-test/state');
    try {
      expect(() => traceLoss(X, (x) => tf.sum(tf.mul(x, v)))).toThrow(/state kept across steps in the Variable 'tilde-test\/state'/);
    } finally {
      v.dispose();
    }
  });

  it('a kernel missing from the table is named', () => {
    const e = (() => {
      try {
        traceLoss(X, (x) => tf.prod(tf.exp(x)));
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(NotCompilable);
    expect((e as Error).message).toMatch(/the tfjs kernel Prod/);
  });

  it('leaves no recording or hook behind, and leaks no tensor', () => {
    const before = tf.memory().numTensors;
    traceLoss(X, (x) => tf.sum(tf.square(x)));
    expect(() => traceLoss(X, (x) => tf.prod(tf.exp(x)))).toThrow(NotCompilable);
    expect(recording()).toBeUndefined();
    expect(variableHooks.assign).toBeUndefined();
    expect(Object.values(traceHooks).filter((h) => h !== undefined)).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    // Values read outside a trace are not refused.
    const t = tf.tensor1d([1, 2]);
    expect(Array.from(t.dataSync())).toEqual([1, 2]);
    t.dispose();
  });
});
