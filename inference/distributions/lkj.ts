// LKJ families (Lewandowski, Kurowicka and Joe 2009) on correlation matrices and their
// Cholesky factors. The value is K×K (its last two axes); eta arrives padded to the value's
// rank, [P, 1, 1], and the log density has the batch shape [P].
//
// Row i of the factor L (0-based) is a unit vector whose free part x = (L_i0 … L_i,i−1)
// lies in the unit ball of ℝ^i with L_ii = √(1 − |x|²). The LKJ(η) density on Ω = L Lᵀ,
// ∝ det(Ω)^(η−1) = Π L_ii^(2η−2), times the Jacobian of L ↦ L Lᵀ, Π L_ii^(K−i−1), makes the
// rows independent with density ∝ (1 − |x|²)^(a_i), a_i = (K − i − 1)/2 + η − 1: this is
// Stan's lkj_corr_cholesky, Σ_{k≥2} (K − k + 2η − 2) log L_kk with k 1-based. Integrating
// over the ball in polar coordinates gives each row's normaliser π^(i/2) Γ(a_i + 1) / Γ(i/2 + a_i + 1),
// and |x|² ~ Beta(i/2, a_i + 1), which is how draws are made.
import { tf } from '../backend.js';
import { constant, log, sqrt } from '../ops.js';
import { normalNoise } from '../noise.js';
import { lgamma } from '../special.js';
import { tidy } from './continuous.js';
import { param, restrict, standardGamma, subSeed } from './common.js';
import type { Distribution, Params } from './types.js';

type T = tf.Tensor;

const LOG_PI = Math.log(Math.PI);

/** eta [P, 1, 1] → [P] (the batch of the matrices). */
function batchEta(params: Params, family: string): T {
  const eta = param(params, 'eta', family);
  return eta.rank >= 2 ? tf.reshape(eta, eta.shape.slice(0, -2)) : eta;
}

/** The [..., 1, 1] entry (i, j) of a [..., K, K] tensor, as [...]. */
function entry(x: T, i: number, j: number): T {
  const begin = new Array<number>(x.rank).fill(0);
  begin[x.rank - 2] = i;
  begin[x.rank - 1] = j;
  return tf.reshape(tf.slice(x, begin, [...x.shape.slice(0, -2), 1, 1]), x.shape.slice(0, -2));
}

/** log of the LKJ(η) normalising constant for K×K, with respect to the free entries of L (and of Ω: the same). */
export function lkjLogNormaliser(eta: T, K: number): T {
  let acc: T = tf.zerosLike(eta);
  for (let i = 1; i < K; i++) {
    const b = tf.add(eta, (K - 1 - i) / 2); // a_i + 1
    acc = tf.add(acc, tf.sub(tf.add(lgamma(b), (i / 2) * LOG_PI), lgamma(tf.add(b, i / 2))));
  }
  return tf.neg(acc);
}

/** Σ_{i≥1} (K − i − 1 + 2η − 2) log L_ii over the factor's diagonal; −∞ off the support (a diagonal ≤ 0). */
function factorLogDensity(eta: T, logDiag: (i: number) => T, positive: T, K: number): T {
  let lp: T = lkjLogNormaliser(eta, K);
  for (let i = 1; i < K; i++) lp = tf.add(lp, tf.mul(tf.add(tf.mul(eta, 2), K - i - 3), logDiag(i)));
  return restrict(positive, lp);
}

