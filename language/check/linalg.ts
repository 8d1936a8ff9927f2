// The checker's vector and matrix functions (Stan's names) and Gaussian-process covariance
// functions: each argument's rank, squareness and agreeing sizes, with messages naming the
// argument and the shape it should have. Sizes only the data can decide are deferred.

import type { Expr } from '../ast.js';
import { relateDims } from '../shapes.js';
import type { DimPair } from '../shapes.js';
import type { Dim, ValueType } from '../types.js';
import type { ExprCtx, Ty } from '../scope.js';
import * as E from '../semantic-errors.js';
import type { CheckState } from './state.js';
import { dimArg, expr } from './types.js';

type Call = Extract<Expr, { kind: 'call' }>;

const ORDINAL = ['first', 'second', 'third', 'fourth', 'fifth'];

/** Collects the size agreements of one call; the first definite disagreement is reported. */
class Sizes {
  readonly deferred: DimPair[] = [];
  constructor(
    private readonly ck: CheckState,
    private readonly e: Call,
  ) {}
  /** Whether a and b can be equal; reports `message` when they cannot. */
  same(a: Dim, b: Dim, message: () => string): boolean {
    const r = relateDims(a, b);
    if (r === 'different') {
      this.ck.report(E.shapeRequirement(this.e.span, `${this.e.callee}: ${message()}`));
      return false;
    }
    if (r === 'unknown') this.deferred.push({ a, b, allowOne: false });
    return true;
  }
  done<V extends ValueType>(v: V): V {
    this.ck.defer(this.deferred, this.e.callee, this.e.span);
    return v;
  }
}

function describe(ck: CheckState, e: Call, i: number, t: ValueType): string {
  return ck.describe(e.args[i]!.value, t, `the ${ORDINAL[i]} argument`);
}

/** The argument i has the given rank; else reports what was expected of it. */
function needRank(ck: CheckState, e: Call, i: number, t: ValueType, rank: number, what: string): boolean {
  if (t.shape.length === rank) return true;
  ck.report(E.shapeRequirement(e.args[i]!.value.span, `${e.callee}: the ${ORDINAL[i]} argument must be ${what}, but ${describe(ck, e, i, t)}`));
  return false;
}

/** A square matrix [K, K]; returns K. */
function square(ck: CheckState, e: Call, i: number, t: ValueType, sizes: Sizes): Dim | undefined {
  if (!needRank(ck, e, i, t, 2, 'a square matrix real[K, K]')) return undefined;
  const [r, c] = t.shape as [Dim, Dim];
  return sizes.same(r, c, () => `the ${ORDINAL[i]} argument must be a square matrix, but ${describe(ck, e, i, t)}`) ? r : undefined;
}

const real = (shape: Dim[]): ValueType => ({ elem: 'real', shape });

export function linalgCall(ck: CheckState, e: Call, cx: ExprCtx): Ty {
  const argv = e.args.map((a) => a.value);
  if (e.callee === 'identity_matrix') {
    const k = dimArg(ck, argv[0]!, e.callee, cx);
    return k === undefined ? undefined : real([k, k]);
  }
  if (e.callee === 'segment') return segment(ck, e, cx);
  const ts = argv.map((a) => expr(ck, a, cx));
  if (ts.some((t) => !t)) return undefined;
  const t = ts as ValueType[];
  const x = t[0]!;
  const sizes = new Sizes(ck, e);
  switch (e.callee) {
    case 'cholesky_decompose':
    case 'log_determinant': {
      const k = square(ck, e, 0, x, sizes);
      if (k === undefined) return undefined;
      return sizes.done(real(e.callee === 'log_determinant' ? [] : [k, k]));
    }
    case 'diagonal': {
      const k = square(ck, e, 0, x, sizes);
      return k === undefined ? undefined : sizes.done(real([k]));
    }
    case 'diag_matrix':
      if (!needRank(ck, e, 0, x, 1, 'a vector real[K]')) return undefined;
      return real([x.shape[0]!, x.shape[0]!]);
    case 'cumulative_sum':
      if (!needRank(ck, e, 0, x, 1, 'a vector real[N]')) return undefined;
      return { elem: x.elem === 'real' ? 'real' : 'int', shape: x.shape };
    case 'crossprod':
    case 'tcrossprod': {
      if (!needRank(ck, e, 0, x, 2, 'a matrix real[N, K]')) return undefined;
      const [n, k] = x.shape as [Dim, Dim];
      return real(e.callee === 'crossprod' ? [k, k] : [n, n]);
    }
    case 'diag_pre_multiply':
    case 'diag_post_multiply': {
      const pre = e.callee === 'diag_pre_multiply';
      const [vi, mi] = pre ? [0, 1] : [1, 0];
      const v = t[vi]!;
      const m = t[mi]!;
      if (!needRank(ck, e, vi, v, 1, 'a vector real[K]') || !needRank(ck, e, mi, m, 2, 'a matrix')) return undefined;
      const against = pre ? m.shape[0]! : m.shape[1]!;
      const ok = sizes.same(v.shape[0]!, against, () =>
        `the vector's length must equal the matrix's ${pre ? 'rows' : 'columns'} (${String(against)}), but ${describe(ck, e, vi, v)} and ${describe(ck, e, mi, m)}`,
      );
      return ok ? sizes.done(real(m.shape)) : undefined;
    }
    case 'add_diag': {
      const k = square(ck, e, 0, x, sizes);
      if (k === undefined) return undefined;
      const d = t[1]!;
      if (d.shape.length > 1) {
        needRank(ck, e, 1, d, 1, 'a scalar or a vector real[K]');
        return undefined;
      }
      if (d.shape.length === 1 && !sizes.same(d.shape[0]!, k, () => `the diagonal must have length ${String(k)}, but ${describe(ck, e, 1, d)}`)) return undefined;
      return sizes.done(real([k, k]));
    }
    case 'mdivide_left_tri_low': {
      const k = square(ck, e, 0, x, sizes);
      if (k === undefined) return undefined;
      const b = t[1]!;
      if (b.shape.length !== 1 && b.shape.length !== 2) {
        needRank(ck, e, 1, b, 1, 'a vector real[K] or a matrix real[K, M]');
        return undefined;
      }
      if (!sizes.same(b.shape[0]!, k, () => `the right-hand side must have ${String(k)} rows, as the triangular matrix, but ${describe(ck, e, 1, b)}`)) return undefined;
      return sizes.done(real(b.shape));
    }
    case 'mdivide_right_tri_low': {
      const b = x;
      const k = square(ck, e, 1, t[1]!, sizes);
      if (k === undefined) return undefined;
      if (b.shape.length !== 1 && b.shape.length !== 2) {
        needRank(ck, e, 0, b, 1, 'a row vector real[K] or a matrix real[M, K]');
        return undefined;
      }
      const cols = b.shape[b.shape.length - 1]!;
      if (!sizes.same(cols, k, () => `the left-hand side must have ${String(k)} columns, as the triangular matrix, but ${describe(ck, e, 0, b)}`)) return undefined;
      return sizes.done(real(b.shape));
    }
    case 'quad_form': {
      const k = square(ck, e, 0, x, sizes);
      if (k === undefined) return undefined;
      const b = t[1]!;
      if (b.shape.length !== 1 && b.shape.length !== 2) {
        needRank(ck, e, 1, b, 1, 'a vector real[K] or a matrix real[K, M]');
        return undefined;
      }
      if (!sizes.same(b.shape[0]!, k, () => `the second argument must have ${String(k)} rows, as the square matrix, but ${describe(ck, e, 1, b)}`)) return undefined;
      return sizes.done(real(b.shape.length === 1 ? [] : [b.shape[1]!, b.shape[1]!]));
    }
    default:
      return undefined;
  }
}

