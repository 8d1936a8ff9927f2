// The semantic checker: resolves names, infers element types and symbolic shapes, resolves
// distribution arguments against the family table, decides the mode, and checks guides.
// It reports every error it can in one run; an unknown name is reported once and its uses
// get an unknown type (undefined) that silences follow-on errors.

import type { Arg, DistExpr, Expr, IndexItem, LValue, Program, Stmt, TypeExpr } from './ast.js';
import type { CheckedProgram, GuideInfo, Mode, SampleStmt, SiteInfo, SymbolInfo, SymbolKind } from './checked.js';
import type { Diagnostic } from './diagnostics.js';
import { ESTIMATORS, FAMILY_NAMES, family as lookupFamily, type EstimatorName, type FamilySpec, type Support } from './distributions.js';
import { BUILTIN_NAMES, builtin } from './builtins.js';
import * as E from './semantic-errors.js';
import type { SemanticError } from './semantic-errors.js';
import {
  addAffine,
  affineOf,
  analyseCoverage,
  broadcastShapes,
  compareAffine,
  dimOf,
  fitsInto,
  matmulShape,
  relateDims,
  showAffine,
  showDims,
  showTyped,
  type Affine,
  type DeferredCheck,
  type DimPair,
  type ElementBox,
} from './shapes.js';
import type { Span } from './span.js';
import type { Constraint, Dim, ElemType, ValueType } from './types.js';
import { didYouMean } from './suggest.js';
import {
  affineSyntax,
  intLiteral,
  literalValue,
  newScope,
  prepass,
  sameAffine,
  toInfo,
  type AssignStmt,
  type ElementDef,
  type ElementStmt,
  type ExprCtx,
  type ForStmt,
  type Loop,
  type Scope,
  type Sym,
  type Ty,
} from './scope.js';

const isArith = (op: string): boolean => op === '+' || op === '-' || op === '*' || op === '/' || op === '^';
const isCompare = (op: string): boolean => op === '<' || op === '<=' || op === '>' || op === '>=' || op === '==' || op === '!=';

function joinElem(a: ElemType, b: ElemType): ElemType {
  if (a === 'real' || b === 'real') return 'real';
  if (a === 'bool' && b === 'bool') return 'bool';
  return 'int';
}

const arithElem = (e: ElemType): ElemType => (e === 'bool' ? 'int' : e);

function baseOf(t: TypeExpr): { elem: ElemType; constraint: Constraint } {
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
  }
}

export function supportConstraint(s: Support): Constraint {
  switch (s.kind) {
    case 'positive':
      return 'positive';
    case 'unit':
      return 'unit';
    case 'simplex':
      return 'simplex';
    default:
      return 'none';
  }
}

export function supportWord(s: Support): string {
  switch (s.kind) {
    case 'binary':
      return 'binary {0, 1}';
    case 'categorical':
      return 'categorical {0 … K−1}';
    case 'bounded-count':
      return 'bounded count {0 … n}';
    case 'count':
      return 'count {0, 1, 2, …}';
    default:
      return s.kind;
  }
}


export interface CheckResult {
  checked?: CheckedProgram;
  diagnostics: Diagnostic[];
}

export function check(program: Program, source: string): CheckResult {
  return new Checker(program, source).run();
}

class Checker {
  private readonly diags: Diagnostic[] = [];
  private readonly exprTypes = new Map<Expr, ValueType>();
  private readonly deferred: DeferredCheck[] = [];
  private readonly model: Scope = newScope('model');
  private guideScope?: Scope;
  private guideStmt?: Extract<Stmt, { kind: 'guide' }>;
  private scope: Scope = this.model;
  private loops: Loop[] = [];
  private readonly objectives: Extract<Stmt, { kind: 'objective' }>[] = [];
  private readonly costDeps: Set<string>[] = [];
  private readonly badLoops = new Set<ForStmt>();
  /** Arrays whose element definitions already produced an error: no coverage errors on top. */
  private readonly quietElements = new Set<string>();

  constructor(
    private readonly program: Program,
    private readonly source: string,
  ) {}

  run(): CheckResult {
    prepass(this.model, this.program.body, []);
    for (const s of this.program.body) {
      if (s.kind === 'guide') {
        if (this.guideStmt) this.report(E.secondGuide(s.span, this.guideStmt.span.start.line));
        else this.guideStmt = s;
      } else this.stmt(s);
    }
    this.finishElements(this.model);
    if (this.guideStmt) {
      const g = newScope('guide');
      this.guideScope = g;
      this.scope = g;
      prepass(g, this.guideStmt.body, []);
      for (const s of this.guideStmt.body) this.stmt(s);
      this.finishElements(g);
      this.scope = this.model;
    }
    const mode = this.decideMode();
    this.warnUnused(mode);
    const diagnostics = this.diags;
    const warnings = diagnostics.filter((d) => d.severity === 'warning');
    if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
    const strip = (m: Map<string, Sym>): Map<string, SymbolInfo> => new Map([...m].map(([k, v]) => [k, toInfo(v)]));
    let guide: GuideInfo | undefined;
    if (this.guideStmt && this.guideScope) guide = { span: this.guideStmt.span, symbols: strip(this.guideScope.symbols), sites: this.guideScope.sites };
    const checked: CheckedProgram = {
      file: this.program.file,
      source: this.source,
      ast: this.program,
      mode,
      symbols: strip(this.model.symbols),
      sites: this.model.sites,
      objectives: this.objectives,
      exprTypes: this.exprTypes,
      warnings,
      deferred: this.deferred,
    };
    if (guide) checked.guide = guide;
    return { checked, diagnostics };
  }

  // ---------------------------------------------------------------- reporting helpers

  private report(e: SemanticError): void {
    this.diags.push({ ...e, file: this.program.file });
  }

  private text(span: Span): string {
    return this.source.slice(span.start.offset, span.end.offset);
  }

  /** "z is int[N, 200]" when the source text is short enough to quote, else "the left side is …". */
  private describe(e: Expr, t: ValueType, fallback: string): string {
    const txt = this.text(e.span);
    const name = txt.length > 0 && txt.length <= 24 && !txt.includes('\n') ? txt : fallback;
    return `${name} is ${showTyped(t.elem, t.shape)}`;
  }

  private defer(pairs: DimPair[], what: string, span: Span): void {
    for (const pair of pairs) this.deferred.push({ kind: 'dims', pair, what, span });
  }

  // ---------------------------------------------------------------- scopes

  /** Symbols visible by name: the current scope, and model data/plates from the guide. */
  private visible(name: string): Sym | undefined {
    const s = this.scope.symbols.get(name);
    if (s) return s;
    if (this.scope.kind === 'guide') {
      const m = this.model.symbols.get(name);
      if (m && (m.kind === 'data' || m.kind === 'plate')) return m;
    }
    return undefined;
  }

  private loopVar(name: string): Loop | undefined {
    for (let i = this.loops.length - 1; i >= 0; i--) if (this.loops[i]!.name === name) return this.loops[i];
    return undefined;
  }

  private candidates(): string[] {
    const names = [...this.loops.map((l) => l.name), ...this.scope.symbols.keys()];
    if (this.scope.kind === 'guide') for (const [n, s] of this.model.symbols) if (s.kind === 'data' || s.kind === 'plate') names.push(n);
    return names;
  }

  /** Reports an unresolved name once per scope, with the most useful reason. */
  private unresolved(name: string, span: Span): void {
    if (this.scope.reported.has(name)) return;
    this.scope.reported.add(name);
    if (this.scope.kind === 'guide') {
      const m = this.model.symbols.get(name);
      if (m) {
        if (m.kind === 'latent') {
          const why = this.scope.later.has(name) ? 'it is a model latent, and the guide samples it only further down' : 'it is a model latent, and the guide does not sample it';
          this.report(E.guideHidden(span, name, why));
        } else this.report(E.guideHidden(span, name, `it is a model ${m.kind === 'deterministic' ? 'deterministic' : m.kind}; the guide sees only data, plates and its own names`));
        return;
      }
    }
    const later = this.scope.later.get(name);
    if (later !== undefined) {
      this.report(E.usedBeforeDefined(span, name, later));
      return;
    }
    this.report(E.unknownName(span, name, didYouMean(name, this.candidates())));
  }

