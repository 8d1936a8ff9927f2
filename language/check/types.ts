// The checker's types and shapes: the element type and symbolic shape of every expression
// (recorded in exprTypes), declared types, indexing, slicing and gathers, built-in calls, and
// the dimension pairs only the data can decide (deferred to data binding).

import type { Expr, IndexItem, TypeExpr } from '../ast.js';
import { family as lookupFamily } from '../distributions.js';
import type { FamilySpec } from '../distributions.js';
import { BUILTIN_NAMES, builtin } from '../builtins.js';
import { addAffine, affineOf, broadcastShapes, compareAffine, dimOf, fitsInto, matmulShape, relateDims, showAffine, showDims, showTyped } from '../shapes.js';
import type { Affine } from '../shapes.js';
import type { Span } from '../span.js';
import { isMatrixConstraint } from '../types.js';
import type { Constraint, Dim, ElemType, ValueType } from '../types.js';
import { didYouMean } from '../suggest.js';
import { affineSyntax, intLiteral, sameAffine } from '../scope.js';
import type { ExprCtx, Ty } from '../scope.js';
import * as E from '../semantic-errors.js';
import type { CheckState } from './state.js';
import { visible, loopVar, unresolved } from './names.js';
import { DENSITY_FUNCTION_NAMES, densityFunction } from '../density-functions.js';
import { densityCall } from './density.js';
import { gpCall, linalgCall } from './linalg.js';

const isArith = (op: string): boolean => op === '+' || op === '-' || op === '*' || op === '/' || op === '^';
const isCompare = (op: string): boolean => op === '<' || op === '<=' || op === '>' || op === '>=' || op === '==' || op === '!=';

export function joinElem(a: ElemType, b: ElemType): ElemType {
  if (a === 'real' || b === 'real') return 'real';
  if (a === 'bool' && b === 'bool') return 'bool';
  return 'int';
}

const arithElem = (e: ElemType): ElemType => (e === 'bool' ? 'int' : e);

export function baseOf(t: TypeExpr): { elem: ElemType; constraint: Constraint } {
  switch (t.base) {
    case 'real':
      return { elem: 'real', constraint: 'none' };
    case 'int':
      return { elem: 'int', constraint: 'none' };
    case 'bool':
      return { elem: 'bool', constraint: 'none' };
    case 'positive':
      return { elem: 'real', constraint: 'positive' };
    case 'unit':
      return { elem: 'real', constraint: 'unit' };
    case 'simplex':
      return { elem: 'real', constraint: 'simplex' };
    case 'ordered':
      return { elem: 'real', constraint: 'ordered' };
    case 'positive_ordered':
      return { elem: 'real', constraint: 'positive-ordered' };
    case 'cholesky_factor_corr':
    case 'cholesky_factor_cov':
    case 'corr_matrix':
    case 'cov_matrix':
      return { elem: 'real', constraint: t.base };
  }
}

export function declType(ck: CheckState, t: TypeExpr): Ty {
  const { elem } = baseOf(t);
  const shape: Dim[] = [];
  let ok = true;
  for (const d of t.dims) {
    if (d.kind === 'dimLit') {
      shape.push(d.value);
      continue;
    }
    const s = visible(ck, d.name);
    if (!s) {
      if (loopVar(ck, d.name)) ck.report(E.badDimension(d.span, d.name, 'is a loop variable; dimensions must be int literals, int data or plates'));
      else unresolved(ck, d.name, d.span);
      ok = false;
    } else if (s.kind !== 'data' && s.kind !== 'plate') {
      ck.report(E.badDimension(d.span, d.name, `is a ${s.kind}; dimensions must be int literals, int data or plates`));
      ok = false;
    } else if (!s.type) {
      ok = false;
    } else if (s.type.elem !== 'int' || s.type.shape.length) {
      ck.report(E.badDimension(d.span, d.name, `is ${showTyped(s.type.elem, s.type.shape)}; dimensions must be int scalars`));
      ok = false;
    } else {
      s.used = true;
      shape.push(d.name);
    }
  }
  if (t.base === 'simplex' && t.dims.length === 0) {
    ck.report(E.shapeRequirement(t.span, 'a simplex needs a dimension: simplex[K]'));
    ok = false;
  }
  if ((t.base === 'ordered' || t.base === 'positive_ordered') && t.dims.length === 0) {
    ck.report(E.shapeRequirement(t.span, `an ordered vector needs a dimension: ${t.base}[K] (its entries increase along the last dimension)`));
    ok = false;
  }
  if (isMatrixConstraint(t.base)) {
    // One dimension K names a K×K matrix (as Stan's cov_matrix[K]); arrays of them are not supported.
    if (t.dims.length !== 1) {
      ck.report(E.shapeRequirement(t.span, `a ${t.base} takes exactly one dimension, its size K: ${t.base}[K] is a K×K matrix`));
      ok = false;
    } else if (ok) shape.push(shape[0]!);
  }
  return ok ? { elem, shape } : undefined;
}

