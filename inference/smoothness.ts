// Smoothness analysis: does a discrete latent's value reach the costs only through operations
// that are smooth in its continuous relaxation? If so RELAX (and concrete) apply with a useful
// control variate; if not, the plan falls back to REINFORCE and says which use was the reason.
//
// The analysis follows value flow through the program in source order (a taint analysis over
// the AST): the discrete latent taints every deterministic definition computed from it,
// transitively, and each use of a tainted value is classified:
//
// smooth: arithmetic, `@`, smooth functions (exp log sigmoid softmax tanh softplus … and the
//   reductions sum mean logsumexp prod), `abs`/`min`/`max` (smooth almost everywhere), gather by
//   the value (`locs[z]`, rewritten as a one-hot product under relaxation), the branches of an
//   `if`, an argument of an observed site's distribution (its log-density is a smooth function
//   of its parameters), and in inference mode an argument of another latent's distribution
//   (that latent's value comes from the guide, so only its smooth density depends on z);
// not smooth: comparisons and logic (`>`, `==`, `&&`, `!` …), `floor/ceil/round`, an `if`
//   condition, a loop bound, a shape (`ones`, `zeros`, `fill` dimensions, slice bounds, axes,
//   declared dims), a Binomial total_count, a Uniform's bounds on a latent (they move its
//   support), the index of an element definition, and — in optimisation mode, or inside the
//   guide — the parameters of another sampled site (the downstream draw then depends
//   discontinuously on z: "its value decides how 'c' is drawn"), except a Bernoulli or
//   Categorical one: RELAX's relaxed passes relax that site too, from its own noise
//   (EstimatorContext.downstreamHook), so z goes on through it and its uses count as z's (the
//   upper layer of a two-layer belief net's guide).
//
// The first non-smooth use is the innermost, leftmost one of the first statement that has one
// (so `if z > 0 then …` reports the `>`, not the `if`). Deterministic definitions (and, in
// optimisation mode, sample sites) whose values reach no cost are skipped: a reported quantity
// such as `big = z > 2` does not make z non-smooth.
//
// Pure TypeScript: no tfjs, no Node-only modules.

import type { DistExpr, Expr, IndexItem, Stmt } from '../language/ast.js';
import type { CheckedProgram, SiteInfo } from '../language/checked.js';
import { posAt, type Span } from '../language/span.js';
import { buildGraph, descendants, nodeId, type Graph } from './graph.js';

export interface NonSmoothUse {
  /** The discrete latent. */
  site: string;
  /** Where the non-smooth operation is (the operator of a comparison, the bound of a loop, …). */
  span: Span;
  /** A short human reason: "compared with '>'", "used as a loop bound", "rounded by floor", … */
  why: string;
  /** When the value got there through a deterministic definition: that name ("d" in `d = z + 1; … d > 0`). */
  via?: string;
  /** Whether the use is in the guide block. */
  scope: 'model' | 'guide';
}

export interface SmoothnessResult {
  site: string;
  smooth: boolean;
  firstNonSmooth?: NonSmoothUse;
  /** The first use of the value, e.g. `z @ W` (present whenever the value is used at all). */
  smoothPath?: { span: Span; text: string };
  /** How many places use the value directly (for "only through …" wording). */
  uses: number;
}

/** The name used in the brief; the same type. */
export type SmoothSmoothnessResult = SmoothnessResult;

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);
const LOGIC = new Set(['&&', '||']);

type Scope = 'model' | 'guide';

/** A stack frame of the expression walk. */
interface Frame {
  e: Expr;
}

class Analysis {
  private found?: NonSmoothUse;
  private firstUse?: { span: Span; text: string };
  private uses = 0;
  private readonly tainted: Record<Scope, Set<string>> = { model: new Set(), guide: new Set() };
  private scope: Scope = 'model';
  private readonly stack: Frame[] = [];
  /** The distribution or statement around the expression being walked (fallback text for a bare use). */
  private context?: { span: Span };
  private readonly siteOf = new Map<Stmt, SiteInfo>();
  private readonly reachCache = new Map<string, boolean>();
  /** The last walk tainted a model-scope name from the guide: walk again. */
  private carried = false;

  constructor(
    private readonly p: CheckedProgram,
    private readonly g: Graph,
    private readonly target: string,
    /** A continuous latent: its value drawn pathwise, so another site's draw from it is smooth too (that site's own estimator covers its draw). */
    private readonly continuous = false,
  ) {
    for (const s of p.sites) this.siteOf.set(s.stmt, s);
    for (const s of p.guide?.sites ?? []) this.siteOf.set(s.stmt, s);
    this.tainted.model.add(target);
  }

