// Log CDFs and log complementary CDFs of the families the table marks `cdf: true`, for the
// `_lcdf` / `_lccdf` / `_cdf` functions and for truncation (`~ … T[lo, hi]`).
//
// The tails are where truncation and censoring live, so nothing here forms 1 − F by
// subtraction when F is near 1: the normal's log Φ comes from log erfc, written as
// log t − a² + P(t) (the Chebyshev fit of Numerical Recipes' erfcc, relative error < 1.2e-7
// for every a ≥ 0), which never underflows; where a value near 1 must be subtracted from,
// the smaller side is computed and log1p taken.

import { FAMILIES } from '../language/distributions.js';
import { tf } from './backend.js';
import { param } from './distributions/common.js';
import type { Params } from './distributions/types.js';
import { constant, exp, expm1, log, log1p, softplus } from './ops.js';

type T = tf.Tensor;

const ERFC_FIT = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];

/** log erfc(a) for a ≥ 0. */
export function logErfc(a: T): T {
  const t = tf.reciprocal(tf.add(1, tf.mul(0.5, a)));
  let poly: T = tf.scalar(ERFC_FIT[ERFC_FIT.length - 1]!);
  for (let k = ERFC_FIT.length - 2; k >= 0; k--) poly = tf.add(tf.mul(poly, t), ERFC_FIT[k]!);
  return tf.add(tf.sub(log(t), tf.square(a)), poly);
}

/** log(1 − eˣ) for x ≤ 0: log(−expm1(x)) near 0, log1p(−eˣ) further out (Mächler's rule). */
export function log1mExp(x: T): T {
  const near = constant(() => tf.greater(x, -Math.LN2));
  const xNear = tf.where(near, x, tf.fill(x.shape, -1));
  const xFar = tf.where(near, tf.fill(x.shape, -1), x);
  return tf.where(near, log(tf.neg(expm1(xNear))), log1p(tf.neg(exp(xFar))));
}

/** log Φ(z), the standard normal's log CDF, accurate in both tails. */
export function logNormalCdf(z: T): T {
  const neg = constant(() => tf.less(z, 0));
  // a = |z|/√2 by where, not abs: at z = 0 abs's gradient would be 0.
  const a = tf.mul(tf.where(neg, tf.neg(z), z), Math.SQRT1_2);
  const le = logErfc(a);
  return tf.where(neg, tf.add(le, -Math.LN2), log1p(tf.mul(-0.5, exp(le))));
}

/** Where `ok` is false the result is `fill` (a support edge), and the formula never sees that input. */
function outside(ok: T, x: T, safe: number, f: (x: T) => T, fill: number): T {
  const xs = tf.where(ok, x, tf.fill(x.shape, safe));
  const v = f(xs);
  return tf.where(ok, v, tf.fill(v.shape, fill));
}

interface Cdf {
  /** log F(x) */
  lcdf(p: Params, x: T): T;
  /** log(1 − F(x)) */
  lccdf(p: Params, x: T): T;
}

const standardized = (p: Params, f: string, x: T) => tf.div(tf.sub(x, param(p, 'loc', f)), param(p, 'scale', f));

function laplaceSide(z: T): T {
  // log F for the standard Laplace: z + log ½ below 0, log(1 − ½e^(−z)) above.
  const below = constant(() => tf.less(z, 0));
  const zb = tf.where(below, z, tf.zerosLike(z));
  const za = tf.where(below, tf.zerosLike(z), z);
  return tf.where(below, tf.add(zb, -Math.LN2), log1p(tf.mul(-0.5, exp(tf.neg(za)))));
}

function cauchySide(z: T): T {
  // F = ½ + atan(z)/π; below 0 as atan(−1/z)/π, which keeps its precision far out in the tail.
  const below = constant(() => tf.less(z, -1));
  const zb = tf.where(below, z, tf.fill(z.shape, -2));
  const za = tf.where(below, tf.zerosLike(z), z);
  return tf.where(below, log(tf.div(tf.atan(tf.div(-1, zb)), Math.PI)), log(tf.add(0.5, tf.div(tf.atan(za), Math.PI))));
}

/** (x/scale)^shape for x > 0, as exp(shape · log(x/scale)). */
function weibullPower(p: Params, x: T): T {
  return exp(tf.mul(param(p, 'shape', 'Weibull'), log(tf.div(x, param(p, 'scale', 'Weibull')))));
}