/** A default or initial value must fit the declared shape (broadcasting a smaller one is fine). */
export function checkAssignable(ck: CheckState, e: Expr, t: ValueType, want: ValueType, what: string): void {
  if (want.elem !== 'real' && t.elem === 'real') {
    ck.report(E.typeMismatch(e.span, `${what} must be ${want.elem}, but this is ${showTyped(t.elem, t.shape)}`));
    return;
  }
  // Sizes that only the data can decide are checked when the default is evaluated, and
  // only if it is used at all (supplied data overrides it).
  const fit = fitsInto(t.shape, want.shape, true);
  if (!fit.ok) ck.report(E.typeMismatch(e.span, `${what} must have shape ${showDims(want.shape)}, but this is ${showTyped(t.elem, t.shape)}`));
}

export function checkShapeFits(ck: CheckState, name: string, span: Span, declared: ValueType, fam: FamilySpec, value: ValueType, how: string): boolean {
  const fit = fitsInto(value.shape, declared.shape);
  if (!fit.ok) {
    ck.report(E.declaredShape(span, name, showTyped(declared.elem, declared.shape), fam.name, showDims(value.shape)));
    return false;
  }
  ck.defer(fit.deferred, `the ${how} shape of '${name}'`, span);
  return true;
}

export function expr(ck: CheckState, e: Expr, cx: ExprCtx): Ty {
  const t = exprInner(ck, e, cx);
  if (t) ck.exprTypes.set(e, t);
  return t;
}

function exprInner(ck: CheckState, e: Expr, cx: ExprCtx): Ty {
  switch (e.kind) {
    case 'num':
      return { elem: e.isInt ? 'int' : 'real', shape: [] };
    case 'bool':
      return { elem: 'bool', shape: [] };
    case 'var':
      return varType(ck, e.name, e.span, cx);
    case 'unary': {
      const t = expr(ck, e.arg, cx);
      if (!t) return undefined;
      return { elem: e.op === '!' ? 'bool' : arithElem(t.elem), shape: t.shape };
    }
    case 'binary':
      return binary(ck, e, cx);
    case 'if': {
      const c = expr(ck, e.cond, cx);
      const a = expr(ck, e.then, cx);
      const b = expr(ck, e.else, cx);
      if (!c || !a || !b) return undefined;
      const ab = broadcastShapes(a.shape, b.shape);
      if (!ab.ok) {
        ck.report(E.broadcastMismatch(e.span, "'if … then … else'", ck.describe(e.then, a, 'the then branch'), ck.describe(e.else, b, 'the else branch')));
        return undefined;
      }
      const all = broadcastShapes(c.shape, ab.shape);
      if (!all.ok) {
        ck.report(E.broadcastMismatch(e.span, "'if … then … else'", ck.describe(e.cond, c, 'the condition'), `the branches are ${showDims(ab.shape)}`));
        return undefined;
      }
      ck.defer([...ab.deferred, ...all.deferred], "'if … then … else'", e.span);
      return { elem: joinElem(a.elem, b.elem), shape: all.shape };
    }
    case 'call':
      return call(ck, e, cx);
    case 'index':
      return index(ck, e, cx);
    case 'array': {
      const ts = e.elements.map((x) => expr(ck, x, cx));
      if (ts.some((t) => !t)) return undefined;
      if (ts.length === 0) return { elem: 'real', shape: [0] };
      const first = ts[0]!;
      let elem = first.elem;
      for (let i = 1; i < ts.length; i++) {
        const t = ts[i]!;
        const same = t.shape.length === first.shape.length && t.shape.every((d, j) => relateDims(d, first.shape[j]!) !== 'different');
        if (!same) {
          ck.report(E.shapeRequirement(e.elements[i]!.span, `the elements of an array literal must have one shape: ${ck.describe(e.elements[0]!, first, 'the first')}, ${ck.describe(e.elements[i]!, t, 'this one')}`));
          return undefined;
        }
        elem = joinElem(elem, t.elem);
      }
      return { elem, shape: [ts.length, ...first.shape] };
    }
  }
}