  run(): SmoothnessResult {
    this.stmts(this.p.ast.body);
    // A guide site drawn from the value carries it on, relaxed (below); the model's statements,
    // walked before the guide, are walked again to follow it there. Direct uses are counted once.
    for (let pass = 0; pass < 3 && this.carried && !this.found; pass++) {
      this.carried = false;
      const { uses, firstUse } = this;
      this.stmts(this.p.ast.body);
      this.uses = uses;
      this.firstUse = firstUse;
    }
    const r: SmoothnessResult = { site: this.target, smooth: !this.found, uses: this.uses };
    if (this.found) r.firstNonSmooth = this.found;
    if (this.firstUse) r.smoothPath = this.firstUse;
    return r;
  }

  // ------------------------------------------------------------------ helpers

  private text(span: Span): string {
    let t = this.p.source.slice(span.start.offset, span.end.offset).replace(/\s+/g, ' ').trim();
    while (t.startsWith('(') && t.endsWith(')') && balanced(t.slice(1, -1))) t = t.slice(1, -1).trim();
    return t.length > 48 ? `${t.slice(0, 45)}…` : t;
  }

  private nonSmooth(why: string, span: Span, via: string | undefined): void {
    if (this.found) return;
    const u: NonSmoothUse = { site: this.target, span, why, scope: this.scope };
    if (via !== undefined && via !== this.target) u.via = via;
    this.found = u;
  }

  /** Does the node's value reach a cost (a cost node; in inference mode also any density term)? */
  private reaches(id: string): boolean {
    const hit = this.reachCache.get(id);
    if (hit !== undefined) return hit;
    const mode = this.p.mode;
    let r = false;
    for (const d of descendants(this.g, id)) {
      const n = this.g.byId.get(d);
      if (!n) continue;
      if (n.kind === 'cost' || (mode !== 'optimisation' && (n.kind === 'latent' || n.kind === 'observed'))) {
        r = true;
        break;
      }
    }
    if (!this.g.byId.has(id)) r = true; // unknown to the graph: be conservative
    this.reachCache.set(id, r);
    return r;
  }

  /** The span of a binary operator token, found in the source between its operands. */
  private opSpan(e: Extract<Expr, { kind: 'binary' }>): Span {
    const from = e.left.span.end.offset;
    const to = e.right.span.start.offset;
    const i = this.p.source.slice(from, to).indexOf(e.op);
    if (i < 0) return e.span;
    const start = from + i;
    return { start: posAt(this.p.source, start), end: posAt(this.p.source, start + e.op.length) };
  }

  // ------------------------------------------------------------------ statements

  private stmts(body: Stmt[]): void {
    for (const s of body) {
      if (this.found) return;
      this.stmt(s);
    }
  }

  private stmt(s: Stmt): void {
    switch (s.kind) {
      case 'data':
      case 'param':
      case 'plate':
        // Defaults and initial values are known before inference: they cannot read a latent.
        return;
      case 'assign': {
        const name = s.target.name;
        if (this.scope === 'model' && !this.reaches(nodeId(name, 'model'))) return;
        this.context = s;
        this.lvalueIndices(s.target.indices, name);
        const t = this.expr(s.value);
        if (t !== undefined) this.tainted[this.scope].add(name);
        return;
      }
      case 'sample':
        this.sample(s);
        return;
      case 'for': {
        this.context = s;
        for (const b of [s.from, s.to]) {
          const t = this.expr(b);
          if (t !== undefined) this.nonSmooth('used as a loop bound', b.span, t);
        }
        this.stmts(s.body);
        return;
      }
      case 'objective':
      case 'target':
        // A target term's expression is the log density itself: the discrete value must reach it smoothly.
        this.context = s;
        this.expr(s.expr);
        return;
      case 'guide': {
        const saved = this.scope;
        this.scope = 'guide';
        this.stmts(s.body);
        this.scope = saved;
        return;
      }
    }
  }

  private lvalueIndices(indices: Expr[], name: string): void {
    for (const i of indices) {
      const t = this.expr(i);
      if (t !== undefined) this.nonSmooth(`decides which element of '${name}' is defined`, i.span, t);
    }
  }

