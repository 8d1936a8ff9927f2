// The checker's statements, in source order: declarations, loops, definitions, sample sites
// and observations, and element definitions (z[t] ~ …) whose pieces must cover their array.
// Each statement calls on names.ts, types.ts and distributions.ts for the parts it contains.

import type { Expr, LValue, Stmt } from '../ast.js';
import type { SampleStmt } from '../checked.js';
import { FAMILIES, family as lookupFamily } from '../distributions.js';
import { affineOf, analyseCoverage, compareAffine, dimOf, relateDims, showTyped } from '../shapes.js';
import type { Affine, ElementBox } from '../shapes.js';
import type { Span } from '../span.js';
import { isMatrixConstraint } from '../types.js';
import type { Dim, ElemType, ValueType } from '../types.js';
import { affineSyntax } from '../scope.js';
import type { AssignStmt, ElementDef, ElementStmt, ExprCtx, ForStmt, Scope, Sym, Ty } from '../scope.js';
import * as E from '../semantic-errors.js';
import type { SemanticError } from '../semantic-errors.js';
import type { CheckState } from './state.js';
import { loopVar, defineCheck, addSymbol, nonConstant, requireConstant, defineLoopVar, guideTarget } from './names.js';
import { declType, checkAssignable, expr, joinElem, baseOf } from './types.js';
import { dist, annotation, site, checkDeclared, checkValueAgainst, compareWithModel, supportConstraint, supportWord, sameSupport } from './distributions.js';

export function stmt(ck: CheckState, s: Stmt): void {
  const inGuide = ck.scope.kind === 'guide';
  const inLoop = ck.loops.length > 0;
  switch (s.kind) {
    case 'data':
      if (inGuide) return misplacedDecl(ck, s, E.misplaced(s.span, 'data declarations', 'belong in the model, not in the guide'));
      if (inLoop) return misplacedDecl(ck, s, E.misplaced(s.span, 'data declarations', 'must be at the top level, not inside a for loop'));
      return dataDecl(ck, s);
    case 'plate':
      if (inGuide) return misplacedDecl(ck, s, E.misplaced(s.span, 'plates', 'are declared in the model, not in the guide'));
      if (inLoop) return misplacedDecl(ck, s, E.misplaced(s.span, 'plates', 'must be declared at the top level, not inside a for loop'));
      return plateDecl(ck, s);
    case 'param':
      if (inLoop) return ck.report(E.misplaced(s.span, 'params', 'must be declared at the top level, not inside a for loop'));
      return paramDecl(ck, s);
    case 'objective':
      if (inGuide) return ck.report(E.misplaced(s.span, `'${s.direction}'`, 'belongs in the model, not in the guide'));
      if (inLoop) return ck.report(E.misplaced(s.span, `'${s.direction}'`, 'must be at the top level; sum over the array instead (the objective of any shape is summed)'));
      return objective(ck, s);
    case 'guide':
      return ck.report(E.misplaced(s.span, 'a guide block', inGuide ? 'cannot contain another guide block' : 'must be at the top level'));
    case 'for':
      return forLoop(ck, s);
    case 'assign':
      return s.target.indices.length ? element(ck, s, s.target) : assign(ck, s);
    case 'sample':
      return s.target.indices.length ? element(ck, s, s.target) : sample(ck, s);
    case 'target':
      if (inGuide) return ck.report(E.misplaced(s.span, `'${s.form === 'factor' ? 'factor(…)' : 'target +='}'`, "belongs in the model: it adds to the model's log density, and the guide's density comes from its own sample statements"));
      return target(ck, s);
  }
}

function target(ck: CheckState, s: Extract<Stmt, { kind: 'target' }>): void {
  const cx: ExprCtx = { refs: new Set() };
  const t = expr(ck, s.expr, cx);
  if (t && t.elem === 'bool') ck.report(E.typeMismatch(s.expr.span, `${s.form === 'factor' ? 'factor(…)' : 'target +='} needs a real log density, but this is ${showTyped(t.elem, t.shape)}`));
  ck.targets.push(s);
  ck.costDeps.push(cx.refs);
}