function varType(ck: CheckState, name: string, span: Span, cx: ExprCtx): Ty {
  if (loopVar(ck, name)) return { elem: 'int', shape: [] };
  const s = visible(ck, name);
  if (!s) {
    unresolved(ck, name, span);
    return undefined;
  }
  s.used = true;
  cx.refs.add(name);
  if (cx.defining && cx.defining.name === name && s.elementwise && s.kind !== 'data') {
    // Whole-array use inside its own element definition: the array is not complete yet.
    ck.report(E.selfReference(span, `'${name}'`));
    return undefined;
  }
  return s.type;
}

function binary(ck: CheckState, e: Extract<Expr, { kind: 'binary' }>, cx: ExprCtx): Ty {
  const l = expr(ck, e.left, cx);
  const r = expr(ck, e.right, cx);
  if (!l || !r) return undefined;
  if (e.op === '@') {
    const m = matmulShape(l.shape, r.shape);
    if (!m.ok) {
      if ('rank' in m) ck.report(E.matmulScalar(e.span, l.shape.length === 0 ? ck.text(e.left.span) || 'the left side' : ck.text(e.right.span) || 'the right side'));
      else ck.report(E.matmulMismatch(e.span, ck.describe(e.left, l, 'the left side'), ck.describe(e.right, r, 'the right side')));
      return undefined;
    }
    ck.defer(m.deferred, "'@'", e.span);
    return { elem: joinElem(arithElem(l.elem), arithElem(r.elem)), shape: m.shape };
  }
  const b = broadcastShapes(l.shape, r.shape);
  if (!b.ok) {
    ck.report(E.broadcastMismatch(e.span, `'${e.op}'`, ck.describe(e.left, l, 'the left side'), ck.describe(e.right, r, 'the right side')));
    return undefined;
  }
  ck.defer(b.deferred, `'${e.op}'`, e.span);
  if (isArith(e.op)) {
    const elem = e.op === '/' || e.op === '^' ? 'real' : joinElem(arithElem(l.elem), arithElem(r.elem));
    return { elem, shape: b.shape };
  }
  if (isCompare(e.op) || e.op === '&&' || e.op === '||') return { elem: 'bool', shape: b.shape };
  return { elem: 'real', shape: b.shape };
}

/** A dimension argument of ones/zeros/fill: an int literal, int data or plate, length(x), ± literals. */
export function dimArg(ck: CheckState, e: Expr, fn: string, cx: ExprCtx): Dim | undefined {
  const lit = intLiteral(e);
  if (lit !== undefined) {
    if (lit < 0) {
      ck.report(E.shapeRequirement(e.span, `${fn}: dimensions cannot be negative, got ${lit}`));
      return undefined;
    }
    return lit;
  }
  if (e.kind === 'call' && e.callee === 'length') {
    const t = expr(ck, e, cx);
    const x = e.args[0] && ck.exprTypes.get(e.args[0].value);
    if (!t || !x || !x.shape.length) return undefined;
    return x.shape[0];
  }
  if (e.kind === 'binary' && (e.op === '+' || e.op === '-')) {
    const t = expr(ck, e, cx);
    const l = dimArgQuiet(ck, e.left);
    const k = intLiteral(e.right);
    if (t && l !== undefined && k !== undefined) return dimOf(addAffine(affineOf(l), e.op === '+' ? k : -k));
  }
  const t = expr(ck, e, cx);
  if (!t) return undefined;
  if (e.kind === 'var') {
    const s = visible(ck, e.name);
    if (s && (s.kind === 'data' || s.kind === 'plate') && t.elem === 'int' && t.shape.length === 0) return e.name;
  }
  ck.report(E.shapeRequirement(e.span, `${fn}: dimensions must be int literals or int data names (or length(x)), but this is '${ck.text(e.span)}'`));
  return undefined;
}