/** segment(v, start, len): v[start : start + len] with a 0-based start; start and len known before the data's values. */
function segment(ck: CheckState, e: Call, cx: ExprCtx): Ty {
  const argv = e.args.map((a) => a.value);
  const v = expr(ck, argv[0]!, cx);
  const start = dimArg(ck, argv[1]!, e.callee, cx);
  const len = dimArg(ck, argv[2]!, e.callee, cx);
  if (!v || start === undefined || len === undefined) return undefined;
  if (!needRank(ck, e, 0, v, 1, 'a vector')) return undefined;
  if (typeof start === 'number' && typeof len === 'number' && typeof v.shape[0] === 'number' && start + len > v.shape[0]) {
    ck.report(E.shapeRequirement(e.span, `segment: elements ${start} to ${start + len - 1} are outside the vector (${describe(ck, e, 0, v)}; indices start at 0)`));
    return undefined;
  }
  return { elem: v.elem, shape: [len] };
}

/** gp_*_cov(x, alpha, rho[, period]) or gp_*_cov(x1, x2, alpha, rho[, period]): points are scalars (real[N]) or rows (real[N, D]). */
export function gpCall(ck: CheckState, e: Call, cx: ExprCtx): Ty {
  const argv = e.args.map((a) => a.value);
  const ts = argv.map((a) => expr(ck, a, cx));
  if (ts.some((t) => !t)) return undefined;
  const t = ts as ValueType[];
  const hyper = e.callee === 'gp_periodic_cov' ? 3 : 2;
  const nPoints = t.length - hyper;
  const sizes = new Sizes(ck, e);
  for (let i = 0; i < nPoints; i++) {
    const x = t[i]!;
    if (x.shape.length !== 1 && x.shape.length !== 2) {
      ck.report(E.shapeRequirement(argv[i]!.span, `${e.callee}: the points must be real[N] (scalar inputs) or real[N, D] (one point per row), but ${describe(ck, e, i, x)}`));
      return undefined;
    }
  }
  for (let i = nPoints; i < t.length; i++) {
    if (t[i]!.shape.length !== 0) {
      const which = ['alpha', 'rho', 'period'][i - nPoints];
      ck.report(E.shapeRequirement(argv[i]!.span, `${e.callee}: ${which} must be a scalar, but ${describe(ck, e, i, t[i]!)}`));
      return undefined;
    }
  }
  const x1 = t[0]!;
  const x2 = t[nPoints - 1]!;
  if (nPoints === 2) {
    if (x1.shape.length !== x2.shape.length) {
      ck.report(E.shapeRequirement(e.span, `${e.callee}: both sets of points must have one form (real[N] or real[N, D]), but ${describe(ck, e, 0, x1)} and ${describe(ck, e, 1, x2)}`));
      return undefined;
    }
    if (x1.shape.length === 2 && !sizes.same(x1.shape[1]!, x2.shape[1]!, () => `the points must have one dimension D, but ${describe(ck, e, 0, x1)} and ${describe(ck, e, 1, x2)}`)) {
      return undefined;
    }
  }
  return sizes.done(real([x1.shape[0]!, x2.shape[0]!]));
}