/** `~ D(…) T[lo, hi]`: observed data of a family with a CDF; the bounds read like arguments. */
function truncation(ck: CheckState, s: SampleStmt, name: string, observed: boolean, cx: ExprCtx): void {
  const tr = s.dist.truncation;
  if (!tr) return;
  for (const b of [tr.lo, tr.hi]) {
    if (!b) continue;
    const t = expr(ck, b, cx);
    if (t && t.elem === 'bool') ck.report(E.truncationBoundType(b.span, showTyped(t.elem, t.shape)));
  }
  const fam = lookupFamily(s.dist.family);
  if (!observed) return ck.report(E.truncationLatent(tr.span, name));
  if (fam && !fam.cdf) ck.report(E.truncationNoCdf(tr.span, fam.name, FAMILIES.filter((f) => f.cdf).map((f) => f.name).join(', ')));
}

/** Reports a declaration in the wrong place, and defines its name with an unknown type so its uses stay quiet. */
function misplacedDecl(ck: CheckState, s: Extract<Stmt, { kind: 'data' | 'plate' }>, e: SemanticError): void {
  ck.report(e);
  if (!ck.scope.symbols.has(s.name)) addSymbol(ck, s.name, s.kind, undefined, 'none', s.nameSpan, { constant: true, used: true });
}

function dataDecl(ck: CheckState, s: Extract<Stmt, { kind: 'data' }>): void {
  const existing = ck.model.symbols.get(s.name);
  if (existing?.kind === 'plate' && s.type.base === 'int' && s.type.dims.length === 0 && !existing.wholeLine) {
    // `plate N` already implied `data N: int`; the declaration only spells it out.
    existing.wholeLine = s.span.start.line;
    if (s.default) existing.defaultValue = s.default;
    return;
  }
  const type = declType(ck, s.type);
  let ok = defineCheck(ck, s.name, s.nameSpan);
  if (s.default) {
    const cx: ExprCtx = { refs: new Set() };
    const t = expr(ck, s.default, cx);
    requireConstant(ck, cx.refs, s.default.span, 'a data default');
    if (t && type) checkAssignable(ck, s.default, t, type, `the default of '${s.name}'`);
  }
  if (!ok) return;
  const { constraint } = baseOf(s.type);
  addSymbol(ck, s.name, 'data', type, constraint, s.nameSpan, { constant: true, defaultValue: s.default, declaredBase: s.type.base });
}

function plateDecl(ck: CheckState, s: Extract<Stmt, { kind: 'plate' }>): void {
  const existing = ck.model.symbols.get(s.name);
  if (existing && existing.kind === 'data') {
    if (existing.type?.elem === 'int' && existing.type.shape.length === 0) {
      existing.kind = 'plate';
      existing.wholeLine = existing.line;
      return;
    }
    ck.report(E.badDimension(s.nameSpan, s.name, `is declared ${existing.type ? showTyped(existing.type.elem, existing.type.shape) : 'data'} (line ${existing.line}); a plate needs an int size`));
    return;
  }
  if (!defineCheck(ck, s.name, s.nameSpan)) return;
  addSymbol(ck, s.name, 'plate', { elem: 'int', shape: [] }, 'none', s.nameSpan, { constant: true });
}

function paramDecl(ck: CheckState, s: Extract<Stmt, { kind: 'param' }>): void {
  const type = declType(ck, s.type);
  if (s.type.base === 'bool' || s.type.base === 'int') {
    ck.report(E.typeMismatch(s.type.span, `param '${s.name}' is declared ${s.type.base}, but params are learned by gradients and must be real (or positive, unit, simplex, ordered, positive_ordered)`));
  }
  if (s.init) {
    const cx: ExprCtx = { refs: new Set() };
    const t = expr(ck, s.init, cx);
    requireConstant(ck, cx.refs, s.init.span, 'the initial value of a param');
    if (t && type) checkAssignable(ck, s.init, t, type, `the initial value of '${s.name}'`);
  }
  if (!defineCheck(ck, s.name, s.nameSpan)) return;
  addSymbol(ck, s.name, 'param', type, baseOf(s.type).constraint, s.nameSpan, { init: s.init });
}