function dimArgQuiet(ck: CheckState, e: Expr): Dim | undefined {
  const lit = intLiteral(e);
  if (lit !== undefined) return lit;
  if (e.kind === 'var') {
    const s = visible(ck, e.name);
    if (s && (s.kind === 'data' || s.kind === 'plate') && s.type?.elem === 'int' && s.type.shape.length === 0) return e.name;
  }
  if (e.kind === 'call' && e.callee === 'length') {
    const x = e.args[0] && ck.exprTypes.get(e.args[0].value);
    if (x?.shape.length) return x.shape[0];
  }
  return undefined;
}

function call(ck: CheckState, e: Extract<Expr, { kind: 'call' }>, cx: ExprCtx): Ty {
  const user = ck.functions?.sigs.get(e.callee);
  if (user) {
    if (!ck.brokenSignatures.has(e.callee)) return ck.functions!.call(ck, e, user, cx);
    for (const a of e.args) expr(ck, a.value, cx);
    return undefined;
  }
  const dens = densityFunction(e.callee);
  if (dens?.ok) return densityCall(ck, e, dens.fn, cx);
  const spec = builtin(e.callee);
  if (spec && e.bar) {
    ck.report(E.misplacedBar(e.bar, e.callee));
    for (const a of e.args) expr(ck, a.value, cx);
    return undefined;
  }
  if (!spec) {
    if (lookupFamily(e.callee)) ck.report(E.distributionAsFunction(e.calleeSpan, e.callee));
    else if (dens?.message) ck.report(E.badDensityFunction(e.calleeSpan, dens.message));
    else ck.report(E.unknownFunction(e.calleeSpan, e.callee, didYouMean(e.callee, [...BUILTIN_NAMES, ...DENSITY_FUNCTION_NAMES, ...(ck.functions?.names ?? [])])));
    for (const a of e.args) expr(ck, a.value, cx);
    return undefined;
  }
  const named = e.args.find((a) => a.name !== undefined);
  if (named) {
    ck.report(E.namedFunctionArgument(named.nameSpan ?? named.span, e.callee));
    for (const a of e.args) expr(ck, a.value, cx);
    return undefined;
  }
  if (e.args.length < spec.minArgs || e.args.length > spec.maxArgs) {
    ck.report(E.functionArity(e.span, e.callee, spec.arity, e.args.length));
    for (const a of e.args) expr(ck, a.value, cx);
    return undefined;
  }
  const argv = e.args.map((a) => a.value);
  switch (spec.kind) {
    case 'constructor':
    case 'fill': {
      const first = spec.kind === 'fill' ? 1 : 0;
      let elem: ElemType = 'real';
      let ok = true;
      if (spec.kind === 'fill') {
        const v = expr(ck, argv[0]!, cx);
        if (!v) ok = false;
        else if (v.shape.length) {
          ck.report(E.shapeRequirement(argv[0]!.span, `fill: the value must be a scalar, but ${ck.describe(argv[0]!, v, 'it')}`));
          ok = false;
        } else elem = v.elem;
      }
      const dims: Dim[] = [];
      for (const a of argv.slice(first)) {
        const d = dimArg(ck, a, e.callee, cx);
        if (d === undefined) ok = false;
        else dims.push(d);
      }
      return ok ? { elem, shape: dims } : undefined;
    }
    case 'linalg':
      return linalgCall(ck, e, cx);
    case 'gp':
      return gpCall(ck, e, cx);
    default:
      break;
  }
  const ts = argv.map((a) => expr(ck, a, cx));
  if (ts.some((t) => !t)) return undefined;
  const x = ts[0]!;
  switch (spec.kind) {
    case 'elementwise':
    case 'normalise':
      if (spec.kind === 'normalise' && x.shape.length === 0) {
        ck.report(E.shapeRequirement(e.span, `${e.callee} needs an array, but ${ck.describe(argv[0]!, x, 'its argument')}`));
        return undefined;
      }
      return { elem: 'real', shape: x.shape };
    case 'abs':
      return { elem: arithElem(x.elem), shape: x.shape };
    case 'rounding':
      return { elem: 'int', shape: x.shape };
    case 'pow': {
      const b = broadcastShapes(x.shape, ts[1]!.shape);
      const [first, second] = e.callee === 'pow' ? ['the base', 'the exponent'] : ['the first argument', 'the second'];
      if (!b.ok) {
        ck.report(E.broadcastMismatch(e.span, e.callee, ck.describe(argv[0]!, x, first), ck.describe(argv[1]!, ts[1]!, second)));
        return undefined;
      }
      ck.defer(b.deferred, e.callee, e.span);
      return { elem: 'real', shape: b.shape };
    }
    case 'mix':
      return mixType(ck, e, argv, ts as NonNullable<Ty>[]);
    case 'reduce': {
      const elem: ElemType = spec.result === 'real' ? 'real' : arithElem(x.elem);
      if (argv.length === 1) return { elem, shape: [] };
      const axis = intLiteral(argv[1]!);
      if (axis === undefined) {
        ck.report(E.shapeRequirement(argv[1]!.span, `${e.callee}: the axis must be an int literal`));
        return undefined;
      }
      const rank = x.shape.length;
      if (axis < -rank || axis >= rank) {
        ck.report(E.shapeRequirement(argv[1]!.span, `${e.callee}: axis ${axis} is out of range; ${ck.describe(argv[0]!, x, 'its argument')}`));
        return undefined;
      }
      const a = axis < 0 ? axis + rank : axis;
      return { elem, shape: x.shape.filter((_, i) => i !== a) };
    }
    case 'dot': {
      const y = ts[1]!;
      if (x.shape.length !== 1 || y.shape.length !== 1) {
        ck.report(E.shapeRequirement(e.span, `dot needs two vectors: ${ck.describe(argv[0]!, x, 'the first')}, ${ck.describe(argv[1]!, y, 'the second')}`));
        return undefined;
      }
      const r = relateDims(x.shape[0]!, y.shape[0]!);
      if (r === 'different') {
        ck.report(E.shapeRequirement(e.span, `dot needs vectors of one length: ${ck.describe(argv[0]!, x, 'the first')}, ${ck.describe(argv[1]!, y, 'the second')}`));
        return undefined;
      }
      if (r === 'unknown') ck.defer([{ a: x.shape[0]!, b: y.shape[0]!, allowOne: false }], 'dot', e.span);
      return { elem: joinElem(arithElem(x.elem), arithElem(y.elem)), shape: [] };
    }
    case 'transpose':
      if (x.shape.length !== 2) {
        ck.report(E.shapeRequirement(e.span, `transpose needs a matrix, but ${ck.describe(argv[0]!, x, 'its argument')}`));
        return undefined;
      }
      return { elem: x.elem, shape: [x.shape[1]!, x.shape[0]!] };
    case 'length':
      if (x.shape.length === 0) {
        ck.report(E.shapeRequirement(e.span, `length needs an array, but ${ck.describe(argv[0]!, x, 'its argument')}`));
        return undefined;
      }
      return { elem: 'int', shape: [] };
    default:
      return undefined;
  }
}