  private defineCheck(name: string, span: Span): boolean {
    const existing = this.scope.symbols.get(name) ?? (this.scope.kind === 'guide' ? this.model.symbols.get(name) : undefined);
    const loop = this.loopVar(name);
    if (loop) {
      this.report(E.redefinition(span, name, loop.stmt.span.start.line, '; it is a loop variable'));
      return false;
    }
    if (existing) {
      const where = existing.scope !== this.scope.kind ? ' in the model' : '';
      this.report(E.redefinition(span, name, existing.line, where));
      return false;
    }
    return true;
  }

  private addSymbol(name: string, kind: SymbolKind, type: Ty, constraint: Constraint, span: Span, extra: Partial<Sym> = {}): Sym {
    const sym: Sym = { name, kind, type, constraint, span, scope: this.scope.kind, line: span.start.line, deps: new Set(), constant: false, used: false, ...extra };
    this.scope.symbols.set(name, sym);
    return sym;
  }

  /** Why a name cannot be known before inference, or undefined when it can. */
  private nonConstant(name: string, seen = new Set<string>()): string | undefined {
    if (this.loopVar(name)) return undefined;
    const s = this.visible(name);
    if (!s) return undefined;
    if (s.kind === 'data' || s.kind === 'plate') return undefined;
    if (s.kind === 'latent') return 'is a random variable';
    if (s.kind === 'param') return 'is a param, learned during fitting';
    if (s.constant) return undefined;
    if (seen.has(name)) return undefined;
    seen.add(name);
    for (const d of s.deps) {
      const why = this.nonConstant(d, seen);
      if (why) {
        const dep = this.visible(d);
        return dep?.kind === 'latent' ? `depends on the random variable '${d}'` : dep?.kind === 'param' ? `depends on the param '${d}'` : why;
      }
    }
    return undefined;
  }

  private requireConstant(refs: Set<string>, span: Span, what: 'loop' | string): void {
    for (const r of refs) {
      const why = this.nonConstant(r);
      if (!why) continue;
      if (what === 'loop') this.report(E.loopBoundRandom(span, r, why));
      else {
        const s = this.visible(r)!;
        const kind = s.kind === 'latent' ? 'a random variable' : s.kind === 'param' ? 'a param' : `a deterministic that ${why}`;
        this.report(E.notConstant(span, what, r, kind));
      }
      return;
    }
  }

  // ---------------------------------------------------------------- types

  private declType(t: TypeExpr): Ty {
    const { elem } = baseOf(t);
    const shape: Dim[] = [];
    let ok = true;
    for (const d of t.dims) {
      if (d.kind === 'dimLit') {
        shape.push(d.value);
        continue;
      }
      const s = this.visible(d.name);
      if (!s) {
        if (this.loopVar(d.name)) this.report(E.badDimension(d.span, d.name, 'is a loop variable; dimensions must be int literals, int data or plates'));
        else this.unresolved(d.name, d.span);
        ok = false;
      } else if (s.kind !== 'data' && s.kind !== 'plate') {
        this.report(E.badDimension(d.span, d.name, `is a ${s.kind}; dimensions must be int literals, int data or plates`));
        ok = false;
      } else if (!s.type) {
        ok = false;
      } else if (s.type.elem !== 'int' || s.type.shape.length) {
        this.report(E.badDimension(d.span, d.name, `is ${showTyped(s.type.elem, s.type.shape)}; dimensions must be int scalars`));
        ok = false;
      } else {
        s.used = true;
        shape.push(d.name);
      }
    }
    if (t.base === 'simplex' && t.dims.length === 0) {
      this.report(E.shapeRequirement(t.span, 'a simplex needs a dimension: simplex[K]'));
      ok = false;
    }
    return ok ? { elem, shape } : undefined;
  }

  // ---------------------------------------------------------------- statements

  private stmt(s: Stmt): void {
    const inGuide = this.scope.kind === 'guide';
    const inLoop = this.loops.length > 0;
    switch (s.kind) {
      case 'data':
        if (inGuide) return this.misplacedDecl(s, E.misplaced(s.span, 'data declarations', 'belong in the model, not in the guide'));
        if (inLoop) return this.misplacedDecl(s, E.misplaced(s.span, 'data declarations', 'must be at the top level, not inside a for loop'));
        return this.dataDecl(s);
      case 'plate':
        if (inGuide) return this.misplacedDecl(s, E.misplaced(s.span, 'plates', 'are declared in the model, not in the guide'));
        if (inLoop) return this.misplacedDecl(s, E.misplaced(s.span, 'plates', 'must be declared at the top level, not inside a for loop'));
        return this.plateDecl(s);
      case 'param':
        if (inLoop) return this.report(E.misplaced(s.span, 'params', 'must be declared at the top level, not inside a for loop'));
        return this.paramDecl(s);
      case 'objective':
        if (inGuide) return this.report(E.misplaced(s.span, `'${s.direction}'`, 'belongs in the model, not in the guide'));
        if (inLoop) return this.report(E.misplaced(s.span, `'${s.direction}'`, 'must be at the top level; sum over the array instead (the objective of any shape is summed)'));
        return this.objective(s);
      case 'guide':
        return this.report(E.misplaced(s.span, 'a guide block', inGuide ? 'cannot contain another guide block' : 'must be at the top level'));
      case 'for':
        return this.forLoop(s);
      case 'assign':
        return s.target.indices.length ? this.element(s, s.target) : this.assign(s);
      case 'sample':
        return s.target.indices.length ? this.element(s, s.target) : this.sample(s);
    }
  }

  /** Reports a declaration in the wrong place, and defines its name with an unknown type so its uses stay quiet. */
  private misplacedDecl(s: Extract<Stmt, { kind: 'data' | 'plate' }>, e: SemanticError): void {
    this.report(e);
    if (!this.scope.symbols.has(s.name)) this.addSymbol(s.name, s.kind, undefined, 'none', s.nameSpan, { constant: true, used: true });
  }

  private dataDecl(s: Extract<Stmt, { kind: 'data' }>): void {
    const existing = this.model.symbols.get(s.name);
    if (existing?.kind === 'plate' && s.type.base === 'int' && s.type.dims.length === 0 && !existing.wholeLine) {
      // `plate N` already implied `data N: int`; the declaration only spells it out.
      existing.wholeLine = s.span.start.line;
      if (s.default) existing.defaultValue = s.default;
      return;
    }
    const type = this.declType(s.type);
    let ok = this.defineCheck(s.name, s.nameSpan);
    if (s.default) {
      const cx: ExprCtx = { refs: new Set() };
      const t = this.expr(s.default, cx);
      this.requireConstant(cx.refs, s.default.span, 'a data default');
      if (t && type) this.checkAssignable(s.default, t, type, `the default of '${s.name}'`);
    }
    if (!ok) return;
    const { constraint } = baseOf(s.type);
    this.addSymbol(s.name, 'data', type, constraint, s.nameSpan, { constant: true, defaultValue: s.default, declaredBase: s.type.base });
  }

  private plateDecl(s: Extract<Stmt, { kind: 'plate' }>): void {
    const existing = this.model.symbols.get(s.name);
    if (existing && existing.kind === 'data') {
      if (existing.type?.elem === 'int' && existing.type.shape.length === 0) {
        existing.kind = 'plate';
        existing.wholeLine = existing.line;
        return;
      }
      this.report(E.badDimension(s.nameSpan, s.name, `is declared ${existing.type ? showTyped(existing.type.elem, existing.type.shape) : 'data'} (line ${existing.line}); a plate needs an int size`));
      return;
    }
    if (!this.defineCheck(s.name, s.nameSpan)) return;
    this.addSymbol(s.name, 'plate', { elem: 'int', shape: [] }, 'none', s.nameSpan, { constant: true });
  }

