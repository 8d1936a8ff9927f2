// Count families with more spread than Binomial and Poisson: each is a mixture
// of one of those over a Beta or Gamma rate, and is drawn that way (in float64
// JavaScript, as the counts of discrete.ts are).
import { tf } from '../backend.js';
import { constant, log, log1p } from '../ops.js';
import { lgamma, logBeta } from '../special.js';
import { betaDraw, binomialDraw, gammaDraw, poissonDraw } from './counts.js';
import { isInteger, param, restrict } from './common.js';
import { tidy } from './continuous.js';
import { jsCounts } from './discrete.js';
import type { Distribution, Params } from './types.js';

type T = tf.Tensor;

/** x where x is a count (a non-negative integer), 0 elsewhere, with the mask. */
function countsOf(x: T): { inside: T; xc: T } {
  const inside = constant(() => tf.logicalAnd(tf.greaterEqual(x, 0), isInteger(x)));
  return { inside, xc: tf.where(inside, x, tf.zerosLike(x)) };
}

/** log Γ(x + r) − log Γ(x + 1) − log Γ(r): the negative binomial's coefficient C(x + r − 1, x). */
function logNegBinomialCoefficient(xc: T, r: T): T {
  return tf.sub(lgamma(tf.add(xc, r)), tf.add(lgamma(tf.add(xc, 1)), lgamma(r)));
}

export function betaBinomial(params: Params): Distribution {
  const f = 'BetaBinomial';
  return tidy({
    family: f,
    logProb(x) {
      const n = param(params, 'total_count', f);
      const a = param(params, 'a', f);
      const b = param(params, 'b', f);
      const inside = constant(() => tf.logicalAnd(tf.logicalAnd(tf.greaterEqual(x, 0), tf.lessEqual(x, n)), isInteger(x)));
      const xc = tf.where(inside, x, tf.zerosLike(x));
      const rest = tf.maximum(tf.sub(n, xc), 0);
      const logChoose = tf.sub(lgamma(tf.add(n, 1)), tf.add(lgamma(tf.add(xc, 1)), lgamma(tf.add(rest, 1))));
      return restrict(inside, tf.add(logChoose, tf.sub(logBeta(tf.add(xc, a), tf.add(rest, b)), logBeta(a, b))));
    },
    sample: (shape, seed) => {
      const n = tf.round(param(params, 'total_count', f));
      return jsCounts([n, param(params, 'a', f), param(params, 'b', f)], shape, seed, (rng, count, a, b) => binomialDraw(rng, count!, betaDraw(rng, a!, b!)));
    },
    mean: () => {
      const a = param(params, 'a', f);
      return tf.div(tf.mul(param(params, 'total_count', f), a), tf.add(a, param(params, 'b', f)));
    },
  });
}

/** Stan's neg_binomial(alpha, beta): C(x + α − 1, x) (β/(1 + β))^α (1/(1 + β))^x. */
export function negBinomial(params: Params): Distribution {
  const f = 'NegBinomial';
  return tidy({
    family: f,
    logProb(x) {
      const alpha = param(params, 'alpha', f);
      const beta = param(params, 'beta', f);
      const { inside, xc } = countsOf(x);
      const log1pBeta = log1p(beta);
      const lp = tf.add(logNegBinomialCoefficient(xc, alpha), tf.sub(tf.mul(alpha, tf.sub(log(beta), log1pBeta)), tf.mul(xc, log1pBeta)));
      return restrict(inside, lp);
    },
    // Poisson(λ) with λ ~ Gamma(α, rate β).
    sample: (shape, seed) =>
      jsCounts([param(params, 'alpha', f), param(params, 'beta', f)], shape, seed, (rng, alpha, beta) => poissonDraw(rng, gammaDraw(rng, alpha!) / beta!)),
    mean: () => tf.div(param(params, 'alpha', f), param(params, 'beta', f)),
  });
}

/** Stan's neg_binomial_2(mu, phi): mean μ, variance μ + μ²/φ. */
export function negBinomial2(params: Params): Distribution {
  const f = 'NegBinomial2';
  return tidy({
    family: f,
    logProb(x) {
      const mu = param(params, 'mu', f);
      const phi = param(params, 'phi', f);
      const { inside, xc } = countsOf(x);
      const logTotal = log(tf.add(mu, phi));
      const lp = tf.add(
        logNegBinomialCoefficient(xc, phi),
        tf.add(tf.mul(phi, tf.sub(log(phi), logTotal)), tf.mul(xc, tf.sub(log(mu), logTotal))),
      );
      return restrict(inside, lp);
    },
    // Poisson(λ) with λ ~ Gamma(φ, rate φ/μ).
    sample: (shape, seed) =>
      jsCounts([param(params, 'mu', f), param(params, 'phi', f)], shape, seed, (rng, mu, phi) => poissonDraw(rng, (gammaDraw(rng, phi!) * mu!) / phi!)),
    mean: () => tf.add(param(params, 'mu', f), tf.zerosLike(param(params, 'phi', f))),
  });
}