/**
 * log_mix(θ, lp1, lp2): the three broadcast elementwise. log_mix(θ, lps): θ and lps share a last
 * axis (the K components), summed out; the rest broadcasts.
 */
function mixType(ck: CheckState, e: Extract<Expr, { kind: 'call' }>, argv: Expr[], ts: NonNullable<Ty>[]): Ty {
  if (ts.length === 3) {
    let shape: Dim[] = [];
    for (let i = 0; i < 3; i++) {
      const b = broadcastShapes(shape, ts[i]!.shape);
      if (!b.ok) {
        ck.report(E.broadcastMismatch(argv[i]!.span, 'log_mix', `the arguments before give ${showDims(shape)}`, ck.describe(argv[i]!, ts[i]!, 'this one')));
        return undefined;
      }
      ck.defer(b.deferred, 'log_mix', e.span);
      shape = b.shape;
    }
    return { elem: 'real', shape };
  }
  const [th, lp] = ts as [NonNullable<Ty>, NonNullable<Ty>];
  if (th.shape.length === 0 || lp.shape.length === 0) {
    const bad = th.shape.length === 0 ? 0 : 1;
    ck.report(E.shapeRequirement(argv[bad]!.span, `log_mix(theta, lps) needs vectors of K mixing weights and K log densities, but ${ck.describe(argv[bad]!, ts[bad]!, 'this')}; for two components write log_mix(theta, lp1, lp2)`));
    return undefined;
  }
  const k = relateDims(th.shape[th.shape.length - 1]!, lp.shape[lp.shape.length - 1]!);
  if (k === 'different') {
    ck.report(E.shapeRequirement(e.span, `log_mix: the weights and the log densities need one last dimension K: ${ck.describe(argv[0]!, th, 'theta')}, ${ck.describe(argv[1]!, lp, 'lps')}`));
    return undefined;
  }
  if (k === 'unknown') ck.defer([{ a: th.shape[th.shape.length - 1]!, b: lp.shape[lp.shape.length - 1]!, allowOne: false }], 'log_mix', e.span);
  const b = broadcastShapes(th.shape.slice(0, -1), lp.shape.slice(0, -1));
  if (!b.ok) {
    ck.report(E.broadcastMismatch(e.span, 'log_mix', ck.describe(argv[0]!, th, 'theta'), ck.describe(argv[1]!, lp, 'lps')));
    return undefined;
  }
  ck.defer(b.deferred, 'log_mix', e.span);
  return { elem: 'real', shape: b.shape };
}

