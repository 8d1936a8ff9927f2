// The vector and matrix built-ins (inference/matrix-functions.ts over linalg.ts) against
// ml-matrix and closed forms, with particle-batched arguments; the Cholesky factor and the
// triangular solves differentiated by the compiled engine in float64 (first and second order)
// against central finite differences, and by the tfjs tape against the compiled gradient.

import { CholeskyDecomposition, determinant, Matrix, solve } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../inference/backend.js';
import { grad } from '../../inference/compile/grad.js';
import { Builder } from '../../inference/compile/ir.js';
import { lowerJs } from '../../inference/compile/lower-js.js';
import { traceLoss } from '../../inference/compile/trace.js';
import { callBuiltin } from '../../inference/functions.js';
import * as la from '../../inference/linalg.js';
import { makeDistribution } from '../../inference/distributions/index.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const A3 = [
  [4.0, 1.2, -0.6],
  [1.2, 3.0, 0.5],
  [-0.6, 0.5, 2.5],
];
const L3 = new CholeskyDecomposition(new Matrix(A3)).lowerTriangularMatrix.to2DArray();

/** A logical value with one particle: [1, ...shape]. */
const one = (x: number[] | number[][]) => tf.tensor([x] as number[][] | number[][][]);
const call = (name: string, ...args: (number | tf.Tensor)[]) => callBuiltin(name, args) as tf.Tensor;
const arr = (t: tf.Tensor) => t.arraySync() as number[][][];

function expectClose(got: unknown, want: unknown, tol = 2e-5): void {
  const g = (got as number[]).flat(3) as number[];
  const w = (want as number[]).flat(3) as number[];
  expect(g.length).toBe(w.length);
  g.forEach((v, i) => expect(Math.abs(v - w[i]!), `element ${i}: ${v} vs ${w[i]}`).toBeLessThan(tol * (1 + Math.abs(w[i]!))));
}