  private sample(s: Extract<Stmt, { kind: 'sample' }>): void {
    const site = this.siteOf.get(s);
    const name = s.target.name;
    const scope = this.scope;
    const observed = site ? site.observed : scope === 'model' && this.p.symbols.get(name)?.kind === 'data';
    const mode = this.p.mode;
    // In optimisation mode a latent that reaches no cost does not matter, however it is drawn.
    if (!observed && scope === 'model' && mode === 'optimisation' && name !== this.target && !this.reaches(name)) return;
    this.context = s.dist;
    this.lvalueIndices(s.target.indices, name);
    if (s.type) {
      for (const d of s.type.dims) {
        if (d.kind === 'dimName' && this.tainted[scope].has(d.name)) this.nonSmooth(`decides a shape (the declared type of '${name}')`, d.span, d.name);
      }
    }
    const isSelf = name === this.target;
    // A Bernoulli or Categorical drawn from the value is relaxed with it in RELAX's control variate
    // (its own noise, its relaxed sample a smooth function of the relaxed value): the value goes on
    // through that site, whose uses are then checked as the value's own.
    const relaxedOn = !observed && !this.continuous && (s.dist.family === 'Bernoulli' || s.dist.family === 'Categorical');
    this.distArgs(s.dist, site, (param, t, e) => {
      if (param === 'total_count') return this.nonSmooth(`used as a Binomial total_count`, e.span, t);
      if (observed) return; // log p(data | θ) is smooth in θ
      if (this.continuous && s.dist.family !== 'Uniform') return;
      const what = isSelf ? `other elements of '${name}' are` : `'${name}' is`;
      // (Not another element of the value itself: its relaxed passes take each element's logits
      // from the hard pass, so a chain of elements stays a step.)
      if ((scope === 'guide' || mode === 'optimisation') && relaxedOn && !isSelf) return this.carry(name, scope);
      if (scope === 'guide') return this.nonSmooth(`its value decides how ${what} drawn in the guide`, e.span, t);
      if (mode === 'optimisation') return this.nonSmooth(`its value decides how ${what} drawn`, e.span, t);
      // Inference: the latent's value comes from the guide; only its density depends on z,
      // smoothly — unless z moves its support.
      if (s.dist.family === 'Uniform') return this.nonSmooth(`sets the support of ${isSelf ? `other elements of '${name}'` : `'${name}'`} (Uniform ${param ?? 'bound'})`, e.span, t);
    });
    if (scope === 'guide' && isSelf) this.tainted.guide.add(name);
  }

  /** The site drawn from the value is tainted by it, in its scope and, for a guide site, in the model that reads it. */
  private carry(name: string, scope: Scope): void {
    this.tainted[scope].add(name);
    if (scope === 'guide' && !this.tainted.model.has(name)) {
      this.tainted.model.add(name);
      this.carried = true;
    }
  }

  private distArgs(d: DistExpr, site: SiteInfo | undefined, use: (param: string | undefined, via: string, e: Expr) => void): void {
    for (const a of d.args) {
      const param = a.name ?? (site ? Object.entries(site.args).find(([, v]) => v === a.value)?.[0] : undefined);
      const t = this.expr(a.value);
      if (t !== undefined) use(param, t, a.value);
      if (this.found) return;
    }
  }

  // ------------------------------------------------------------------ expressions

  /** Walks `e` (children first, left to right) and returns a tainted name it depends on, if any. */
  private expr(e: Expr): string | undefined {
    this.stack.push({ e });
    try {
      return this.exprInner(e);
    } finally {
      this.stack.pop();
    }
  }

