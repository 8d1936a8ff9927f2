// The op table: every differentiable primitive the engine and the
// distributions emit beyond tfjs's plain arithmetic. The compiled engine traces
// a step over these ops and differentiates the trace itself (compile/grad.ts),
// to any order; test/inference/ops.test.ts checks each entry's first and second
// derivatives that way.
//
// tfjs's own autodiff still runs in one place: RELAX's and LAX's losses take ĝ
// as a tfjs gradient while they are traced, and the trace records the kernels
// of that backward pass. tfjs's gradients of exp, sigmoid, tanh, softmax and
// logSumExp multiply by the saved forward *output*, which tfjs copies inside
// the kernel, before the tracer knows the output: the copy is a handle it cannot
// place, and the trace fails. So while such an estimator lives
// (`requireSecondOrder`), each entry's gradient is a custom one that saves and
// recomputes from the *input* (which is also what kept tfjs's own second
// derivatives right when tfjs took them, tfjs issue #3252).
//
// tfjs ops the engine may use directly inside such a loss: add, sub, mul, div,
// neg, square, sqrt, log, log1p, sin, cos, matMul, sum, mean, reshape,
// transpose, expandDims, concat, stack, slice, split, unstack, gather (with
// constant indices), pad, tile, broadcastTo, cumsum, maximum, minimum,
// clipByValue, where, max, min, abs, relu. Avoid: prod, stridedSlice, elu and
// gather with indices computed from a differentiated value (their gradients
// throw), floorDiv (wrong gradient).
import { tf } from './backend.js';
import { alias, installSharedTapeSaves, untaped } from './tape-save.js';

type T = tf.Tensor;

// tfjs registers no gradient for comparisons and logical ops, so any graph in
// which a mask is computed from a differentiated value throws: `where(x > 0,
// …)` already at first order, and max, min, clipByValue and the max shift of
// logSumExp at second order, when their gradients build masks. Comparisons
// are piecewise constant, so a zero gradient is the correct one (TensorFlow
// declares them NotDifferentiable). Registered only where missing, so a
// future tfjs that ships its own is left alone.
function registerZeroGradients(): void {
  for (const kernelName of ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr', 'LogicalXor']) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => ({ a: () => tf.zeros(saved[0]!.shape), b: () => tf.zeros(saved[1]!.shape) }),
    });
  }
  if (tf.getGradient('LogicalNot') === undefined) {
    tf.registerGradient({
      kernelName: 'LogicalNot',
      inputsToSave: ['x'],
      gradFunc: (_dy, saved) => ({ x: () => tf.zeros(saved[0]!.shape) }),
    });
  }
}
registerZeroGradients();
installSharedTapeSaves();

type Forward = (xs: T[], save: tf.GradSaveFunc) => { value: T; gradFunc: (dy: T, saved: T[]) => T | T[] };

/** tf.customGrad with the inputs as an array (its own signature mixes tensors and the save function). */
function custom(arity: number, f: Forward): (...xs: T[]) => T {
  const op = tf.customGrad(((...args: Array<T | tf.GradSaveFunc>) =>
    f(args.slice(0, arity) as T[], args[arity] as tf.GradSaveFunc)) as Parameters<typeof tf.customGrad>[0]);
  return (...xs: T[]) => op(...xs);
}

// How many live estimators take a tfjs gradient inside their loss (RELAX, LAX). While none
// does, the table hands out tfjs's own ops: nothing differentiates them but the IR.
let secondOrderUsers = 0;

/** Declare that tfjs gradients will be taken inside traced losses until `release()` is called. */
export function requireSecondOrder(): { release(): void } {
  secondOrderUsers++;
  let released = false;
  return {
    release() {
      if (!released) secondOrderUsers--;
      released = true;
    },
  };
}

/** A unary op whose value comes from tfjs and whose derivative f'(x) is built from this table. */
function unary(value: (x: T) => T, derivative: (x: T) => T): (x: T) => T {
  const op = custom(1, ([x], save) => {
    save([x!]);
    return { value: value(x!), gradFunc: (dy, saved) => tf.mul(dy, derivative(saved[0]!)) };
  });
  return (x: T) => (secondOrderUsers > 0 ? op(x) : value(x));
}

/**
 * The identity whose gradient is zero: the one stop-gradient of the engine
 * (tfjs has none, issues #967 and #7438). Use it for every factor a surrogate
 * loss holds constant. Higher derivatives through it are zero as well. A handle
 * on x's buffer made off the tape: no kernel, and the ops that computed x drop
 * out of the backward pass unless something else uses them (a zero-gradient
 * custom op kept them in it, each sending zeros back).
 */