function index(ck: CheckState, e: Extract<Expr, { kind: 'index' }>, cx: ExprCtx): Ty {
  const self = cx.defining && e.target.kind === 'var' && e.target.name === cx.defining.name;
  let t: Ty;
  if (self) {
    // Reading other elements of the array being defined is fine (z[t-1] in z[t] ~ …).
    const s = visible(ck, cx.defining!.name);
    if (s && e.target.kind === 'var') {
      s.used = true;
      cx.refs.add(s.name);
      t = s.type;
      if (t) ck.exprTypes.set(e.target, t);
      const d = cx.defining!.indices;
      const same = d.length === e.items.length && e.items.every((it, i) => it.kind === 'at' && sameAffine(affineSyntax(it.expr), affineSyntax(d[i]!)));
      if (same) ck.report(E.selfReference(e.span, `'${ck.text(e.span)}'`));
    } else t = expr(ck, e.target, cx);
  } else t = expr(ck, e.target, cx);
  const items = e.items.map((it) => indexItem(ck, it, cx));
  if (!t || items.some((i) => i === undefined)) return undefined;
  if (e.items.length > t.shape.length) {
    ck.report(E.tooManyIndices(e.span, ck.text(e.target.span) || 'the array', showTyped(t.elem, t.shape), t.shape.length));
    return undefined;
  }
  const out: (Dim | 'gather')[] = [];
  let gather: Dim[] | undefined;
  let ok = true;
  e.items.forEach((it, axis) => {
    const dim = t.shape[axis]!;
    const info = items[axis]!;
    if (it.kind === 'slice') {
      const d = sliceDim(ck, it, dim);
      if (d === undefined) ok = false;
      else out.push(d);
      return;
    }
    if (info.shape.length === 0) {
      const lit = intLiteral(it.expr);
      if (lit !== undefined && (lit < 0 || (typeof dim === 'number' && lit >= dim))) {
        ck.report(E.indexOutOfRange(it.expr.span, lit, `${ck.text(e.target.span)}`, String(dim)));
        ok = false;
      } else if (!indexRange(ck, it.expr, dim, e)) ok = false;
      return;
    }
    if (!gather) {
      gather = info.shape;
      out.push('gather');
    } else {
      const b = broadcastShapes(gather, info.shape);
      if (!b.ok) {
        ck.report(E.broadcastMismatch(it.span, 'the array indices', showDims(gather), showDims(info.shape)));
        ok = false;
      } else gather = b.shape;
    }
    if (it.expr.kind === 'var' && e.target.kind === 'var') {
      const s = visible(ck, it.expr.name);
      if (s && s.kind === 'data') ck.deferred.push({ kind: 'gather', index: it.expr.name, target: e.target.name, bound: dim, span: it.expr.span });
    }
  });
  if (!ok) return undefined;
  const shape: Dim[] = [];
  for (const d of out) {
    if (d === 'gather') shape.push(...gather!);
    else shape.push(d);
  }
  shape.push(...t.shape.slice(e.items.length));
  return { elem: t.elem, shape };
}

