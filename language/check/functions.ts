// User functions in the checker: their declarations (names, parameters, dimension variables,
// recursion), their bodies (pure: only arguments, locals and literals), and their calls (arity,
// argument types, dimension variables bound by unifying the arguments' shapes). A call's value
// is the function's declared return type with its dimension variables replaced; the body itself
// is expanded inline afterwards (language/inline.ts), once everything here checked.

import type { Expr, FunDecl, Program, Stmt, TypeExpr } from '../ast.js';
import { builtin } from '../builtins.js';
import { family as lookupFamily } from '../distributions.js';
import { densityFunction } from '../density-functions.js';
import { prepass, type ExprCtx, type Scope, type Ty } from '../scope.js';
import { constantNumber } from '../constants.js';
import { affineOf, relateDims, showDims, showTyped } from '../shapes.js';
import type { Span } from '../span.js';
import { isMatrixConstraint, type Constraint, type Dim, type ElemType, type ValueType } from '../types.js';
import * as E from '../semantic-errors.js';
import { CheckState } from './state.js';
import { addSymbol } from './names.js';
import { baseOf, expr } from './types.js';
import { stmt } from './statements.js';
import { walkExprs } from '../walk.js';

export type Call = Extract<Expr, { kind: 'call' }>;

/** Two dims an argument needs equal (`a` from the signature and earlier arguments, `b` the argument's). */
export interface DimAgreement {
  a: Dim;
  b: Dim;
  param: string;
  expected: string;
  span: Span;
}

interface ParamSig {
  name: string;
  type: ValueType;
  constraint: Constraint;
  /** The type as written, for messages. */
  written: TypeExpr;
}

export interface FunSig {
  decl: FunDecl;
  params: ParamSig[];
  returns: ValueType;
  /** Dimension names of the parameter types, bound afresh at each call. */
  dimVars: Set<string>;
}

/** The user functions of one program, and what checking their calls learnt for the expansion. */
export class FunctionTable {
  readonly sigs = new Map<string, FunSig>();
  /** How each checked call bound the callee's dimension variables (in the caller's dims). */
  readonly bindings = new Map<Call, Map<string, Dim>>();
  /**
   * Dimension agreements each call needs that its checking could not decide (two names); the
   * expansion decides them again in the dims of the call it expands, or defers them to the data.
   */
  readonly pending = new Map<Call, DimAgreement[]>();

  get names(): string[] {
    return [...this.sigs.keys()];
  }

  /** The type of a call of user function `sig`, or undefined after reporting why it is wrong. */
  call(ck: CheckState, e: Call, sig: FunSig, cx: ExprCtx): Ty {
    if (e.bar) {
      ck.report(E.misplacedBar(e.bar, e.callee));
      for (const a of e.args) expr(ck, a.value, cx);
      return undefined;
    }
    const named = e.args.find((a) => a.name !== undefined);
    if (named) {
      ck.report(E.namedFunctionArgument(named.nameSpan ?? named.span, e.callee));
      for (const a of e.args) expr(ck, a.value, cx);
      return undefined;
    }
    if (e.args.length !== sig.params.length) {
      const n = sig.params.length;
      ck.report(E.functionArity(e.span, e.callee, `${n} argument${n === 1 ? '' : 's'} (${sig.params.map((p) => p.name).join(', ')})`, e.args.length));
      for (const a of e.args) expr(ck, a.value, cx);
      return undefined;
    }
    const ts = e.args.map((a) => expr(ck, a.value, cx));
    const bound = new Map<string, { dim: Dim; from: string }>();
    let ok = true;
    sig.params.forEach((p, i) => {
      const arg = e.args[i]!.value;
      const t = ts[i];
      if (!t) {
        ok = false;
        return;
      }
      const expected = showTyped(p.written.base, p.type.shape);
      const found = () => `this is ${showTyped(t.elem, t.shape)}`;
      if (!elemFits(t.elem, p.type.elem)) {
        ck.report(E.argumentMismatch(arg.span, e.callee, p.name, expected, found()));
        ok = false;
        return;
      }
      if (t.shape.length !== p.type.shape.length) {
        ck.report(E.argumentMismatch(arg.span, e.callee, p.name, expected, found()));
        ok = false;
        return;
      }
      p.type.shape.forEach((want, axis) => {
        const got = t.shape[axis]!;
        let target: Dim = want;
        let why = '';
        if (typeof want === 'string') {
          const b = bound.get(want);
          if (!b) {
            bound.set(want, { dim: got, from: p.name });
            return;
          }
          target = b.dim;
          why = ` with ${want} = ${showDims([b.dim]).slice(1, -1)} from argument '${b.from}'`;
        }
        const r = relateDims(target, got);
        if (r === 'different') {
          ck.report(E.argumentMismatch(arg.span, e.callee, p.name, `${expected}${why}`, found()));
          ok = false;
        } else if (r === 'unknown') {
          const list = this.pending.get(e) ?? [];
          list.push({ a: target, b: got, param: p.name, expected: `${expected}${why}`, span: arg.span });
          this.pending.set(e, list);
        }
      });
      if (ok) checkConstraint(ck, e.callee, p, arg);
    });
    if (!ok) return undefined;
    const dims = new Map([...bound].map(([k, v]) => [k, v.dim]));
    this.bindings.set(e, dims);
    return { elem: sig.returns.elem, shape: sig.returns.shape.map((d) => substituteDim(d, dims)) };
  }
}