  private exprInner(e: Expr): string | undefined {
    switch (e.kind) {
      case 'num':
      case 'bool':
        return undefined;
      case 'var': {
        const set = this.tainted[this.scope];
        if (!set.has(e.name)) return undefined;
        if (e.name === this.target) this.recordUse();
        return e.name;
      }
      case 'unary': {
        const a = this.expr(e.arg);
        if (a !== undefined && e.op === '!') this.nonSmooth("negated by '!'", e.span, a);
        return a;
      }
      case 'binary': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        const t = l ?? r;
        if (t !== undefined && COMPARISONS.has(e.op)) this.nonSmooth(`compared with '${e.op}'`, this.opSpan(e), t);
        else if (t !== undefined && LOGIC.has(e.op)) this.nonSmooth(`combined by '${e.op}'`, this.opSpan(e), t);
        return t;
      }
      case 'if': {
        const c = this.expr(e.cond);
        const a = this.expr(e.then);
        const b = this.expr(e.else);
        if (c !== undefined) this.nonSmooth('used in an if condition', e.cond.span, c);
        return c ?? a ?? b;
      }
      case 'call':
        return this.call(e);
      case 'index': {
        const t = this.expr(e.target);
        let g: string | undefined;
        for (const it of e.items) g ??= this.item(it);
        return t ?? g;
      }
      case 'array': {
        let t: string | undefined;
        for (const x of e.elements) {
          const r = this.expr(x);
          t ??= r;
        }
        return t;
      }
    }
  }

  /** An index position: gathering by a value is smooth; a slice bound decides a shape. */
  private item(it: IndexItem): string | undefined {
    if (it.kind === 'at') return this.expr(it.expr);
    for (const b of [it.lo, it.hi]) {
      if (!b) continue;
      const t = this.expr(b);
      if (t !== undefined) this.nonSmooth('decides a slice bound', b.span, t);
    }
    return undefined;
  }

  private call(e: Extract<Expr, { kind: 'call' }>): string | undefined {
    const args = e.args.map((a) => this.expr(a.value));
    const any = args.find((a) => a !== undefined);
    switch (e.callee) {
      case 'floor':
      case 'ceil':
      case 'round':
        if (any !== undefined) this.nonSmooth(`rounded by ${e.callee}`, e.span, any);
        return any;
      case 'ones':
      case 'zeros':
        args.forEach((a, i) => a !== undefined && this.nonSmooth(`decides a shape (${e.callee})`, e.args[i]!.span, a));
        return undefined;
      case 'fill':
        args.forEach((a, i) => i > 0 && a !== undefined && this.nonSmooth('decides a shape (fill)', e.args[i]!.span, a));
        return args[0];
      case 'length':
        // The length of a value is its shape, which does not depend on the value.
        return undefined;
      case 'sum':
      case 'mean':
      case 'prod':
      case 'min':
      case 'max':
      case 'logsumexp':
      case 'log_sum_exp':
        if (args[1] !== undefined) this.nonSmooth(`decides an axis (${e.callee})`, e.args[1]!.span, args[1]);
        return args[0];
      default:
        // exp log log1p expm1 sqrt abs pow sigmoid logit softplus tanh log_sigmoid softmax
        // log_softmax dot transpose: smooth (abs almost everywhere).
        return any;
    }
  }

  /** A direct use of the latent: remember the innermost operation around it, for the reason text. */
  private recordUse(): void {
    this.uses++;
    if (this.firstUse) return;
    // stack: [..., parent, var]. Skip element selections of the latent itself (`z[t - 1]`):
    // they say nothing about how the value is used.
    let i = this.stack.length - 2;
    let child = this.stack[this.stack.length - 1]!.e;
    while (i >= 0) {
      const f = this.stack[i]!.e;
      if (f.kind === 'index' && f.target === child) {
        child = f;
        i--;
        continue;
      }
      break;
    }
    const around = i >= 0 ? this.stack[i]!.e.span : (this.context?.span ?? child.span);
    this.firstUse = { span: around, text: this.text(around) };
  }
}

/** Brackets balance and never close below zero (so `(a) + (b)` keeps its outer parentheses). */
function balanced(t: string): boolean {
  let depth = 0;
  for (const ch of t) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/**
 * One entry per discrete model latent (by name, in source order): whether its value reaches
 * the costs only through smooth operations, the first use that is not, and its first use.
 */
export function analyseSmoothness(p: CheckedProgram, graph?: Graph): Map<string, SmoothnessResult> {
  const g = graph ?? buildGraph(p);
  const out = new Map<string, SmoothnessResult>();
  for (const s of p.sites) {
    if (s.observed || s.scope !== 'model' || !s.family.discrete || out.has(s.name)) continue;
    out.set(s.name, new Analysis(p, g, s.name).run());
  }
  return out;
}

/**
 * The same analysis for continuous model latents: a pathwise (reparameterised) gradient is right
 * only when the value reaches every cost through operations differentiable almost everywhere; a
 * comparison, rounding or `if` condition makes the cost piecewise constant in it, and the pathwise
 * gradient is then zero however much the expectation moves.
 */
export function analyseContinuousSmoothness(p: CheckedProgram, graph?: Graph): Map<string, SmoothnessResult> {
  const g = graph ?? buildGraph(p);
  const out = new Map<string, SmoothnessResult>();
  for (const s of p.sites) {
    if (s.observed || s.scope !== 'model' || s.family.discrete || out.has(s.name)) continue;
    out.set(s.name, new Analysis(p, g, s.name, true).run());
  }
  return out;
}

/** "compared with '>' at file:line", or "compared with '>' (through 'd') at file:line". */
export function describeNonSmooth(u: NonSmoothUse, file: string): string {
  const via = u.via ? ` (through '${u.via}'${u.scope === 'guide' ? ' in the guide' : ''})` : u.scope === 'guide' ? ' (in the guide)' : '';
  return `${u.why}${via} at ${file}:${u.span.start.line}`;
}
