// Bijectors onto the constrained matrix types, against an independent float64 version of
// Stan's transforms written here: same values, constraints hold, inverse ∘ forward = id, and
// the log-Jacobian equals log |det| of a finite-difference Jacobian (float64, ml-matrix) from
// the unconstrained values to the free entries of the value.
import { describe, expect, it } from 'vitest';
import { determinant, Matrix } from 'ml-matrix';
import { tf } from '../../inference/backend.js';
import { bijectorFor } from '../../inference/transforms.js';
import { matrixFreeSize } from '../../inference/matrix-transforms.js';
import type { MatrixSupport } from '../../language/distributions.js';
import { Rng } from '../../inference/rng.js';


type Mat = number[][];

/** Stan's cholesky_factor_corr transform, plainly: z = tanh(y); L_ij = z_ij √(1 − Σ_{k<j} L_ik²). */
function corrFactor64(y: number[], K: number): Mat {
  const L = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  let k = 0;
  for (let i = 0; i < K; i++) {
    let sum = 0;
    for (let j = 0; j < i; j++) {
      L[i]![j] = Math.tanh(y[k++]!) * Math.sqrt(1 - sum);
      sum += L[i]![j]! ** 2;
    }
    L[i]![i] = Math.sqrt(1 - sum);
  }
  return L;
}

function covFactor64(u: number[], K: number): Mat {
  const L = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  let k = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < i; j++) L[i]![j] = u[k++]!;
    L[i]![i] = Math.exp(u[k++]!);
  }
  return L;
}

const outer = (L: Mat): Mat => L.map((ri) => L.map((rj) => ri.reduce((s, v, k) => s + v * rj[k]!, 0)));

const forward64: Record<MatrixSupport, (u: number[], K: number) => Mat> = {
  cholesky_factor_corr: corrFactor64,
  cholesky_factor_cov: covFactor64,
  corr_matrix: (u, K) => outer(corrFactor64(u, K)),
  cov_matrix: (u, K) => outer(covFactor64(u, K)),
};

/** The free entries: the strict lower triangle for correlations, with the diagonal for covariances. */
function free(kind: MatrixSupport, X: Mat): number[] {
  const strict = kind === 'cholesky_factor_corr' || kind === 'corr_matrix';
  const out: number[] = [];
  X.forEach((row, i) => row.forEach((v, j) => (j < i || (!strict && j === i) ? out.push(v) : undefined)));
  return out;
}

function numericLogDet(kind: MatrixSupport, u: number[], K: number): number {
  const n = u.length;
  const h = 1e-6;
  const J = new Matrix(n, n);
  for (let c = 0; c < n; c++) {
    const up = u.slice();
    const dn = u.slice();
    up[c] += h;
    dn[c] -= h;
    const a = free(kind, forward64[kind](up, K));
    const b = free(kind, forward64[kind](dn, K));
    for (let r = 0; r < n; r++) J.set(r, c, (a[r]! - b[r]!) / (2 * h));
  }
  return Math.log(Math.abs(determinant(J)));
}

const KINDS: MatrixSupport[] = ['cholesky_factor_corr', 'cholesky_factor_cov', 'corr_matrix', 'cov_matrix'];

function draws(kind: MatrixSupport, K: number, count: number, seed: string): number[][] {
  const rng = new Rng(seed);
  const n = matrixFreeSize(kind, K);
  return Array.from({ length: count }, () => Array.from({ length: n }, () => 1.5 * rng.normal()));
}

describe('matrix bijectors', () => {
  for (const kind of KINDS) {
    for (const K of [2, 3, 4]) {
      it(`${kind}[${K}]: forward matches Stan's transform and the log-Jacobian a numeric determinant`, () => {
        const us = draws(kind, K, 5, `${kind}${K}`);
        const b = bijectorFor({ kind });
        const n = matrixFreeSize(kind, K);
        const U = tf.tensor2d(us, [us.length, n]);
        const X = b.forward(U);
        const ld = b.logDetJacobian(U);
        expect(X.shape).toEqual([us.length, K, K]);
        expect(ld.shape).toEqual([us.length]);
        const xs = X.arraySync() as number[][][];
        const lds = ld.arraySync() as number[];
        us.forEach((u, s) => {
          const want = forward64[kind](u, K);
          for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) expect(Math.abs(xs[s]![i]![j]! - want[i]![j]!)).toBeLessThan(2e-5 * Math.max(1, Math.abs(want[i]![j]!)));
          const numeric = numericLogDet(kind, u, K);
          expect(Math.abs(lds[s]! - numeric)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
        });
        tf.dispose([U, X, ld]);
      });
    }
  }

  for (const kind of KINDS) {
    it(`${kind}: constraints hold and inverse ∘ forward = id, over batch axes`, () => {
      const K = 3;
      const n = matrixFreeSize(kind, K);
      const us = draws(kind, K, 6, `${kind}-inv`);
      const b = bijectorFor({ kind });
      const U = tf.tensor3d(us.flat(), [2, 3, n]);
      const X = b.forward(U);
      expect(X.shape).toEqual([2, 3, K, K]);
      expect(b.logDetJacobian(U).shape).toEqual([2, 3]);
      const back = b.inverse(X);
      expect(back.shape).toEqual([2, 3, n]);
      const got = Array.from(back.dataSync());
      got.forEach((v, i) => expect(Math.abs(v - us.flat()[i]!)).toBeLessThan(2e-3));
      const xs = (X.arraySync() as number[][][][]).flat();
      for (const M of xs) {
        if (kind.startsWith('cholesky')) {
          for (let i = 0; i < K; i++) {
            for (let j = i + 1; j < K; j++) expect(M[i]![j]).toBe(0);
            expect(M[i]![i]!).toBeGreaterThan(0);
            if (kind === 'cholesky_factor_corr') expect(Math.abs(M[i]!.reduce((s, v) => s + v * v, 0) - 1)).toBeLessThan(1e-5);
          }
        } else {
          for (let i = 0; i < K; i++) for (let j = 0; j < i; j++) expect(Math.abs(M[i]![j]! - M[j]![i]!)).toBeLessThan(1e-6);
          if (kind === 'corr_matrix') for (let i = 0; i < K; i++) expect(Math.abs(M[i]![i]! - 1)).toBeLessThan(1e-5);
          // Positive definite: every leading minor is positive.
          for (let k = 1; k <= K; k++) expect(determinant(new Matrix(M.slice(0, k).map((r) => r.slice(0, k))))).toBeGreaterThan(0);
        }
      }
      tf.dispose([U, X, back]);
    });
  }

  it('stays finite when the partial correlations saturate', () => {
    const b = bijectorFor({ kind: 'corr_matrix' });
    const U = tf.tensor2d([[30, -30, 25]], [1, 3]);
    const ld = b.logDetJacobian(U).dataSync()[0]!;
    const X = Array.from(b.forward(U).dataSync());
    expect(Number.isFinite(ld)).toBe(true);
    expect(X.every(Number.isFinite)).toBe(true);
    // log(1 − tanh² 30) ≈ log 4 − 60: the stable form keeps it, where 1 − tanh² would be 0.
    expect(ld).toBeLessThan(-100);
  });
});
