// The checker's distributions and modes: arguments resolved against the family table, the
// value type a family gives, declared and observed types against it, estimator annotations,
// guide sites against the model's, and the program's mode with the warnings that depend on it.

import type { Arg, DistExpr, Expr, TypeExpr } from '../ast.js';
import type { Mode, SampleStmt, SiteInfo } from '../checked.js';
import { ESTIMATORS, FAMILY_NAMES, family as lookupFamily } from '../distributions.js';
import type { EstimatorName, FamilySpec, Support } from '../distributions.js';
import { broadcastShapes, relateDims, showTyped } from '../shapes.js';
import type { DimPair } from '../shapes.js';
import type { Span } from '../span.js';
import { isMatrixConstraint, showDim } from '../types.js';
import type { Constraint, Dim, ValueType } from '../types.js';
import { didYouMean } from '../suggest.js';
import type { ExprCtx } from '../scope.js';
import * as E from '../semantic-errors.js';
import { constantNumber } from '../constants.js';
import type { CheckState } from './state.js';
import { checkShapeFits, expr, baseOf } from './types.js';

export function supportConstraint(s: Support): Constraint {
  switch (s.kind) {
    case 'positive':
      return 'positive';
    case 'unit':
      return 'unit';
    case 'simplex':
      return 'simplex';
    case 'cholesky_factor_corr':
    case 'cholesky_factor_cov':
    case 'corr_matrix':
    case 'cov_matrix':
      return s.kind;
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

export function sameSupport(a: Support, b: Support): boolean {
  return a.kind === b.kind;
}

/** Two dimensions that must be equal: checked against the data when they are different names. */
function deferEqual(ck: CheckState, a: Dim, b: Dim, what: string, span: Span): void {
  if (relateDims(a, b) === 'unknown') ck.defer([{ a, b, allowOne: false }], what, span);
}

export function dist(ck: CheckState, d: DistExpr, cx: ExprCtx): { family?: FamilySpec; args: Record<string, Expr>; value?: ValueType } {
  const fam = lookupFamily(d.family);
  const args: Record<string, Expr> = {};
  if (!fam) {
    ck.report(E.unknownDistribution(d.familySpan, d.family, didYouMean(d.family, FAMILY_NAMES)));
    for (const a of d.args) expr(ck, a.value, cx);
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
        ck.report(E.unknownArgument(a.nameSpan ?? a.span, fam.name, a.name, didYouMean(a.name, fam.params.map((p) => p.name)), paramList));
        ok = false;
        continue;
      }
      pname = a.name;
    }
    const slot = slotOf(pname)!;
    const clash = slot.find((n) => given.has(n));
    if (clash === pname) {
      ck.report(E.duplicateArgument(a.span, fam.name, pname));
      ok = false;
      continue;
    }
    if (clash) {
      ck.report(E.exclusiveArguments(a.span, fam.name, clash, pname));
      ok = false;
      continue;
    }
    given.set(pname, a);
  }
  if (positional > slots.length) {
    const extra = d.args.filter((a) => a.name === undefined)[slots.length]!;
    const shown = slots.map((s) => s.join(' | ')).join(', ');
    ck.report(E.distributionArity(extra.span, fam.name, shown, slots.length, positional));
    ok = false;
  }
  for (const s of slots) {
    if (!s.some((n) => given.has(n))) {
      ck.report(E.missingArgument(d.span, fam.name, s.length > 1 ? s.map((n) => `'${n}'`).join(' or ') : `'${s[0]}'`));
      ok = false;
    }
  }
  // Check every argument's expression, even the rejected ones, so their errors show too.
  let batch: Dim[] | undefined = [];
  let event: Dim[] = [];
  let eventDesc = '';
  let prevDesc = '';
  for (const a of d.args) {
    const t = expr(ck, a.value, cx);
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
      ck.report(E.argumentType(a.value.span, fam.name, pname, 'an int', showTyped(t.elem, t.shape)));
      ok = false;
    }
    const v = constantNumber(a.value);
    if (v !== undefined && !typeBad) {
      const bad =
        (spec.constraint === 'positive' && !(v > 0) && `positive`) ||
        (spec.constraint === 'unit' && !(v >= 0 && v <= 1) && 'between 0 and 1') ||
        (spec.constraint === 'count' && !(v >= 0 && Number.isInteger(v)) && 'a non-negative int');
      if (bad) {
        ck.report(E.argumentDomain(a.value.span, fam.name, pname, bad, v));
        ok = false;
      }
    }
    if (spec.constraint === 'ordered' && a.value.kind === 'array') {
      const vs = a.value.elements.map(constantNumber);
      const at = vs.findIndex((v, i) => i > 0 && v !== undefined && vs[i - 1] !== undefined && !(v > vs[i - 1]!));
      if (at > 0) {
        ck.report(E.argumentOrder(a.value.elements[at]!.span, fam.name, pname, at, vs[at]!, vs[at - 1]!));
        ok = false;
      }
    }
    if (spec.constraint === 'simplex' && a.value.kind === 'array') {
      const vs = a.value.elements.map(constantNumber);
      const total = vs.reduce<number>((p, v) => p + (v ?? NaN), 0);
      if (vs.every((v) => v !== undefined) && Math.abs(total - 1) > 1e-6) {
        ck.report(E.argumentDomain(a.value.span, fam.name, pname, 'a simplex (summing to one)', Math.round(total * 1e6) / 1e6));
        ok = false;
      }
    }
    let shape = t.shape;
    // Trailing dimensions that are not batch: the event (Dirichlet's K) and the extra one
    // (Categorical's K, the second K of MultiNormal's cov [K, K]). A matrix family's K×K event
    // comes from the declared type, not its arguments (LKJ's eta is a scalar).
    const trailing = (fam.eventRank === 1 ? 1 : 0) + spec.extraRank;
    if (trailing > 0) {
      const bad = shape.length < trailing || (spec.square === true && relateDims(shape[shape.length - 2]!, shape[shape.length - 1]!) === 'different');
      if (bad) {
        const got = showTyped(t.elem, t.shape);
        ck.report(spec.square ? E.argumentMatrix(a.value.span, fam.name, pname, got) : E.argumentRank(a.value.span, fam.name, pname, got));
        ok = false;
        batch = undefined;
        continue;
      }
      if (spec.square) deferEqual(ck, shape[shape.length - 2]!, shape[shape.length - 1]!, `${pname} of ${fam.name}`, a.value.span);
      if (fam.eventRank === 1) {
        const k = shape[shape.length - 1]!;
        if (event.length && relateDims(event[0]!, k) === 'different') {
          ck.report(E.eventMismatch(a.value.span, fam.name, eventDesc, `${pname} is ${showTyped(t.elem, t.shape)}`));
          ok = false;
          batch = undefined;
          continue;
        }
        if (event.length) deferEqual(ck, event[0]!, k, `the event size of ${fam.name}`, a.value.span);
        else {
          event = [k];
          eventDesc = `${pname} is ${showTyped(t.elem, t.shape)}`;
        }
      }
      shape = shape.slice(0, shape.length - trailing);
    }
    if (batch) {
      const b = broadcastShapes(batch, shape);
      const desc = `${pname} is ${showTyped(t.elem, t.shape)}`;
      if (!b.ok) {
        ck.report(E.broadcastMismatch(a.value.span, `the arguments of ${fam.name}`, prevDesc, desc));
        ok = false;
        batch = undefined;
      } else {
        ck.defer(b.deferred, `the arguments of ${fam.name}`, a.value.span);
        batch = b.shape;
        prevDesc = desc;
      }
    }
  }
  if (ok && batch && fam.eventRank === 2 && batch.length) {
    const [pname, a] = [...given][0]!;
    ck.report(E.matrixFamilyBatch(a.value.span, fam.name, pname, showTyped('real', batch)));
    ok = false;
  }
  if (!ok || !batch) return { family: fam, args };
  return { family: fam, args, value: { elem: fam.discrete ? 'int' : 'real', shape: [...batch, ...event] } };
}

