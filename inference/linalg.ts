// Dense linear algebra on the trailing two axes of a tensor, written in plain tfjs ops.
// tfjs has no Cholesky or triangular-solve kernel; these loops over rows and columns (K
// steps of slices, products and sums) are traced kernel by kernel into the compiled
// engine's IR, whose reverse mode differentiates them to any order. Leading axes (the particle
// axis and any batch) broadcast as in elementwise arithmetic. Matrices here are small
// (K up to ~50): the loops cost O(K) kernels, each O(K²) work.
import { tf } from './backend.js';

type T = tf.Tensor;

/** x[..., start : start + len, ...] along `axis` (negative counts from the end); keeps the axis. */
export function take(x: T, axis: number, start: number, len: number): T {
  const a = axis < 0 ? x.rank + axis : axis;
  const begin = x.shape.map((_, i) => (i === a ? start : 0));
  const size = x.shape.map((d, i) => (i === a ? len : d));
  return tf.slice(x, begin, size);
}

/** x[..., i] along `axis`, dropping it. */
function at(x: T, axis: number, i: number): T {
  const a = axis < 0 ? x.rank + axis : axis;
  return tf.squeeze(take(x, a, i, 1), [a]);
}

/** The K×K identity (a constant). */
export function eye(k: number): T {
  return tf.eye(k);
}

/** Indicator of rows ≥ j among K: the part of column j a lower-triangular factor may fill. */
function lowerMask(k: number, j: number): T {
  return tf.tensor1d(Array.from({ length: k }, (_, i) => (i >= j ? 1 : 0)), 'float32');
}

/**
 * The lower Cholesky factor L (L Lᵀ = A) of symmetric positive-definite matrices A [..., K, K],
 * column by column (left-looking): v = A[:, j] − L[:, :j] L[j, :j]ᵀ, L[j, j] = √v[j],
 * L[i, j] = v[i] / L[j, j] below. Only the lower triangle of A is read. A matrix that is not
 * positive definite gives NaN (the square root of a non-positive pivot).
 */
export function cholesky(a: T): T {
  const k = a.shape[a.rank - 1]!;
  // The factor so far, columns ≥ j still zero: each step adds one column as an outer product
  // with the unit vector e_j, so every step's ops have one size (no growing concatenations).
  let l: T = tf.zerosLike(a);
  for (let j = 0; j < k; j++) {
    let v = at(a, -1, j);
    if (j > 0) v = tf.sub(v, tf.sum(tf.mul(l, take(l, -2, j, 1)), -1));
    const pivot = tf.sqrt(take(v, -1, j, 1));
    const col = tf.mul(tf.div(v, pivot), lowerMask(k, j));
    l = j === 0 ? tf.mul(tf.expandDims(col, -1), unit(k, j)) : tf.add(l, tf.mul(tf.expandDims(col, -1), unit(k, j)));
  }
  return l;
}

/** e_j among K, as a row [1, K]. */
function unit(k: number, j: number): T {
  return tf.tensor2d(Array.from({ length: k }, (_, i) => (i === j ? 1 : 0)), [1, k], 'float32');
}

/** The diagonal of square matrices [..., K, K] → [..., K] (a product with the identity: cheap and smooth). */
export function diagonal(m: T): T {
  const k = m.shape[m.rank - 1]!;
  return tf.sum(tf.mul(m, eye(k)), -1);
}

/** Diagonal matrices [..., K, K] from vectors [..., K]. */
export function diagMatrix(v: T): T {
  const k = v.shape[v.rank - 1]!;
  return tf.mul(tf.expandDims(v, -1), eye(k));
}

/** e_i among K, as a column [K, 1]. */
function unitColumn(k: number, i: number): T {
  return tf.tensor2d(Array.from({ length: k }, (_, r) => (r === i ? 1 : 0)), [k, 1], 'float32');
}

/**
 * Substitution over the rows of X in the given order: row i is (B[i] − cᵢ · X) / dᵢ, where
 * cᵢ [..., K] holds the coefficients of the rows already solved (the rest of X is still zero,
 * so whole rows and columns can be used) and dᵢ the pivot. Each solved row is added to X as an
 * outer product with e_i, so every step's ops have one size.
 */
function substitute(l: T, b: T, order: number[], coefficients: (i: number) => T): T {
  const k = l.shape[l.rank - 1]!;
  let x: T | undefined;
  for (const i of order) {
    let r = at(b, -2, i); // [..., M]
    const c = coefficients(i); // [..., K]
    if (x !== undefined) r = tf.sub(r, tf.sum(tf.mul(tf.expandDims(c, -1), x), -2));
    const row = tf.div(r, take(c, -1, i, 1));
    const placed = tf.mul(unitColumn(k, i), tf.expandDims(row, -2)); // [..., K, M]
    x = x === undefined ? placed : tf.add(x, placed);
  }
  return x!;
}

/**
 * X = L⁻¹ B for lower-triangular L [..., K, K] and B [..., K, M], by forward substitution:
 * row i of X is (B[i] − L[i, :i] X[:i]) / L[i, i].
 */
export function solveLower(l: T, b: T): T {
  const k = l.shape[l.rank - 1]!;
  return substitute(l, b, Array.from({ length: k }, (_, i) => i), (i) => at(l, -2, i));
}

/**
 * X = L⁻ᵀ B for lower-triangular L [..., K, K] and B [..., K, M] (Lᵀ is upper triangular), by
 * back substitution: row i of X is (B[i] − Σ_{k>i} L[k, i] X[k]) / L[i, i].
 */
export function solveLowerTransposed(l: T, b: T): T {
  const k = l.shape[l.rank - 1]!;
  return substitute(l, b, Array.from({ length: k }, (_, i) => k - 1 - i), (i) => at(l, -1, i));
}

/** L⁻¹ b for vectors b [..., K]. */
export function solveLowerVector(l: T, b: T): T {
  return tf.squeeze(solveLower(l, tf.expandDims(b, -1)), [-1]);
}

/** L v for lower-triangular (or any) L [..., K, K] and vectors v [..., K], broadcasting the leading axes. */
export function matVec(l: T, v: T): T {
  return tf.sum(tf.mul(l, tf.expandDims(v, -2)), -1);
}

/** log det A = 2 Σ log L[i, i] for the Cholesky factor L of SPD matrices A [..., K, K] → [...]. */
export function logDeterminantSPD(a: T): T {
  return tf.mul(2, tf.sum(tf.log(diagonal(cholesky(a))), -1));
}

/** A [..., N, K] @ B [..., K, M] with the leading axes broadcast first (tfjs's matMul needs equal batches). */
export function batchMatMul(a: T, b: T, transposeA = false, transposeB = false): T {
  const rank = Math.max(a.rank, b.rank);
  const lift = (x: T): T => (x.rank < rank ? x.reshape([...new Array<number>(rank - x.rank).fill(1), ...x.shape]) : x);
  let x = lift(a);
  let y = lift(b);
  const lead = x.shape.slice(0, -2).map((d, i) => Math.max(d, y.shape[i]!));
  if (x.shape.slice(0, -2).some((d, i) => d !== lead[i])) x = tf.broadcastTo(x, [...lead, ...x.shape.slice(-2)]);
  if (y.shape.slice(0, -2).some((d, i) => d !== lead[i])) y = tf.broadcastTo(y, [...lead, ...y.shape.slice(-2)]);
  return tf.matMul(x, y, transposeA, transposeB);
}
