// The run-time side of the log-density functions (`normal_lpdf(y | mu, sigma)`, density-functions.ts)
// and of truncation (`y ~ Normal(mu, s) T[lo, hi]`). Both are built from the family's own
// distribution object and the CDFs of cdf.ts, so a density function and a `~` statement of the
// same family give the same numbers.

import type { DensityFunction } from '../language/density-functions.js';
import { tf } from './backend.js';
import { logCcdf, logCdf, logMassBetween } from './cdf.js';
import { makeDistribution, type Distribution, type Params } from './distributions/index.js';
import { constant, exp } from './ops.js';
import { logicalRank, padRank, sumLogical, toTensor } from './values.js';

type T = tf.Tensor;

/** The value of a density call: the sum of the elementwise terms, one number per particle ([P]). */
export function callDensity(fn: DensityFunction, args: (number | T)[]): T {
  const fam = fn.family;
  const extra = (name: string) => (fam.params.find((p) => p.name === name)!.extraRank || fam.eventRank) as number;
  let rank = logicalRank(args[0]!) - fam.eventRank;
  fn.params.forEach((name, i) => (rank = Math.max(rank, logicalRank(args[i + 1]!) - extra(name))));
  const x = padRank(toTensor(args[0]!), rank + fam.eventRank);
  const params: Params = {};
  fn.params.forEach((name, i) => (params[name] = padRank(toTensor(args[i + 1]!), rank + extra(name))));
  switch (fn.kind) {
    case 'lpdf':
    case 'lpmf':
      return sumLogical(makeDistribution(fam.name, params).logProb(x));
    case 'lcdf':
      return sumLogical(logCdf(fam.name, params, x));
    case 'lccdf':
      return sumLogical(logCcdf(fam.name, params, x));
    case 'cdf':
      // Stan's _cdf of a container is the product of the elementwise CDFs.
      return exp(sumLogical(logCdf(fam.name, params, x)));
  }
}

/** Keys under which a truncated site's bounds travel with its parameters (shaped and batched alike). */
export const LOWER = 'T:lo';
export const UPPER = 'T:hi';

/** The family's own arguments, without a truncation's bounds. */
export function familyParams(params: Params): Params {
  if (!(LOWER in params) && !(UPPER in params)) return params;
  const own: Params = {};
  for (const [k, v] of Object.entries(params)) if (k !== LOWER && k !== UPPER) own[k] = v;
  return own;
}

/** The site's distribution, truncated to [lo, hi] when its parameters carry bounds. */
export function siteDistribution(family: string, params: Params): Distribution {
  const lo = params[LOWER];
  const hi = params[UPPER];
  if (!lo && !hi) return makeDistribution(family, params);
  return truncated(family, familyParams(params), lo, hi);
}

function truncated(family: string, params: Params, lo: T | undefined, hi: T | undefined): Distribution {
  const base = makeDistribution(family, params);
  const inside = (x: T): T =>
    constant(() => {
      let ok: T = tf.onesLike(x).cast('bool');
      if (lo) ok = tf.logicalAnd(ok, tf.greaterEqual(x, lo));
      if (hi) ok = tf.logicalAnd(ok, tf.lessEqual(x, hi));
      return ok;
    });
  return {
    family,
    logProb(x) {
      return tf.tidy(() => {
        const lp = tf.sub(base.logProb(x), logMassBetween(family, params, lo, hi));
        return tf.where(inside(x), lp, tf.fill(lp.shape, -Infinity));
      });
    },
    // Posterior predictive draws by rejection from the untruncated family (a draw still outside
    // after 64 rounds — the interval holds almost no mass — is clamped to the bounds).
    sample(shape, seed) {
      return tf.tidy(() => {
        let x = base.sample(shape, seed);
        for (let k = 1; k < 64; k++) {
          const ok = inside(x);
          if (tf.all(ok).dataSync()[0]) break;
          x = tf.where(ok, x, base.sample(shape, seed + 7919 * k));
        }
        if (lo) x = tf.maximum(x, lo);
        if (hi) x = tf.minimum(x, hi);
        return x;
      });
    },
    mean: () => base.mean(),
  };
}
