// Expansion of user functions: every call is replaced by its function's result expression, with
// the parameters replaced by the (expanded) arguments, each local by its (expanded) definition and
// each dimension variable by the dimension the call bound it to. Functions are pure, so this is
// exactly what the call means; doing it in the front end leaves the engine, the estimator
// planner's analyses and the compiled engine with the language they already know.
//
// An argument or a local used twice in a body becomes one expression node referenced twice (a
// DAG, not copies), so its meaning and type are shared; the engine evaluates it where it is used.
// Nodes that come from a body get spans marked with the call (Span.via), so a diagnostic or a
// run-time error there names the line in the function and the call site.

import type { Arg, DistExpr, Expr, FunDecl, IndexItem, LValue, Program, Stmt } from './ast.js';
import { relateDims, showDims, type DeferredCheck } from './shapes.js';
import type { CallSite, Span } from './span.js';
import type { Dim } from './types.js';
import * as E from './semantic-errors.js';
import type { SemanticError } from './semantic-errors.js';
import { substituteDim, type Call, type FunctionTable } from './check/functions.js';

/** Inside an expanded body: what its names stand for, its dimension variables, and the call. */
interface Env {
  values: Map<string, Expr>;
  dims: Map<string, Dim>;
  via: CallSite;
}

export interface Inlined {
  program: Program;
  diagnostics: SemanticError[];
  /** Dimension agreements of calls inside functions that only the data can decide. */
  deferred: DeferredCheck[];
}

export function inlineProgram(program: Program, table: FunctionTable): Inlined {
  const x = new Expander(table);
  const body = program.body.map((s) => x.stmt(s));
  // `functions` is left out: the expanded program has no calls of them.
  return { program: { kind: 'program', file: program.file, body, span: program.span }, diagnostics: x.diagnostics, deferred: x.deferred };
}

const showDim = (d: Dim): string => showDims([d]).slice(1, -1);

/**
 * Expression nodes an expansion may make. Each call copies its body, so functions that call
 * others twice or more grow exponentially with their depth; past this the program is refused
 * rather than left to exhaust memory.
 */
export const MAX_EXPANDED_NODES = 200_000;

class Expander {
  readonly diagnostics: SemanticError[] = [];
  readonly deferred: DeferredCheck[] = [];
  private made = 0;
  private tooBig = false;

  constructor(private readonly table: FunctionTable) {}

  stmt(s: Stmt): Stmt {
    switch (s.kind) {
      case 'data':
        return s.default ? { ...s, default: this.top(s.default) } : s;
      case 'param':
        return s.init ? { ...s, init: this.top(s.init) } : s;
      case 'plate':
        return s;
      case 'assign':
        return { ...s, target: this.lvalue(s.target), value: this.top(s.value) };
      case 'sample':
        return { ...s, target: this.lvalue(s.target), dist: this.dist(s.dist) };
      case 'for':
        return { ...s, from: this.top(s.from), to: this.top(s.to), body: s.body.map((b) => this.stmt(b)) };
      case 'objective':
      case 'target':
        return { ...s, expr: this.top(s.expr) };
      case 'guide':
        return { ...s, body: s.body.map((b) => this.stmt(b)) };
    }
  }

  private lvalue(t: LValue): LValue {
    return t.indices.length ? { ...t, indices: t.indices.map((i) => this.top(i)) } : t;
  }

  private dist(d: DistExpr): DistExpr {
    const out: DistExpr = { ...d, args: d.args.map((a) => this.arg(a, undefined)) };
    if (d.truncation) {
      const t = { ...d.truncation };
      if (t.lo) t.lo = this.top(t.lo);
      if (t.hi) t.hi = this.top(t.hi);
      out.truncation = t;
    }
    return out;
  }

  /** A model expression: unchanged (the same node) unless it holds a call of a user function. */
  private top(e: Expr): Expr {
    return this.expr(e, undefined);
  }

  private arg(a: Arg, env: Env | undefined): Arg {
    const value = this.expr(a.value, env);
    return value === a.value ? a : { ...a, value };
  }

  /** A node's span inside an expanded body (every node there is new, so this also counts them). */
  private span(s: Span, env: Env | undefined): Span {
    if (!env) return s;
    this.made++;
    return { ...s, via: env.via };
  }