describe('matrix functions against ml-matrix and closed forms', () => {
  it('cholesky_decompose gives ml-matrix factor, per particle', () => {
    const B = [
      [1.0, 0.2],
      [0.2, 0.5],
    ];
    const got = arr(call('cholesky_decompose', one(A3)))[0];
    expectClose(got, L3);
    // Two particles with different matrices: each gets its own factor.
    const two = call('cholesky_decompose', tf.tensor([A3.map((r) => r.slice(0, 2)).slice(0, 2), B]));
    expectClose(arr(two)[1], new CholeskyDecomposition(new Matrix(B)).lowerTriangularMatrix.to2DArray());
  });

  it('mdivide_left_tri_low and mdivide_right_tri_low solve against ml-matrix', () => {
    const b = [1.0, -2.0, 0.5];
    const want = solve(new Matrix(L3), Matrix.columnVector(b)).to1DArray();
    expectClose((call('mdivide_left_tri_low', one(L3), one(b)).arraySync() as number[][])[0], want);
    const B = [
      [1, 2],
      [0, -1],
      [3, 0.5],
    ];
    expectClose(arr(call('mdivide_left_tri_low', one(L3), one(B)))[0], solve(new Matrix(L3), new Matrix(B)).to2DArray());
    // b L⁻¹ solves x L = b: x = (Lᵀ)⁻¹ bᵀ transposed.
    const right = solve(new Matrix(L3).transpose(), Matrix.columnVector(b)).to1DArray();
    expectClose((call('mdivide_right_tri_low', one(b), one(L3)).arraySync() as number[][])[0], right);
    const Bt = new Matrix(B).transpose();
    expectClose(arr(call('mdivide_right_tri_low', one(Bt.to2DArray()), one(L3)))[0], solve(new Matrix(L3).transpose(), Bt.transpose()).transpose().to2DArray());
  });

  it('log_determinant is log det A (A symmetric positive definite)', () => {
    const got = (call('log_determinant', one(A3)).arraySync() as number[])[0]!;
    expect(got).toBeCloseTo(Math.log(determinant(new Matrix(A3))), 5);
  });

  it('crossprod, tcrossprod and quad_form are MᵀM, MMᵀ and BᵀAB', () => {
    const M = [
      [1, 2],
      [-1, 0.5],
      [3, 1],
    ];
    const m = new Matrix(M);
    expectClose(arr(call('crossprod', one(M)))[0], m.transpose().mmul(m).to2DArray());
    expectClose(arr(call('tcrossprod', one(M)))[0], m.mmul(m.transpose()).to2DArray());
    expectClose(arr(call('quad_form', one(A3), one(M)))[0], m.transpose().mmul(new Matrix(A3)).mmul(m).to2DArray());
    const v = [1, -1, 2];
    const want = Matrix.rowVector(v).mmul(new Matrix(A3)).mmul(Matrix.columnVector(v)).get(0, 0);
    expect((call('quad_form', one(A3), one(v)).arraySync() as number[])[0]).toBeCloseTo(want, 4);
  });

  it('diagonal, diag_matrix, identity_matrix, add_diag, diag_pre_multiply and diag_post_multiply', () => {
    expectClose((call('diagonal', one(A3)).arraySync() as number[][])[0], [4, 3, 2.5]);
    expectClose(arr(call('diag_matrix', one([1, 2])))[0], [
      [1, 0],
      [0, 2],
    ]);
    expectClose(arr(call('identity_matrix', 3))[0], Matrix.eye(3).to2DArray());
    const plus = A3.map((r, i) => r.map((x, j) => (i === j ? x + 0.25 : x)));
    expectClose(arr(call('add_diag', one(A3), 0.25))[0], plus);
    // A particle-varying scalar (sigma² of two particles) and a vector diagonal.
    const byParticle = arr(call('add_diag', one(A3), tf.tensor1d([0.25, 1])));
    expectClose(byParticle[0], plus);
    expect(byParticle[1]![2]![2]).toBeCloseTo(3.5, 6);
    expectClose(arr(call('add_diag', one(A3), one([1, 2, 3])))[0], A3.map((r, i) => r.map((x, j) => (i === j ? x + i + 1 : x))));
    const v = [2, -1, 0.5];
    expectClose(arr(call('diag_pre_multiply', one(v), one(A3)))[0], Matrix.diag(v).mmul(new Matrix(A3)).to2DArray());
    expectClose(arr(call('diag_post_multiply', one(A3), one(v)))[0], new Matrix(A3).mmul(Matrix.diag(v)).to2DArray());
  });

  it('cumulative_sum, rep_vector, rep_matrix and segment (0-based start)', () => {
    expectClose((call('cumulative_sum', one([1, 2, 3, 4])).arraySync() as number[][])[0], [1, 3, 6, 10]);
    expectClose((call('rep_vector', 0.5, 3).arraySync() as number[][])[0], [0.5, 0.5, 0.5]);
    expect(call('rep_matrix', 2, 2, 3).shape).toEqual([1, 2, 3]);
    expectClose((call('segment', one([10, 11, 12, 13, 14]), 1, 3).arraySync() as number[][])[0], [11, 12, 13]);
    expect(() => call('segment', one([10, 11, 12]), 2, 2)).toThrow(/elements 2 to 3 are outside a vector of length 3/);
  });

  it('the covariance functions follow Stan’s definitions', () => {
    const x = [0, 0.5, 2];
    const alpha = 1.3;
    const rho = 0.7;
    const period = 1.7;
    const kernels: [string, (d: number) => number][] = [
      ['gp_exp_quad_cov', (d) => alpha ** 2 * Math.exp(-(d * d) / (2 * rho * rho))],
      ['gp_exponential_cov', (d) => alpha ** 2 * Math.exp(-d / rho)],
      ['gp_matern32_cov', (d) => alpha ** 2 * (1 + (Math.sqrt(3) * d) / rho) * Math.exp((-Math.sqrt(3) * d) / rho)],
      ['gp_matern52_cov', (d) => alpha ** 2 * (1 + (Math.sqrt(5) * d) / rho + (5 * d * d) / (3 * rho * rho)) * Math.exp((-Math.sqrt(5) * d) / rho)],
    ];
    for (const [name, k] of kernels) {
      const got = arr(call(name, one(x), alpha, rho))[0];
      expectClose(got, x.map((a) => x.map((b) => k(Math.abs(a - b)))));
    }
    const periodic = arr(call('gp_periodic_cov', one(x), alpha, rho, period))[0];
    expectClose(periodic, x.map((a) => x.map((b) => alpha ** 2 * Math.exp((-2 * Math.sin((Math.PI * Math.abs(a - b)) / period) ** 2) / rho ** 2))));
    // Rows are points: the distance is Euclidean over D; the cross form K(x1, x2) is N1 × N2.
    const pts = [
      [0, 0],
      [3, 4],
    ];
    expectClose(arr(call('gp_exponential_cov', one(pts), alpha, rho))[0]![1], [alpha ** 2 * Math.exp(-5 / rho), alpha ** 2]);
    const cross = arr(call('cov_exp_quad', one([0, 1]), one([0, 1, 2]), alpha, rho))[0];
    expect([cross!.length, cross![0]!.length]).toEqual([2, 3]);
    expect(cross![1]![2]).toBeCloseTo(alpha ** 2 * Math.exp(-1 / (2 * rho * rho)), 5);
  });
});