  private paramDecl(s: Extract<Stmt, { kind: 'param' }>): void {
    const type = this.declType(s.type);
    if (s.type.base === 'bool' || s.type.base === 'int') {
      this.report(E.typeMismatch(s.type.span, `param '${s.name}' is declared ${s.type.base}, but params are learned by gradients and must be real (or positive, unit, simplex)`));
    }
    if (s.init) {
      const cx: ExprCtx = { refs: new Set() };
      const t = this.expr(s.init, cx);
      this.requireConstant(cx.refs, s.init.span, 'the initial value of a param');
      if (t && type) this.checkAssignable(s.init, t, type, `the initial value of '${s.name}'`);
    }
    if (!this.defineCheck(s.name, s.nameSpan)) return;
    this.addSymbol(s.name, 'param', type, baseOf(s.type).constraint, s.nameSpan, { init: s.init });
  }

  /** A default or initial value must fit the declared shape (broadcasting a smaller one is fine). */
  private checkAssignable(e: Expr, t: ValueType, want: ValueType, what: string): void {
    if (want.elem !== 'real' && t.elem === 'real') {
      this.report(E.typeMismatch(e.span, `${what} must be ${want.elem}, but this is ${showTyped(t.elem, t.shape)}`));
      return;
    }
    // Sizes that only the data can decide are checked when the default is evaluated, and
    // only if it is used at all (supplied data overrides it).
    const fit = fitsInto(t.shape, want.shape, true);
    if (!fit.ok) this.report(E.typeMismatch(e.span, `${what} must have shape ${showDims(want.shape)}, but this is ${showTyped(t.elem, t.shape)}`));
  }

  private objective(s: Extract<Stmt, { kind: 'objective' }>): void {
    const cx: ExprCtx = { refs: new Set() };
    this.expr(s.expr, cx);
    this.objectives.push(s);
    this.costDeps.push(cx.refs);
  }

  private forLoop(s: ForStmt): void {
    const bound = (e: Expr): Affine | undefined => {
      const cx: ExprCtx = { refs: new Set() };
      const before = this.diags.length;
      const t = this.expr(e, cx);
      if (t && (t.shape.length || t.elem === 'real')) this.report(E.loopBoundType(e.span, showTyped(t.elem, t.shape)));
      this.requireConstant(cx.refs, e.span, 'loop');
      if (!t || this.diags.length > before) this.badLoops.add(s);
      return affineSyntax(e);
    };
    const from = bound(s.from);
    const to = bound(s.to);
    this.defineLoopVar(s);
    this.loops.push({ name: s.variable, stmt: s, from, to });
    for (const b of s.body) this.stmt(b);
    this.loops.pop();
  }

  private defineLoopVar(s: ForStmt): void {
    const outer = this.loopVar(s.variable);
    if (outer) this.report(E.redefinition(s.variableSpan, s.variable, outer.stmt.span.start.line, '; it is the variable of an enclosing loop'));
    else {
      const sym = this.visible(s.variable) ?? (this.scope.kind === 'guide' ? this.model.symbols.get(s.variable) : undefined);
      const laterLine = this.scope.later.get(s.variable);
      if (sym) this.report(E.redefinition(s.variableSpan, s.variable, sym.line, '; loop variables need fresh names'));
      else if (laterLine !== undefined) this.report(E.redefinition(s.variableSpan, s.variable, laterLine, ' further down; loop variables need fresh names'));
    }
  }

  private assign(s: AssignStmt): void {
    const name = s.target.name;
    const cx: ExprCtx = { refs: new Set() };
    const t = this.expr(s.value, cx);
    if (!this.defineCheck(name, s.target.nameSpan)) return;
    const sym = this.addSymbol(name, 'deterministic', t, 'none', s.target.nameSpan, { deps: cx.refs, wholeLine: s.span.start.line });
    sym.constant = [...cx.refs].every((r) => this.nonConstant(r) === undefined);
  }

  private sample(s: SampleStmt): void {
    const name = s.target.name;
    const span = s.target.nameSpan;
    const cx: ExprCtx = { refs: new Set() };
    const d = this.dist(s.dist, cx);
    const scope = this.scope;
    if (scope.kind === 'model') {
      const data = this.model.symbols.get(name);
      if (data && data.kind === 'data') {
        data.used = true;
        if (data.observedLine !== undefined) return this.report(E.alreadyObserved(span, name, data.observedLine));
        if (data.elementwise) return this.report(E.wholeAndElements(span, name, data.firstElementLine ?? data.line));
        data.observed = true;
        data.observedLine = s.span.start.line;
        if (s.type) this.report(E.typeMismatch(s.type.span, `'${name}' is data; its type comes from its declaration (line ${data.line})`));
        if (s.dist.annotation) this.report(E.annotationOnObserved(s.dist.annotation.span, name));
        if (d.family && d.value && data.type) this.checkValueAgainst(name, span, data.type, d.family, d.value);
        this.costDeps.push(cx.refs);
        if (d.family) scope.sites.push(this.site(name, s, true, d.family, d.args, data.type ?? d.value));
        return;
      }
    }
    if (scope.kind === 'model' && this.model.laterData.has(name) && !this.model.symbols.has(name)) {
      this.report(E.usedBeforeDefined(span, name, this.model.laterData.get(name)!));
      this.model.reported.add(name);
      return;
    }
    let type: Ty = d.value;
    if (s.type) {
      const declared = this.declType(s.type);
      if (declared && d.family && d.value) {
        if (this.checkDeclared(name, s.type, declared, d.family, d.value)) type = declared;
      } else type = declared;
    }
    if (d.family && type) type = { elem: d.family.discrete ? 'int' : 'real', shape: type.shape };
    if (scope.kind === 'guide') {
      if (!this.guideTarget(name, span)) return;
      if (d.family && type) this.compareWithModel(name, span, type, d.family);
    } else if (!this.defineCheck(name, span)) return;
    if (d.family) this.annotation(s.dist, name, d.family, false);
    const constraint = d.family ? supportConstraint(d.family.support) : 'none';
    this.addSymbol(name, 'latent', type, constraint, span, { deps: cx.refs, family: d.family, wholeLine: s.span.start.line });
    if (d.family && type) scope.sites.push(this.site(name, s, false, d.family, d.args, type));
  }

  /** Guide sites must name a model latent, once. */
  private guideTarget(name: string, span: Span): boolean {
    const m = this.model.symbols.get(name);
    const own = this.scope.symbols.get(name);
    if (!m) {
      const latents = [...this.model.symbols.values()].filter((x) => x.kind === 'latent').map((x) => x.name);
      this.report(E.guideNotLatent(span, name, `the model has no latent '${name}'${didYouMean(name, latents)}`));
      return false;
    }
    if (m.kind !== 'latent') {
      const what = m.kind === 'data' || m.kind === 'plate' ? `'${name}' is data (line ${m.line})` : `'${name}' is a model ${m.kind} (line ${m.line}), not a latent`;
      this.report(E.guideNotLatent(span, name, what));
      return false;
    }
    if (own) {
      this.report(E.redefinition(span, name, own.line, own.kind === 'latent' ? ' in the guide; a guide samples each latent once' : ''));
      return false;
    }
    return true;
  }

  private compareWithModel(name: string, span: Span, type: ValueType, fam: FamilySpec): void {
    const m = this.model.symbols.get(name);
    if (!m || !m.family || !m.type) return;
    if (!sameSupport(m.family.support, fam.support)) {
      this.report(E.guideSupport(span, name, supportWord(m.family.support), m.family.name, fam.name, supportWord(fam.support)));
      return;
    }
    const mt = m.type;
    let same = mt.shape.length === type.shape.length;
    const pairs: DimPair[] = [];
    if (same) {
      mt.shape.forEach((d, i) => {
        const r = relateDims(d, type.shape[i]!);
        if (r === 'different') same = false;
        else if (r === 'unknown') pairs.push({ a: d, b: type.shape[i]!, allowOne: false });
      });
    }
    if (!same) this.report(E.guideShape(span, name, showTyped(type.elem, type.shape), showTyped(mt.elem, mt.shape)));
    else this.defer(pairs, `the guide for '${name}'`, span);
  }

