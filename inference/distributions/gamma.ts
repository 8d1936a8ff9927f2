// Families whose draws come from gamma variates (no cheap pathwise sampler).
import { tf } from '../backend.js';
import { constant, log, log1p } from '../ops.js';
import { lgamma, logBeta } from '../special.js';
import { tidy } from './continuous.js';
import { expand, param, restrict, standardGamma, subSeed } from './common.js';
import type { Distribution, Params } from './types.js';

type T = tf.Tensor;

/** log x where x > 0, and a placeholder 0 elsewhere (masked later by restrict). */
function safeLog(x: T, positive: T): T {
  return log(tf.where(positive, x, tf.onesLike(x)));
}

export function gamma(params: Params): Distribution {
  const f = 'Gamma';
  return tidy({
    family: f,
    logProb(x) {
      const shape = param(params, 'shape', f);
      const rate = param(params, 'rate', f);
      const positive = constant(() => tf.greater(x, 0));
      const logX = safeLog(x, positive);
      const lp = tf.sub(tf.add(tf.mul(shape, log(rate)), tf.mul(tf.sub(shape, 1), logX)), tf.add(lgamma(shape), tf.mul(rate, x)));
      return restrict(positive, lp);
    },
    sample: (shape, seed) => tf.div(standardGamma(expand(param(params, 'shape', f), shape), seed), param(params, 'rate', f)),
    mean: () => tf.div(param(params, 'shape', f), param(params, 'rate', f)),
  });
}

export function inverseGamma(params: Params): Distribution {
  const f = 'InverseGamma';
  return tidy({
    family: f,
    logProb(x) {
      const shape = param(params, 'shape', f);
      const scale = param(params, 'scale', f);
      const positive = constant(() => tf.greater(x, 0));
      const logX = safeLog(x, positive);
      const safeX = tf.where(positive, x, tf.onesLike(x));
      const lp = tf.sub(tf.mul(shape, log(scale)), tf.add(tf.add(lgamma(shape), tf.mul(tf.add(shape, 1), logX)), tf.div(scale, safeX)));
      return restrict(positive, lp);
    },
    sample: (shape, seed) => tf.div(param(params, 'scale', f), standardGamma(expand(param(params, 'shape', f), shape), seed)),
    mean: () => {
      const shape = param(params, 'shape', f);
      const m = tf.div(param(params, 'scale', f), tf.sub(shape, 1));
      // Infinite for shape ≤ 1.
      return tf.where(tf.greater(shape, 1), m, tf.fill(m.shape, Infinity));
    },
  });
}

export function beta(params: Params): Distribution {
  const f = 'Beta';
  return tidy({
    family: f,
    logProb(x) {
      const a = param(params, 'a', f);
      const b = param(params, 'b', f);
      const inside = constant(() => tf.logicalAnd(tf.greater(x, 0), tf.less(x, 1)));
      const safeX = tf.where(inside, x, tf.fill(x.shape, 0.5));
      const lp = tf.sub(tf.add(tf.mul(tf.sub(a, 1), log(safeX)), tf.mul(tf.sub(b, 1), log1p(tf.neg(safeX)))), logBeta(a, b));
      return restrict(inside, lp);
    },
    sample(shape, seed) {
      const x = standardGamma(expand(param(params, 'a', f), shape), seed);
      const y = standardGamma(expand(param(params, 'b', f), shape), subSeed(seed, 20));
      return tf.div(x, tf.add(x, y));
    },
    mean: () => {
      const a = param(params, 'a', f);
      return tf.div(a, tf.add(a, param(params, 'b', f)));
    },
  });
}

export function dirichlet(params: Params): Distribution {
  const f = 'Dirichlet';
  return tidy({
    family: f,
    logProb(x) {
      const alpha = param(params, 'concentration', f);
      const inside = constant(() => tf.greater(tf.min(x, -1), 0));
      const logX = safeLog(x, constant(() => tf.greater(x, 0)));
      const norm = tf.sub(lgamma(tf.sum(alpha, -1)), tf.sum(lgamma(alpha), -1));
      const lp = tf.add(tf.sum(tf.mul(tf.sub(alpha, 1), logX), -1), norm);
      return restrict(inside, lp);
    },
    sample(shape, seed) {
      const alpha = param(params, 'concentration', f);
      const g = standardGamma(expand(alpha, [...shape, alpha.shape[alpha.rank - 1]!]), seed);
      return tf.div(g, tf.sum(g, -1, true));
    },
    mean: () => {
      const alpha = param(params, 'concentration', f);
      return tf.div(alpha, tf.sum(alpha, -1, true));
    },
  });
}
