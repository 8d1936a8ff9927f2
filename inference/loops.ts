// Which `for` loops run vectorised (issue 3). A loop is vectorised when its iterations do not
// depend on each other — no element written in one iteration is read in another — and its body
// uses the loop variable only where a run-time vector of indices can stand for it. Everything
// else is unrolled, one pass of the body per iteration. The decision is syntactic (bounds are not
// needed), so it can be printed with the plan before any data is bound.
//
// The evaluator vectorises the outermost vectorisable loop of a nest; loops inside it run
// once per inner iteration over all of its iterations at once.

import type { Expr, IndexItem, Stmt } from '../language/ast.js';
import type { CheckedProgram } from '../language/checked.js';
import { printExpr } from '../language/printer.js';
import { affineSyntax, type ForStmt } from '../language/scope.js';

export type LoopDecision =
  | { kind: 'vectorised'; reason: string }
  | { kind: 'unrolled'; reason: string };

/** One loop of a program: where it is, what it iterates, and the decision with its reason. */
export interface LoopEntry {
  /** `for t in K..T` */
  header: string;
  scope: 'model' | 'guide';
  line: number;
  column: number;
  decision: LoopDecision;
  /** Whether an enclosing loop is vectorised (this one then runs inside it, unrolled). */
  inside?: string;
  /** Unrolled loops: the subexpressions still computed for all iterations at once (see `hoistable`). */
  hoisted?: string[];
}

/** Calls whose arguments are shapes or axes: they need numbers, not a vector of indices. */
const CONSTANT_ARGS: Record<string, (i: number) => boolean> = {
  ones: () => true,
  zeros: () => true,
  fill: (i) => i > 0,
  sum: (i) => i === 1,
  mean: (i) => i === 1,
  prod: (i) => i === 1,
  min: (i) => i === 1,
  max: (i) => i === 1,
  logsumexp: (i) => i === 1,
  softmax: (i) => i === 1,
  log_softmax: (i) => i === 1,
};

interface Write {
  name: string;
  /** Axis of the loop variable in the element index, and its offset (`x[t - 1]` → −1). */
  axis: number;
  offset: number;
}

/** Everything the body reads, with enough structure to judge each read. */
interface Walk {
  /** Names the body reads, whole (`x`) or indexed (`x[...]`), with the index items. */
  reads: { name: string; items?: IndexItem[]; span: Expr['span'] }[];
  /** Expressions that must be numbers known before inference, and what they are. */
  constants: { expr: Expr; what: string }[];
  /** Sample statements without an index: a whole site drawn on every iteration. */
  wholeSites: string[];
  /** Plain definitions in the body (`m = …`): per-iteration values. */
  locals: Set<string>;
}

function walkExpr(e: Expr, w: Walk): void {
  switch (e.kind) {
    case 'num':
    case 'bool':
      return;
    case 'var':
      w.reads.push({ name: e.name, span: e.span });
      return;
    case 'unary':
      return walkExpr(e.arg, w);
    case 'binary':
      walkExpr(e.left, w);
      return walkExpr(e.right, w);
    case 'if':
      w.constants.push({ expr: e.cond, what: 'an if condition' });
      walkExpr(e.cond, w);
      walkExpr(e.then, w);
      return walkExpr(e.else, w);
    case 'call': {
      const needs = CONSTANT_ARGS[e.callee];
      e.args.forEach((a, i) => {
        if (needs?.(i)) w.constants.push({ expr: a.value, what: `an argument of ${e.callee}` });
        walkExpr(a.value, w);
      });
      return;
    }
    case 'index':
      if (e.target.kind === 'var') w.reads.push({ name: e.target.name, items: e.items, span: e.span });
      else walkExpr(e.target, w);
      for (const it of e.items) {
        if (it.kind === 'at') walkExpr(it.expr, w);
        else {
          for (const b of [it.lo, it.hi]) {
            if (!b) continue;
            w.constants.push({ expr: b, what: 'a slice bound' });
            walkExpr(b, w);
          }
        }
      }
      return;
    case 'array':
      for (const x of e.elements) walkExpr(x, w);
      return;
  }
}

/** Walk a body: reads, constant positions, element writes of non-observed names. */
function walkBody(body: readonly Stmt[], w: Walk, writes: Stmt[], isObserved: (s: Extract<Stmt, { kind: 'sample' }>) => boolean): void {
  for (const s of body) {
    switch (s.kind) {
      case 'assign':
        walkExpr(s.value, w);
        if (s.target.indices.length) writes.push(s);
        else w.locals.add(s.target.name);
        for (const i of s.target.indices) walkExpr(i, w);
        break;
      case 'sample':
        for (const a of s.dist.args) walkExpr(a.value, w);
        for (const b of [s.dist.truncation?.lo, s.dist.truncation?.hi]) if (b) walkExpr(b, w);
        for (const i of s.target.indices) walkExpr(i, w);
        if (!s.target.indices.length) {
          if (!isObserved(s)) w.wholeSites.push(s.target.name);
        } else if (!isObserved(s)) writes.push(s);
        break;
      case 'for':
        w.constants.push({ expr: s.from, what: 'an inner loop bound' }, { expr: s.to, what: 'an inner loop bound' });
        walkExpr(s.from, w);
        walkExpr(s.to, w);
        walkBody(s.body, w, writes, isObserved);
        break;
      case 'objective':
      case 'target':
        walkExpr(s.expr, w);
        break;
      default:
        break;
    }
  }
}