function objective(ck: CheckState, s: Extract<Stmt, { kind: 'objective' }>): void {
  const cx: ExprCtx = { refs: new Set() };
  expr(ck, s.expr, cx);
  ck.objectives.push(s);
  ck.costDeps.push(cx.refs);
}

function forLoop(ck: CheckState, s: ForStmt): void {
  const bound = (e: Expr): Affine | undefined => {
    const cx: ExprCtx = { refs: new Set() };
    const before = ck.diags.length;
    const t = expr(ck, e, cx);
    if (t && (t.shape.length || t.elem === 'real')) ck.report(E.loopBoundType(e.span, showTyped(t.elem, t.shape)));
    requireConstant(ck, cx.refs, e.span, 'loop');
    if (!t || ck.diags.length > before) ck.badLoops.add(s);
    return affineSyntax(e);
  };
  const from = bound(s.from);
  const to = bound(s.to);
  defineLoopVar(ck, s);
  ck.loops.push({ name: s.variable, stmt: s, from, to });
  for (const b of s.body) stmt(ck, b);
  ck.loops.pop();
}

function assign(ck: CheckState, s: AssignStmt): void {
  const name = s.target.name;
  const cx: ExprCtx = { refs: new Set() };
  const t = expr(ck, s.value, cx);
  if (!defineCheck(ck, name, s.target.nameSpan)) return;
  const sym = addSymbol(ck, name, 'deterministic', t, 'none', s.target.nameSpan, { deps: cx.refs, wholeLine: s.span.start.line });
  sym.constant = [...cx.refs].every((r) => nonConstant(ck, r) === undefined);
}

function sample(ck: CheckState, s: SampleStmt): void {
  const name = s.target.name;
  const span = s.target.nameSpan;
  const cx: ExprCtx = { refs: new Set() };
  const d = dist(ck, s.dist, cx);
  const scope = ck.scope;
  if (scope.kind === 'model') {
    const data = ck.model.symbols.get(name);
    if (data && data.kind === 'data') {
      data.used = true;
      if (data.observedLine !== undefined) return ck.report(E.alreadyObserved(span, name, data.observedLine));
      if (data.elementwise) return ck.report(E.wholeAndElements(span, name, data.firstElementLine ?? data.line));
      data.observed = true;
      data.observedLine = s.span.start.line;
      if (s.type) ck.report(E.typeMismatch(s.type.span, `'${name}' is data; its type comes from its declaration (line ${data.line})`));
      if (s.dist.annotation) ck.report(E.annotationOnObserved(s.dist.annotation.span, name));
      if (d.family && d.value && data.type) checkValueAgainst(ck, name, span, data.type, d.family, d.value);
      truncation(ck, s, name, true, cx);
      ck.costDeps.push(cx.refs);
      if (d.family) scope.sites.push(site(ck, name, s, true, d.family, d.args, data.type ?? d.value));
      return;
    }
  }
  if (scope.kind === 'model' && ck.model.laterData.has(name) && !ck.model.symbols.has(name)) {
    ck.report(E.usedBeforeDefined(span, name, ck.model.laterData.get(name)!));
    ck.model.reported.add(name);
    return;
  }
  let type: Ty = d.value;
  if (d.family?.eventRank === 2 && !s.type) {
    ck.report(E.matrixFamilyUndeclared(span, name, d.family.name, supportConstraint(d.family.support)));
    // Defined without a type, so that its uses stay quiet.
    if (scope.kind === 'model' && defineCheck(ck, name, span)) addSymbol(ck, name, 'latent', undefined, 'none', span, { deps: cx.refs, family: d.family, wholeLine: s.span.start.line });
    return;
  }
  if (s.type) {
    const declared = declType(ck, s.type);
    if (declared && d.family && d.value) {
      // A matrix's shape is the declared one even when the type is refused, so its uses are not misread.
      const matrix = d.family.eventRank === 2 || isMatrixConstraint(baseOf(s.type).constraint);
      if (checkDeclared(ck, name, s.type, declared, d.family, d.value) || matrix) type = declared;
    } else type = declared;
  }
  if (d.family && type) type = { elem: d.family.discrete ? 'int' : 'real', shape: type.shape };
  if (scope.kind === 'guide') {
    if (!guideTarget(ck, name, span)) return;
    if (d.family && type) compareWithModel(ck, name, span, type, d.family);
  } else if (!defineCheck(ck, name, span)) return;
  if (d.family) annotation(ck, s.dist, name, d.family, false);
  truncation(ck, s, name, false, cx);
  const declaredConstraint = s.type && type ? baseOf(s.type).constraint : 'none';
  const narrowed = declaredConstraint === 'ordered' || declaredConstraint === 'positive-ordered';
  const constraint = narrowed ? declaredConstraint : d.family ? supportConstraint(d.family.support) : 'none';
  addSymbol(ck, name, 'latent', type, constraint, span, { deps: cx.refs, family: d.family, wholeLine: s.span.start.line });
  if (d.family && type) scope.sites.push(site(ck, name, s, false, d.family, d.args, type));
}

