// OrderedLogistic and OrderedProbit: a category 0 … K−1 (0-based, unlike Stan's 1 … K)
// from a latent logistic (or normal) η cut at K−1 increasing cutpoints c. The logistic's:
//   P(0) = 1 − σ(η − c₀),  P(k) = σ(η − cₖ₋₁) − σ(η − cₖ),  P(K−1) = σ(η − c_{K−2}).
// Differences of sigmoids lose everything in the tails, so each log P(k) is taken from
//   σ(a) − σ(b) = σ(a)·σ(−b)·(1 − e^(b−a)),
// with a = η − cₖ₋₁ and b = η − cₖ (missing ends count as ∓∞, their factors as 1):
//   log P(k) = log σ(a) + log σ(−b) + log(−expm1(−(cₖ − cₖ₋₁))).
import { tf } from '../backend.js';
import { constant, exp, expm1, log, logSigmoid } from '../ops.js';
import { logNormalCdf } from '../special.js';
import { expand, isInteger, openUniform, param, restrict } from './common.js';
import { tidy } from './continuous.js';
import type { Distribution, Params } from './types.js';

type T = tf.Tensor;

/** Entries start … start + size − 1 of the last dimension. */
function lastSlice(x: T, start: number, size: number): T {
  return tf.slice(x, [...x.shape.slice(0, -1).map(() => 0), start], [...x.shape.slice(0, -1), size]);
}

/** log P(k) for k = 0 … K−1 along a new last dimension. */
export function orderedLogProbs(eta: T, cutpoints: T): T {
  const km1 = cutpoints.shape[cutpoints.rank - 1]!;
  const d = tf.sub(tf.expandDims(eta, -1), cutpoints); // η − cₖ, [..., K−1]
  const edge = tf.zeros([...d.shape.slice(0, -1), 1]);
  const upper = tf.concat([edge, logSigmoid(d)], -1);
  const lower = tf.concat([logSigmoid(tf.neg(d)), edge], -1);
  let lp = tf.add(upper, lower);
  if (km1 >= 2) {
    const gaps = tf.sub(lastSlice(cutpoints, 1, km1 - 1), lastSlice(cutpoints, 0, km1 - 1));
    const cEdge = tf.zeros([...cutpoints.shape.slice(0, -1), 1]);
    lp = tf.add(lp, tf.concat([cEdge, log(tf.neg(expm1(tf.neg(gaps)))), cEdge], -1));
  }
  return lp;
}

/** Stands in for ∓∞ as the outer cutpoints of the probit: log Φ(−1e4) ≈ −5e7 is finite, its exp 0. */
const FAR = 1e4;

/**
 * OrderedProbit's log P(k) = log(Φ(b) − Φ(a)) with a = cₖ₋₁ − η < b = cₖ − η. Where a + b > 0 both
 * sit in Φ's upper tail, so the same mass is taken as Φ(−a) − Φ(−b); then
 * log(Φ(b) − Φ(a)) = log Φ(b) + log(−expm1(log Φ(a) − log Φ(b))), with log Φ exact in the lower tail.
 */
export function orderedProbitLogProbs(eta: T, cutpoints: T): T {
  const d = tf.sub(cutpoints, tf.expandDims(eta, -1)); // cₖ − η, [..., K−1]
  const edge = tf.fill([...d.shape.slice(0, -1), 1], FAR);
  const lo = tf.concat([tf.neg(edge), d], -1);
  const hi = tf.concat([d, edge], -1);
  const flip = constant(() => tf.greater(tf.add(lo, hi), 0));
  const a = tf.where(flip, tf.neg(hi), lo);
  const b = tf.where(flip, tf.neg(lo), hi);
  const logB = logNormalCdf(b);
  return tf.add(logB, log(tf.neg(expm1(tf.sub(logNormalCdf(a), logB)))));
}

export function orderedLogistic(params: Params): Distribution {
  return ordinal('OrderedLogistic', params, orderedLogProbs);
}

export function orderedProbit(params: Params): Distribution {
  return ordinal('OrderedProbit', params, orderedProbitLogProbs);
}

function ordinal(f: string, params: Params, logProbsOf: (eta: T, cutpoints: T) => T): Distribution {
  const logProbs = () => logProbsOf(param(params, 'eta', f), param(params, 'cutpoints', f));
  return tidy({
    family: f,
    logProb(x) {
      const lp = logProbs();
      const k = lp.shape[lp.rank - 1]!;
      const inside = constant(() => tf.logicalAnd(tf.logicalAnd(tf.greaterEqual(x, 0), tf.less(x, k)), isInteger(x)));
      const oneHot = constant(() => tf.oneHot(tf.cast(tf.where(inside, x, tf.zerosLike(x)), 'int32'), k));
      return restrict(inside, tf.sum(tf.mul(oneHot, lp), -1));
    },
    sample(shape, seed) {
      // Gumbel-max over the K log-probabilities.
      const lp = logProbs();
      const full = [...shape, lp.shape[lp.rank - 1]!];
      const gumbel = tf.neg(tf.log(tf.neg(tf.log(openUniform(full, seed)))));
      return tf.cast(tf.argMax(tf.add(expand(lp, full), gumbel), -1), 'float32');
    },
    mean: () => {
      const lp = logProbs();
      return tf.sum(tf.mul(exp(lp), tf.range(0, lp.shape[lp.rank - 1]!)), -1);
    },
  });
}