export function detach(x: T): T {
  return untaped(() => alias(x));
}

/**
 * A support mask or index, computed with tfjs's tape off: piecewise constant, so its gradient is
 * zero; the tracer keeps it as a constant of the step (an IR `stop`), and a tfjs gradient taken
 * inside a traced loss (RELAX's ĝ) does not walk back through it.
 */
export function constant<R>(f: () => R): R {
  return untaped(f);
}

export const exp: (x: T) => T = unary(tf.exp, (x) => exp(x));

/** σ(x); σ'(x) = σ(x)σ(−x), which keeps its precision in both tails. */
export const sigmoid: (x: T) => T = unary(tf.sigmoid, (x) => tf.mul(sigmoid(x), sigmoid(tf.neg(x))));

/** tanh'(x) = (1 − t)(1 + t), factored to avoid forming t² near 1. */
export const tanh: (x: T) => T = unary(tf.tanh, (x) => {
  const t = tanh(x);
  return tf.mul(tf.sub(1, t), tf.add(1, t));
});

/** log(1 + eˣ), stable for large |x| (tfjs switches to x or eˣ in the tails). */
export const softplus: (x: T) => T = unary(tf.softplus, (x) => sigmoid(x));
export const log1pexp = softplus;

/** log σ(x) = −softplus(−x): no log of an underflowed σ for very negative x. */
export function logSigmoid(x: T): T {
  return tf.neg(softplus(tf.neg(x)));
}

export const expm1: (x: T) => T = unary(tf.expm1, (x) => exp(x));
export const log: (x: T) => T = unary(tf.log, (x) => tf.reciprocal(x));
export const log1p: (x: T) => T = unary(tf.log1p, (x) => tf.reciprocal(tf.add(1, x)));
export const sqrt: (x: T) => T = unary(tf.sqrt, (x) => tf.div(0.5, sqrt(x)));
export const square: (x: T) => T = unary(tf.square, (x) => tf.mul(2, x));

/**
 * |x|. The kink at 0 gets derivative 0 (the subgradient tfjs uses), and the
 * second derivative is 0 everywhere; finite differences across 0 will differ.
 */
export const abs: (x: T) => T = unary(tf.abs, (x) => tf.sign(x));

/** Sums a broadcast gradient back to the shape of the operand it belongs to. */
function unbroadcast(g: T, shape: number[]): T {
  let out = g;
  const lead = out.rank - shape.length;
  if (lead > 0) out = tf.sum(out, Array.from({ length: lead }, (_, i) => i));
  const axes = shape.flatMap((d, i) => (d === 1 && out.shape[i] !== 1 ? [i] : []));
  if (axes.length > 0) out = tf.sum(out, axes, true);
  return tf.reshape(out, shape);
}

const powTensor = custom(2, ([base, exponent], save) => {
  save([base!, exponent!]);
  return {
    value: tf.pow(base!, exponent!),
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [T, T];
      const dA = tf.mul(dy, tf.mul(b, pow(a, tf.sub(b, 1))));
      // ∂/∂b aᵇ = aᵇ log a, defined for a > 0; 0 elsewhere as in tfjs.
      const positive = tf.greater(a, 0);
      const logA = log(tf.where(positive, a, tf.onesLike(a)));
      const dB = tf.mul(dy, tf.mul(pow(a, b), tf.where(positive, logA, tf.zerosLike(logA))));
      return [unbroadcast(dA, a.shape), unbroadcast(dB, b.shape)];
    },
  };
});

/** xᵖ, differentiable in both x and p (in p only where x > 0). */
export function pow(x: T, p: T | number): T {
  if (typeof p === 'number') {
    if (p === 0) return tf.onesLike(x);
    return powScalar(x, p);
  }
  return secondOrderUsers > 0 ? powTensor(x, p) : tf.pow(x, p);
}

function powScalar(x: T, p: number): T {
  if (secondOrderUsers === 0) return tf.pow(x, p);
  const op = custom(1, ([base], save) => {
    save([base!]);
    return {
      value: tf.pow(base!, p),
      gradFunc: (dy, saved) => tf.mul(dy, tf.mul(p, pow(saved[0]!, p - 1))),
    };
  });
  return op(x);
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
  const shift = untaped(() => {
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
