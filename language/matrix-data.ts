// Checks of data declared with a constrained matrix type, at load: the first problem found in
// one K×K value, named by its element (0-based, as the language indexes).

import type { MatrixConstraint } from './types.js';

/** Entries are compared with this slack relative to their size: JSON of float64 round-trips exactly, a CSV of rounded numbers may not. */
const TOL = 1e-8;

const close = (a: number, b: number): boolean => Math.abs(a - b) <= TOL * Math.max(1, Math.abs(a), Math.abs(b));

const fmt = (v: number): string => String(Math.round(v * 1e9) / 1e9);

/**
 * The problem with the K×K value at `off` in `values` (row-major), or undefined.
 * `at(i, j)` names an element, e.g. `Sigma[0, 1]` or `Sigma[2, 0, 1]` inside an array of matrices.
 */
export function matrixProblem(kind: MatrixConstraint, values: ArrayLike<number>, off: number, K: number, at: (i: number, j: number) => string): string | undefined {
  const v = (i: number, j: number) => values[off + i * K + j]!;
  if (kind === 'cholesky_factor_corr' || kind === 'cholesky_factor_cov') {
    for (let i = 0; i < K; i++) {
      for (let j = i + 1; j < K; j++) {
        if (v(i, j) !== 0) return `${at(i, j)} is ${fmt(v(i, j))}, but a ${kind} is lower triangular (zero above the diagonal)`;
      }
      if (!(v(i, i) > 0)) return `${at(i, i)} is ${fmt(v(i, i))}, but a ${kind} has a positive diagonal`;
    }
    if (kind === 'cholesky_factor_corr') {
      for (let i = 0; i < K; i++) {
        let norm2 = 0;
        for (let j = 0; j <= i; j++) norm2 += v(i, j) ** 2;
        if (!close(norm2, 1)) return `row ${at(i, 0).replace(/, 0\]$/, ']')} has squared norm ${fmt(norm2)}, but the rows of a cholesky_factor_corr have unit norm`;
      }
    }
    return undefined;
  }
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < i; j++) {
      if (!close(v(i, j), v(j, i))) return `${at(i, j)} is ${fmt(v(i, j))} but ${at(j, i)} is ${fmt(v(j, i))}: a ${kind} is symmetric`;
    }
  }
  if (kind === 'corr_matrix') {
    for (let i = 0; i < K; i++) if (!close(v(i, i), 1)) return `${at(i, i)} is ${fmt(v(i, i))}, but a corr_matrix has ones on its diagonal`;
  }
  // Positive definite: every pivot of the Cholesky factorisation is positive. The first that is
  // not names the leading block that fails.
  const L = new Float64Array(K * K);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j <= i; j++) {
      let s = v(i, j);
      for (let k = 0; k < j; k++) s -= L[i * K + k]! * L[j * K + k]!;
      if (i === j) {
        if (!(s > 0)) {
          const lead = i === 0 ? `${at(0, 0)} is ${fmt(v(0, 0))}` : `its leading ${i + 1}×${i + 1} block (through ${at(i, i)}) has determinant ≤ 0`;
          return `a ${kind} must be positive definite, but ${lead}`;
        }
        L[i * K + i] = Math.sqrt(s);
      } else L[i * K + j] = s / L[j * K + j]!;
    }
  }
  return undefined;
}
