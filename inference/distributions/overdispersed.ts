// Count families with more spread than Binomial and Poisson: each is a mixture
// of one of those over a Beta or Gamma rate, and is drawn that way: the rate by
// common.ts's Gamma sampler, the count by counts.ts's (all in tfjs ops over
// noise.ts, so a step that draws them compiles).
import { tf } from '../backend.js';
import { constant, log, log1p } from '../ops.js';
import { lgamma, logBeta } from '../special.js';
import { binomialCounts, poissonCounts } from './counts.js';
import { isInteger, param, restrict, standardGamma, subSeed } from './common.js';
import { tidy } from './continuous.js';
import { alike } from './discrete.js';
import type { Distribution, Params } from './types.js';

type T = tf.Tensor;

/** The Gammas' sub-seeds (standardGamma takes 1 … 3 above its own; counts.ts's samplers take 1 … 3 of the draw's). */
const GAMMA_SEED = 10;

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
    // Off the tape: a draw has no gradient.
    sample: (shape, seed) => constant(() => {
      // Binomial(n, π) with π ~ Beta(a, b) = Gₐ/(Gₐ + G_b). Both Gammas underflow to 0 in float32 only for
      // tiny a and b; π is then a/(a + b) (not exact there).
      const [n, a, b] = alike(shape, tf.round(param(params, 'total_count', f)), param(params, 'a', f), param(params, 'b', f));
      const ga = standardGamma(a!, subSeed(seed, GAMMA_SEED));
      const total = tf.add(ga, standardGamma(b!, subSeed(seed, 2 * GAMMA_SEED)));
      const pi = tf.where(tf.greater(total, 0), tf.div(ga, tf.maximum(total, 1e-30)), tf.div(a!, tf.add(a!, b!)));
      return binomialCounts(n!, pi, seed);
    }),
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
    // Off the tape: a draw has no gradient.
    sample: (shape, seed) => constant(() => {
      const [alpha, beta] = alike(shape, param(params, 'alpha', f), param(params, 'beta', f));
      return poissonCounts(tf.div(standardGamma(alpha!, subSeed(seed, GAMMA_SEED)), beta!), seed);
    }),
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
    // Off the tape: a draw has no gradient.
    sample: (shape, seed) => constant(() => {
      const [mu, phi] = alike(shape, param(params, 'mu', f), param(params, 'phi', f));
      return poissonCounts(tf.mul(standardGamma(phi!, subSeed(seed, GAMMA_SEED)), tf.div(mu!, phi!)), seed);
    }),
    mean: () => tf.add(param(params, 'mu', f), tf.zerosLike(param(params, 'phi', f))),
  });
}
