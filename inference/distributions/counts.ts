// Exact samplers for Poisson and Binomial counts written in tfjs ops over noise
// drawn through noise.ts, with a fixed number of ops per draw (no value read
// back, no loop that depends on a value), so that a step that draws counts is
// traced and compiled like any other (compile/trace.ts). Both branches of each
// sampler are computed for every element and one is selected by the parameters:
//
// - small means (Poisson λ < 10, Binomial n·min(p, 1 − p) < 10): inversion,
//   k = #{j < K : F(j) ≤ u} for one uniform u, with the pmf built by its
//   recursion p(j) = p(j − 1)·r(j). K = 45 terms: for a mean μ < 10 the Chernoff
//   bound P(X ≥ K) ≤ e^(−μ)(eμ/K)^K (Poisson, and Binomial, whose tail it also
//   bounds) is < 6e-15 at K = 45, and a draw from that tail returns K.
// - larger means: Hörmann's transformed rejection with squeeze, PTRS for Poisson
//   and BTRS for Binomial ("The transformed rejection method for generating
//   Poisson random variables", 1993; "The generation of binomial random
//   variates", 1993), with ROUNDS proposals drawn at once and the first accepted
//   kept. A round accepts with probability ≥ 0.75 (PTRS, λ ≥ 10; the hat's area
//   is 1/invalpha, 0.75 at λ = 10 rising to 0.89) and ≥ 0.70 (BTRS, n·p ≥ 10;
//   0.71 at n = 20, p = ½, measured in float64 over 2·10⁶ rounds, rising to
//   0.88), so all 24 rounds fail with probability < 0.30²⁴ < 3e-13 per draw;
//   a draw whose rounds all fail returns ⌊λ⌋ (Poisson) or the mode ⌊(n + 1)p⌋
//   (Binomial).
//
// The acceptance tests compare log pmf's written in Loader's saddle-point form
// (a Stirling remainder δ and the deviance bd0(x, M) = x log(x/M) + M − x) rather
// than as differences of log-gammas, which lose everything in float32 at large
// counts (log Γ(10⁴) ≈ 8·10⁴ has a float32 spacing of 0.008). The remainder is a
// table below 16 and its series (four terms, error < 2e-14) above; with float64
// arithmetic (the compiled step) the law drawn differs from the family's by less
// than ~1e-12 in total variation plus the failure probabilities above. On tfjs
// (float32 values and float32 uniforms: the tfjs lowering) boundaries move by float32
// rounding, ~1e-7 relative per probability; counts above 2²⁴ are not
// representable there at all.
import { tf } from '../backend.js';
import { uniformNoise } from '../noise.js';
import { constant } from '../ops.js';
import { subSeed } from './common.js';

type T = tf.Tensor;

/** Terms of the inversion table; see above for the tail bound. */
const INVERSION_TERMS = 45;
/** From this mean on, transformed rejection replaces inversion. */
const REJECTION_FROM = 10;
/** Rejection rounds drawn at once; all fail with probability < 3e-13 (see above). */
const ROUNDS = 24;
/** Proposals with 0.5 − |U| below this are rejected: they lie ≥ 10⁵ standard deviations out (mass < e^(−10⁹)), and their hat value overflows. */
const MIN_US = 1e-6;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** Below this the Stirling remainder comes from a table. */
const STIRLING_TABLE = 16;
/** δ(k) = log k! − (k log k − k + ½ log 2πk) for k = 1 … 15, from exact sums of logs. */
const STIRLING_REMAINDER: number[] = (() => {
  const out = [0];
  let logFactorial = 0;
  for (let k = 1; k < STIRLING_TABLE; k++) {
    logFactorial += Math.log(k);
    out.push(logFactorial - (k * Math.log(k) - k + HALF_LOG_2PI + 0.5 * Math.log(k)));
  }
  return out;
})();

const f32 = (x: T): T => tf.cast(x, 'float32');

/** δ(k) for integers k ≥ 1 (k is clamped to 1 below): looked up below 16, 1/12k − 1/360k³ + 1/1260k⁵ − 1/1680k⁷ above. */
function stirlingRemainder(k: T): T {
  const kc = tf.maximum(k, 1);
  const inv = tf.reciprocal(tf.maximum(kc, STIRLING_TABLE));
  const inv2 = tf.square(inv);
  const series = tf.mul(inv, tf.add(1 / 12, tf.mul(inv2, tf.add(-1 / 360, tf.mul(inv2, tf.add(1 / 1260, tf.mul(inv2, -1 / 1680)))))));
  // One lookup by index (index 0 where the series serves): a gather by indices computed at run time.
  const index = tf.cast(tf.reshape(tf.where(tf.less(kc, STIRLING_TABLE), kc, tf.zerosLike(kc)), [-1]), 'int32');
  const table = tf.reshape(tf.gather(tf.tensor1d(STIRLING_REMAINDER), index), kc.shape);
  return tf.where(tf.less(kc, STIRLING_TABLE), table, series);
}

