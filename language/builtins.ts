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
  | 'length';

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
];

const byName = new Map(BUILTINS.map((b) => [b.name, b]));

export function builtin(name: string): BuiltinSpec | undefined {
  return byName.get(name);
}

export const BUILTIN_NAMES: readonly string[] = BUILTINS.map((b) => b.name);