/** Draws of L: [...batch, K, K]. */
function sampleFactor(eta: T, shape: number[], seed: number): T {
  const K = shape[shape.length - 1]!;
  const batch = shape.slice(0, -2);
  const e = tf.broadcastTo(tf.reshape(eta, [...eta.shape, ...new Array<number>(Math.max(0, batch.length - eta.rank)).fill(1)]), batch);
  const rows: T[] = [tf.concat([tf.ones([...batch, 1]), tf.zeros([...batch, K - 1])], -1)];
  for (let i = 1; i < K; i++) {
    // |x|² = g1 / (g1 + g2) ~ Beta(i/2, η + (K − 1 − i)/2); its direction is uniform on the sphere.
    // standardGamma draws its own noise at sub-seeds +1 … +3 of the seed it is given: streams 4 apart never share one.
    const g1 = standardGamma(tf.fill([...batch], i / 2), subSeed(seed, 12 * i));
    const g2 = standardGamma(tf.add(e, (K - 1 - i) / 2), subSeed(seed, 12 * i + 4));
    const y = tf.div(g1, tf.add(g1, g2));
    const n = normalNoise([...batch, i], subSeed(seed, 12 * i + 8));
    const dir = tf.div(n, tf.sqrt(tf.sum(tf.square(n), -1, true)));
    const x = tf.mul(dir, tf.expandDims(tf.sqrt(y), -1));
    const diag = tf.expandDims(tf.sqrt(tf.sub(1, y)), -1);
    const parts = [x, diag];
    if (K - 1 - i > 0) parts.push(tf.zeros([...batch, K - 1 - i]));
    rows.push(tf.concat(parts, -1));
  }
  return tf.stack(rows, -2);
}

export function lkjCorrCholesky(params: Params): Distribution {
  const f = 'LKJCorrCholesky';
  return tidy({
    family: f,
    logProb(x) {
      const K = x.shape[x.rank - 1]!;
      const eta = batchEta(params, f);
      const diag = Array.from({ length: K }, (_, i) => entry(x, i, i));
      const positive = constant(() => diag.reduce<T>((acc, d) => tf.logicalAnd(acc, tf.greater(d, 0)), tf.onesLike(diag[0]!).cast('bool')));
      const logDiag = (i: number) => log(tf.where(positive, diag[i]!, tf.onesLike(diag[i]!)));
      return factorLogDensity(eta, logDiag, positive, K);
    },
    sample: (shape, seed) => sampleFactor(batchEta(params, f), shape, seed),
    mean: () => {
      throw new Error('LKJCorrCholesky: no mean is computed for it');
    },
  });
}

/**
 * Cholesky factor of a batch of symmetric matrices, by columns with elementwise ops (tfjs has
 * no Cholesky kernel): returns the log-diagonal and whether every pivot was positive.
 */
function choleskyLogDiag(x: T): { logDiag: T[]; positive: T } {
  const K = x.shape[x.rank - 1]!;
  const L: T[][] = [];
  const logDiag: T[] = [];
  let positive: T = tf.onesLike(entry(x, 0, 0)).cast('bool');
  for (let i = 0; i < K; i++) {
    L.push([]);
    for (let j = 0; j <= i; j++) {
      let s = entry(x, i, j);
      for (let k = 0; k < j; k++) s = tf.sub(s, tf.mul(L[i]![k]!, L[j]![k]!));
      if (i === j) {
        const ok = tf.greater(s, 0);
        positive = tf.logicalAnd(positive, ok);
        const safe = tf.where(ok, s, tf.onesLike(s));
        L[i]!.push(sqrt(safe));
        logDiag.push(tf.mul(log(safe), 0.5));
      } else L[i]!.push(tf.div(s, L[j]![j]!));
    }
  }
  return { logDiag, positive };
}

export function lkjCorr(params: Params): Distribution {
  const f = 'LKJCorr';
  return tidy({
    family: f,
    logProb(x) {
      // (η − 1) log det Ω = Σ_i (2η − 2) log L_ii for Ω's Cholesky factor L; the i = 0 term is 0.
      const K = x.shape[x.rank - 1]!;
      const eta = batchEta(params, f);
      const { logDiag, positive } = choleskyLogDiag(x);
      let lp: T = lkjLogNormaliser(eta, K);
      for (let i = 1; i < K; i++) lp = tf.add(lp, tf.mul(tf.mul(tf.sub(eta, 1), 2), logDiag[i]!));
      return restrict(constant(() => tf.clone(positive)), lp);
    },
    sample(shape, seed) {
      const L = sampleFactor(batchEta(params, f), shape, seed);
      return tf.matMul(L, L, false, true);
    },
    mean: () => {
      throw new Error('LKJCorr: no mean is computed for it (it is the identity)');
    },
  });
}
