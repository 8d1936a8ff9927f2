// Scopes and symbols of the checker: what a name means, where it was defined, and the
// pre-pass that finds every definition of a scope (for "used before it is defined") and the
// index boxes of element definitions (so an array's shape is known at its first element).

import type { Expr, Stmt } from './ast.js';
import type { SampleStmt, SiteInfo, SymbolInfo } from './checked.js';
import type { FamilySpec } from './distributions.js';
import { addAffine, type Affine, type ElementBox, type Interval } from './shapes.js';
import type { ValueType } from './types.js';

export type Ty = ValueType | undefined;
export type ScopeKind = 'model' | 'guide';
export type ForStmt = Extract<Stmt, { kind: 'for' }>;
export type AssignStmt = Extract<Stmt, { kind: 'assign' }>;
export type ElementStmt = AssignStmt | SampleStmt;

export interface Sym extends Omit<SymbolInfo, 'type'> {
  /** undefined after an error in its definition: uses are then silent. */
  type: Ty;
  line: number;
  /** Model-scope names its definition reads (distribution arguments for sites). */
  deps: Set<string>;
  /** Known before inference: data, plates, and definitions computed from them alone. */
  constant: boolean;
  used: boolean;
  /** The first site's family, for latents. */
  family?: FamilySpec;
  /** Element arrays: how the elements are defined, and how many leading axes the indices cover. */
  elementKind?: 'sample' | 'assign';
  indexRank?: number;
  firstElementLine?: number;
  wholeLine?: number;
  /** data only: the base type as written (for messages: "y is declared positive, …"). */
  declaredBase?: string;
  observedLine?: number;
}

/** One `x[i, j] …` statement found by the pre-pass, with the box of indices it defines. */
export interface ElementDef {
  stmt: ElementStmt;
  box?: ElementBox;
}

export interface Scope {
  kind: ScopeKind;
  symbols: Map<string, Sym>;
  /** Every name the scope defines somewhere, with its first line, for "used before it is defined". */
  later: Map<string, number>;
  /** Names declared `data` somewhere in the scope, so `y ~ …` above `data y` is not taken for a latent. */
  laterData: Map<string, number>;
  elements: Map<string, ElementDef[]>;
  reported: Set<string>;
  sites: SiteInfo[];
}

export interface Loop {
  name: string;
  stmt: ForStmt;
  from?: Affine;
  to?: Affine;
}

export interface ExprCtx {
  refs: Set<string>;
  /** Set while checking the right-hand side of an element definition. */
  defining?: { name: string; indices: Expr[] };
}


/** A literal number, possibly negated: used for axis arguments and compile-time domain checks. */
export function intLiteral(e: Expr): number | undefined {
  if (e.kind === 'num' && e.isInt) return e.value;
  if (e.kind === 'unary' && e.op === '-' && e.arg.kind === 'num' && e.arg.isInt) return -e.arg.value;
  return undefined;
}

/** name, literal, name ± literal, literal + name: the bound forms the element analysis understands. */
export function affineSyntax(e: Expr): Affine | undefined {
  const lit = intLiteral(e);
  if (lit !== undefined) return { k: lit };
  if (e.kind === 'var') return { name: e.name, k: 0 };
  if (e.kind === 'binary' && (e.op === '+' || e.op === '-')) {
    const l = affineSyntax(e.left);
    const r = affineSyntax(e.right);
    if (!l || !r) return undefined;
    if (r.name === undefined) return { name: l.name, k: e.op === '+' ? l.k + r.k : l.k - r.k };
    if (l.name === undefined && e.op === '+') return { name: r.name, k: l.k + r.k };
  }
  return undefined;
}

export function sameAffine(a: Affine | undefined, b: Affine | undefined): boolean {
  return !!a && !!b && a.name === b.name && a.k === b.k;
}


export function newScope(kind: ScopeKind): Scope {
  return { kind, symbols: new Map(), later: new Map(), laterData: new Map(), elements: new Map(), reported: new Set(), sites: [] };
}

export function toInfo(s: Sym): SymbolInfo {
  const info: SymbolInfo = { name: s.name, kind: s.kind, type: s.type ?? { elem: 'real', shape: [] }, constraint: s.constraint, span: s.span, scope: s.scope };
  if (s.observed) info.observed = true;
  if (s.elementwise) info.elementwise = true;
  if (s.defaultValue) info.defaultValue = s.defaultValue;
  if (s.init) info.init = s.init;
  return info;
}

/**
 * Records every name the scope defines (for "used before it is defined") and every element
 * definition with the box of indices it covers, so an array's shape is known at its first
 * element statement.
 */
export function prepass(scope: Scope, body: Stmt[], loops: ForStmt[]): void {
  const note = (name: string, line: number): void => {
    if (!scope.later.has(name)) scope.later.set(name, line);
  };
  for (const s of body) {
    switch (s.kind) {
      case 'data':
      case 'param':
      case 'plate':
        note(s.name, s.span.start.line);
        if (s.kind !== 'param' && !scope.laterData.has(s.name)) scope.laterData.set(s.name, s.span.start.line);
        break;
      case 'assign':
      case 'sample': {
        note(s.target.name, s.span.start.line);
        if (!s.target.indices.length) break;
        const list = scope.elements.get(s.target.name) ?? [];
        list.push({ stmt: s, box: boxOf(s, loops) });
        scope.elements.set(s.target.name, list);
        break;
      }
      case 'for':
        prepass(scope, s.body, [...loops, s]);
        break;
      default:
        break;
    }
  }
}

export function boxOf(s: ElementStmt, loops: ForStmt[]): ElementBox | undefined {
  const intervals: Interval[] = [];
  for (const i of s.target.indices) {
    const a = affineSyntax(i);
    if (!a) return undefined;
    if (a.name === undefined) {
      intervals.push({ lo: { k: a.k }, hi: { k: a.k + 1 } });
      continue;
    }
    let loop: ForStmt | undefined;
    for (let j = loops.length - 1; j >= 0 && !loop; j--) if (loops[j]!.variable === a.name) loop = loops[j];
    if (!loop) return undefined;
    const from = affineSyntax(loop.from);
    const to = affineSyntax(loop.to);
    if (!from || !to) return undefined;
    intervals.push({ lo: addAffine(from, a.k), hi: addAffine(to, a.k) });
  }
  return { intervals, span: s.target.span, line: s.span.start.line };
}
