// The run-time meaning of the language's built-in functions (their static
// signatures live in language/builtins.ts). Every function takes and returns
// particle-batched values (see values.ts); constants fold to numbers.

import { tf } from './backend.js';
import * as ops from './ops.js';
import { callMatrixFunction, isMatrixFunction } from './matrix-functions.js';
import { aligned, isConst, logicalRank, padRank, toTensor } from './values.js';
import { log1mExp } from './cdf.js';
import { logAddExp } from './special.js';

/** Built-ins see hard values: relaxed ones arrive as their expectations. */
type Val = number | tf.Tensor;

type Unary = (x: tf.Tensor) => tf.Tensor;

const unaryTable: Record<string, { t: Unary; c: (x: number) => number }> = {
  exp: { t: ops.exp, c: Math.exp },
  log: { t: ops.log, c: Math.log },
  log1p: { t: ops.log1p, c: Math.log1p },
  expm1: { t: ops.expm1, c: Math.expm1 },
  sqrt: { t: ops.sqrt, c: Math.sqrt },
  abs: { t: ops.abs, c: Math.abs },
  sigmoid: { t: ops.sigmoid, c: (x) => 1 / (1 + Math.exp(-x)) },
  logit: { t: (x) => tf.sub(ops.log(x), ops.log1p(tf.neg(x))), c: (x) => Math.log(x / (1 - x)) },
  softplus: { t: ops.softplus, c: (x) => (x > 30 ? x : Math.log1p(Math.exp(x))) },
  tanh: { t: ops.tanh, c: Math.tanh },
  log_sigmoid: { t: ops.logSigmoid, c: (x) => -(x < -30 ? -x : Math.log1p(Math.exp(-x))) },
  log1m: { t: (x) => ops.log1p(tf.neg(x)), c: (x) => Math.log1p(-x) },
  log1m_exp: { t: log1mExp, c: log1mExpNumber },
  log1p_exp: { t: ops.softplus, c: (x) => (x > 30 ? x : Math.log1p(Math.exp(x))) },
  floor: { t: tf.floor, c: Math.floor },
  ceil: { t: tf.ceil, c: Math.ceil },
  round: { t: tf.round, c: Math.round },
};