const CDFS: Record<string, Cdf> = {
  Normal: {
    lcdf: (p, x) => logNormalCdf(standardized(p, 'Normal', x)),
    lccdf: (p, x) => logNormalCdf(tf.neg(standardized(p, 'Normal', x))),
  },
  LogNormal: {
    lcdf: (p, x) => outside(constant(() => tf.greater(x, 0)), x, 1, (v) => logNormalCdf(standardized(p, 'LogNormal', log(v))), -Infinity),
    lccdf: (p, x) => outside(constant(() => tf.greater(x, 0)), x, 1, (v) => logNormalCdf(tf.neg(standardized(p, 'LogNormal', log(v)))), 0),
  },
  HalfNormal: {
    // F(x) = erf(x / (σ√2)) = 1 − erfc(·).
    lcdf: (p, x) => outside(constant(() => tf.greater(x, 0)), x, 1, (v) => log1mExp(logErfc(tf.div(v, tf.mul(param(p, 'scale', 'HalfNormal'), Math.SQRT2)))), -Infinity),
    lccdf: (p, x) => outside(constant(() => tf.greater(x, 0)), x, 1, (v) => logErfc(tf.div(v, tf.mul(param(p, 'scale', 'HalfNormal'), Math.SQRT2))), 0),
  },
  Exponential: {
    lcdf: (p, x) => outside(constant(() => tf.greater(x, 0)), x, 1, (v) => log1mExp(tf.neg(tf.mul(param(p, 'rate', 'Exponential'), v))), -Infinity),
    lccdf: (p, x) => tf.neg(tf.mul(param(p, 'rate', 'Exponential'), tf.relu(x))),
  },
  Uniform: {
    lcdf: (p, x) => {
      const [lo, hi] = [param(p, 'low', 'Uniform'), param(p, 'high', 'Uniform')];
      return log(tf.clipByValue(tf.div(tf.sub(x, lo), tf.sub(hi, lo)), 0, 1));
    },
    lccdf: (p, x) => {
      const [lo, hi] = [param(p, 'low', 'Uniform'), param(p, 'high', 'Uniform')];
      return log(tf.clipByValue(tf.div(tf.sub(hi, x), tf.sub(hi, lo)), 0, 1));
    },
  },
  Laplace: {
    lcdf: (p, x) => laplaceSide(standardized(p, 'Laplace', x)),
    lccdf: (p, x) => laplaceSide(tf.neg(standardized(p, 'Laplace', x))),
  },
  Cauchy: {
    lcdf: (p, x) => cauchySide(standardized(p, 'Cauchy', x)),
    lccdf: (p, x) => cauchySide(tf.neg(standardized(p, 'Cauchy', x))),
  },
  Logistic: {
    // F(z) = σ(z): log F = −softplus(−z), log(1 − F) = −softplus(z).
    lcdf: (p, x) => tf.neg(softplus(tf.neg(standardized(p, 'Logistic', x)))),
    lccdf: (p, x) => tf.neg(softplus(standardized(p, 'Logistic', x))),
  },
  Weibull: {
    // 1 − F(x) = exp(−(x/scale)^shape).
    lcdf: (p, x) => outside(constant(() => tf.greater(x, 0)), x, 1, (v) => log1mExp(tf.neg(weibullPower(p, v))), -Infinity),
    lccdf: (p, x) => outside(constant(() => tf.greater(x, 0)), x, 1, (v) => tf.neg(weibullPower(p, v)), 0),
  },
  HalfCauchy: {
    // F(x) = (2/π) atan(x/σ); 1 − F = (2/π) atan(σ/x).
    lcdf: (p, x) => outside(constant(() => tf.greater(x, 0)), x, 1, (v) => log(tf.mul(2 / Math.PI, tf.atan(tf.div(v, param(p, 'scale', 'HalfCauchy'))))), -Infinity),
    lccdf: (p, x) => outside(constant(() => tf.greater(x, 0)), x, 1, (v) => log(tf.mul(2 / Math.PI, tf.atan(tf.div(param(p, 'scale', 'HalfCauchy'), v)))), 0),
  },
};

// The table's `cdf: true` and this module must agree, or a checked program would fail at run time.
for (const f of FAMILIES) {
  if (!!f.cdf !== f.name in CDFS) throw new Error(`internal: family ${f.name} ${f.cdf ? 'claims a CDF the engine lacks' : 'has a CDF the table does not list'}`);
}

export function logCdf(family: string, params: Params, x: T): T {
  const c = CDFS[family];
  if (!c) throw new Error(`${family} has no CDF`);
  return c.lcdf(params, x);
}

export function logCcdf(family: string, params: Params, x: T): T {
  const c = CDFS[family];
  if (!c) throw new Error(`${family} has no CDF`);
  return c.lccdf(params, x);
}

/**
 * log(F(hi) − F(lo)), the log mass of [lo, hi]: from the CDFs when lo is in the lower half
 * (F(lo) < ½), from the complementary CDFs otherwise, so neither difference is of two numbers
 * near 1. Either bound may be absent (−∞ or +∞).
 */
export function logMassBetween(family: string, params: Params, lo: T | undefined, hi: T | undefined): T {
  if (!lo && !hi) throw new Error('internal: a truncation without bounds');
  if (!hi) return logCcdf(family, params, lo!);
  if (!lo) return logCdf(family, params, hi);
  const fromCdf = (() => {
    const a = logCdf(family, params, hi);
    return tf.add(a, log1mExp(tf.minimum(tf.sub(logCdf(family, params, lo), a), 0)));
  })();
  const fromCcdf = (() => {
    const b = logCcdf(family, params, lo);
    return tf.add(b, log1mExp(tf.minimum(tf.sub(logCcdf(family, params, hi), b), 0)));
  })();
  const upper = constant(() => tf.greater(logCdf(family, params, lo), -Math.LN2));
  return tf.where(upper, fromCcdf, fromCdf);
}