/** bd0(x, M) = x log(x/M) + M − x = M·φ((x − M)/M), φ(t) = (1 + t) log1p(t) − t, for x ≥ 0, M > 0. */
function deviance(x: T, m: T): T {
  const t = tf.div(tf.sub(x, m), m);
  return tf.mul(m, tf.sub(tf.mul(tf.add(1, t), tf.log1p(t)), t));
}

/** log Poisson(k; λ) for integers k ≥ 0. */
export function poissonLogPmf(k: T, lambda: T): T {
  const k1 = tf.maximum(k, 1);
  const lf = tf.neg(tf.add(tf.add(deviance(k1, lambda), tf.mul(0.5, tf.log(k1))), tf.add(stirlingRemainder(k1), HALF_LOG_2PI)));
  return tf.where(tf.lessEqual(k, 0), tf.neg(lambda), lf);
}

/** log Binomial(k; n, q) for integers 0 ≤ k ≤ n, n ≥ 2, 0 < q < 1. */
export function binomialLogPmf(k: T, n: T, q: T): T {
  const k1 = tf.clipByValue(k, 1, Infinity);
  const k2 = tf.minimum(k1, tf.sub(n, 1));
  const rest = tf.sub(n, k2);
  const devs = tf.add(deviance(k2, tf.mul(n, q)), deviance(rest, tf.mul(n, tf.sub(1, q))));
  const remainders = tf.sub(stirlingRemainder(n), tf.add(stirlingRemainder(k2), stirlingRemainder(rest)));
  const logRatio = tf.mul(0.5, tf.log(tf.div(n, tf.mul(k2, rest))));
  const lf = tf.sub(tf.add(remainders, logRatio), tf.add(devs, HALF_LOG_2PI));
  const atZero = tf.mul(n, tf.log1p(tf.neg(q)));
  const atN = tf.mul(n, tf.log(q));
  return tf.where(tf.lessEqual(k, 0), atZero, tf.where(tf.greaterEqual(k, n), atN, lf));
}

/**
 * k = #{j < K : F(j) ≤ u}, F the CDF of the pmf p(0) = first, p(j) = p(j − 1)·ratio(j);
 * P(k = m) = F(m) − F(m − 1).
 */
function invert(u: T, first: T, ratio: (j: number) => T): T {
  let term = first;
  let cdf = first;
  let k = f32(tf.greaterEqual(u, cdf));
  for (let j = 1; j < INVERSION_TERMS; j++) {
    term = tf.mul(term, ratio(j));
    cdf = tf.add(cdf, term);
    k = tf.add(k, f32(tf.greaterEqual(u, cdf)));
  }
  return k;
}

/** The first accepted of the rounds' proposals (axis 0), `fallback` where none is. */
function firstAccepted(accepted: T, proposals: T, fallback: T): T {
  let draw = fallback;
  for (let r = ROUNDS - 1; r >= 0; r--) draw = tf.where(tf.gather(accepted, r), tf.gather(proposals, r), draw);
  return draw;
}

/** Hörmann's proposal: U uniform on (−½, ½), V on [0, 1), us = ½ − |U|, k = ⌊(2a/us + b)U + c⌋. */
function proposals(shape: number[], seed: number, a: T, b: T, c: T): { us: T; v: T; k: T; inRange: T } {
  const u = tf.sub(uniformNoise([ROUNDS, ...shape], subSeed(seed, 2)), 0.5);
  const v = uniformNoise([ROUNDS, ...shape], subSeed(seed, 3));
  const us = tf.sub(0.5, tf.abs(u));
  const safe = tf.maximum(us, MIN_US);
  const k = tf.floor(tf.add(tf.mul(tf.add(tf.div(tf.mul(2, a), safe), b), u), c));
  return { us: safe, v, k, inRange: tf.greaterEqual(us, MIN_US) };
}

/** Poisson(λ) draws, one per element of `rate` (λ ≥ 0); computed off the tape (a draw has no gradient). */
export function poissonCounts(rate: T, seed: number): T {
  return constant(() => poissonBody(rate, seed));
}

