// The op table: the differentiable primitives the engine and the distributions
// emit beyond plain arithmetic, each in the numerically careful form the model
// code should use. The compiled engine traces a step over these ops and
// differentiates the trace itself (compile/grad.ts), to any order, with the
// IR's own rules; test/inference/ops.test.ts checks each entry's first and
// second derivatives that way.
import { tf } from './backend.js';

type T = tf.Tensor;

/**
 * The identity whose gradient is zero: the one stop-gradient of the engine. Use it for every
 * factor a surrogate loss holds constant; higher derivatives through it are zero as well.
 */
export function detach(x: T): T {
  return tf.stopGradient(x);
}

/**
 * A support mask or index, held constant: piecewise constant, so its gradient is zero; the
 * tracer keeps it as a constant of the step (an IR `stop`), and a gradient taken inside a traced
 * loss (RELAX's ĝ) does not walk back through it.
 */
export function constant<R>(f: () => R): R {
  return tf.untaped(f);
}

export const exp = (x: T): T => tf.exp(x);

/** σ(x); σ'(x) = σ(x)σ(−x), which keeps its precision in both tails. */
export const sigmoid = (x: T): T => tf.sigmoid(x);

export const tanh = (x: T): T => tf.tanh(x);

/** log(1 + eˣ), stable for large |x| (tfjs switches to x or eˣ in the tails). */
export const softplus = (x: T): T => tf.softplus(x);
export const log1pexp = softplus;

/** log σ(x) = −softplus(−x): no log of an underflowed σ for very negative x. */
export function logSigmoid(x: T): T {
  return tf.neg(softplus(tf.neg(x)));
}

export const expm1 = (x: T): T => tf.expm1(x);
export const log = (x: T): T => tf.log(x);
export const log1p = (x: T): T => tf.log1p(x);
export const sqrt = (x: T): T => tf.sqrt(x);
export const square = (x: T): T => tf.square(x);

/**
 * |x|. The kink at 0 gets derivative 0 (the IR's rule: sign(0) = 0), and the
 * second derivative is 0 everywhere; finite differences across 0 will differ.
 */
export const abs = (x: T): T => tf.abs(x);

/** xᵖ, differentiable in both x and p (in p only where x > 0). */
export function pow(x: T, p: T | number): T {
  if (typeof p === 'number' && p === 0) return tf.onesLike(x);
  return tf.pow(x, p);
}

function normAxis(x: T, axis: number): number {
  return axis < 0 ? x.rank + axis : axis;
}

/**
 * log Σ exp(x) along axis. The max shift only guards exp against overflow;
 * the result does not depend on it, so it is detached, and an all −∞ slice
 * shifts by 0 so that the result is −∞ rather than NaN.
 */
export function logSumExp(x: T, axis: number | number[] = -1, keepDims = false): T {
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => normAxis(x, a));
  const shift = tf.untaped(() => {
    const rawMax = tf.max(x, axes, true);
    return tf.where(tf.isFinite(rawMax), rawMax, tf.zerosLike(rawMax));
  });
  const out = tf.add(log(tf.sum(exp(tf.sub(x, shift)), axes, true)), shift);
  return keepDims ? out : tf.squeeze(out, axes);
}

export function logSoftmax(x: T, axis = -1): T {
  return tf.sub(x, logSumExp(x, axis, true));
}

export function softmax(x: T, axis = -1): T {
  return exp(logSoftmax(x, axis));
}
