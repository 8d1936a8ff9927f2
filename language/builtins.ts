// Signatures of the built-in functions. The checker reads the kind to infer result types
// and shapes; the engine reads the same names to pick tensor operations.

export type BuiltinKind =
  | 'elementwise' // real in, real out, same shape
  | 'abs' // keeps int
  | 'rounding' // floor / ceil / round: int out
  | 'pow' // two arguments, broadcast
  | 'mix' // log_mix: (θ, lp1, lp2) elementwise, or (θ[K], lps[..., K])
  | 'reduce' // all axes, or one int-literal axis
  | 'normalise' // softmax / log_softmax over the last axis
  | 'dot'
  | 'transpose'
  | 'constructor' // ones / zeros: shape from int arguments
  | 'fill'
  | 'length'
  | 'linalg' // vectors and matrices: shapes checked per function in check/linalg.ts
  | 'gp'; // Gaussian-process covariance functions: (x, alpha, rho) or (x1, x2, alpha, rho)

export interface BuiltinSpec {
  name: string;
  kind: BuiltinKind;
  minArgs: number;
  /** Infinity for constructors. */
  maxArgs: number;
  /** How the arity is said in messages: "1 argument", "1 or 2 arguments". */
  arity: string;
  /** reduce only: the element type of the result ('keep' keeps int, promoting bool). */
  result?: 'keep' | 'real';
}

const one = (name: string, kind: BuiltinKind): BuiltinSpec => ({ name, kind, minArgs: 1, maxArgs: 1, arity: '1 argument' });
const reduce = (name: string, result: 'keep' | 'real'): BuiltinSpec => ({ name, kind: 'reduce', minArgs: 1, maxArgs: 2, arity: '1 or 2 arguments (an array and an optional axis)', result });

export const BUILTINS: readonly BuiltinSpec[] = [
  ...['exp', 'log', 'log1p', 'expm1', 'sqrt', 'sigmoid', 'logit', 'softplus', 'tanh', 'log_sigmoid'].map((n) => one(n, 'elementwise')),
  // Stan's log-scale helpers: log(1 − x), log(1 − eˣ), log(1 + eˣ), log(eᵃ − eᵇ).
  ...['log1m', 'log1m_exp', 'log1p_exp'].map((n) => one(n, 'elementwise')),
  { name: 'log_diff_exp', kind: 'pow', minArgs: 2, maxArgs: 2, arity: '2 arguments' },
  { name: 'log_mix', kind: 'mix', minArgs: 2, maxArgs: 3, arity: '2 arguments (theta[K], lps[K]) or 3 (theta, lp1, lp2)' },
  one('abs', 'abs'),
  ...['floor', 'ceil', 'round'].map((n) => one(n, 'rounding')),
  { name: 'pow', kind: 'pow', minArgs: 2, maxArgs: 2, arity: '2 arguments' },
  reduce('sum', 'keep'),
  reduce('prod', 'keep'),
  reduce('min', 'keep'),
  reduce('max', 'keep'),
  reduce('mean', 'real'),
  reduce('logsumexp', 'real'),
  reduce('log_sum_exp', 'real'),
  one('softmax', 'normalise'),
  one('log_softmax', 'normalise'),
  { name: 'dot', kind: 'dot', minArgs: 2, maxArgs: 2, arity: '2 arguments' },
  one('transpose', 'transpose'),
  { name: 'ones', kind: 'constructor', minArgs: 1, maxArgs: Infinity, arity: 'at least 1 argument (the dimensions)' },
  { name: 'zeros', kind: 'constructor', minArgs: 1, maxArgs: Infinity, arity: 'at least 1 argument (the dimensions)' },
  { name: 'fill', kind: 'fill', minArgs: 2, maxArgs: Infinity, arity: 'at least 2 arguments (a value and the dimensions)' },
  one('length', 'length'),
  // Stan's names for the common vector and matrix functions.
  { name: 'rep_vector', kind: 'fill', minArgs: 2, maxArgs: 2, arity: '2 arguments (a value and the length)' },
  { name: 'rep_matrix', kind: 'fill', minArgs: 3, maxArgs: 3, arity: '3 arguments (a value and the two dimensions)' },
  ...['cholesky_decompose', 'diag_matrix', 'diagonal', 'crossprod', 'tcrossprod', 'log_determinant', 'cumulative_sum'].map((n) => one(n, 'linalg')),
  { name: 'identity_matrix', kind: 'linalg', minArgs: 1, maxArgs: 1, arity: '1 argument (the dimension)' },
  ...['diag_pre_multiply', 'diag_post_multiply', 'add_diag', 'mdivide_left_tri_low', 'mdivide_right_tri_low', 'quad_form'].map(
    (name): BuiltinSpec => ({ name, kind: 'linalg', minArgs: 2, maxArgs: 2, arity: '2 arguments' }),
  ),
  { name: 'segment', kind: 'linalg', minArgs: 3, maxArgs: 3, arity: '3 arguments (a vector, a 0-based start and a length)' },
  ...['gp_exp_quad_cov', 'cov_exp_quad', 'gp_matern32_cov', 'gp_matern52_cov', 'gp_exponential_cov'].map(
    (name): BuiltinSpec => ({ name, kind: 'gp', minArgs: 3, maxArgs: 4, arity: '3 or 4 arguments (x, alpha, rho or x1, x2, alpha, rho)' }),
  ),
  { name: 'gp_periodic_cov', kind: 'gp', minArgs: 4, maxArgs: 5, arity: '4 or 5 arguments (x, alpha, rho, period or x1, x2, alpha, rho, period)' },
];

const byName = new Map(BUILTINS.map((b) => [b.name, b]));

export function builtin(name: string): BuiltinSpec | undefined {
  return byName.get(name);
}

export const BUILTIN_NAMES: readonly string[] = BUILTINS.map((b) => b.name);