function poissonBody(rate: T, seed: number): T {
  const shape = rate.shape;
  const lambda = tf.maximum(rate, 0);
  const small = tf.less(lambda, REJECTION_FROM);

  // Inversion, fed λ = 0 where rejection serves.
  const lamI = tf.where(small, lambda, tf.zerosLike(lambda));
  const byInversion = invert(uniformNoise(shape, subSeed(seed, 1)), tf.exp(tf.neg(lamI)), (j) => tf.div(lamI, j));

  // PTRS, fed λ = 10 where inversion serves.
  const lam = tf.maximum(lambda, REJECTION_FROM);
  const b = tf.add(0.931, tf.mul(2.53, tf.sqrt(lam)));
  const a = tf.add(-0.059, tf.mul(0.02483, b));
  const logInvAlpha = tf.log(tf.add(1.1239, tf.div(1.1328, tf.sub(b, 3.4))));
  const vr = tf.sub(0.9277, tf.div(3.6224, tf.sub(b, 2)));
  const p = proposals(shape, seed, a, b, tf.add(lam, 0.43));
  const squeeze = tf.logicalAnd(tf.greaterEqual(p.us, 0.07), tf.lessEqual(p.v, vr));
  const hat = tf.sub(tf.add(tf.log(p.v), logInvAlpha), tf.log(tf.add(tf.div(a, tf.square(p.us)), b)));
  const tested = tf.lessEqual(hat, poissonLogPmf(tf.maximum(p.k, 0), lam));
  const excluded = tf.logicalAnd(tf.less(p.us, 0.013), tf.greater(p.v, p.us));
  const ok = tf.logicalAnd(tf.logicalAnd(p.inRange, tf.greaterEqual(p.k, 0)), tf.logicalOr(squeeze, tf.logicalAnd(tf.logicalNot(excluded), tested)));
  const byRejection = firstAccepted(ok, p.k, tf.floor(lam));

  return tf.where(small, byInversion, byRejection);
}

/** Binomial(n, p) draws, one per element of the (equally shaped) `n` (integers ≥ 0) and `p` (in [0, 1]); off the tape. */
export function binomialCounts(n: T, p: T, seed: number): T {
  return constant(() => binomialBody(n, p, seed));
}

function binomialBody(n: T, p: T, seed: number): T {
  const shape = n.shape;
  // Drawn for q = min(p, 1 − p) and flipped back: n − Binomial(n, 1 − p) is Binomial(n, p).
  const flip = tf.greater(p, 0.5);
  const q = tf.where(flip, tf.sub(1, p), p);
  const small = tf.less(tf.mul(n, q), REJECTION_FROM);

  // Inversion, fed n = 0 where rejection serves: p(0) = (1 − q)ⁿ, p(j) = p(j − 1)·(n − j + 1)/j·q/(1 − q).
  const nI = tf.where(small, n, tf.zerosLike(n));
  const qI = tf.where(small, q, tf.zerosLike(q));
  const odds = tf.div(qI, tf.sub(1, qI));
  const first = tf.exp(tf.mul(nI, tf.log1p(tf.neg(qI))));
  const byInversion = invert(uniformNoise(shape, subSeed(seed, 1)), first, (j) => tf.mul(odds, tf.div(tf.maximum(tf.sub(nI, j - 1), 0), j)));

  // BTRS, fed n = 20, q = ½ where inversion serves.
  const nB = tf.where(small, tf.fill(shape, 2 * REJECTION_FROM), n);
  const qB = tf.where(small, tf.fill(shape, 0.5), q);
  const spq = tf.sqrt(tf.mul(tf.mul(nB, qB), tf.sub(1, qB)));
  const b = tf.add(1.15, tf.mul(2.53, spq));
  const a = tf.add(tf.add(-0.0873, tf.mul(0.0248, b)), tf.mul(0.01, qB));
  const alpha = tf.mul(tf.add(2.83, tf.div(5.1, b)), spq);
  const vr = tf.sub(0.92, tf.div(4.2, b));
  const mode = tf.floor(tf.mul(tf.add(nB, 1), qB));
  const pr = proposals(shape, seed, a, b, tf.add(tf.mul(nB, qB), 0.5));
  const inside = tf.logicalAnd(pr.inRange, tf.logicalAnd(tf.greaterEqual(pr.k, 0), tf.lessEqual(pr.k, nB)));
  const squeeze = tf.logicalAnd(tf.greaterEqual(pr.us, 0.07), tf.lessEqual(pr.v, vr));
  const kc = tf.minimum(tf.maximum(pr.k, 0), nB);
  const hat = tf.log(tf.div(tf.mul(pr.v, alpha), tf.add(tf.div(a, tf.square(pr.us)), b)));
  const tested = tf.lessEqual(hat, tf.sub(binomialLogPmf(kc, nB, qB), binomialLogPmf(mode, nB, qB)));
  const byRejection = firstAccepted(tf.logicalAnd(inside, tf.logicalOr(squeeze, tested)), kc, mode);

  const k = tf.where(small, byInversion, byRejection);
  return tf.where(flip, tf.sub(n, k), k);
}