/** An argument may be promoted (bool → int → real), never demoted. */
function elemFits(got: ElemType, want: ElemType): boolean {
  if (want === 'real') return true;
  if (want === 'int') return got !== 'real';
  return got === 'bool';
}

/**
 * Constraint types of parameters state intent; a value can be held to them only when it is known
 * before inference, so only a constant argument is checked (a latent or param argument is not).
 */
function checkConstraint(ck: CheckState, fn: string, p: ParamSig, arg: Expr): void {
  if (p.constraint !== 'positive' && p.constraint !== 'unit') return;
  const v = constantNumber(arg);
  if (v === undefined) return;
  const ok = p.constraint === 'positive' ? v > 0 : v >= 0 && v <= 1;
  if (!ok) ck.report(E.argumentMismatch(arg.span, fn, p.name, p.constraint === 'positive' ? 'positive' : 'in [0, 1] (unit)', `this is ${v}`));
}

/** A dimension of the callee (a literal, a dimension variable, or one plus or minus a literal) at one call. */
export function substituteDim(d: Dim, dims: Map<string, Dim>): Dim {
  if (typeof d === 'number') return d;
  const a = affineOf(d);
  const b = a.name !== undefined ? dims.get(a.name) : undefined;
  if (b === undefined) return d;
  if (a.k === 0) return b;
  const ab = affineOf(b);
  if (ab.name === undefined) return ab.k + a.k;
  const k = ab.k + a.k;
  return k === 0 ? ab.name : k > 0 ? `${ab.name}+${k}` : `${ab.name}-${-k}`;
}

// Partial, so a statement added to the language later is refused by the general message until it has its own.
const DISALLOWED: Partial<Record<Stmt['kind'], (s: Stmt) => [string, string]>> = {
  sample: () => ["'~'", 'a function is pure: it computes a value from its arguments and cannot add a random variable or an observation to the model'],
  data: () => ['data declarations', 'a function sees only its arguments; pass the data in as an argument'],
  param: () => ['params', 'a learned value belongs to the model; declare it there and pass it in as an argument'],
  plate: () => ['plates', 'a function sees only its arguments; its sizes come from their shapes (dimension variables)'],
  objective: (s) => [`'${s.kind === 'objective' ? s.direction : 'minimize'}'`, 'an objective belongs to the model; return the value and use it there'],
  guide: () => ['a guide block', 'a guide belongs to the model'],
  target: (s) => [s.kind === 'target' && s.form === 'factor' ? "'factor'" : "'target +='", 'a function is pure: it cannot add to the model\'s log density; return the term and add it in the model (target += f(…))'],
  for: () => ['for loops', 'a call is expanded inline as one expression, which cannot hold a loop; use whole-array operations (broadcasting, sum, dot, @)'],
};

