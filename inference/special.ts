// Special functions built from the second-order-safe op table, so that their
// derivatives (digamma from lgamma, trigamma from digamma) come from autodiff.
//
// Method: shift the argument up by the recurrences Γ(x+1) = xΓ(x) and
// ψ(x+1) = ψ(x) + 1/x until it is large enough for the asymptotic (Stirling)
// series, then sum a few terms. The shift is kept small because in float32
// the series' leading terms cancel: at x + 3 the rounding error of
// (z − ½)log z − z is a few 1e-7, which is why, next to the roots of lgamma at
// 1 and 2 (where the value is ~0), only an absolute accuracy of ~1e-6 is
// meaningful; elsewhere the relative error is below 1e-5.
import { tf } from './backend.js';
import { constant, exp, log, log1p, softplus } from './ops.js';

type T = tf.Tensor;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** Below this the argument is shifted by 3; the series error there is ~1e-8. */
const LGAMMA_SHIFT_BELOW = 3;
/** ψ's series converges more slowly than lgamma's, so it is shifted further. */
const DIGAMMA_SHIFT_BELOW = 6;

/** Horner evaluation of Σ cₖ wᵏ (k from 0) with tensor w. */
function polynomial(w: T, coefficients: number[]): T {
  let acc: T = tf.scalar(coefficients[coefficients.length - 1]!);
  for (let k = coefficients.length - 2; k >= 0; k--) acc = tf.add(tf.mul(acc, w), coefficients[k]!);
  return acc;
}

// Stirling: log Γ(z) = (z − ½) log z − z + ½ log 2π + Σ B₂ₖ / (2k(2k−1) z²ᵏ⁻¹).
const STIRLING = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360];

/** log Γ(x) for x > 0 (NaN or garbage elsewhere: callers check the domain). */
export function lgamma(x: T): T {
  const small = tf.less(x, LGAMMA_SHIFT_BELOW);
  // Both branches are evaluated by `where`; each is fed a harmless input in
  // the other's region so that neither produces Inf/NaN values or gradients.
  const xs = tf.where(small, x, tf.onesLike(x));
  const z = tf.where(small, tf.add(x, 3), x);
  const shiftLog = tf.where(small, log(tf.mul(tf.mul(xs, tf.add(xs, 1)), tf.add(xs, 2))), tf.zerosLike(x));
  const inv = tf.reciprocal(z);
  const series = tf.mul(inv, polynomial(tf.square(inv), STIRLING));
  const main = tf.sub(tf.mul(tf.sub(z, 0.5), log(z)), z);
  return tf.sub(tf.add(tf.add(main, HALF_LOG_2PI), series), shiftLog);
}

// ψ(z) = log z − 1/(2z) − Σ B₂ₖ / (2k z²ᵏ).
const DIGAMMA_SERIES = [1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132];

/** ψ(x) = d/dx log Γ(x), for x > 0. */
export function digamma(x: T): T {
  const small = tf.less(x, DIGAMMA_SHIFT_BELOW);
  const xs = tf.where(small, x, tf.onesLike(x));
  let shift: T = tf.zerosLike(x);
  for (let k = 0; k < DIGAMMA_SHIFT_BELOW; k++) shift = tf.add(shift, tf.reciprocal(tf.add(xs, k)));
  shift = tf.where(small, shift, tf.zerosLike(x));
  const z = tf.where(small, tf.add(x, DIGAMMA_SHIFT_BELOW), x);
  const inv = tf.reciprocal(z);
  const inv2 = tf.square(inv);
  const series = tf.mul(inv2, polynomial(inv2, DIGAMMA_SERIES));
  return tf.sub(tf.sub(tf.sub(log(z), tf.mul(0.5, inv)), series), shift);
}

/** log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b). */
export function logBeta(a: T, b: T): T {
  return tf.sub(tf.add(lgamma(a), lgamma(b)), lgamma(tf.add(a, b)));
}

export { softplus as log1pexp };

/** log(p / (1 − p)), with log1p keeping precision for small p. */
export function logit(p: T): T {
  return tf.sub(log(p), log1p(tf.neg(p)));
}

/**
 * log(eᵃ + eᵇ) as max + log1p(e^(−|a − b|)) written with softplus. Equal
 * infinite arguments (where a − b is NaN) give that infinity.
 */
export function logAddExp(a: T, b: T): T {
  const m = tf.maximum(a, b);
  const d = tf.sub(a, b);
  const gap = tf.where(constant(() => tf.isNaN(d)), tf.zerosLike(d), tf.abs(d));
  return tf.add(m, softplus(tf.neg(gap)));
}

// erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), for z ≥ 0: the Chebyshev fit of
// Numerical Recipes (2nd ed., §6.2, erfcc), fractional error < 1.2e-7 everywhere,
// i.e. at float32's precision. Taken in log space it never underflows.
const ERFC_FIT = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];

/** log Φ(x), the standard normal CDF, accurate in both tails (SkewNormal's density). */
export function logNormalCdf(x: T): T {
  const negative = constant(() => tf.less(x, 0));
  // −|x| with the gradient of the branch that uses it; log Φ(x) = log(1 − Φ(−x)) for x ≥ 0.
  const low = tf.where(negative, x, tf.neg(x));
  const z = tf.mul(low, -Math.SQRT1_2);
  const t = tf.reciprocal(tf.add(1, tf.mul(z, 0.5)));
  const logLow = tf.sub(tf.add(log(t), tf.sub(polynomial(t, ERFC_FIT), tf.square(z))), Math.LN2);
  return tf.where(negative, logLow, log1p(tf.neg(exp(logLow))));
}