/** log(1 − eˣ) for x ≤ 0, by the same rule as cdf.ts's log1mExp. */
function log1mExpNumber(x: number): number {
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/** Logical axis (possibly negative) → tensor axis (after the particle axis). */
function tensorAxis(v: tf.Tensor, axis: number): number {
  const r = v.rank - 1;
  const a = axis < 0 ? r + axis : axis;
  if (a < 0 || a >= r) throw new RangeError(`axis ${axis} is out of range for a value of rank ${r}`);
  return a + 1;
}

function allLogicalAxes(v: tf.Tensor): number[] {
  return Array.from({ length: v.rank - 1 }, (_, i) => i + 1);
}

type Reducer = (x: tf.Tensor, axes: number[]) => tf.Tensor;
const reducers: Record<string, Reducer> = {
  sum: (x, a) => tf.sum(x, a),
  mean: (x, a) => tf.mean(x, a),
  // prod's gradient throws in tfjs when differentiated twice; exp-sum-log would lose signs, so keep tf.prod.
  prod: (x, a) => tf.prod(x, a),
  min: (x, a) => tf.min(x, a),
  max: (x, a) => tf.max(x, a),
  logsumexp: (x, a) => ops.logSumExp(x, a),
  log_sum_exp: (x, a) => ops.logSumExp(x, a),
};

function reduce(name: string, args: Val[]): Val {
  const [x, axis] = args;
  if (isConst(x!)) return x;
  const t = x!;
  if (t.rank === 1) return t;
  const axes = axis === undefined ? allLogicalAxes(t) : [tensorAxis(t, constInt(axis, name))];
  return reducers[name]!(t, axes);
}

function constInt(v: Val, what: string): number {
  if (!isConst(v)) throw new TypeError(`${what}: expected a constant integer`);
  return v;
}

/** Shape arguments of ones/zeros/fill: constants known from data. */
function dims(args: Val[], what: string): number[] {
  return args.map((a) => {
    const n = constInt(a, what);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what}: dimension ${n} is not a non-negative integer`);
    return n;
  });
}

export function callBuiltin(name: string, args: Val[]): Val {
  const u = unaryTable[name];
  if (u) {
    const x = args[0]!;
    return isConst(x) ? u.c(x) : u.t(x);
  }
  if (name in reducers) return reduce(name, args);
  if (isMatrixFunction(name)) return callMatrixFunction(name, args);
  switch (name) {
    case 'pow': {
      const [a, b] = args as [Val, Val];
      if (isConst(a) && isConst(b)) return Math.pow(a, b);
      const [ta, tb] = aligned(a, b);
      return ops.pow(ta, tb);
    }
    case 'log_diff_exp': {
      // log(eᵃ − eᵇ) = a + log(1 − e^(b − a)), for b ≤ a.
      const [a, b] = args as [Val, Val];
      if (isConst(a) && isConst(b)) return a + log1mExpNumber(b - a);
      const [ta, tb] = aligned(a, b);
      return tf.add(ta, log1mExp(tf.sub(tb, ta)));
    }
    case 'log_mix':
      return logMix(args);
    case 'softmax':
    case 'log_softmax': {
      const x = args[0]!;
      const t = toTensor(x);
      if (t.rank === 1) throw new TypeError(`${name} needs a vector, found a scalar`);
      return name === 'softmax' ? ops.softmax(t, -1) : ops.logSoftmax(t, -1);
    }
    case 'dot': {
      const [a, b] = aligned(args[0]!, args[1]!);
      return tf.sum(tf.mul(a, b), -1);
    }
    case 'transpose': {
      const t = toTensor(args[0]!);
      if (t.rank !== 3) throw new TypeError(`transpose needs a matrix, found rank ${t.rank - 1}`);
      return tf.transpose(t, [0, 2, 1]);
    }
    case 'ones':
    case 'zeros':
      return tf.fill([1, ...dims(args, name)], name === 'ones' ? 1 : 0);
    case 'fill':
    case 'rep_vector':
    case 'rep_matrix': {
      const [v, ...rest] = args;
      const shape = dims(rest, name);
      if (isConst(v!)) return tf.fill([1, ...shape], v);
      return tf.broadcastTo(padRank(v!, shape.length), [v!.shape[0]!, ...shape]);
    }
    case 'length': {
      const x = args[0]!;
      if (logicalRank(x) === 0) throw new TypeError('length needs an array, found a scalar');
      return (x as tf.Tensor).shape[1]!;
    }
    default:
      throw new Error(`unknown function '${name}'`);
  }
}

/**
 * log_mix(θ, lp1, lp2) = log(θ e^lp1 + (1 − θ) e^lp2), elementwise; log_mix(θ, lps) =
 * log Σₖ θₖ e^lpsₖ over the last axis. Both on the log scale throughout, so neither overflows.
 */
function logMix(args: Val[]): Val {
  if (args.length === 3) {
    const [th, a, b] = args as [Val, Val, Val];
    if (isConst(th) && isConst(a) && isConst(b)) {
      const x = Math.log(th) + a;
      const y = Math.log1p(-th) + b;
      const m = Math.max(x, y);
      return m === -Infinity ? m : m + Math.log1p(Math.exp(-Math.abs(x - y)));
    }
    const r = Math.max(logicalRank(th), logicalRank(a), logicalRank(b));
    const [tt, ta, tb] = [th, a, b].map((v) => padRank(toTensor(v), r)) as [tf.Tensor, tf.Tensor, tf.Tensor];
    return logAddExp(tf.add(ops.log(tt), ta), tf.add(ops.log1p(tf.neg(tt)), tb));
  }
  const [th, lps] = aligned(args[0]!, args[1]!);
  return ops.logSumExp(tf.add(ops.log(th), lps), -1);
}