/** Names an expression reads (for "does this depend on the loop variable"). */
function namesIn(e: Expr, out = new Set<string>()): Set<string> {
  const w: Walk = { reads: [], constants: [], wholeSites: [], locals: new Set() };
  walkExpr(e, w);
  for (const r of w.reads) out.add(r.name);
  return out;
}

const show = (name: string, items: IndexItem[]) =>
  `${name}[${items.map((it) => (it.kind === 'at' ? printExpr(it.expr) : `${it.lo ? printExpr(it.lo) : ''}:${it.hi ? printExpr(it.hi) : ''}`)).join(', ')}]`;

/**
 * Decide one loop. `isObserved` tells observations (`y[t] ~ …` with y data: nothing is written)
 * from latent element sites.
 */
export function analyseLoop(loop: ForStmt, isObserved: (s: Extract<Stmt, { kind: 'sample' }>) => boolean): LoopDecision {
  const t = loop.variable;
  const w: Walk = { reads: [], constants: [], wholeSites: [], locals: new Set() };
  const writeStmts: Stmt[] = [];
  walkBody(loop.body, w, writeStmts, isObserved);
  const unrolled = (reason: string): LoopDecision => ({ kind: 'unrolled', reason });

  if (w.wholeSites.length) return unrolled(`'${w.wholeSites[0]} ~ …' draws a whole site on every iteration`);

  // Names whose value varies with t: the loop variable, and plain definitions in the body (their
  // per-iteration values may come from t).
  const varying = new Set([t, ...w.locals]);
  for (const c of w.constants) {
    const hit = [...namesIn(c.expr)].find((n) => varying.has(n));
    if (hit) return unrolled(`${c.what} (${printExpr(c.expr)}) depends on ${hit === t ? `'${t}'` : `'${hit}', defined in the loop`}`);
  }

  const writes: Write[] = [];
  for (const s of writeStmts) {
    if (s.kind !== 'assign' && s.kind !== 'sample') continue;
    const axis = s.target.indices.findIndex((i) => affineSyntax(i)?.name === t);
    // The checker requires every enclosing loop variable in an element index, as `t ± literal`.
    if (axis < 0) return unrolled(`'${s.target.name}[…]' is written without '${t}' in its index`);
    writes.push({ name: s.target.name, axis, offset: affineSyntax(s.target.indices[axis]!)!.k });
  }
  const written = new Map<string, Write[]>();
  for (const x of writes) written.set(x.name, [...(written.get(x.name) ?? []), x]);

  for (const r of w.reads) {
    const ws = written.get(r.name);
    if (!ws) continue;
    if (!r.items) return unrolled(`'${r.name}' is read whole in the loop that defines its elements`);
    for (const x of ws) {
      const it = r.items[x.axis];
      const writeAt = `${r.name}[${x.offset === 0 ? t : `${t} ${x.offset < 0 ? '-' : '+'} ${Math.abs(x.offset)}`}]`;
      if (!it) return unrolled(`${show(r.name, r.items)} reads a slab of '${r.name}' that holds elements other iterations define`);
      if (it.kind === 'slice') return unrolled(`${show(r.name, r.items)} reads a range of '${r.name}', whose elements other iterations define`);
      const a = affineSyntax(it.expr);
      if (a && a.name === t && a.k === x.offset) continue; // this iteration's own element
      if (a && a.name === undefined) {
        const from = affineSyntax(loop.from);
        // A literal index below the loop's literal start is never written by the loop (s[0] before `for t in 1..T`).
        if (from && from.name === undefined && a.k - x.offset < from.k) continue;
      }
      return unrolled(`${show(r.name, r.items)} reads an element of '${r.name}' that another iteration defines (${writeAt})`);
    }
  }
  return { kind: 'vectorised', reason: 'iterations are independent' };
}

/**
 * Parts of an unrolled loop's body that can still run over all iterations at once, before the
 * iterations: the largest subexpressions that depend on the loop variable but read nothing the
 * body defines (garch's `alpha0 + alpha1 * (y[t - 1] - mu) ^ 2` beside the recurrence on `s`).
 * Each iteration then takes its row instead of recomputing them.
 */