export function annotation(ck: CheckState, d: DistExpr, name: string, fam: FamilySpec, observed: boolean): EstimatorName | undefined {
  const a = d.annotation;
  if (!a) return undefined;
  if (!(ESTIMATORS as readonly string[]).includes(a.name)) {
    ck.report(E.unknownAnnotation(a.span, a.name, didYouMean(a.name, ESTIMATORS), ESTIMATORS.map((x) => '@' + x).join(', ')));
    return undefined;
  }
  if (observed) {
    ck.report(E.annotationOnObserved(a.span, name));
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
    ck.report(E.annotationInapplicable(a.span, est, name, why));
    return undefined;
  }
  return est;
}

export function site(ck: CheckState, name: string, stmt: SampleStmt, observed: boolean, fam: FamilySpec, args: Record<string, Expr>, type: ValueType | undefined): SiteInfo {
  const info: SiteInfo = {
    name,
    stmt,
    scope: ck.scope.kind,
    observed,
    family: fam,
    args,
    type: type ?? { elem: fam.discrete ? 'int' : 'real', shape: [] },
    loopVars: ck.loops.map((l) => l.name),
  };
  const ann = stmt.dist.annotation;
  if (ann && (ESTIMATORS as readonly string[]).includes(ann.name) && !observed) info.annotation = ann.name as EstimatorName;
  return info;
}

