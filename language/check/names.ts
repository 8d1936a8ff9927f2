// The checker's names and scopes: which symbol a name means where it is used (the scope, the
// model's data and plates seen from the guide, loop variables), reporting unknown and
// redefined names once each, and whether a name is known before inference (constant).

import type { SymbolKind } from '../checked.js';
import type { Span } from '../span.js';
import type { Constraint } from '../types.js';
import { didYouMean } from '../suggest.js';
import type { ForStmt, Loop, Sym, Ty } from '../scope.js';
import * as E from '../semantic-errors.js';
import type { CheckState } from './state.js';

/** Symbols visible by name: the current scope, and model data/plates from the guide. */
export function visible(ck: CheckState, name: string): Sym | undefined {
  const s = ck.scope.symbols.get(name);
  if (s) return s;
  if (ck.scope.kind === 'guide') {
    const m = ck.model.symbols.get(name);
    if (m && (m.kind === 'data' || m.kind === 'plate')) return m;
  }
  return undefined;
}

export function loopVar(ck: CheckState, name: string): Loop | undefined {
  for (let i = ck.loops.length - 1; i >= 0; i--) if (ck.loops[i]!.name === name) return ck.loops[i];
  return undefined;
}

function candidates(ck: CheckState): string[] {
  const names = [...ck.loops.map((l) => l.name), ...ck.scope.symbols.keys()];
  if (ck.scope.kind === 'guide') for (const [n, s] of ck.model.symbols) if (s.kind === 'data' || s.kind === 'plate') names.push(n);
  return names;
}

/** Reports an unresolved name once per scope, with the most useful reason. */
export function unresolved(ck: CheckState, name: string, span: Span): void {
  if (ck.scope.reported.has(name)) return;
  ck.scope.reported.add(name);
  if (ck.scope.kind === 'guide') {
    const m = ck.model.symbols.get(name);
    if (m) {
      if (m.kind === 'latent') {
        const why = ck.scope.later.has(name) ? 'it is a model latent, and the guide samples it only further down' : 'it is a model latent, and the guide does not sample it';
        ck.report(E.guideHidden(span, name, why));
      } else ck.report(E.guideHidden(span, name, `it is a model ${m.kind === 'deterministic' ? 'deterministic' : m.kind}; the guide sees only data, plates and its own names`));
      return;
    }
  }
  const later = ck.scope.later.get(name);
  if (later !== undefined) {
    ck.report(E.usedBeforeDefined(span, name, later));
    return;
  }
  const modelLine = ck.inFunction !== undefined ? ck.outside?.(name) : undefined;
  if (modelLine !== undefined) {
    ck.report(E.impureRead(span, ck.inFunction!, name, modelLine));
    return;
  }
  ck.report(E.unknownName(span, name, didYouMean(name, candidates(ck))));
}

export function defineCheck(ck: CheckState, name: string, span: Span): boolean {
  const existing = ck.scope.symbols.get(name) ?? (ck.scope.kind === 'guide' ? ck.model.symbols.get(name) : undefined);
  const loop = loopVar(ck, name);
  if (loop) {
    ck.report(E.redefinition(span, name, loop.stmt.span.start.line, '; it is a loop variable'));
    return false;
  }
  if (existing) {
    const where = existing.scope !== ck.scope.kind ? ' in the model' : '';
    ck.report(E.redefinition(span, name, existing.line, where));
    return false;
  }
  return true;
}

export function addSymbol(ck: CheckState, name: string, kind: SymbolKind, type: Ty, constraint: Constraint, span: Span, extra: Partial<Sym> = {}): Sym {
  const sym: Sym = { name, kind, type, constraint, span, scope: ck.scope.kind, line: span.start.line, deps: new Set(), constant: false, used: false, ...extra };
  ck.scope.symbols.set(name, sym);
  return sym;
}

/** Why a name cannot be known before inference, or undefined when it can. */
export function nonConstant(ck: CheckState, name: string, seen = new Set<string>()): string | undefined {
  if (loopVar(ck, name)) return undefined;
  const s = visible(ck, name);
  if (!s) return undefined;
  if (s.kind === 'data' || s.kind === 'plate') return undefined;
  if (s.kind === 'latent') return 'is a random variable';
  if (s.kind === 'param') return 'is a param, learned during fitting';
  if (s.constant) return undefined;
  if (seen.has(name)) return undefined;
  seen.add(name);
  for (const d of s.deps) {
    const why = nonConstant(ck, d, seen);
    if (why) {
      const dep = visible(ck, d);
      return dep?.kind === 'latent' ? `depends on the random variable '${d}'` : dep?.kind === 'param' ? `depends on the param '${d}'` : why;
    }
  }
  return undefined;
}

export function requireConstant(ck: CheckState, refs: Set<string>, span: Span, what: 'loop' | string): void {
  for (const r of refs) {
    const why = nonConstant(ck, r);
    if (!why) continue;
    if (what === 'loop') ck.report(E.loopBoundRandom(span, r, why));
    else {
      const s = visible(ck, r)!;
      const kind = s.kind === 'latent' ? 'a random variable' : s.kind === 'param' ? 'a param' : `a deterministic that ${why}`;
      ck.report(E.notConstant(span, what, r, kind));
    }
    return;
  }
}

export function defineLoopVar(ck: CheckState, s: ForStmt): void {
  const outer = loopVar(ck, s.variable);
  if (outer) ck.report(E.redefinition(s.variableSpan, s.variable, outer.stmt.span.start.line, '; it is the variable of an enclosing loop'));
  else {
    const sym = visible(ck, s.variable) ?? (ck.scope.kind === 'guide' ? ck.model.symbols.get(s.variable) : undefined);
    const laterLine = ck.scope.later.get(s.variable);
    if (sym) ck.report(E.redefinition(s.variableSpan, s.variable, sym.line, '; loop variables need fresh names'));
    else if (laterLine !== undefined) ck.report(E.redefinition(s.variableSpan, s.variable, laterLine, ' further down; loop variables need fresh names'));
  }
}

/** Guide sites must name a model latent, once. */
export function guideTarget(ck: CheckState, name: string, span: Span): boolean {
  const m = ck.model.symbols.get(name);
  const own = ck.scope.symbols.get(name);
  if (!m) {
    const latents = [...ck.model.symbols.values()].filter((x) => x.kind === 'latent').map((x) => x.name);
    ck.report(E.guideNotLatent(span, name, `the model has no latent '${name}'${didYouMean(name, latents)}`));
    return false;
  }
  if (m.kind !== 'latent') {
    const what = m.kind === 'data' || m.kind === 'plate' ? `'${name}' is data (line ${m.line})` : `'${name}' is a model ${m.kind} (line ${m.line}), not a latent`;
    ck.report(E.guideNotLatent(span, name, what));
    return false;
  }
  if (own) {
    ck.report(E.redefinition(span, name, own.line, own.kind === 'latent' ? ' in the guide; a guide samples each latent once' : ''));
    return false;
  }
  return true;
}