  /** A declared type on a latent: the family's value type must fit it. Returns whether it does. */
  private checkDeclared(name: string, t: TypeExpr, declared: ValueType, fam: FamilySpec, value: ValueType): boolean {
    const { constraint } = baseOf(t);
    if (fam.discrete && t.base !== 'int') {
      this.report(E.declaredSupport(t.span, name, t.base, fam.name, 'int'));
      return false;
    }
    if (!fam.discrete) {
      if (t.base === 'int' || t.base === 'bool') {
        this.report(E.declaredSupport(t.span, name, t.base, fam.name, 'real'));
        return false;
      }
      const sc = supportConstraint(fam.support);
      const fits = constraint === 'none' || constraint === sc || (constraint === 'positive' && sc === 'unit');
      if (!fits) {
        this.report(E.declaredSupport(t.span, name, t.base, fam.name, fam.support.kind));
        return false;
      }
    }
    return this.checkShapeFits(name, t.span, declared, fam, value, 'declared');
  }

  private checkShapeFits(name: string, span: Span, declared: ValueType, fam: FamilySpec, value: ValueType, how: string): boolean {
    const fit = fitsInto(value.shape, declared.shape);
    if (!fit.ok) {
      this.report(E.declaredShape(span, name, showTyped(declared.elem, declared.shape), fam.name, showDims(value.shape)));
      return false;
    }
    this.defer(fit.deferred, `the ${how} shape of '${name}'`, span);
    return true;
  }