function element(ck: CheckState, s: ElementStmt, target: LValue): void {
  const name = target.name;
  const span = target.nameSpan;
  const scope = ck.scope;
  const isSample = s.kind === 'sample';
  // Indices: their types are recorded like any expression.
  const idxCx: ExprCtx = { refs: new Set() };
  for (const i of target.indices) {
    const t = expr(ck, i, idxCx);
    if (t && (t.elem === 'real' || t.shape.length)) ck.report(E.badIndexType(i.span, showTyped(t.elem, t.shape)));
  }
  const formOk = checkElementIndices(ck, target);
  const defs = scope.elements.get(name) ?? [];
  const me = defs.find((d) => d.stmt === s);
  const quiet = ck.loops.some((l) => ck.badLoops.has(l.stmt));
  if (formOk && !me?.box && !quiet) ck.report(E.elementLoopBound(target.span));
  if (!formOk || quiet) ck.quietElements.add(name);
  const rank = target.indices.length;
  const cx: ExprCtx = { refs: new Set(), defining: { name, indices: target.indices } };

  const data = scope.kind === 'model' ? ck.model.symbols.get(name) : undefined;
  if (data && data.kind === 'data') {
    // Observing data element by element.
    data.used = true;
    if (s.kind !== 'sample') return ck.report(E.notAssignable(span, name, `data (line ${data.line})`));
    if (data.observedLine !== undefined && !data.elementwise) return ck.report(E.alreadyObserved(span, name, data.observedLine));
    data.observed = true;
    data.elementwise = true;
    data.observedLine ??= s.span.start.line;
    data.firstElementLine ??= s.span.start.line;
    if (s.type) ck.report(E.typeMismatch(s.type.span, `'${name}' is data; its type comes from its declaration (line ${data.line})`));
    const d = dist(ck, s.dist, cx);
    if (d.family?.eventRank === 2) return ck.report(E.matrixFamilyElement(span, name, d.family.name));
    if (s.dist.annotation) ck.report(E.annotationOnObserved(s.dist.annotation.span, name));
    truncation(ck, s, name, true, cx);
    ck.costDeps.push(cx.refs);
    if (!data.type) return;
    if (rank > data.type.shape.length) return ck.report(E.elementRank(span, name, rank, showTyped(data.type.elem, data.type.shape)));
    const elemType: ValueType = { elem: data.type.elem, shape: data.type.shape.slice(rank) };
    if (d.family && d.value) checkValueAgainst(ck, ck.text(target.span), span, elemType, d.family, d.value);
    if (d.family) scope.sites.push(site(ck, name, s, true, d.family, d.args, data.type));
    return;
  }

  let sym = scope.symbols.get(name);
  if (sym && !sym.elementwise) {
    ck.report(E.wholeAndElements(span, name, sym.wholeLine ?? sym.line));
    return;
  }
  if (scope.kind === 'guide' && !sym && !guideTarget(ck, name, span)) {
    if (isSample) dist(ck, (s as SampleStmt).dist, cx);
    else expr(ck, (s as AssignStmt).value, cx);
    return;
  }
  if (scope.kind === 'guide' && !isSample && !sym) {
    // guideTarget accepted a model latent; assigning its elements in the guide is not sampling it.
    ck.report(E.notAssignable(span, name, 'a model latent; the guide must sample it'));
    return;
  }
  if (!sym && scope.kind === 'model' && !defineCheck(ck, name, span)) return;
  if (sym) {
    if (sym.elementKind !== (isSample ? 'sample' : 'assign')) ck.report(E.elementKinds(span, name, sym.firstElementLine ?? sym.line));
    if (sym.indexRank !== rank) ck.report(E.elementRank(span, name, rank, sym.type ? showTyped(sym.type.elem, sym.type.shape) : 'an array'));
  } else {
    // The whole array's shape comes from the index ranges of all its element definitions.
    const axes = elementShape(ck, name, defs, span);
    const elem: ElemType = isSample ? ((s as SampleStmt).dist && lookupFamily((s as SampleStmt).dist.family)?.discrete ? 'int' : 'real') : 'real';
    const fam = isSample ? lookupFamily((s as SampleStmt).dist.family) : undefined;
    sym = addSymbol(ck, name, isSample ? 'latent' : 'deterministic', axes ? { elem, shape: axes } : undefined, fam ? supportConstraint(fam.support) : 'none', span, {
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
    const d = dist(ck, s.dist, cx);
    if (d.family?.eventRank === 2) return ck.report(E.matrixFamilyElement(span, name, d.family.name));
    elemType = d.value;
    if (s.type) {
      const declared = declType(ck, s.type);
      if (declared && d.family && d.value) {
        if (checkDeclared(ck, ck.text(target.span), s.type, declared, d.family, d.value)) elemType = { elem: d.value.elem, shape: declared.shape };
      } else elemType = declared;
    }
    if (d.family) annotation(ck, s.dist, name, d.family, false);
    truncation(ck, s, name, false, cx);
    if (d.family && !sym.family) sym.family = d.family;
    else if (d.family && sym.family && !sameSupport(sym.family.support, d.family.support)) {
      ck.report(E.typeMismatch(s.dist.familySpan, `the elements of '${name}' must share one support: ${sym.family.name} gives ${supportWord(sym.family.support)}, ${d.family.name} gives ${supportWord(d.family.support)}`));
    }
    for (const r of cx.refs) sym.deps.add(r);
    if (elemType && axes && sym.type) setElementType(ck, sym, axes, elemType, s.span.start.line === sym.firstElementLine, span);
    if (scope.kind === 'guide' && elemType && sym.type && d.family && s.span.start.line === sym.firstElementLine) compareWithModel(ck, name, span, sym.type, d.family);
    if (d.family && sym.type) scope.sites.push(site(ck, name, s, false, d.family, d.args, sym.type));
  } else {
    elemType = expr(ck, s.value, cx);
    for (const r of cx.refs) sym.deps.add(r);
    if (elemType && axes && sym.type) setElementType(ck, sym, axes, elemType, s.span.start.line === sym.firstElementLine, span);
    sym.constant = [...sym.deps].every((r) => r === name || nonConstant(ck, r) === undefined);
  }
}

function setElementType(ck: CheckState, sym: Sym, axes: Dim[], t: ValueType, first: boolean, span: Span): void {
  if (!sym.type) return;
  if (first) {
    sym.type = { elem: sym.kind === 'latent' ? sym.type.elem : t.elem, shape: [...axes, ...t.shape] };
    return;
  }
  const prev = sym.type.shape.slice(axes.length);
  const same = prev.length === t.shape.length && prev.every((d, i) => relateDims(d, t.shape[i]!) !== 'different');
  if (!same) {
    ck.report(E.elementType(span, sym.name, showTyped(sym.type.elem, prev), showTyped(t.elem, t.shape)));
    return;
  }
  if (sym.kind === 'deterministic') sym.type.elem = joinElem(sym.type.elem, t.elem);
}

/** Indices are loop variables ± literals, or literals; each enclosing loop's variable appears once. */
function checkElementIndices(ck: CheckState, target: LValue): boolean {
  const seen = new Set<string>();
  let ok = true;
  for (const i of target.indices) {
    const a = affineSyntax(i);
    if (!a || (a.name !== undefined && !loopVar(ck, a.name))) {
      ck.report(E.elementIndexForm(i.span));
      ok = false;
      continue;
    }
    if (a.name !== undefined) {
      if (seen.has(a.name)) ck.report(E.elementRepeatedVar(i.span, a.name));
      seen.add(a.name);
    }
  }
  for (const l of ck.loops) {
    if (!seen.has(l.name) && target.indices.every((i) => affineSyntax(i) !== undefined)) {
      ck.report(E.elementMissingLoopVar(target.span, target.name, l.name));
      ok = false;
    }
  }
  return ok;
}

/** Per axis, the largest upper bound of all element boxes of `name` (named bounds beat literals). */
function elementShape(ck: CheckState, name: string, defs: ElementDef[], span: Span): Dim[] | undefined {
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
      ck.report(E.elementCoverage(span, `cannot tell the shape of '${name}': its elements on axis ${axis} run up to ${[...bases].join(' and ')}`));
      return undefined;
    }
    let best = pool[0]!;
    for (const h of pool) if (compareAffine(h, best)! > 0) best = h;
    out.push(dimOf(best));
  }
  return out;
}