export function hoistable(loop: ForStmt, isObserved: (s: Extract<Stmt, { kind: 'sample' }>) => boolean): Expr[] {
  let h = hoisted.get(loop);
  if (h) return h;
  const t = loop.variable;
  const w: Walk = { reads: [], constants: [], wholeSites: [], locals: new Set() };
  const writeStmts: Stmt[] = [];
  walkBody(loop.body, w, writeStmts, isObserved);
  // Names that vary within an iteration: everything the body defines, and inner loop variables.
  const varying = new Set<string>(w.locals);
  for (const s of writeStmts) if (s.kind === 'assign' || s.kind === 'sample') varying.add(s.target.name);
  for (const s of w.wholeSites) varying.add(s);
  const innerVars = (body: readonly Stmt[]) => {
    for (const s of body) if (s.kind === 'for') (varying.add(s.variable), innerVars(s.body));
  };
  innerVars(loop.body);

  const out: Expr[] = [];
  /** Whether e mentions t, and whether it may be evaluated for all iterations at once. */
  const props = (e: Expr): { t: boolean; ok: boolean } => {
    const walk: Walk = { reads: [], constants: [], wholeSites: [], locals: new Set() };
    walkExpr(e, walk);
    const mentions = walk.reads.some((r) => r.name === t);
    const ok = walk.reads.every((r) => !varying.has(r.name)) && walk.constants.every((c) => !namesIn(c.expr).has(t));
    return { t: mentions, ok };
  };
  const worth = (e: Expr): boolean => {
    if (e.kind === 'var' || e.kind === 'num' || e.kind === 'bool' || affineSyntax(e)) return false;
    // A plain read `y[t - 1]` costs one slice per iteration either way.
    if (e.kind === 'index' && e.target.kind === 'var' && e.items.every((it) => it.kind === 'at' && affineSyntax(it.expr))) return false;
    return true;
  };
  const visit = (e: Expr): void => {
    const p = props(e);
    if (!p.t) return; // loop-invariant or unrelated to t: nothing to gain
    if (p.ok && worth(e)) {
      out.push(e);
      return;
    }
    switch (e.kind) {
      case 'unary':
        return visit(e.arg);
      case 'binary':
        visit(e.left);
        return visit(e.right);
      case 'if':
        visit(e.then);
        return visit(e.else);
      case 'call':
        for (const a of e.args) visit(a.value);
        return;
      case 'index':
        visit(e.target);
        for (const it of e.items) if (it.kind === 'at') visit(it.expr);
        return;
      case 'array':
        for (const x of e.elements) visit(x);
        return;
      default:
        return;
    }
  };
  const stmts = (body: readonly Stmt[]) => {
    for (const s of body) {
      if (s.kind === 'assign') visit(s.value);
      else if (s.kind === 'sample') for (const a of s.dist.args) visit(a.value);
      else if (s.kind === 'for') stmts(s.body);
    }
  };
  stmts(loop.body);
  hoisted.set(loop, out);
  return out;
}

const hoisted = new WeakMap<ForStmt, Expr[]>();
const decisions = new WeakMap<ForStmt, LoopDecision>();

/** `analyseLoop`, computed once per loop statement. */
export function loopDecision(loop: ForStmt, isObserved: (s: Extract<Stmt, { kind: 'sample' }>) => boolean): LoopDecision {
  let d = decisions.get(loop);
  if (!d) {
    d = analyseLoop(loop, isObserved);
    decisions.set(loop, d);
  }
  return d;
}

/** Every loop of a program (model and guide), outermost first, as a printable list. */
export function analyseLoops(p: CheckedProgram): LoopEntry[] {
  const observed = new Set(p.sites.filter((s) => s.observed).map((s) => s.stmt as Stmt));
  const isObserved = (s: Stmt) => observed.has(s);
  const out: LoopEntry[] = [];
  const visit = (body: readonly Stmt[], scope: 'model' | 'guide', inside?: string) => {
    for (const s of body) {
      if (s.kind === 'guide') visit(s.body, 'guide');
      if (s.kind !== 'for') continue;
      const header = `for ${s.variable} in ${printExpr(s.from)}..${printExpr(s.to)}`;
      const decision = loopDecision(s, isObserved);
      const hoisted = !inside && decision.kind === 'unrolled' ? hoistable(s, isObserved).map(printExpr) : [];
      out.push({ header, scope, line: s.span.start.line, column: s.span.start.column, decision, ...(inside ? { inside } : {}), ...(hoisted.length ? { hoisted } : {}) });
      visit(s.body, scope, inside ?? (decision.kind === 'vectorised' ? header : undefined));
    }
  };
  visit(p.ast.body, 'model');
  return out;
}

/** One line per loop: `line 21 for t in K..T: vectorised — iterations are independent`. */
export function formatLoops(entries: readonly LoopEntry[]): string {
  if (!entries.length) return '(no loops)';
  return entries
    .map((e) => {
      const where = `line ${e.line}${e.scope === 'guide' ? ' (guide)' : ''} ${e.header}`;
      if (e.inside) return `${where}: runs inside the vectorised '${e.inside}' (${e.decision.kind === 'vectorised' ? 'independent' : e.decision.reason})`;
      const hoisted = e.hoisted ? `; computed for all iterations at once: ${e.hoisted.join(', ')}` : '';
      return `${where}: ${e.decision.kind} — ${e.decision.reason}${hoisted}`;
    })
    .join('\n');
}