  /** Observed data (or an element of it) against the family's values. */
  private checkValueAgainst(name: string, span: Span, dataType: ValueType, fam: FamilySpec, value: ValueType): void {
    if (fam.discrete && dataType.elem === 'real') {
      const base = this.model.symbols.get(name.replace(/\[.*$/, ''))?.declaredBase ?? 'real';
      this.report(E.declaredSupport(span, name, base, fam.name, 'int'));
      return;
    }
    this.checkShapeFits(name, span, dataType, fam, value, 'declared');
  }

  private annotation(d: DistExpr, name: string, fam: FamilySpec, observed: boolean): EstimatorName | undefined {
    const a = d.annotation;
    if (!a) return undefined;
    if (!(ESTIMATORS as readonly string[]).includes(a.name)) {
      this.report(E.unknownAnnotation(a.span, a.name, didYouMean(a.name, ESTIMATORS), ESTIMATORS.map((x) => '@' + x).join(', ')));
      return undefined;
    }
    if (observed) {
      this.report(E.annotationOnObserved(a.span, name));
      return undefined;
    }
    const est = a.name as EstimatorName;
    let why: string | undefined;
    if (est === 'reparam') {
      if (fam.discrete) why = `${fam.name} is discrete, and @reparam needs a continuous family`;
      else if (!fam.reparam) why = `${fam.name} has no reparameterised sampler`;
    } else if (est === 'relax' || est === 'concrete') {
      if (!fam.discrete) why = `${fam.name} is continuous; @${est} applies to discrete sites with a relaxation`;
      else if (!fam.relaxable) why = `${fam.name} has no continuous relaxation (only Bernoulli and Categorical do)`;
    } else if (est === 'enumerate' || est === 'marginalize') {
      if (!fam.discrete) why = `${fam.name} is continuous, and @${est} needs a finite discrete family`;
      else if (!fam.finite) why = `${fam.name} has infinite support, and @${est} needs a finite one`;
    }
    if (why) {
      this.report(E.annotationInapplicable(a.span, est, name, why));
      return undefined;
    }
    return est;
  }

  private site(name: string, stmt: SampleStmt, observed: boolean, fam: FamilySpec, args: Record<string, Expr>, type: ValueType | undefined): SiteInfo {
    const info: SiteInfo = {
      name,
      stmt,
      scope: this.scope.kind,
      observed,
      family: fam,
      args,
      type: type ?? { elem: fam.discrete ? 'int' : 'real', shape: [] },
      loopVars: this.loops.map((l) => l.name),
    };
    const ann = stmt.dist.annotation;
    if (ann && (ESTIMATORS as readonly string[]).includes(ann.name) && !observed) info.annotation = ann.name as EstimatorName;
    return info;
  }

  // ---------------------------------------------------------------- element definitions

  private element(s: ElementStmt, target: LValue): void {
    const name = target.name;
    const span = target.nameSpan;
    const scope = this.scope;
    const isSample = s.kind === 'sample';
    // Indices: their types are recorded like any expression.
    const idxCx: ExprCtx = { refs: new Set() };
    for (const i of target.indices) {
      const t = this.expr(i, idxCx);
      if (t && (t.elem === 'real' || t.shape.length)) this.report(E.badIndexType(i.span, showTyped(t.elem, t.shape)));
    }
    const formOk = this.checkElementIndices(target);
    const defs = scope.elements.get(name) ?? [];
    const me = defs.find((d) => d.stmt === s);
    const quiet = this.loops.some((l) => this.badLoops.has(l.stmt));
    if (formOk && !me?.box && !quiet) this.report(E.elementLoopBound(target.span));
    if (!formOk || quiet) this.quietElements.add(name);
    const rank = target.indices.length;
    const cx: ExprCtx = { refs: new Set(), defining: { name, indices: target.indices } };

    const data = scope.kind === 'model' ? this.model.symbols.get(name) : undefined;
    if (data && data.kind === 'data') {
      // Observing data element by element.
      data.used = true;
      if (s.kind !== 'sample') return this.report(E.notAssignable(span, name, `data (line ${data.line})`));
      if (data.observedLine !== undefined && !data.elementwise) return this.report(E.alreadyObserved(span, name, data.observedLine));
      data.observed = true;
      data.elementwise = true;
      data.observedLine ??= s.span.start.line;
      data.firstElementLine ??= s.span.start.line;
      if (s.type) this.report(E.typeMismatch(s.type.span, `'${name}' is data; its type comes from its declaration (line ${data.line})`));
      const d = this.dist(s.dist, cx);
      if (s.dist.annotation) this.report(E.annotationOnObserved(s.dist.annotation.span, name));
      this.costDeps.push(cx.refs);
      if (!data.type) return;
      if (rank > data.type.shape.length) return this.report(E.elementRank(span, name, rank, showTyped(data.type.elem, data.type.shape)));
      const elemType: ValueType = { elem: data.type.elem, shape: data.type.shape.slice(rank) };
      if (d.family && d.value) this.checkValueAgainst(this.text(target.span), span, elemType, d.family, d.value);
      if (d.family) scope.sites.push(this.site(name, s, true, d.family, d.args, data.type));
      return;
    }

    let sym = scope.symbols.get(name);
    if (sym && !sym.elementwise) {
      this.report(E.wholeAndElements(span, name, sym.wholeLine ?? sym.line));
      return;
    }
    if (scope.kind === 'guide' && !sym && !this.guideTarget(name, span)) {
      if (isSample) this.dist((s as SampleStmt).dist, cx);
      else this.expr((s as AssignStmt).value, cx);
      return;
    }
    if (scope.kind === 'guide' && !isSample && !sym) {
      // guideTarget accepted a model latent; assigning its elements in the guide is not sampling it.
      this.report(E.notAssignable(span, name, 'a model latent; the guide must sample it'));
      return;
    }
    if (!sym && scope.kind === 'model' && !this.defineCheck(name, span)) return;
    if (sym) {
      if (sym.elementKind !== (isSample ? 'sample' : 'assign')) this.report(E.elementKinds(span, name, sym.firstElementLine ?? sym.line));
      if (sym.indexRank !== rank) this.report(E.elementRank(span, name, rank, sym.type ? showTyped(sym.type.elem, sym.type.shape) : 'an array'));
    } else {
      // The whole array's shape comes from the index ranges of all its element definitions.
      const axes = this.elementShape(name, defs, span);
      const elem: ElemType = isSample ? ((s as SampleStmt).dist && lookupFamily((s as SampleStmt).dist.family)?.discrete ? 'int' : 'real') : 'real';
      const fam = isSample ? lookupFamily((s as SampleStmt).dist.family) : undefined;
      sym = this.addSymbol(name, isSample ? 'latent' : 'deterministic', axes ? { elem, shape: axes } : undefined, fam ? supportConstraint(fam.support) : 'none', span, {
        elementwise: true,
        elementKind: isSample ? 'sample' : 'assign',
        indexRank: rank,
        firstElementLine: s.span.start.line,
        family: fam,
      });
    }
    const axes = sym.type?.shape.slice(0, rank);
    let elemType: Ty;
    if (s.kind === 'sample') {
      const d = this.dist(s.dist, cx);
      elemType = d.value;
      if (s.type) {
        const declared = this.declType(s.type);
        if (declared && d.family && d.value) {
          if (this.checkDeclared(this.text(target.span), s.type, declared, d.family, d.value)) elemType = { elem: d.value.elem, shape: declared.shape };
        } else elemType = declared;
      }
      if (d.family) this.annotation(s.dist, name, d.family, false);
      if (d.family && !sym.family) sym.family = d.family;
      else if (d.family && sym.family && !sameSupport(sym.family.support, d.family.support)) {
        this.report(E.typeMismatch(s.dist.familySpan, `the elements of '${name}' must share one support: ${sym.family.name} gives ${supportWord(sym.family.support)}, ${d.family.name} gives ${supportWord(d.family.support)}`));
      }
      for (const r of cx.refs) sym.deps.add(r);
      if (elemType && axes && sym.type) this.setElementType(sym, axes, elemType, s.span.start.line === sym.firstElementLine, span);
      if (scope.kind === 'guide' && elemType && sym.type && d.family && s.span.start.line === sym.firstElementLine) this.compareWithModel(name, span, sym.type, d.family);
      if (d.family && sym.type) scope.sites.push(this.site(name, s, false, d.family, d.args, sym.type));
    } else {
      elemType = this.expr(s.value, cx);
      for (const r of cx.refs) sym.deps.add(r);
      if (elemType && axes && sym.type) this.setElementType(sym, axes, elemType, s.span.start.line === sym.firstElementLine, span);
      sym.constant = [...sym.deps].every((r) => r === name || this.nonConstant(r) === undefined);
    }
  }

  private setElementType(sym: Sym, axes: Dim[], t: ValueType, first: boolean, span: Span): void {
    if (!sym.type) return;
    if (first) {
      sym.type = { elem: sym.kind === 'latent' ? sym.type.elem : t.elem, shape: [...axes, ...t.shape] };
      return;
    }
    const prev = sym.type.shape.slice(axes.length);
    const same = prev.length === t.shape.length && prev.every((d, i) => relateDims(d, t.shape[i]!) !== 'different');
    if (!same) {
      this.report(E.elementType(span, sym.name, showTyped(sym.type.elem, prev), showTyped(t.elem, t.shape)));
      return;
    }
    if (sym.kind === 'deterministic') sym.type.elem = joinElem(sym.type.elem, t.elem);
  }

  /** Indices are loop variables ± literals, or literals; each enclosing loop's variable appears once. */
  private checkElementIndices(target: LValue): boolean {
    const seen = new Set<string>();
    let ok = true;
    for (const i of target.indices) {
      const a = affineSyntax(i);
      if (!a || (a.name !== undefined && !this.loopVar(a.name))) {
        this.report(E.elementIndexForm(i.span));
        ok = false;
        continue;
      }
      if (a.name !== undefined) {
        if (seen.has(a.name)) this.report(E.elementRepeatedVar(i.span, a.name));
        seen.add(a.name);
      }
    }
    for (const l of this.loops) {
      if (!seen.has(l.name) && target.indices.every((i) => affineSyntax(i) !== undefined)) {
        this.report(E.elementMissingLoopVar(target.span, target.name, l.name));
        ok = false;
      }
    }
    return ok;
  }

  /** Per axis, the largest upper bound of all element boxes of `name` (named bounds beat literals). */
  private elementShape(name: string, defs: ElementDef[], span: Span): Dim[] | undefined {
    const boxes = defs.map((d) => d.box).filter((b): b is ElementBox => b !== undefined);
    if (boxes.length !== defs.length || boxes.length === 0) return undefined;
    const rank = boxes[0]!.intervals.length;
    const out: Dim[] = [];
    for (let axis = 0; axis < rank; axis++) {
      const his = boxes.map((b) => b.intervals[axis]?.hi).filter((h): h is Affine => h !== undefined);
      const named = his.filter((h) => h.name !== undefined);
      const pool = named.length ? named : his;
      const bases = new Set(pool.map((h) => h.name));
      if (bases.size > 1) {
        this.report(E.elementCoverage(span, `cannot tell the shape of '${name}': its elements on axis ${axis} run up to ${[...bases].join(' and ')}`));
        return undefined;
      }
      let best = pool[0]!;
      for (const h of pool) if (compareAffine(h, best)! > 0) best = h;
      out.push(dimOf(best));
    }
    return out;
  }

  private finishElements(scope: Scope): void {
    for (const [name, defs] of scope.elements) {
      const sym = scope.kind === 'model' ? this.model.symbols.get(name) : scope.symbols.get(name);
      if (!sym || !sym.elementwise || !sym.type || this.quietElements.has(name)) continue;
      const boxes = defs.map((d) => d.box).filter((b): b is ElementBox => b !== undefined);
      if (boxes.length !== defs.length) continue;
      // Element boxes must use sizes the data binder knows: data and plates only.
      let ok = true;
      for (const d of defs) {
        for (const iv of d.box!.intervals) {
          for (const a of [iv.lo, iv.hi]) {
            if (a.name === undefined) continue;
            const s = this.model.symbols.get(a.name);
            if (!s || (s.kind !== 'data' && s.kind !== 'plate')) ok = false;
          }
        }
      }
      if (!ok) {
        this.report(E.elementLoopBound(defs[0]!.stmt.target.span));
        continue;
      }
      const rank = sym.indexRank ?? boxes[0]!.intervals.length;
      const shape = sym.type.shape.slice(0, rank);
      const requireFull = !(sym.kind === 'data');
      const res = analyseCoverage(name, shape.map(affineOf), boxes, requireFull, true);
      for (const p of res.problems) this.report(E.elementCoverage(p.span, p.message));
      const symbolic = shape.some((d) => typeof d === 'string') || boxes.some((b) => b.intervals.some((iv) => iv.lo.name !== undefined || iv.hi.name !== undefined));
      if (!res.problems.length && (res.undecided || symbolic)) {
        this.deferred.push({ kind: 'coverage', name, shape, boxes, requireFull, span: defs[0]!.stmt.target.span });
      }
    }
  }

  // ---------------------------------------------------------------- distributions

  private dist(d: DistExpr, cx: ExprCtx): { family?: FamilySpec; args: Record<string, Expr>; value?: ValueType } {
    const fam = lookupFamily(d.family);
    const args: Record<string, Expr> = {};
    if (!fam) {
      this.report(E.unknownDistribution(d.familySpan, d.family, didYouMean(d.family, FAMILY_NAMES)));
      for (const a of d.args) this.expr(a.value, cx);
      return { args };
    }
    const slots: string[][] = [];
    for (const p of fam.params) {
      const g = fam.oneOf?.find((grp) => grp.includes(p.name));
      if (!g) slots.push([p.name]);
      else if (g[0] === p.name) slots.push(g);
    }
    const slotOf = (n: string): string[] | undefined => slots.find((s) => s.includes(n));
    const given = new Map<string, Arg>();
    const paramList = fam.params.map((p) => p.name).join(', ');
    let positional = 0;
    let ok = true;
    for (const a of d.args) {
      let pname: string;
      if (a.name === undefined) {
        const slot = slots[positional++];
        if (!slot) continue;
        pname = slot[0]!;
      } else {
        if (!fam.params.some((p) => p.name === a.name)) {
          this.report(E.unknownArgument(a.nameSpan ?? a.span, fam.name, a.name, didYouMean(a.name, fam.params.map((p) => p.name)), paramList));
          ok = false;
          continue;
        }
        pname = a.name;
      }
      const slot = slotOf(pname)!;
      const clash = slot.find((n) => given.has(n));
      if (clash === pname) {
        this.report(E.duplicateArgument(a.span, fam.name, pname));
        ok = false;
        continue;
      }
      if (clash) {
        this.report(E.exclusiveArguments(a.span, fam.name, clash, pname));
        ok = false;
        continue;
      }
      given.set(pname, a);
    }
    if (positional > slots.length) {
      const extra = d.args.filter((a) => a.name === undefined)[slots.length]!;
      const shown = slots.map((s) => s.join(' | ')).join(', ');
      this.report(E.distributionArity(extra.span, fam.name, shown, slots.length, positional));
      ok = false;
    }
    for (const s of slots) {
      if (!s.some((n) => given.has(n))) {
        this.report(E.missingArgument(d.span, fam.name, s.length > 1 ? s.map((n) => `'${n}'`).join(' or ') : `'${s[0]}'`));
        ok = false;
      }
    }
    // Check every argument's expression, even the rejected ones, so their errors show too.
    let batch: Dim[] | undefined = [];
    let event: Dim[] = [];
    let prevDesc = '';
    for (const a of d.args) {
      const t = this.expr(a.value, cx);
      const entry = [...given].find(([, g]) => g === a);
      if (!entry) continue;
      const [pname] = entry;
      args[pname] = a.value;
      const spec = fam.params.find((p) => p.name === pname)!;
      if (!t) {
        batch = undefined;
        continue;
      }
      const typeBad = spec.constraint === 'count' && t.elem === 'real';
      if (typeBad) {
        this.report(E.argumentType(a.value.span, fam.name, pname, 'an int', showTyped(t.elem, t.shape)));
        ok = false;
      }
      const v = literalValue(a.value);
      if (v !== undefined && !typeBad) {
        const bad =
          (spec.constraint === 'positive' && !(v > 0) && `positive`) ||
          (spec.constraint === 'unit' && !(v >= 0 && v <= 1) && 'between 0 and 1') ||
          (spec.constraint === 'count' && !(v >= 0 && Number.isInteger(v)) && 'a non-negative int');
        if (bad) {
          this.report(E.argumentDomain(a.value.span, fam.name, pname, bad, v));
          ok = false;
        }
      }
      if (spec.constraint === 'simplex' && a.value.kind === 'array') {
        const vs = a.value.elements.map(literalValue);
        const total = vs.reduce<number>((p, v) => p + (v ?? NaN), 0);
        if (vs.every((v) => v !== undefined) && Math.abs(total - 1) > 1e-6) {
          this.report(E.argumentDomain(a.value.span, fam.name, pname, 'a simplex (summing to one)', Math.round(total * 1e6) / 1e6));
          ok = false;
        }
      }
      let shape = t.shape;
      if (spec.extraRank === 1 || fam.eventRank === 1) {
        if (shape.length === 0) {
          this.report(E.argumentRank(a.value.span, fam.name, pname, showTyped(t.elem, t.shape)));
          ok = false;
          batch = undefined;
          continue;
        }
        if (fam.eventRank === 1) event = [shape[shape.length - 1]!];
        shape = shape.slice(0, -1);
      }
      if (batch) {
        const b = broadcastShapes(batch, shape);
        const desc = `${pname} is ${showTyped(t.elem, t.shape)}`;
        if (!b.ok) {
          this.report(E.broadcastMismatch(a.value.span, `the arguments of ${fam.name}`, prevDesc, desc));
          ok = false;
          batch = undefined;
        } else {
          this.defer(b.deferred, `the arguments of ${fam.name}`, a.value.span);
          batch = b.shape;
          prevDesc = desc;
        }
      }
    }
    if (!ok || !batch) return { family: fam, args };
    return { family: fam, args, value: { elem: fam.discrete ? 'int' : 'real', shape: [...batch, ...event] } };
  }

  // ---------------------------------------------------------------- expressions

  private expr(e: Expr, cx: ExprCtx): Ty {
    const t = this.exprInner(e, cx);
    if (t) this.exprTypes.set(e, t);
    return t;
  }

  private exprInner(e: Expr, cx: ExprCtx): Ty {
    switch (e.kind) {
      case 'num':
        return { elem: e.isInt ? 'int' : 'real', shape: [] };
      case 'bool':
        return { elem: 'bool', shape: [] };
      case 'var':
        return this.varType(e.name, e.span, cx);
      case 'unary': {
        const t = this.expr(e.arg, cx);
        if (!t) return undefined;
        return { elem: e.op === '!' ? 'bool' : arithElem(t.elem), shape: t.shape };
      }
      case 'binary':
        return this.binary(e, cx);
      case 'if': {
        const c = this.expr(e.cond, cx);
        const a = this.expr(e.then, cx);
        const b = this.expr(e.else, cx);
        if (!c || !a || !b) return undefined;
        const ab = broadcastShapes(a.shape, b.shape);
        if (!ab.ok) {
          this.report(E.broadcastMismatch(e.span, "'if … then … else'", this.describe(e.then, a, 'the then branch'), this.describe(e.else, b, 'the else branch')));
          return undefined;
        }
        const all = broadcastShapes(c.shape, ab.shape);
        if (!all.ok) {
          this.report(E.broadcastMismatch(e.span, "'if … then … else'", this.describe(e.cond, c, 'the condition'), `the branches are ${showDims(ab.shape)}`));
          return undefined;
        }
        this.defer([...ab.deferred, ...all.deferred], "'if … then … else'", e.span);
        return { elem: joinElem(a.elem, b.elem), shape: all.shape };
      }
      case 'call':
        return this.call(e, cx);
      case 'index':
        return this.index(e, cx);
      case 'array': {
        const ts = e.elements.map((x) => this.expr(x, cx));
        if (ts.some((t) => !t)) return undefined;
        if (ts.length === 0) return { elem: 'real', shape: [0] };
        const first = ts[0]!;
        let elem = first.elem;
        for (let i = 1; i < ts.length; i++) {
          const t = ts[i]!;
          const same = t.shape.length === first.shape.length && t.shape.every((d, j) => relateDims(d, first.shape[j]!) !== 'different');
          if (!same) {
            this.report(E.shapeRequirement(e.elements[i]!.span, `the elements of an array literal must have one shape: ${this.describe(e.elements[0]!, first, 'the first')}, ${this.describe(e.elements[i]!, t, 'this one')}`));
            return undefined;
          }
          elem = joinElem(elem, t.elem);
        }
        return { elem, shape: [ts.length, ...first.shape] };
      }
    }
  }

  private varType(name: string, span: Span, cx: ExprCtx): Ty {
    if (this.loopVar(name)) return { elem: 'int', shape: [] };
    const s = this.visible(name);
    if (!s) {
      this.unresolved(name, span);
      return undefined;
    }
    s.used = true;
    cx.refs.add(name);
    if (cx.defining && cx.defining.name === name && s.elementwise && s.kind !== 'data') {
      // Whole-array use inside its own element definition: the array is not complete yet.
      this.report(E.selfReference(span, `'${name}'`));
      return undefined;
    }
    return s.type;
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>, cx: ExprCtx): Ty {
    const l = this.expr(e.left, cx);
    const r = this.expr(e.right, cx);
    if (!l || !r) return undefined;
    if (e.op === '@') {
      const m = matmulShape(l.shape, r.shape);
      if (!m.ok) {
        if ('rank' in m) this.report(E.matmulScalar(e.span, l.shape.length === 0 ? this.text(e.left.span) || 'the left side' : this.text(e.right.span) || 'the right side'));
        else this.report(E.matmulMismatch(e.span, this.describe(e.left, l, 'the left side'), this.describe(e.right, r, 'the right side')));
        return undefined;
      }
      this.defer(m.deferred, "'@'", e.span);
      return { elem: joinElem(arithElem(l.elem), arithElem(r.elem)), shape: m.shape };
    }
    const b = broadcastShapes(l.shape, r.shape);
    if (!b.ok) {
      this.report(E.broadcastMismatch(e.span, `'${e.op}'`, this.describe(e.left, l, 'the left side'), this.describe(e.right, r, 'the right side')));
      return undefined;
    }
    this.defer(b.deferred, `'${e.op}'`, e.span);
    if (isArith(e.op)) {
      const elem = e.op === '/' || e.op === '^' ? 'real' : joinElem(arithElem(l.elem), arithElem(r.elem));
      return { elem, shape: b.shape };
    }
    if (isCompare(e.op) || e.op === '&&' || e.op === '||') return { elem: 'bool', shape: b.shape };
    return { elem: 'real', shape: b.shape };
  }

  /** A dimension argument of ones/zeros/fill: an int literal, int data or plate, length(x), ± literals. */
  private dimArg(e: Expr, fn: string, cx: ExprCtx): Dim | undefined {
    const lit = intLiteral(e);
    if (lit !== undefined) {
      if (lit < 0) {
        this.report(E.shapeRequirement(e.span, `${fn}: dimensions cannot be negative, got ${lit}`));
        return undefined;
      }
      return lit;
    }
    if (e.kind === 'call' && e.callee === 'length') {
      const t = this.expr(e, cx);
      const x = e.args[0] && this.exprTypes.get(e.args[0].value);
      if (!t || !x || !x.shape.length) return undefined;
      return x.shape[0];
    }
    if (e.kind === 'binary' && (e.op === '+' || e.op === '-')) {
      const t = this.expr(e, cx);
      const l = this.dimArgQuiet(e.left);
      const k = intLiteral(e.right);
      if (t && l !== undefined && k !== undefined) return dimOf(addAffine(affineOf(l), e.op === '+' ? k : -k));
    }
    const t = this.expr(e, cx);
    if (!t) return undefined;
    if (e.kind === 'var') {
      const s = this.visible(e.name);
      if (s && (s.kind === 'data' || s.kind === 'plate') && t.elem === 'int' && t.shape.length === 0) return e.name;
    }
    this.report(E.shapeRequirement(e.span, `${fn}: dimensions must be int literals or int data names (or length(x)), but this is '${this.text(e.span)}'`));
    return undefined;
  }

  private dimArgQuiet(e: Expr): Dim | undefined {
    const lit = intLiteral(e);
    if (lit !== undefined) return lit;
    if (e.kind === 'var') {
      const s = this.visible(e.name);
      if (s && (s.kind === 'data' || s.kind === 'plate') && s.type?.elem === 'int' && s.type.shape.length === 0) return e.name;
    }
    if (e.kind === 'call' && e.callee === 'length') {
      const x = e.args[0] && this.exprTypes.get(e.args[0].value);
      if (x?.shape.length) return x.shape[0];
    }
    return undefined;
  }

  private call(e: Extract<Expr, { kind: 'call' }>, cx: ExprCtx): Ty {
    const spec = builtin(e.callee);
    if (!spec) {
      if (lookupFamily(e.callee)) this.report(E.distributionAsFunction(e.calleeSpan, e.callee));
      else this.report(E.unknownFunction(e.calleeSpan, e.callee, didYouMean(e.callee, BUILTIN_NAMES)));
      for (const a of e.args) this.expr(a.value, cx);
      return undefined;
    }
    const named = e.args.find((a) => a.name !== undefined);
    if (named) {
      this.report(E.namedFunctionArgument(named.nameSpan ?? named.span, e.callee));
      for (const a of e.args) this.expr(a.value, cx);
      return undefined;
    }
    if (e.args.length < spec.minArgs || e.args.length > spec.maxArgs) {
      this.report(E.functionArity(e.span, e.callee, spec.arity, e.args.length));
      for (const a of e.args) this.expr(a.value, cx);
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
          const v = this.expr(argv[0]!, cx);
          if (!v) ok = false;
          else if (v.shape.length) {
            this.report(E.shapeRequirement(argv[0]!.span, `fill: the value must be a scalar, but ${this.describe(argv[0]!, v, 'it')}`));
            ok = false;
          } else elem = v.elem;
        }
        const dims: Dim[] = [];
        for (const a of argv.slice(first)) {
          const d = this.dimArg(a, e.callee, cx);
          if (d === undefined) ok = false;
          else dims.push(d);
        }
        return ok ? { elem, shape: dims } : undefined;
      }
      default:
        break;
    }
    const ts = argv.map((a) => this.expr(a, cx));
    if (ts.some((t) => !t)) return undefined;
    const x = ts[0]!;
    switch (spec.kind) {
      case 'elementwise':
      case 'normalise':
        if (spec.kind === 'normalise' && x.shape.length === 0) {
          this.report(E.shapeRequirement(e.span, `${e.callee} needs an array, but ${this.describe(argv[0]!, x, 'its argument')}`));
          return undefined;
        }
        return { elem: 'real', shape: x.shape };
      case 'abs':
        return { elem: arithElem(x.elem), shape: x.shape };
      case 'rounding':
        return { elem: 'int', shape: x.shape };
      case 'pow': {
        const b = broadcastShapes(x.shape, ts[1]!.shape);
        if (!b.ok) {
          this.report(E.broadcastMismatch(e.span, 'pow', this.describe(argv[0]!, x, 'the base'), this.describe(argv[1]!, ts[1]!, 'the exponent')));
          return undefined;
        }
        this.defer(b.deferred, 'pow', e.span);
        return { elem: 'real', shape: b.shape };
      }
      case 'reduce': {
        const elem: ElemType = spec.result === 'real' ? 'real' : arithElem(x.elem);
        if (argv.length === 1) return { elem, shape: [] };
        const axis = intLiteral(argv[1]!);
        if (axis === undefined) {
          this.report(E.shapeRequirement(argv[1]!.span, `${e.callee}: the axis must be an int literal`));
          return undefined;
        }
        const rank = x.shape.length;
        if (axis < -rank || axis >= rank) {
          this.report(E.shapeRequirement(argv[1]!.span, `${e.callee}: axis ${axis} is out of range; ${this.describe(argv[0]!, x, 'its argument')}`));
          return undefined;
        }
        const a = axis < 0 ? axis + rank : axis;
        return { elem, shape: x.shape.filter((_, i) => i !== a) };
      }
      case 'dot': {
        const y = ts[1]!;
        if (x.shape.length !== 1 || y.shape.length !== 1) {
          this.report(E.shapeRequirement(e.span, `dot needs two vectors: ${this.describe(argv[0]!, x, 'the first')}, ${this.describe(argv[1]!, y, 'the second')}`));
          return undefined;
        }
        const r = relateDims(x.shape[0]!, y.shape[0]!);
        if (r === 'different') {
          this.report(E.shapeRequirement(e.span, `dot needs vectors of one length: ${this.describe(argv[0]!, x, 'the first')}, ${this.describe(argv[1]!, y, 'the second')}`));
          return undefined;
        }
        if (r === 'unknown') this.defer([{ a: x.shape[0]!, b: y.shape[0]!, allowOne: false }], 'dot', e.span);
        return { elem: joinElem(arithElem(x.elem), arithElem(y.elem)), shape: [] };
      }
      case 'transpose':
        if (x.shape.length !== 2) {
          this.report(E.shapeRequirement(e.span, `transpose needs a matrix, but ${this.describe(argv[0]!, x, 'its argument')}`));
          return undefined;
        }
        return { elem: x.elem, shape: [x.shape[1]!, x.shape[0]!] };
      case 'length':
        if (x.shape.length === 0) {
          this.report(E.shapeRequirement(e.span, `length needs an array, but ${this.describe(argv[0]!, x, 'its argument')}`));
          return undefined;
        }
        return { elem: 'int', shape: [] };
      default:
        return undefined;
    }
  }

  private index(e: Extract<Expr, { kind: 'index' }>, cx: ExprCtx): Ty {
    const self = cx.defining && e.target.kind === 'var' && e.target.name === cx.defining.name;
    let t: Ty;
    if (self) {
      // Reading other elements of the array being defined is fine (z[t-1] in z[t] ~ …).
      const s = this.visible(cx.defining!.name);
      if (s && e.target.kind === 'var') {
        s.used = true;
        cx.refs.add(s.name);
        t = s.type;
        if (t) this.exprTypes.set(e.target, t);
        const d = cx.defining!.indices;
        const same = d.length === e.items.length && e.items.every((it, i) => it.kind === 'at' && sameAffine(affineSyntax(it.expr), affineSyntax(d[i]!)));
        if (same) this.report(E.selfReference(e.span, `'${this.text(e.span)}'`));
      } else t = this.expr(e.target, cx);
    } else t = this.expr(e.target, cx);
    const items = e.items.map((it) => this.indexItem(it, cx));
    if (!t || items.some((i) => i === undefined)) return undefined;
    if (e.items.length > t.shape.length) {
      this.report(E.tooManyIndices(e.span, this.text(e.target.span) || 'the array', showTyped(t.elem, t.shape), t.shape.length));
      return undefined;
    }
    const out: (Dim | 'gather')[] = [];
    let gather: Dim[] | undefined;
    let ok = true;
    e.items.forEach((it, axis) => {
      const dim = t.shape[axis]!;
      const info = items[axis]!;
      if (it.kind === 'slice') {
        const d = this.sliceDim(it, dim);
        if (d === undefined) ok = false;
        else out.push(d);
        return;
      }
      if (info.shape.length === 0) {
        const lit = intLiteral(it.expr);
        if (lit !== undefined && (lit < 0 || (typeof dim === 'number' && lit >= dim))) {
          this.report(E.indexOutOfRange(it.expr.span, lit, `${this.text(e.target.span)}`, String(dim)));
          ok = false;
        } else if (!this.indexRange(it.expr, dim, e)) ok = false;
        return;
      }
      if (!gather) {
        gather = info.shape;
        out.push('gather');
      } else {
        const b = broadcastShapes(gather, info.shape);
        if (!b.ok) {
          this.report(E.broadcastMismatch(it.span, 'the array indices', showDims(gather), showDims(info.shape)));
          ok = false;
        } else gather = b.shape;
      }
      if (it.expr.kind === 'var' && e.target.kind === 'var') {
        const s = this.visible(it.expr.name);
        if (s && s.kind === 'data') this.deferred.push({ kind: 'gather', index: it.expr.name, target: e.target.name, bound: dim, span: it.expr.span });
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
  private indexRange(x: Expr, dim: Dim, e: Extract<Expr, { kind: 'index' }>): boolean {
    const a = affineSyntax(x);
    if (!a) return true;
    let lo: Affine;
    let hi: Affine;
    let loopVar: string | undefined;
    if (a.name === undefined) {
      lo = { k: a.k };
      hi = { k: a.k + 1 };
    } else {
      const loop = this.loopVar(a.name);
      if (!loop || !loop.from || !loop.to) return true;
      // An empty loop reads nothing. As in the coverage analysis, a data size is taken to
      // exceed a literal (`0..T` runs); anything else waits for the sizes.
      let c = compareAffine(loop.from, loop.to);
      if (c === undefined && loop.from.name === undefined && loop.to.name !== undefined) c = -1;
      lo = addAffine(loop.from, a.k);
      hi = addAffine(loop.to, a.k);
      loopVar = a.name;
      if (c === undefined || c >= 0) {
        if (c === undefined) this.deferred.push({ kind: 'index-range', target: this.text(e.target.span), index: this.text(x.span), lo, hi, dim, span: x.span });
        return true;
      }
    }
    const D = affineOf(dim);
    const below = compareAffine(lo, { k: 0 });
    const above = compareAffine(hi, D);
    const target = this.text(e.target.span);
    const when = (v: Affine): string => (loopVar ? ` when ${loopVar} = ${showAffine(addAffine(v, -a.k))}` : '');
    if (below !== undefined && below < 0) {
      this.report(E.indexRange(x.span, target, this.text(x.span), showAffine(lo), when(lo), showDims([dim])));
      return false;
    }
    if (above !== undefined && above > 0) {
      const last = addAffine(hi, -1);
      this.report(E.indexRange(x.span, target, this.text(x.span), showAffine(last), when(last), showDims([dim])));
      return false;
    }
    if (below === undefined || above === undefined) this.deferred.push({ kind: 'index-range', target, index: this.text(x.span), lo, hi, dim, span: x.span });
    return true;
  }

  private indexItem(it: IndexItem, cx: ExprCtx): ValueType | undefined {
    const check = (x: Expr): ValueType | undefined => {
      const t = this.expr(x, cx);
      if (!t) return undefined;
      if (t.elem !== 'int') {
        this.report(E.badIndexType(x.span, showTyped(t.elem, t.shape)));
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
        this.report(E.badIndexType(x.span, showTyped(t.elem, t.shape)));
        ok = false;
      }
    }
    return ok ? { elem: 'int', shape: [] } : undefined;
  }

  /** The length of `lo:hi` on an axis of size `dim`, when it can be said symbolically. */
  private sliceDim(it: Extract<IndexItem, { kind: 'slice' }>, dim: Dim): Dim | undefined {
    const lo = it.lo ? affineSyntax(it.lo) : { k: 0 };
    const hi = it.hi ? affineSyntax(it.hi) : affineOf(dim);
    if (lo && hi) {
      if (lo.name === undefined) return dimOf({ name: hi.name, k: hi.k - lo.k });
      if (lo.name === hi.name) return hi.k - lo.k;
    }
    this.report(E.shapeRequirement(it.span, 'slice bounds must be int literals or int data names plus or minus literals, so that the slice has a known length'));
    return undefined;
  }

  // ---------------------------------------------------------------- mode and warnings

  private decideMode(): Mode {
    const obs = this.model.sites.find((s) => s.observed);
    const obj = this.objectives[0];
    if (obs && obj) {
      this.report(E.modeConflict(obj.span, obs.name, obs.stmt.span.start.line, obj.span.start.line));
      return 'inference';
    }
    if (obs) return 'inference';
    if (obj) return 'optimisation';
    this.report(E.priorMode(this.program.body[0]?.span ?? this.program.span));
    return 'prior';
  }

  private warnUnused(mode: Mode): void {
    // After an error, "never used" is usually an echo of it (an unknown name hid the use).
    if (this.diags.some((d) => d.severity === 'error')) return;
    for (const s of this.model.symbols.values()) {
      if (s.kind === 'data' && !s.used) this.report(E.unusedData(s.span, s.name));
    }
    if (mode !== 'inference') return;
    const reached = new Set<string>();
    const stack = this.costDeps.flatMap((d) => [...d]);
    while (stack.length) {
      const n = stack.pop()!;
      if (reached.has(n)) continue;
      reached.add(n);
      const s = this.model.symbols.get(n);
      if (s) stack.push(...s.deps);
    }
    for (const s of this.model.symbols.values()) {
      if (s.kind === 'latent' && !reached.has(s.name)) this.report(E.unusedLatent(s.span, s.name));
    }
  }
}

function sameSupport(a: Support, b: Support): boolean {
  return a.kind === b.kind;
}