/** The compiled program of loss(flat), its gradient and a Hessian-vector product, lowered in float64. */
function compiled(init: Float64Array, loss: (flat: tf.Tensor) => tf.Tensor) {
  const tr = traceLoss(Float32Array.from(init), loss);
  const x = tr.params[0]!;
  const first = grad(tr.program, tr.loss, [x]);
  const b2 = new Builder(first.program.nodes);
  const v = Float64Array.from({ length: init.length }, (_, i) => Math.cos(0.7 * i + 0.3));
  const vId = b2.constant(v, [init.length]);
  const gv = b2.reshape(b2.sum(b2.binary('mul', first.grads[0]!, vId), [0]), []);
  const second = grad(b2.program({}), gv, [x]);
  const low = lowerJs(second.program, [tr.loss, first.grads[0]!, gv, second.grads[0]!]);
  const run = (at: Float64Array) => {
    low.buffers[x]!.set(at);
    low.run();
    return { loss: low.buffers[tr.loss]![0]!, g: Float64Array.from(low.buffers[first.grads[0]!]!), gv: low.buffers[gv]![0]!, hv: Float64Array.from(low.buffers[second.grads[0]!]!) };
  };
  return { run, v };
}

/** Central differences of the loss and of g·v against the compiled first and second derivatives. */
function checkDerivatives(init: number[], loss: (flat: tf.Tensor) => tf.Tensor): void {
  const x0 = Float64Array.from(init);
  const { run } = compiled(x0, loss);
  const at = run(x0);
  const eps = 1e-6;
  for (let i = 0; i < x0.length; i++) {
    const up = Float64Array.from(x0);
    const dn = Float64Array.from(x0);
    up[i]! += eps;
    dn[i]! -= eps;
    const a = run(up);
    const b = run(dn);
    const fd = (a.loss - b.loss) / (2 * eps);
    const fd2 = (a.gv - b.gv) / (2 * eps);
    expect(Math.abs(at.g[i]! - fd), `d/dx${i}: ${at.g[i]} vs ${fd}`).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
    expect(Math.abs(at.hv[i]! - fd2), `(Hv)${i}: ${at.hv[i]} vs ${fd2}`).toBeLessThan(1e-5 * (1 + Math.abs(fd2)));
  }
}

const K = 4;
/** An SPD matrix from K² numbers: M Mᵀ + K·I. */
const spd = (flat: tf.Tensor) => {
  const m = tf.slice(flat, 0, K * K).reshape([K, K]);
  return tf.add(tf.matMul(m, m, false, true), tf.mul(K, tf.eye(K)));
};
/** A lower-triangular factor with a positive diagonal from K² numbers. */
const lower = (flat: tf.Tensor) => {
  const m = tf.slice(flat, 0, K * K).reshape([K, K]);
  const strict = tf.mul(m, tf.tensor2d(Array.from({ length: K * K }, (_, i) => (i % K < Math.floor(i / K) ? 1 : 0)), [K, K]));
  return tf.add(strict, tf.mul(tf.exp(m), tf.eye(K)));
};
const weights = (n: number) => tf.tensor1d(Array.from({ length: n }, (_, i) => 0.5 + ((i * 7) % 5) / 4));
const weighted = (t: tf.Tensor) => tf.sum(tf.mul(tf.sin(t.reshape([-1])), weights(t.size)));
const start = (n: number) => Array.from({ length: n }, (_, i) => 0.6 * Math.sin(1.7 * i + 0.2));

