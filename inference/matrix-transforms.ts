// Bijectors from unconstrained vectors onto the constrained K×K matrix types (Stan's transforms,
// Stan Reference Manual, "Constraint transforms"). The last axis of u (length K(K−1)/2 or
// K(K+1)/2) maps to the last two axes of the value (K×K); leading axes are batch axes.
// tfjs has no Cholesky or triangular kernels, and K is small, so every entry is built from
// one column of u with elementwise ops, a concat and a reshape: the compiled engine's tracer
// sees ordinary kernels.
import type { MatrixSupport } from '../language/distributions.js';
import { tf } from './backend.js';
import { exp as expOp, logSigmoid, tanh } from './ops.js';
import type { Bijector } from './transforms.js';

type T = tf.Tensor;

const LOG4 = Math.log(4);

/** Free unconstrained values of a K×K value of each type. */
export function matrixFreeSize(kind: MatrixSupport, K: number): number {
  return kind === 'cholesky_factor_corr' || kind === 'corr_matrix' ? (K * (K - 1)) / 2 : (K * (K + 1)) / 2;
}

/** K from the free size n (the inverse of matrixFreeSize). */
function sizeFromFree(kind: MatrixSupport, n: number): number {
  const K = kind === 'cholesky_factor_corr' || kind === 'corr_matrix' ? (1 + Math.sqrt(1 + 8 * n)) / 2 : (Math.sqrt(1 + 8 * n) - 1) / 2;
  if (!Number.isInteger(K)) throw new Error(`internal: ${n} unconstrained values do not make a ${kind}`);
  return K;
}

/** Column k of the last axis, keeping the axis: [..., 1]. */
function col(u: T, k: number): T {
  const begin = new Array<number>(u.rank).fill(0);
  begin[u.rank - 1] = k;
  return tf.slice(u, begin, [...u.shape.slice(0, -1), 1]);
}

/** Row-major K×K entries (each [..., 1]) into one [..., K, K] tensor. */
function assemble(entries: T[], K: number, batch: number[]): T {
  return tf.reshape(tf.concat(entries, -1), [...batch, K, K]);
}

interface Factor {
  /** The lower-triangular factor, [..., K, K]. */
  L: T;
  /** log L_ii per row, each [..., 1]. */
  logDiag: T[];
  /** log |det ∂(free entries of L)/∂u|, [..., 1]. */
  logJ: T;
}

/**
 * Cholesky factor of a correlation matrix. Each unconstrained value y becomes a canonical
 * partial correlation z = tanh(y) in (−1, 1); row i takes z_i0 of its unit norm, then z_ij of
 * what is left, and its diagonal keeps the rest, so every row has unit norm. What is left,
 * 1 − Σ_{k<j} L_ik² = Π_{k<j} (1 − z_ik²), is carried in log space with the stable
 * log(1 − tanh² y) = log 4 + log σ(2y) + log σ(−2y), so saturated correlations stay finite.
 */
function corrFactor(u: T, K: number): Factor {
  const batch = u.shape.slice(0, -1);
  const zero = tf.zeros([...batch, 1]);
  const entries: T[] = [];
  const logDiag: T[] = [];
  let logJ: T = zero;
  let k = 0;
  for (let i = 0; i < K; i++) {
    let logLeft: T | undefined;
    for (let j = 0; j < i; j++) {
      const y = col(u, k++);
      const z = tanh(y);
      const twoY = tf.mul(y, 2);
      const log1mZ2 = tf.add(tf.add(logSigmoid(twoY), logSigmoid(tf.neg(twoY))), LOG4);
      if (logLeft === undefined) {
        entries.push(z);
        logJ = tf.add(logJ, log1mZ2);
        logLeft = log1mZ2;
      } else {
        const halfLeft = tf.mul(logLeft, 0.5);
        entries.push(tf.mul(z, expOp(halfLeft)));
        logJ = tf.add(logJ, tf.add(log1mZ2, halfLeft));
        logLeft = tf.add(logLeft, log1mZ2);
      }
    }
    const logLii = logLeft === undefined ? zero : tf.mul(logLeft, 0.5);
    entries.push(logLeft === undefined ? tf.ones([...batch, 1]) : expOp(logLii));
    for (let j = i + 1; j < K; j++) entries.push(zero);
    logDiag.push(logLii);
  }
  return { L: assemble(entries, K, batch), logDiag, logJ };
}

/** Cholesky factor of a covariance matrix: rows packed in order, each ending in its log-diagonal. */
function covFactor(u: T, K: number): Factor {
  const batch = u.shape.slice(0, -1);
  const zero = tf.zeros([...batch, 1]);
  const entries: T[] = [];
  const logDiag: T[] = [];
  let logJ: T = zero;
  let k = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < i; j++) entries.push(col(u, k++));
    const d = col(u, k++);
    entries.push(expOp(d));
    logDiag.push(d);
    logJ = tf.add(logJ, d);
    for (let j = i + 1; j < K; j++) entries.push(zero);
  }
  return { L: assemble(entries, K, batch), logDiag, logJ };
}