/**
 * An index of the form loop variable ± literal (or a literal against a symbolic axis) must
 * stay inside the axis for every iteration; what needs the sizes is deferred.
 */
function indexRange(ck: CheckState, x: Expr, dim: Dim, e: Extract<Expr, { kind: 'index' }>): boolean {
  const a = affineSyntax(x);
  if (!a) return true;
  let lo: Affine;
  let hi: Affine;
  let variable: string | undefined;
  if (a.name === undefined) {
    lo = { k: a.k };
    hi = { k: a.k + 1 };
  } else {
    const loop = loopVar(ck, a.name);
    if (!loop || !loop.from || !loop.to) return true;
    // An empty loop reads nothing. As in the coverage analysis, a data size is taken to
    // exceed a literal (`0..T` runs); anything else waits for the sizes.
    let c = compareAffine(loop.from, loop.to);
    if (c === undefined && loop.from.name === undefined && loop.to.name !== undefined) c = -1;
    lo = addAffine(loop.from, a.k);
    hi = addAffine(loop.to, a.k);
    variable = a.name;
    if (c === undefined || c >= 0) {
      if (c === undefined) ck.deferred.push({ kind: 'index-range', target: ck.text(e.target.span), index: ck.text(x.span), lo, hi, dim, span: x.span });
      return true;
    }
  }
  const D = affineOf(dim);
  const below = compareAffine(lo, { k: 0 });
  const above = compareAffine(hi, D);
  const target = ck.text(e.target.span);
  const when = (v: Affine): string => (variable ? ` when ${variable} = ${showAffine(addAffine(v, -a.k))}` : '');
  if (below !== undefined && below < 0) {
    ck.report(E.indexRange(x.span, target, ck.text(x.span), showAffine(lo), when(lo), showDims([dim])));
    return false;
  }
  if (above !== undefined && above > 0) {
    const last = addAffine(hi, -1);
    ck.report(E.indexRange(x.span, target, ck.text(x.span), showAffine(last), when(last), showDims([dim])));
    return false;
  }
  if (below === undefined || above === undefined) ck.deferred.push({ kind: 'index-range', target, index: ck.text(x.span), lo, hi, dim, span: x.span });
  return true;
}

function indexItem(ck: CheckState, it: IndexItem, cx: ExprCtx): ValueType | undefined {
  const check = (x: Expr): ValueType | undefined => {
    const t = expr(ck, x, cx);
    if (!t) return undefined;
    if (t.elem !== 'int') {
      ck.report(E.badIndexType(x.span, showTyped(t.elem, t.shape)));
      return undefined;
    }
    return t;
  };
  if (it.kind === 'at') return check(it.expr);
  let ok = true;
  for (const x of [it.lo, it.hi]) {
    if (!x) continue;
    const t = check(x);
    if (!t) ok = false;
    else if (t.shape.length) {
      ck.report(E.badIndexType(x.span, showTyped(t.elem, t.shape)));
      ok = false;
    }
  }
  return ok ? { elem: 'int', shape: [] } : undefined;
}

/** The length of `lo:hi` on an axis of size `dim`, when it can be said symbolically. */
function sliceDim(ck: CheckState, it: Extract<IndexItem, { kind: 'slice' }>, dim: Dim): Dim | undefined {
  const lo = it.lo ? affineSyntax(it.lo) : { k: 0 };
  const hi = it.hi ? affineSyntax(it.hi) : affineOf(dim);
  if (lo && hi) {
    if (lo.name === undefined) return dimOf({ name: hi.name, k: hi.k - lo.k });
    if (lo.name === hi.name) return hi.k - lo.k;
  }
  ck.report(E.shapeRequirement(it.span, 'slice bounds must be int literals or int data names plus or minus literals, so that the slice has a known length'));
  return undefined;
}