/**
 * Declares the program's functions in `ck` and checks them: names, signatures, recursion and
 * bodies. `model` is the model's scope after its pre-pass, so a body reading a model name is told
 * why it may not.
 */
export function checkFunctions(ck: CheckState, program: Program): FunctionTable {
  const table = new FunctionTable();
  ck.functions = table;
  const decls = program.functions ?? [];
  for (const f of decls) declare(ck, table, f);
  const cyclic = findRecursion(ck, table);
  for (const f of decls) {
    const sig = table.sigs.get(f.name);
    if (sig?.decl === f && !cyclic.has(f.name)) checkBody(ck, table, sig);
  }
  return table;
}

function declare(ck: CheckState, table: FunctionTable, f: FunDecl): void {
  const earlier = table.sigs.get(f.name);
  if (earlier) return ck.report(E.redefinition(f.nameSpan, f.name, earlier.decl.nameSpan.start.line, '; function names must be unique'));
  if (builtin(f.name)) return ck.report(E.functionName(f.nameSpan, f.name, 'is a built-in function'));
  if (lookupFamily(f.name)) return ck.report(E.functionName(f.nameSpan, f.name, 'is a distribution'));
  if (densityFunction(f.name)?.ok) return ck.report(E.functionName(f.nameSpan, f.name, 'is a density function'));
  const modelLine = ck.model.later.get(f.name);
  if (modelLine !== undefined) return ck.report(E.redefinition(f.nameSpan, f.name, modelLine, ' in the model; a function needs a name of its own'));
  const dimVars = new Set<string>();
  const names = new Map<string, Span>();
  const params: ParamSig[] = [];
  let ok = true;
  for (const p of f.params) {
    const prev = names.get(p.name);
    if (prev) {
      ck.report(E.redefinition(p.nameSpan, p.name, prev.start.line, ` as a parameter of '${f.name}'`));
      ok = false;
      continue;
    }
    names.set(p.name, p.nameSpan);
    const sig = paramType(ck, p.type, dimVars);
    if (!sig) ok = false;
    else params.push({ name: p.name, type: sig, constraint: baseOf(p.type).constraint, written: p.type });
  }
  for (const p of f.params) {
    if (dimVars.has(p.name)) {
      ck.report(E.functionSignature(p.nameSpan, `'${p.name}' of '${f.name}' is both a parameter and a dimension variable; a dimension comes from an argument's shape`));
      ok = false;
    }
  }
  const returns = paramType(ck, f.returns, undefined);
  if (returns) {
    for (const d of f.returns.dims) {
      if (d.kind === 'dimName' && !dimVars.has(d.name)) {
        ck.report(E.functionSignature(d.span, `the return type of '${f.name}' uses dimension '${d.name}', which no parameter's type binds`));
        ok = false;
      }
    }
  } else ok = false;
  // A function with a bad signature is still known, so its calls say nothing more.
  table.sigs.set(f.name, { decl: f, params: ok ? params : [], returns: returns ?? { elem: 'real', shape: [] }, dimVars });
  if (!ok) ck.brokenSignatures.add(f.name);
}

/** A parameter's (or the result's) type: names in its shape are dimension variables. */
function paramType(ck: CheckState, t: TypeExpr, dimVars: Set<string> | undefined): ValueType | undefined {
  const { elem } = baseOf(t);
  if (t.base === 'simplex' && t.dims.length === 0) {
    ck.report(E.shapeRequirement(t.span, 'a simplex needs a dimension: simplex[K]'));
    return undefined;
  }
  if ((t.base === 'ordered' || t.base === 'positive_ordered') && t.dims.length === 0) {
    ck.report(E.shapeRequirement(t.span, `an ordered vector needs a dimension: ${t.base}[K]`));
    return undefined;
  }
  if (isMatrixConstraint(t.base) && t.dims.length !== 1) {
    ck.report(E.shapeRequirement(t.span, `a ${t.base} takes exactly one dimension, its size K: ${t.base}[K] is a K×K matrix`));
    return undefined;
  }
  const shape: Dim[] = t.dims.map((d) => {
    if (d.kind === 'dimLit') return d.value;
    dimVars?.add(d.name);
    return d.name;
  });
  // As in a declaration, one dimension K of a matrix type names a K×K matrix.
  if (isMatrixConstraint(t.base)) shape.push(shape[0]!);
  return { elem, shape };
}