const outer = (L: T): T => tf.matMul(L, L, false, true);

/**
 * log |det| of the Jacobian of L ↦ L Lᵀ, from the free entries of L to the free entries of
 * the product (0-based i): Σ_i (K − i) log L_ii + K log 2 onto the lower triangle of a
 * covariance; Σ_i (K − i − 1) log L_ii onto the strict lower triangle of a correlation
 * (unit rows: each diagonal L_ii is a function of the row's other entries).
 */
function outerLogJ(logDiag: T[], K: number, corr: boolean): T {
  let acc: T = tf.zerosLike(logDiag[0]!);
  logDiag.forEach((ld, i) => {
    const power = corr ? K - i - 1 : K - i;
    if (power > 0) acc = tf.add(acc, tf.mul(ld, power));
  });
  return corr ? acc : tf.add(acc, K * Math.LN2);
}

const squeezeLast = (t: T): T => tf.reshape(t, t.shape.slice(0, -1));

// Inverses run on plain numbers: they only set starting points and check round trips.

function rows(x: T): { data: Float32Array; batch: number[]; K: number; count: number } {
  const K = x.shape[x.rank - 1]!;
  const batch = x.shape.slice(0, -2);
  return { data: x.dataSync() as Float32Array, batch, K, count: batch.reduce((a, b) => a * b, 1) };
}

function corrFactorInverse(L: ArrayLike<number>, off: number, K: number, out: number[]): void {
  for (let i = 1; i < K; i++) {
    let left = 1;
    for (let j = 0; j < i; j++) {
      const v = L[off + i * K + j]!;
      const z = Math.max(-1 + 1e-7, Math.min(1 - 1e-7, v / Math.sqrt(left)));
      out.push(Math.atanh(z));
      left -= v * v;
    }
  }
}

function covFactorInverse(L: ArrayLike<number>, off: number, K: number, out: number[]): void {
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < i; j++) out.push(L[off + i * K + j]!);
    out.push(Math.log(L[off + i * K + i]!));
  }
}

/** Cholesky factor of one symmetric positive-definite K×K block, in float64. */
export function choleskyOf(A: ArrayLike<number>, off: number, K: number): Float64Array | undefined {
  const L = new Float64Array(K * K);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[off + i * K + j]!;
      for (let k = 0; k < j; k++) s -= L[i * K + k]! * L[j * K + k]!;
      if (i === j) {
        if (!(s > 0)) return undefined;
        L[i * K + i] = Math.sqrt(s);
      } else L[i * K + j] = s / L[j * K + j]!;
    }
  }
  return L;
}

/** The free values of one K×K value at `off` in `x` (row-major), appended to `out`. */
export function matrixUnconstrain(kind: MatrixSupport, x: ArrayLike<number>, off: number, K: number, out: number[] = []): number[] {
  let L: ArrayLike<number> = x;
  let at = off;
  if (kind === 'corr_matrix' || kind === 'cov_matrix') {
    const c = choleskyOf(x, off, K);
    if (!c) throw new Error(`a ${kind} value is not positive definite`);
    L = c;
    at = 0;
  }
  if (kind === 'cholesky_factor_corr' || kind === 'corr_matrix') corrFactorInverse(L, at, K, out);
  else covFactorInverse(L, at, K, out);
  return out;
}

function inverse(x: T, kind: MatrixSupport): T {
  const { data, batch, K, count } = rows(x);
  const out: number[] = [];
  for (let b = 0; b < count; b++) matrixUnconstrain(kind, data, b * K * K, K, out);
  return tf.tensor(out, [...batch, matrixFreeSize(kind, K)]);
}

function matrixBijector(kind: MatrixSupport): Bijector {
  const corr = kind === 'cholesky_factor_corr' || kind === 'corr_matrix';
  const factor = (u: T): Factor => (corr ? corrFactor : covFactor)(u, sizeFromFree(kind, u.shape[u.rank - 1]!));
  const isFactor = kind === 'cholesky_factor_corr' || kind === 'cholesky_factor_cov';
  return {
    name: kind,
    forward(u) {
      const { L } = factor(u);
      return isFactor ? L : outer(L);
    },
    inverse: (x) => inverse(x, kind),
    logDetJacobian(u) {
      const f = factor(u);
      const K = sizeFromFree(kind, u.shape[u.rank - 1]!);
      return squeezeLast(isFactor ? f.logJ : tf.add(f.logJ, outerLogJ(f.logDiag, K, corr)));
    },
  };
}

export const MATRIX_BIJECTORS: Record<MatrixSupport, Bijector> = {
  cholesky_factor_corr: matrixBijector('cholesky_factor_corr'),
  cholesky_factor_cov: matrixBijector('cholesky_factor_cov'),
  corr_matrix: matrixBijector('corr_matrix'),
  cov_matrix: matrixBijector('cov_matrix'),
};