export function finishElements(ck: CheckState, scope: Scope): void {
  for (const [name, defs] of scope.elements) {
    const sym = scope.kind === 'model' ? ck.model.symbols.get(name) : scope.symbols.get(name);
    if (!sym || !sym.elementwise || !sym.type || ck.quietElements.has(name)) continue;
    const boxes = defs.map((d) => d.box).filter((b): b is ElementBox => b !== undefined);
    if (boxes.length !== defs.length) continue;
    // Element boxes must use sizes the data binder knows: data and plates only.
    let ok = true;
    for (const d of defs) {
      for (const iv of d.box!.intervals) {
        for (const a of [iv.lo, iv.hi]) {
          if (a.name === undefined) continue;
          const s = ck.model.symbols.get(a.name);
          if (!s || (s.kind !== 'data' && s.kind !== 'plate')) ok = false;
        }
      }
    }
    if (!ok) {
      ck.report(E.elementLoopBound(defs[0]!.stmt.target.span));
      continue;
    }
    const rank = sym.indexRank ?? boxes[0]!.intervals.length;
    const shape = sym.type.shape.slice(0, rank);
    const requireFull = !(sym.kind === 'data');
    const res = analyseCoverage(name, shape.map(affineOf), boxes, requireFull, true);
    for (const p of res.problems) ck.report(E.elementCoverage(p.span, p.message));
    const symbolic = shape.some((d) => typeof d === 'string') || boxes.some((b) => b.intervals.some((iv) => iv.lo.name !== undefined || iv.hi.name !== undefined));
    if (!res.problems.length && (res.undecided || symbolic)) {
      ck.deferred.push({ kind: 'coverage', name, shape, boxes, requireFull, span: defs[0]!.stmt.target.span });
    }
  }
}
