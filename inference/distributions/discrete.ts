// Discrete families. Bernoulli, Categorical (one-hot form) and Binomial
// log-masses are smooth in x so that they also score relaxed draws; Poisson
// and Geometric are not relaxable and give −∞ off the integers.
import { tf } from '../backend.js';
import { constant, exp, log, log1p, logSigmoid, logSoftmax, sigmoid, softplus } from '../ops.js';
import { lgamma } from '../special.js';
import { binomialCounts, poissonCounts } from './counts.js';
import { broadcastShapes, expand, isInteger, oneOf, openUniform, param, restrict } from './common.js';
import { tidy } from './continuous.js';
import type { CategoricalDistribution, Distribution, Params } from './types.js';

type T = tf.Tensor;

/** log p and log(1 − p) from whichever of probs / logits was given. */
function logOdds(params: Params, family: string): { logP: T; logQ: T; probs: T; logits?: T } {
  const given = oneOf(params, 'probs', 'logits', family);
  if (given.name === 'logits') {
    const l = given.value;
    return { logP: logSigmoid(l), logQ: logSigmoid(tf.neg(l)), probs: sigmoid(l), logits: l };
  }
  const p = given.value;
  return { logP: log(p), logQ: log1p(tf.neg(p)), probs: p };
}

export function bernoulli(params: Params): Distribution {
  const f = 'Bernoulli';
  return tidy({
    family: f,
    logProb(x) {
      const o = logOdds(params, f);
      // Logit form x·ℓ − softplus(ℓ) (RELAX.md §1.4); both forms are linear in x.
      const lp = o.logits !== undefined ? tf.sub(tf.mul(x, o.logits), softplus(o.logits)) : tf.add(tf.mul(x, o.logP), tf.mul(tf.sub(1, x), o.logQ));
      return restrict(constant(() => tf.logicalAnd(tf.greaterEqual(x, 0), tf.lessEqual(x, 1))), lp);
    },
    sample(shape, seed) {
      const p = expand(logOdds(params, f).probs, shape);
      return tf.cast(tf.less(openUniform(p.shape, seed), p), 'float32');
    },
    mean: () => tf.clone(logOdds(params, f).probs),
  });
}

/** Normalised log-probabilities over the last dim, from probs or logits. */
function logProbsOf(params: Params, family: string): T {
  const given = oneOf(params, 'probs', 'logits', family);
  return given.name === 'logits' ? logSoftmax(given.value, -1) : tf.sub(log(given.value), log(tf.sum(given.value, -1, true)));
}

export function categorical(params: Params): CategoricalDistribution {
  const f = 'Categorical';
  return tidy({
    family: f,
    logProb(x) {
      const logP = logProbsOf(params, f);
      const k = logP.shape[logP.rank - 1]!;
      const inside = constant(() => tf.logicalAnd(tf.logicalAnd(tf.greaterEqual(x, 0), tf.less(x, k)), isInteger(x)));
      const oneHot = constant(() => tf.oneHot(tf.cast(tf.where(inside, x, tf.zerosLike(x)), 'int32'), k));
      return restrict(inside, tf.sum(tf.mul(oneHot, logP), -1));
    },
    logProbOneHot: (x) => tf.sum(tf.mul(x, logProbsOf(params, f)), -1),
    sample(shape, seed) {
      // Gumbel-max: argmax(log p + Gumbel noise) is a draw from p.
      const logP = logProbsOf(params, f);
      const full = [...shape, logP.shape[logP.rank - 1]!];
      const gumbel = tf.neg(tf.log(tf.neg(tf.log(openUniform(full, seed)))));
      return tf.cast(tf.argMax(tf.add(expand(logP, full), gumbel), -1), 'float32');
    },
    mean: () => {
      const logP = logProbsOf(params, f);
      const k = logP.shape[logP.rank - 1]!;
      return tf.sum(tf.mul(exp(logP), tf.range(0, k)), -1);
    },
  });
}

/** The parameters broadcast to one shape with the draw's `shape` (as the draw is). */
export function alike(shape: number[], ...values: T[]): T[] {
  const outShape = broadcastShapes(shape, ...values.map((v) => v.shape));
  return values.map((v) => expand(v, outShape));
}

export function binomial(params: Params): Distribution {
  const f = 'Binomial';
  return tidy({
    family: f,
    logProb(x) {
      const n = param(params, 'total_count', f);
      const o = logOdds(params, f);
      const inside = constant(() => tf.logicalAnd(tf.greaterEqual(x, 0), tf.lessEqual(x, n)));
      // Clamped so that the lgamma arguments stay positive where the result is masked.
      const xc = tf.clipByValue(tf.where(inside, x, tf.zerosLike(x)), 0, Infinity);
      const rest = tf.maximum(tf.sub(n, xc), 0);
      const logChoose = tf.sub(lgamma(tf.add(n, 1)), tf.add(lgamma(tf.add(xc, 1)), lgamma(tf.add(rest, 1))));
      const lp = o.logits !== undefined
        ? tf.sub(tf.mul(xc, o.logits), tf.mul(n, softplus(o.logits)))
        : tf.add(tf.mul(xc, o.logP), tf.mul(rest, o.logQ));
      return restrict(inside, tf.add(logChoose, lp));
    },
    sample: (shape, seed) => {
      const [n, p] = alike(shape, tf.round(param(params, 'total_count', f)), logOdds(params, f).probs);
      return binomialCounts(n!, p!, seed);
    },
    mean: () => tf.mul(param(params, 'total_count', f), logOdds(params, f).probs),
  });
}

export function poisson(params: Params): Distribution {
  const f = 'Poisson';
  return tidy({
    family: f,
    logProb(x) {
      const rate = param(params, 'rate', f);
      const inside = constant(() => tf.logicalAnd(tf.greaterEqual(x, 0), isInteger(x)));
      const xc = tf.where(inside, x, tf.zerosLike(x));
      return restrict(inside, tf.sub(tf.sub(tf.mul(xc, log(rate)), rate), lgamma(tf.add(xc, 1))));
    },
    sample: (shape, seed) => poissonCounts(alike(shape, param(params, 'rate', f))[0]!, seed),
    mean: () => tf.clone(param(params, 'rate', f)),
  });
}

export function geometric(params: Params): Distribution {
  const f = 'Geometric';
  return tidy({
    family: f,
    logProb(x) {
      const p = param(params, 'probs', f);
      const inside = constant(() => tf.logicalAnd(tf.greaterEqual(x, 0), isInteger(x)));
      const xc = tf.where(inside, x, tf.zerosLike(x));
      return restrict(inside, tf.add(log(p), tf.mul(xc, log1p(tf.neg(p)))));
    },
    sample(shape, seed) {
      // Inversion: the number of failures is ⌊log u / log(1 − p)⌋, exact for any p.
      const p = expand(param(params, 'probs', f), shape);
      return tf.floor(tf.div(tf.log(openUniform(p.shape, seed)), tf.log1p(tf.neg(p))));
    },
    mean: () => {
      const p = param(params, 'probs', f);
      return tf.div(tf.sub(1, p), p);
    },
  });
}