  private expr(e: Expr, env: Env | undefined): Expr {
    switch (e.kind) {
      case 'num':
      case 'bool':
        return env ? { ...e, span: this.span(e.span, env) } : e;
      case 'var':
        if (!env) return e;
        // Checked bodies read only parameters, locals and dimension variables.
        return env.values.get(e.name) ?? { ...e, span: this.span(e.span, env) };
      case 'unary': {
        const arg = this.expr(e.arg, env);
        return arg === e.arg && !env ? e : { ...e, arg, span: this.span(e.span, env) };
      }
      case 'binary': {
        const left = this.expr(e.left, env);
        const right = this.expr(e.right, env);
        return left === e.left && right === e.right && !env ? e : { ...e, left, right, span: this.span(e.span, env) };
      }
      case 'if': {
        const cond = this.expr(e.cond, env);
        const then = this.expr(e.then, env);
        const otherwise = this.expr(e.else, env);
        return cond === e.cond && then === e.then && otherwise === e.else && !env ? e : { ...e, cond, then, else: otherwise, span: this.span(e.span, env) };
      }
      case 'call': {
        const f = this.table.sigs.get(e.callee);
        if (f) return this.call(e, f.decl, env);
        const args = e.args.map((a) => this.arg(a, env));
        return args.every((a, i) => a === e.args[i]) && !env ? e : { ...e, args, calleeSpan: this.span(e.calleeSpan, env), span: this.span(e.span, env) };
      }
      case 'index': {
        const target = this.expr(e.target, env);
        const items = e.items.map((it) => this.item(it, env));
        return target === e.target && items.every((it, i) => it === e.items[i]) && !env ? e : { ...e, target, items, span: this.span(e.span, env) };
      }
      case 'array': {
        const elements = e.elements.map((x) => this.expr(x, env));
        return elements.every((x, i) => x === e.elements[i]) && !env ? e : { ...e, elements, span: this.span(e.span, env) };
      }
    }
  }

  private item(it: IndexItem, env: Env | undefined): IndexItem {
    if (it.kind === 'at') {
      const expr = this.expr(it.expr, env);
      return expr === it.expr && !env ? it : { ...it, expr, span: this.span(it.span, env) };
    }
    const lo = it.lo && this.expr(it.lo, env);
    const hi = it.hi && this.expr(it.hi, env);
    if (lo === it.lo && hi === it.hi && !env) return it;
    const out: IndexItem = { kind: 'slice', span: this.span(it.span, env) };
    if (lo) out.lo = lo;
    if (hi) out.hi = hi;
    return out;
  }

  /** The body of `f` at call `e` (itself in the body expanded under `env`, or in the model). */
  private call(e: Call, f: FunDecl, env: Env | undefined): Expr {
    if (this.made > MAX_EXPANDED_NODES) {
      // Reported once, at the outermost call being expanded: the whole program is refused.
      if (!this.tooBig) this.diagnostics.push(E.expansionTooBig(outermost(e.span, env), e.callee, MAX_EXPANDED_NODES));
      this.tooBig = true;
      return e;
    }
    const args = e.args.map((a) => this.expr(a.value, env));
    const outer = env?.dims ?? new Map<string, Dim>();
    const dims = new Map<string, Dim>();
    for (const [k, d] of this.table.bindings.get(e) ?? []) dims.set(k, substituteDim(d, outer));
    const callSpan = this.span(e.span, env);
    for (const p of this.table.pending.get(e) ?? []) {
      const a = substituteDim(p.a, outer);
      const b = substituteDim(p.b, outer);
      const span = this.span(p.span, env);
      const r = relateDims(a, b);
      if (r === 'different') this.diagnostics.push(E.argumentMismatch(span, e.callee, p.param, `${p.expected} (here ${showDim(a)})`, `its size here is ${showDim(b)}`));
      else if (r === 'unknown') this.deferred.push({ kind: 'dims', pair: { a, b, allowOne: false }, what: `argument '${p.param}' of ${e.callee}`, span });
    }
    const inner: Env = { values: new Map(), dims, via: { fn: f.name, call: callSpan } };
    for (const [k, d] of dims) inner.values.set(k, dimExpr(d, this.span(f.nameSpan, inner)));
    f.params.forEach((p, i) => inner.values.set(p.name, args[i]!));
    for (const s of f.body) if (s.kind === 'assign') inner.values.set(s.target.name, this.expr(s.value, inner));
    return this.expr(f.result, inner);
  }
}

/** The call at the top of a chain of expansions: what the user wrote in the model. */
function outermost(span: Span, env: Env | undefined): Span {
  let s = env ? env.via.call : span;
  while (s.via) s = s.via.call;
  return s;
}

/** A dimension as an int expression: a literal, a size's name, or a name plus or minus a literal. */
function dimExpr(d: Dim, span: Span): Expr {
  if (typeof d === 'number') return { kind: 'num', value: d, isInt: true, span };
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:([+-])(\d+))?$/.exec(d);
  if (!m) return { kind: 'var', name: d, span };
  const name: Expr = { kind: 'var', name: m[1]!, span };
  if (m[2] === undefined) return name;
  return { kind: 'binary', op: m[2] as '+' | '-', left: name, right: { kind: 'num', value: Number(m[3]), isInt: true, span }, span };
}
