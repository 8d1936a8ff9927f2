// The run-time meaning of the vector and matrix built-ins and the Gaussian-process
// covariance functions (their static shapes are checked in language/check/linalg.ts).
// Values are particle-batched (values.ts): the particle axis is one more leading axis
// for the linear algebra of linalg.ts, which broadcasts leading axes.
import { tf } from './backend.js';
import { covariance, type Kernel } from './gp.js';
import * as la from './linalg.js';
import { isConst, padRank, toTensor } from './values.js';

type Val = number | tf.Tensor;
type T = tf.Tensor;

const KERNELS: Record<string, Kernel> = {
  gp_exp_quad_cov: 'exp_quad',
  cov_exp_quad: 'exp_quad',
  gp_matern32_cov: 'matern32',
  gp_matern52_cov: 'matern52',
  gp_exponential_cov: 'exponential',
  gp_periodic_cov: 'periodic',
};

function constInt(v: Val, what: string): number {
  if (!isConst(v) || !Number.isInteger(v) || v < 0) throw new TypeError(`${what} must be a non-negative integer constant`);
  return v;
}

/** A logical matrix [P, N, K], checked at run time too (shapes the checker deferred). */
function matrix(v: Val, what: string, squareOnly = false): T {
  const t = toTensor(v);
  if (t.rank !== 3) throw new TypeError(`${what} must be a matrix, found rank ${t.rank - 1}`);
  if (squareOnly && t.shape[1] !== t.shape[2]) throw new TypeError(`${what} must be square, found [${t.shape.slice(1).join(', ')}]`);
  return t;
}

function vector(v: Val, what: string): T {
  const t = toTensor(v);
  if (t.rank !== 2) throw new TypeError(`${what} must be a vector, found rank ${t.rank - 1}`);
  return t;
}

export function isMatrixFunction(name: string): boolean {
  return name in KERNELS || name in TABLE;
}

const TABLE: Record<string, (args: Val[]) => Val> = {
  cholesky_decompose: ([a]) => la.cholesky(matrix(a!, 'the matrix', true)),
  log_determinant: ([a]) => la.logDeterminantSPD(matrix(a!, 'the matrix', true)),
  diagonal: ([m]) => la.diagonal(matrix(m!, 'the matrix', true)),
  diag_matrix: ([v]) => la.diagMatrix(vector(v!, 'the diagonal')),
  identity_matrix: ([k]) => tf.expandDims(la.eye(constInt(k!, 'the dimension')), 0),
  cumulative_sum: ([v]) => tf.cumsum(vector(v!, 'the argument'), 1),
  crossprod: ([m]) => {
    const t = matrix(m!, 'the argument');
    return tf.matMul(t, t, true, false);
  },
  tcrossprod: ([m]) => {
    const t = matrix(m!, 'the argument');
    return tf.matMul(t, t, false, true);
  },
  diag_pre_multiply: ([v, m]) => tf.mul(tf.expandDims(vector(v!, 'the vector'), -1), matrix(m!, 'the second argument')),
  diag_post_multiply: ([m, v]) => tf.mul(matrix(m!, 'the first argument'), tf.expandDims(vector(v!, 'the vector'), 1)),
  add_diag: ([m, d]) => {
    const t = matrix(m!, 'the matrix', true);
    const k = t.shape[1]!;
    const diag = isConst(d!) || d!.rank === 1 ? tf.mul(padRank(toTensor(d!), 2), la.eye(k)) : la.diagMatrix(vector(d!, 'the diagonal'));
    return tf.add(t, diag);
  },
  mdivide_left_tri_low: ([l, b]) => {
    const L = matrix(l!, 'the triangular matrix', true);
    const B = toTensor(b!);
    return B.rank === 2 ? la.solveLowerVector(L, B) : la.solveLower(L, matrix(B, 'the right-hand side'));
  },
  mdivide_right_tri_low: ([b, l]) => {
    // b L⁻¹ = (L⁻ᵀ bᵀ)ᵀ.
    const L = matrix(l!, 'the triangular matrix', true);
    const B = toTensor(b!);
    if (B.rank === 2) return tf.squeeze(la.solveLowerTransposed(L, tf.expandDims(B, -1)), [-1]);
    return tf.transpose(la.solveLowerTransposed(L, tf.transpose(matrix(B, 'the left-hand side'), [0, 2, 1])), [0, 2, 1]);
  },
  quad_form: ([a, b]) => {
    const A = matrix(a!, 'the square matrix', true);
    const B = toTensor(b!);
    if (B.rank === 2) return tf.sum(tf.mul(B, la.matVec(A, B)), -1);
    const M = matrix(B, 'the second argument');
    return la.batchMatMul(M, la.batchMatMul(A, M), true, false);
  },
  segment: ([v, start, len]) => {
    const t = vector(v!, 'the vector');
    const s = constInt(start!, 'the start');
    const n = constInt(len!, 'the length');
    if (s + n > t.shape[1]!) throw new RangeError(`elements ${s} to ${s + n - 1} are outside a vector of length ${t.shape[1]} (indices start at 0)`);
    return la.take(t, 1, s, n);
  },
};

export function callMatrixFunction(name: string, args: Val[]): Val {
  const kernel = KERNELS[name];
  if (kernel !== undefined) {
    const periodic = kernel === 'periodic';
    const points = args.length - (periodic ? 3 : 2);
    const [x1, x2] = points === 1 ? [args[0]!, args[0]!] : [args[0]!, args[1]!];
    const [alpha, rho, period] = args.slice(points);
    return covariance(kernel, x1, x2, alpha!, rho!, period);
  }
  const f = TABLE[name];
  if (f === undefined) throw new Error(`unknown function '${name}'`);
  return f(args);
}