/** Refuses recursion, direct or mutual, at the call that closes each cycle; returns the functions on a cycle. */
function findRecursion(ck: CheckState, table: FunctionTable): Set<string> {
  const calls = new Map<string, Call[]>();
  for (const [name, sig] of table.sigs) {
    const out: Call[] = [];
    walkExprs(sig.decl, (e) => {
      if (e.kind === 'call' && table.sigs.has(e.callee)) out.push(e);
    });
    calls.set(name, out);
  }
  const cyclic = new Set<string>();
  const state = new Map<string, 'active' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    path.push(name);
    for (const c of calls.get(name) ?? []) {
      const s = state.get(c.callee);
      if (s === 'active') {
        const cycle = [...path.slice(path.indexOf(c.callee)), c.callee];
        for (const n of cycle) cyclic.add(n);
        ck.report(E.recursion(c.calleeSpan, cycle.join(' → ')));
      } else if (s === undefined) visit(c.callee);
    }
    path.pop();
    state.set(name, 'done');
  };
  for (const name of table.sigs.keys()) if (!state.has(name)) visit(name);
  return cyclic;
}

/** Checks one body in a scope of its own: parameters, dimension variables (int values), then locals. */
function checkBody(ck: CheckState, table: FunctionTable, sig: FunSig): void {
  const f = sig.decl;
  if (ck.brokenSignatures.has(f.name)) return;
  const fck = new CheckState(ck.program, ck.source);
  fck.functions = table;
  fck.inFunction = f.name;
  const modelLater = ck.model.later;
  fck.outside = (name) => modelLater.get(name);
  const scope: Scope = fck.model;
  prepass(scope, f.body, []);
  for (const d of sig.dimVars) addSymbol(fck, d, 'data', { elem: 'int', shape: [] }, 'none', f.nameSpan, { constant: true, used: true });
  f.params.forEach((p, i) => {
    const ps = sig.params[i];
    if (ps) addSymbol(fck, p.name, 'deterministic', ps.type, ps.constraint, p.nameSpan, { constant: false, used: true });
  });
  for (const s of f.body) {
    if (s.kind === 'assign' && s.target.indices.length === 0) stmt(fck, s);
    else if (s.kind === 'assign') fck.report(E.notInFunction(s.target.span, 'element definitions', 'a local is defined whole, by one expression'));
    else {
      const [what, why] = DISALLOWED[s.kind]?.(s) ?? ['this statement', 'a body holds local definitions (NAME = EXPR) and ends with return EXPR'];
      fck.report(E.notInFunction(stmtHead(s), what, why));
    }
  }
  const cx: ExprCtx = { refs: new Set() };
  const t = expr(fck, f.result, cx);
  if (t && fck.diags.length === 0) checkReturn(fck, sig, t);
  for (const d of fck.diags) ck.diags.push(d);
}

/** Where to point for a statement a function may not hold: its keyword or operator, not the whole block. */
function stmtHead(s: Stmt): Span {
  switch (s.kind) {
    case 'sample':
      return { start: s.span.start, end: s.dist.familySpan.end };
    case 'for':
    case 'guide': {
      // The keyword, which is the statement's kind.
      const n = s.kind.length;
      return { start: s.span.start, end: { ...s.span.start, offset: s.span.start.offset + n, column: s.span.start.column + n } };
    }
    default:
      return s.span;
  }
}

function checkReturn(ck: CheckState, sig: FunSig, t: ValueType): void {
  const f = sig.decl;
  const want = sig.returns;
  const wrote = showTyped(f.returns.base, want.shape);
  const same = t.shape.length === want.shape.length && t.shape.every((d, i) => relateDims(d, want.shape[i]!) === 'equal');
  if (!elemFits(t.elem, want.elem) || !same) {
    ck.report(E.returnMismatch(f.result.span, f.name, wrote, showTyped(t.elem, t.shape)));
  }
}