describe('derivatives: compiled float64 against finite differences, the tfjs tape against the compiled engine', () => {
  it('cholesky', () => checkDerivatives(start(K * K), (f) => weighted(la.cholesky(spd(f)))));
  it('forward substitution L⁻¹B', () =>
    checkDerivatives(start(K * K + 2 * K), (f) => weighted(la.solveLower(lower(f), tf.slice(f, K * K, 2 * K).reshape([K, 2])))));
  it('back substitution L⁻ᵀB', () =>
    checkDerivatives(start(K * K + 2 * K), (f) => weighted(la.solveLowerTransposed(lower(f), tf.slice(f, K * K, 2 * K).reshape([K, 2])))));
  it('log determinant', () => checkDerivatives(start(K * K), (f) => la.logDeterminantSPD(spd(f))));
  it('MultiNormal log density in loc and cov, and MultiNormalCholesky in scale_tril', () => {
    const x = tf.tensor1d([0.3, -1.2, 0.8, 2.0]);
    checkDerivatives(start(K + K * K), (f) => makeDistribution('MultiNormal', { loc: tf.slice(f, 0, K), cov: spd(tf.slice(f, K, K * K)) }).logProb(x));
    checkDerivatives(start(K + K * K), (f) => makeDistribution('MultiNormalCholesky', { loc: tf.slice(f, 0, K), scale_tril: lower(tf.slice(f, K, K * K)) }).logProb(x));
  });
  it('covariance functions in the points, alpha and rho (distinct points)', () => {
    // flat = [x0, x1, x2, log alpha, log rho]
    const init = [0.1, 0.9, 2.3, Math.log(1.3), Math.log(0.8)];
    for (const name of ['gp_exp_quad_cov', 'gp_matern32_cov', 'gp_matern52_cov', 'gp_exponential_cov', 'gp_periodic_cov']) {
      const extra = name === 'gp_periodic_cov' ? [1.5] : [];
      // The diagonal (distance 0) is left out: the exponential kernel has a kink there.
      const offDiagonal = tf.sub(tf.ones([3, 3]), tf.eye(3));
      checkDerivatives(init, (f) => {
        const pts = tf.slice(f, 0, 3).reshape([1, 3]);
        const k = callBuiltin(name, [pts, tf.exp(tf.slice(f, 3, 1)), tf.exp(tf.slice(f, 4, 1)), ...extra]) as tf.Tensor;
        return tf.sum(tf.mul(tf.mul(k.reshape([3, 3]), offDiagonal), weights(9).reshape([3, 3])));
      });
    }
  });
  it('Matérn and exponential kernels at distance 0: finite derivatives in rho and in the points', () => {
    // Points 0 and 1 coincide; flat = [x0, x1, x2, log rho].
    const init = [0.3, 0.3, 1.1, Math.log(0.8)];
    for (const name of ['gp_matern32_cov', 'gp_matern52_cov', 'gp_exponential_cov', 'gp_periodic_cov']) {
      const loss = (f: tf.Tensor) => {
        const x = tf.slice(f, 0, 3).reshape([1, 3]);
        const rho = tf.exp(tf.slice(f, 3, 1));
        const extra = name === 'gp_periodic_cov' ? [1.5] : [];
        return weighted(callBuiltin(name, [x, 1.2, rho, ...extra]) as tf.Tensor);
      };
      const { run } = compiled(Float64Array.from(init), loss);
      const at = run(Float64Array.from(init));
      for (const g of [...at.g, ...at.hv]) expect(Number.isFinite(g), `${name}: ${[...at.g]}`).toBe(true);
    }
  });
});

describe('every matrix function inside one fitted model', () => {
  it('the golden good model (linalg_ok.tilde) fits on the compiled engine without falling back', async () => {
    const { readFileSync } = await import('node:fs');
    const { compile } = await import('../../inference/model.js');
    const source = readFileSync(new URL('../language/golden/semantic/linalg_ok.tilde', import.meta.url), 'utf8');
    const N = 6;
    const x = Array.from({ length: N }, (_, i) => i * 0.7);
    const data = { N, D: 2, x, X: x.map((v) => [Math.sin(v), Math.cos(v)]), y: x.map((v) => Math.sin(v)), counts: [0, 1, 3, 2, 1, 0] };
    const fit = await compile(source, { file: 'linalg_ok.tilde' }).fit({ data, steps: 30, seed: 2, draws: 50, init: 'random' });
    expect(fit.diagnostics.backend, fit.diagnostics.notCompiled).toBe('js');
    expect(Number.isFinite(fit.diagnostics.elbo)).toBe(true);
  }, 60_000);
});