/** A declared type on a latent: the family's value type must fit it. Returns whether it does. */
export function checkDeclared(ck: CheckState, name: string, t: TypeExpr, declared: ValueType, fam: FamilySpec, value: ValueType): boolean {
  const { constraint } = baseOf(t);
  if (fam.discrete && t.base !== 'int') {
    ck.report(E.declaredSupport(t.span, name, t.base, fam.name, 'int'));
    return false;
  }
  if (!fam.discrete) {
    if (t.base === 'int' || t.base === 'bool') {
      ck.report(E.declaredSupport(t.span, name, t.base, fam.name, 'real'));
      return false;
    }
    if (constraint === 'ordered' || constraint === 'positive-ordered') {
      // The declared type narrows the family's support: its bijector replaces the family's.
      const within = constraint === 'ordered' ? 'real' : 'positive';
      if (fam.support.kind !== within) {
        const hint = within === 'real' && fam.support.kind === 'positive' ? '; use positive_ordered for a positive family' : within === 'positive' && fam.support.kind === 'real' ? '; use ordered for a real-valued family' : '';
        ck.report(E.orderedSupport(t.span, name, ck.text(t.span), fam.name, supportWord(fam.support), within, hint));
        return false;
      }
      return checkShapeFits(ck, name, t.span, declared, fam, value, 'declared');
    }
    const sc = supportConstraint(fam.support);
    if (isMatrixConstraint(sc) || isMatrixConstraint(constraint)) {
      if (constraint === sc) return true; // declType made it K×K; the family adds no shape of its own
      const got = isMatrixConstraint(constraint) ? `${t.base}[${showDim(declared.shape[0]!)}]` : showTyped(declared.elem, declared.shape);
      if (isMatrixConstraint(sc)) ck.report(E.matrixFamilyType(t.span, name, fam.name, sc, got));
      else ck.report(E.declaredSupport(t.span, name, t.base, fam.name, fam.support.kind));
      return false;
    }
    const fits = constraint === 'none' || constraint === sc || (constraint === 'positive' && sc === 'unit');
    if (!fits) {
      ck.report(E.declaredSupport(t.span, name, t.base, fam.name, fam.support.kind));
      return false;
    }
  }
  return checkShapeFits(ck, name, t.span, declared, fam, value, 'declared');
}

/** Observed data (or an element of it) against the family's values. */
export function checkValueAgainst(ck: CheckState, name: string, span: Span, dataType: ValueType, fam: FamilySpec, value: ValueType): void {
  const sym = ck.model.symbols.get(name.replace(/\[.*$/, ''));
  if (fam.discrete && dataType.elem === 'real') {
    ck.report(E.declaredSupport(span, name, sym?.declaredBase ?? 'real', fam.name, 'int'));
    return;
  }
  const sc = supportConstraint(fam.support);
  if (isMatrixConstraint(sc)) {
    // Observed matrices are checked against their type when the data is loaded.
    const base = sym?.declaredBase;
    const got = base && isMatrixConstraint(base) ? `${base}[${showDim(dataType.shape[0]!)}]` : showTyped(base ?? dataType.elem, dataType.shape);
    if (sym?.constraint !== sc) ck.report(E.matrixFamilyType(span, name, fam.name, sc, got));
    return;
  }
  checkShapeFits(ck, name, span, dataType, fam, value, 'declared');
}

export function compareWithModel(ck: CheckState, name: string, span: Span, type: ValueType, fam: FamilySpec): void {
  const m = ck.model.symbols.get(name);
  if (!m || !m.family || !m.type) return;
  if (m.constraint === 'ordered' || m.constraint === 'positive-ordered') {
    ck.report(E.guideOrdered(span, name, m.constraint === 'ordered' ? 'ordered' : 'positive_ordered'));
    return;
  }
  if (!sameSupport(m.family.support, fam.support)) {
    ck.report(E.guideSupport(span, name, supportWord(m.family.support), m.family.name, fam.name, supportWord(fam.support)));
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
  if (!same) ck.report(E.guideShape(span, name, showTyped(type.elem, type.shape), showTyped(mt.elem, mt.shape)));
  else ck.defer(pairs, `the guide for '${name}'`, span);
}

export function decideMode(ck: CheckState): Mode {
  const obs = ck.model.sites.find((s) => s.observed);
  const obj = ck.objectives[0];
  const tgt = ck.targets[0];
  if (obs && obj) {
    ck.report(E.modeConflict(obj.span, obs.name, obs.stmt.span.start.line, obj.span.start.line));
    return 'inference';
  }
  if (tgt && obj) {
    ck.report(E.targetModeConflict(obj.span, tgt.span.start.line, obj.span.start.line));
    return 'inference';
  }
  // A target term is a log-likelihood term like an observation's.
  if (obs || tgt) return 'inference';
  if (obj) return 'optimisation';
  ck.report(E.priorMode(ck.program.body[0]?.span ?? ck.program.span));
  return 'prior';
}

export function warnUnused(ck: CheckState, mode: Mode): void {
  // After an error, "never used" is usually an echo of it (an unknown name hid the use).
  if (ck.diags.some((d) => d.severity === 'error')) return;
  for (const s of ck.model.symbols.values()) {
    if (s.kind === 'data' && !s.used) ck.report(E.unusedData(s.span, s.name));
  }
  if (mode !== 'inference') return;
  const reached = new Set<string>();
  const stack = ck.costDeps.flatMap((d) => [...d]);
  while (stack.length) {
    const n = stack.pop()!;
    if (reached.has(n)) continue;
    reached.add(n);
    const s = ck.model.symbols.get(n);
    if (s) stack.push(...s.deps);
  }
  for (const s of ck.model.symbols.values()) {
    if (s.kind === 'latent' && !reached.has(s.name)) ck.report(E.unusedLatent(s.span, s.name));
  }
}
