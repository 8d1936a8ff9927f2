// Runs a checked program's statements over all particles at once. What happens
// at a sample site, an observation, a param or an objective is decided by the
// caller's handlers (the guide, the objective, prediction each bring their own),
// in the spirit of Pyro's effect handlers: this module only knows the language.
//
// A `for` loop whose iterations are independent (inference/loops.ts) runs once
// with its variable bound to the vector of all its indices: every value that
// depends on it carries one row per iteration on an extra axis after the
// particle axis ([P, L, ...logical], a Batched value), like a plate. Loops the
// analysis rejects are unrolled, one pass of the body per iteration.

import type { DistExpr, Expr, IndexItem, LValue, Stmt } from '../language/ast.js';
import type { SiteInfo } from '../language/checked.js';
import type { Span } from '../language/span.js';
import type { Dim } from '../language/types.js';
import { EvalError } from '../language/errors.js';
import { tf } from './backend.js';
import { makeDistribution, type Distribution, type Params } from './distributions/index.js';
import { callBuiltin } from './functions.js';
import { densityFunction } from '../language/density-functions.js';
import { callDensity, LOWER, siteDistribution, UPPER } from './density-calls.js';
import { checkTruncatedData } from './truncation.js';
import { varRefs } from './graph.js';
import { hoistable, loopDecision } from './loops.js';
import * as ops from './ops.js';
import { aligned, hard, logicalRank, padRank, Soft, toTensor, type Val } from './values.js';

// Defined with the other errors (language/errors.ts); the engine's modules import it from here.
export { EvalError };

export interface SiteEvent {
  site: SiteInfo;
  /** Concrete indices for an element site (`z[t]` at t = 3 → [3]); [] for a whole-array site. */
  element: number[];
  /** Concrete logical shape of this draw (the element's shape for element sites). */
  shape: number[];
  dist: Distribution;
  params: Params;
  /**
   * A vectorised observation (a loop run over all its iterations at once): the element indices of
   * each row; `shape` then starts with the number of rows, and `element` is [].
   */
  rows?: number[][];
}

export interface Handlers {
  /** A latent site: returns its value, shape [P, ...shape] (or a relaxed value). */
  sample(ev: SiteEvent): tf.Tensor | Soft;
  /** An observed site with its data value. */
  observe(ev: SiteEvent, value: tf.Tensor): void;
  /** `minimize` (sign 1) / `maximize` (sign −1) term. */
  objective?(value: Val, sign: 1 | -1, span: Span): void;
  /** A `target += e` / `factor(e)` term: e is added, summed over its shape, to the log density. */
  factor?(value: Val, stmt: Extract<Stmt, { kind: 'target' }>): void;
  /** The value of a `param`, shape [1, ...declared shape]. */
  param(name: string): tf.Tensor;
}

/** Elements written all at once by a vectorised loop: row l of `value` ([P, L, ...]) is element flats[l]. */
interface Block {
  flats: number[];
  value: tf.Tensor | Soft;
}

/** An element that lives in a block until it is read on its own. */
interface BlockRow {
  block: Block;
  row: number;
}

/** Arrays defined element by element, assembled on demand. */
interface ElementArray {
  shape: number[];
  /** How many leading axes the element statements index; the rest of the shape lives inside each item. */
  depth: number;
  items: Map<number, tf.Tensor | Soft | BlockRow>;
  assembled?: tf.Tensor | Soft;
}

/**
 * A value inside a vectorised loop: axis 1 holds one row per iteration ([P, L, ...logical]).
 * `known` holds the rows' values when they are integers known before inference (the loop
 * variable, `t - 1`): indexing by them becomes a slice or a constant gather.
 */
class Batched {
  constructor(
    readonly value: tf.Tensor | Soft,
    readonly known?: number[],
  ) {}
  get particles(): number {
    return particlesOf(this.value);
  }
  get rows(): number {
    return this.value.shape[1]!;
  }
}

type BVal = Val | Batched;

/** A constant known before inference (values.ts's isConst, widened to batched values). */
function isConst(v: BVal): v is number {
  return typeof v === 'number';
}

/** An index position, evaluated. */
type IndexVal = { kind: 'at'; v: BVal; span: Span } | { kind: 'slice'; lo: number; hi?: number; span: Span };

/** The loop running vectorised: its variable and first index (for error messages). */
interface BatchContext {
  variable: string;
  from: number;
  rows: number;
}

export interface RunOptions {
  /** Resolved sizes of symbolic dimensions (data ints and plates). */
  sizes: Map<string, number>;
  /** Site lookup by statement node. */
  siteOf: Map<Stmt, SiteInfo>;
  /** Symbolic shapes of elementwise-defined arrays. */
  elementShapes: Map<string, Dim[]>;
  /** 'unroll' runs every loop one iteration at a time (the reference the vectorised path is tested against). */
  loops?: 'auto' | 'unroll';
}

export function resolveShape(shape: readonly Dim[], sizes: Map<string, number>): number[] {
  return shape.map((d) => {
    if (typeof d === 'number') return d;
    const n = sizes.get(d);
    if (n === undefined) throw new Error(`dimension '${d}' has no size`);
    return n;
  });
}

export class Interpreter {
  readonly env = new Map<string, Val>();
  private readonly elements = new Map<string, ElementArray>();
  /** Values that vary along the vectorised loop: its variable and plain definitions in its body. */
  private readonly locals = new Map<string, Batched>();
  private batch?: BatchContext;
  /** Values of hoisted subexpressions of the unrolled loops running now, one row per iteration. */
  private hoisted: { values: Map<Expr, BVal>; variable: string; from: number }[] = [];

  /** Names bound before the run (the data) and the loop variables in scope: what truncation bounds may be checked from. */
  private readonly dataNames: Set<string>;
  private readonly loopVars = new Set<string>();

  constructor(
    private readonly opts: RunOptions,
    private readonly handlers: Handlers,
    private readonly dataEnv: Map<string, Val>,
  ) {
    for (const [k, v] of dataEnv) this.env.set(k, v);
    this.dataNames = new Set(dataEnv.keys());
  }

  run(body: readonly Stmt[]): void {
    for (const s of body) this.exec(s);
  }

  /** The current value of a name, assembling element arrays. */
  lookup(name: string, span: Span): Val {
    const v = this.env.get(name);
    if (v !== undefined) return v;
    const arr = this.elements.get(name);
    if (arr) return this.assemble(name, arr, span);
    throw new EvalError(`'${name}' has no value here`, span);
  }

  private exec(s: Stmt): void {
    switch (s.kind) {
      case 'data':
      case 'plate':
        return; // bound before the run
      case 'param':
        this.env.set(s.name, this.handlers.param(s.name));
        return;
      case 'assign': {
        const v = this.ev(s.value);
        this.define(s.target, v);
        return;
      }
      case 'sample':
        return this.sample(s);
      case 'for': {
        const from = this.constIntOf(s.from, 'loop bound');
        const to = this.constIntOf(s.to, 'loop bound');
        this.loopVars.add(s.variable);
        let hoisted = false;
        if (to - from >= 2 && !this.batch && this.opts.loops !== 'unroll') {
          const isObserved = (st: Stmt) => this.opts.siteOf.get(st)?.observed ?? false;
          if (loopDecision(s, isObserved).kind === 'vectorised') return this.vectorised(s, from, to);
          hoisted = this.hoist(s, from, to, hoistable(s, isObserved));
        }
        try {
          for (let i = from; i < to; i++) {
            this.env.set(s.variable, i);
            this.run(s.body);
          }
        } finally {
          if (hoisted) this.hoisted.pop();
        }
        this.env.delete(s.variable);
        return;
      }
      case 'objective': {
        const v = this.ev(s.expr);
        this.handlers.objective?.(v instanceof Batched ? v.value : v, s.direction === 'minimize' ? 1 : -1, s.span);
        return;
      }
      case 'guide':
        return; // the guide runs in its own interpreter
      case 'target': {
        if (!this.handlers.factor) throw new EvalError(`'${s.form === 'factor' ? 'factor(…)' : 'target +='}' cannot run here: it adds to a model's log density`, s.span);
        const v = this.ev(s.expr);
        this.handlers.factor(v instanceof Batched ? v.value : v, s);
        return;
      }
    }
  }

  /** One pass of the body over all iterations: the variable is the vector of indices [from, to). */
  private vectorised(s: Extract<Stmt, { kind: 'for' }>, from: number, to: number): void {
    const idx = Array.from({ length: to - from }, (_, i) => from + i);
    this.batch = { variable: s.variable, from, rows: idx.length };
    this.locals.set(s.variable, new Batched(tf.tensor2d(idx, [1, idx.length]), idx));
    try {
      this.run(s.body);
    } finally {
      this.batch = undefined;
      this.locals.delete(s.variable);
    }
    // Plain definitions in the body keep the last iteration's value, as the unrolled loop leaves them.
    for (const [name, v] of this.locals) this.env.set(name, rowOf(v.value, idx.length - 1));
    this.locals.clear();
  }

  /**
   * Evaluate an unrolled loop's hoistable subexpressions over all iterations at once (as a
   * vectorised loop would); each iteration then reads its row. If that fails the loop simply
   * runs without them, and reports its own error at the iteration where it happens.
   */
  private hoist(s: Extract<Stmt, { kind: 'for' }>, from: number, to: number, exprs: Expr[]): boolean {
    if (!exprs.length) return false;
    const idx = Array.from({ length: to - from }, (_, i) => from + i);
    const values = new Map<Expr, BVal>();
    this.batch = { variable: s.variable, from, rows: idx.length };
    this.locals.set(s.variable, new Batched(tf.tensor2d(idx, [1, idx.length]), idx));
    try {
      for (const e of exprs) values.set(e, this.ev(e));
    } catch {
      // Whatever went wrong is reported, if it is real, by the iteration that meets it.
      return false;
    } finally {
      this.batch = undefined;
      this.locals.delete(s.variable);
    }
    this.hoisted.push({ values, variable: s.variable, from });
    return true;
  }

  /** This iteration's row of a hoisted value. */
  private hoistedValue(e: Expr): BVal | undefined {
    for (let k = this.hoisted.length - 1; k >= 0; k--) {
      const h = this.hoisted[k]!;
      const v = h.values.get(e);
      if (v === undefined) continue;
      if (!(v instanceof Batched)) return v;
      const l = (this.env.get(h.variable) as number) - h.from;
      return v.known ? v.known[l]! : rowOf(v.value, l);
    }
    return undefined;
  }

  private constIntOf(e: Expr, what: string): number {
    const v = this.ev(e);
    if (!isConst(v) || !Number.isInteger(v)) throw new EvalError(`${what} must be an integer known from the data`, e.span);
    return v;
  }

  private indicesOf(target: LValue): number[] {
    return target.indices.map((e) => this.constIntOf(e, 'an element index'));
  }

  /** Element indices of a target inside a vectorised loop, one tuple per row. */
  private rowIndices(target: LValue): number[][] | undefined {
    if (!this.batch) return undefined;
    const vals = target.indices.map((e) => {
      const v = this.ev(e);
      if (v instanceof Batched && v.known) return v.known;
      if (isConst(v) && Number.isInteger(v)) return v;
      throw new EvalError('an element index must be an integer known from the data', e.span);
    });
    if (vals.every((v) => typeof v === 'number')) return undefined;
    return Array.from({ length: this.batch.rows }, (_, l) => vals.map((v) => (typeof v === 'number' ? v : v[l]!)));
  }

  private elementArray(name: string, span: Span, depth: number): ElementArray {
    let arr = this.elements.get(name);
    if (!arr) {
      const sym = this.opts.elementShapes.get(name);
      if (!sym) throw new EvalError(`'${name}' is not an array defined element by element`, span);
      arr = { shape: resolveShape(sym, this.opts.sizes), depth, items: new Map() };
      this.elements.set(name, arr);
    }
    return arr;
  }

  private flatIndex(arr: ElementArray, idx: number[], name: string, span: Span): number {
    let flat = 0;
    for (let k = 0; k < idx.length; k++) {
      const n = arr.shape[k]!;
      if (idx[k]! < 0 || idx[k]! >= n) throw new EvalError(`index ${idx[k]} is out of bounds for '${name}' (dimension ${k} has size ${n})`, span);
      flat = flat * n + idx[k]!;
    }
    return flat;
  }

  /** " (when t = 7)" inside a vectorised loop, so an error names the iteration as the unrolled loop would. */
  private when(row: number): string {
    if (!this.batch) return '';
    return ` (when ${this.batch.variable} = ${this.batch.from + row})`;
  }

  /** One element, taken out of its block on first use. */
  private item(arr: ElementArray, flat: number): tf.Tensor | Soft | undefined {
    const it = arr.items.get(flat);
    if (it === undefined || it instanceof Soft || it instanceof tf.Tensor) return it;
    const v = rowOf(it.block.value, it.row);
    arr.items.set(flat, v);
    return v;
  }

  private define(target: LValue, v: BVal): void {
    if (target.indices.length === 0) {
      if (v instanceof Batched) this.locals.set(target.name, v);
      else this.env.set(target.name, v);
      return;
    }
    const rows = this.rowIndices(target);
    if (rows) return this.defineRows(target, rows, v);
    if (v instanceof Batched) throw new EvalError(`internal: a vectorised value written to one element of '${target.name}'`, target.span);
    if (v instanceof Soft) {
      const arr = this.elementArray(target.name, target.span, target.indices.length);
      const flat = this.flatIndex(arr, this.indicesOf(target), target.name, target.span);
      arr.items.set(flat, v);
      arr.assembled = undefined;
      return;
    }
    const arr = this.elementArray(target.name, target.span, target.indices.length);
    const flat = this.flatIndex(arr, this.indicesOf(target), target.name, target.span);
    if (arr.items.has(flat)) throw new EvalError(`element ${target.name}[${this.indicesOf(target).join(', ')}] is defined twice`, target.span);
    const elemShape = arr.shape.slice(target.indices.length);
    arr.items.set(flat, this.fitShape(v, elemShape, target.span));
    arr.assembled = undefined;
  }

  /** Elements written by a vectorised loop: one block, row l at the element rows[l]. */
  private defineRows(target: LValue, rows: number[][], v: BVal): void {
    const arr = this.elementArray(target.name, target.span, target.indices.length);
    const flats = rows.map((idx, l) => {
      try {
        return this.flatIndex(arr, idx, target.name, target.span);
      } catch (e) {
        if (e instanceof EvalError) throw new EvalError(`${e.message}${this.when(l)}`, e.span);
        throw e;
      }
    });
    const elemShape = arr.shape.slice(target.indices.length);
    let value: tf.Tensor | Soft;
    // Relaxed values are not checked for double definitions, as in `define`.
    if (v instanceof Batched && v.value instanceof Soft) value = v.value;
    else if (v instanceof Soft) value = new Soft(spread(v.weights, rows.length));
    else {
      flats.forEach((f, l) => {
        if (arr.items.has(f)) throw new EvalError(`element ${target.name}[${rows[l]!.join(', ')}] is defined twice`, target.span);
      });
      value = v instanceof Batched ? this.fitRows(toTensor(v.value), elemShape, target.span) : spread(this.fitShape(v, elemShape, target.span), rows.length);
    }
    const block: Block = { flats, value };
    flats.forEach((f, row) => arr.items.set(f, { block, row }));
    arr.assembled = undefined;
  }

  /** Broadcast a value to a logical shape (keeping its particle axis). */
  private fitShape(v: Val, shape: number[], span: Span): tf.Tensor {
    const t = padRank(toTensor(v), shape.length);
    const have = t.shape.slice(1);
    if (have.length === shape.length && have.every((d, i) => d === shape[i])) return t;
    try {
      return expandTo(t, [t.shape[0]!, ...shape]);
    } catch {
      throw new EvalError(`a value of shape [${have.join(', ')}] does not fit shape [${shape.join(', ')}]`, span);
    }
  }

  /** fitShape for a batched value [P, L, ...]: every row to `shape`. */
  private fitRows(t0: tf.Tensor, shape: number[], span: Span): tf.Tensor {
    const [P, L] = [t0.shape[0]!, t0.shape[1]!];
    const inner = t0.shape.slice(2);
    const t = inner.length >= shape.length ? t0 : t0.reshape([P, L, ...new Array<number>(shape.length - inner.length).fill(1), ...inner]);
    const have = t.shape.slice(2);
    if (have.length === shape.length && have.every((d, i) => d === shape[i])) return t;
    try {
      return expandTo(t, [P, L, ...shape]);
    } catch {
      throw new EvalError(`a value of shape [${have.join(', ')}] does not fit shape [${shape.join(', ')}]`, span);
    }
  }

  private assemble(name: string, arr: ElementArray, span: Span): tf.Tensor | Soft {
    if (arr.assembled) return arr.assembled;
    const total = leadingCount(arr);
    if (arr.items.size !== total) {
      const missing = firstMissing(arr);
      throw new EvalError(`'${name}' is used as a whole before all its elements are defined (${name}[${missing.join(', ')}] has no value yet)`, span);
    }
    // One block holding every element in order (a vectorised loop over the whole array): a reshape.
    const first = arr.items.get(0);
    if (first && !(first instanceof Soft) && !(first instanceof tf.Tensor) && first.block.flats.length === total && first.block.flats.every((f, i) => f === i)) {
      const b = first.block.value;
      arr.assembled = b instanceof Soft ? new Soft(b.weights.reshape([b.weights.shape[0]!, ...arr.shape, b.k])) : b.reshape([b.shape[0]!, ...arr.shape]);
      return arr.assembled;
    }
    const all = [...Array(total).keys()].map((k) => this.item(arr, k)!);
    const stacked = stackItems(all);
    arr.assembled = stacked instanceof Soft ? new Soft(stacked.weights.reshape([stacked.weights.shape[0]!, ...arr.shape, stacked.k])) : stacked.reshape([stacked.shape[0]!, ...arr.shape]);
    return arr.assembled;
  }

  private sample(s: Extract<Stmt, { kind: 'sample' }>): void {
    const site = this.opts.siteOf.get(s);
    if (!site) throw new EvalError(`internal: no site for '${s.target.name}'`, s.span);
    const rows = this.rowIndices(s.target);
    if (rows) return this.sampleRows(s, site, rows);
    const element = this.indicesOf(s.target);
    let shape: number[];
    if (element.length) {
      const arr = this.elementArray(site.name, s.target.span, element.length);
      shape = arr.shape.slice(element.length);
    } else {
      shape = resolveShape(site.type.shape, this.opts.sizes);
    }
    // Inside a vectorised loop every site is an element site indexed by the loop (loops.ts refuses whole sites).
    if (this.batch) throw new EvalError(`internal: '${site.name}' is not indexed by the vectorised loop`, s.span);
    const params = this.distParams(s.dist, site, shape.length);
    const dist = siteDistribution(site.family.name, params);
    const ev: SiteEvent = { site, element, shape, dist, params };
    if (site.observed) {
      let value = toTensor(this.lookup(site.name, s.target.span));
      if (element.length) value = this.indexConst(value, element, s.target.span, site.name);
      if (s.dist.truncation && this.boundsFromData(s)) checkTruncatedData(this.dataEnv, s, site.name, element, value, params[LOWER], params[UPPER]);
      this.handlers.observe(ev, value);
      return;
    }
    const v = this.handlers.sample(ev);
    this.define(s.target, v);
  }

  /**
   * An element site inside a vectorised loop. Observations are scored in one event over all rows.
   * Latent sites are drawn element by element, so each keeps its identity for the guides,
   * estimators and signals exactly as in the unrolled loop; only their arguments are vectorised.
   */
  private sampleRows(s: Extract<Stmt, { kind: 'sample' }>, site: SiteInfo, rows: number[][]): void {
    const depth = rows[0]!.length;
    const arr = this.elementArray(site.name, s.target.span, depth);
    const shape = arr.shape.slice(depth);
    const L = rows.length;
    const batched = this.batchedParams(site, shape.length);
    if (site.observed) {
      if (s.dist.truncation) this.batchedBounds(s, shape.length, batched);
      const params: Params = {};
      for (const [k, v] of Object.entries(batched)) params[k] = v.t;
      const items: IndexVal[] = s.target.indices.map((e) => ({ kind: 'at', v: this.ev(e), span: e.span }));
      const data = this.applyItems(toTensor(this.lookup(site.name, s.target.span)), items, s.target.span);
      let value = data instanceof Batched ? toTensor(data.value) : spread(toTensor(data), L);
      let evShape = [L, ...shape];
      if (depth === 1 && L !== arr.shape[0]) {
        // Rows that are not the whole first axis (`for t in K..T` over y: real[T]): a unit axis in
        // front keeps the term's shape from passing for the array's (signals would align its rows
        // with a plate's entries); the unrolled loop's terms are scalars, summed the same way.
        value = tf.expandDims(value, 1);
        for (const k of Object.keys(params)) params[k] = tf.expandDims(params[k]!, 1);
        evShape = [1, ...evShape];
      }
      if (s.dist.truncation && this.boundsFromData(s)) checkTruncatedData(this.dataEnv, s, site.name, [], value, params[LOWER], params[UPPER], rows);
      this.handlers.observe({ site, element: [], shape: evShape, dist: siteDistribution(site.family.name, params), params, rows }, value);
      return;
    }
    const draws: (tf.Tensor | Soft)[] = [];
    for (let l = 0; l < L; l++) {
      const params: Params = {};
      for (const [k, v] of Object.entries(batched)) params[k] = v.batched ? sliceAt(v.t, l) : v.own;
      draws.push(this.handlers.sample({ site, element: rows[l]!, shape, dist: makeDistribution(site.family.name, params), params }));
    }
    const stacked = stackItems(draws);
    this.defineRows(s.target, rows, new Batched(stacked instanceof Soft ? stacked : this.fitRows(stacked, shape, s.target.span)));
  }

  /**
   * A site's arguments inside a vectorised loop: `t` aligned with a rows axis ([P, L or 1, ...],
   * logical rank `rank` + the family's extra rank), and `own` the unbatched value as the unrolled
   * loop would pass it.
   */
  private batchedParams(site: SiteInfo, rank: number): Record<string, { t: tf.Tensor; own: tf.Tensor; batched: boolean }> {
    const out: Record<string, { t: tf.Tensor; own: tf.Tensor; batched: boolean }> = {};
    for (const spec of site.family.params) {
      const e = site.args[spec.name];
      if (!e) continue;
      const v = this.ev(e);
      const r = rank + spec.extraRank;
      if (v instanceof Batched) {
        const t = withRowsAxis(v, r);
        out[spec.name] = { t, own: t, batched: true };
      } else {
        const own = padRank(toTensor(v), r);
        out[spec.name] = { t: withRowsAxis(own, r), own, batched: false };
      }
    }
    return out;
  }

  /** Evaluate a distribution's arguments, aligned to the draw's logical rank; a truncation's bounds go along. */
  distParams(d: DistExpr, site: SiteInfo, rank: number): Params {
    const params: Params = {};
    for (const spec of site.family.params) {
      const e = site.args[spec.name];
      if (!e) continue;
      const v = this.eval(e);
      params[spec.name] = padRank(toTensor(v), rank + spec.extraRank);
    }
    const tr = d.truncation;
    if (tr?.lo) params[LOWER] = padRank(toTensor(this.eval(tr.lo)), rank);
    if (tr?.hi) params[UPPER] = padRank(toTensor(this.eval(tr.hi)), rank);
    return params;
  }

  /** A truncation's bounds inside a vectorised loop, aligned with the rows as batchedParams aligns arguments. */
  private batchedBounds(s: Extract<Stmt, { kind: 'sample' }>, rank: number, out: Record<string, { t: tf.Tensor; own: tf.Tensor; batched: boolean }>): void {
    const tr = s.dist.truncation!;
    for (const [key, e] of [[LOWER, tr.lo], [UPPER, tr.hi]] as const) {
      if (!e) continue;
      const v = this.ev(e);
      if (v instanceof Batched) {
        const t = withRowsAxis(v, rank);
        out[key] = { t, own: t, batched: true };
      } else {
        const own = padRank(toTensor(v), rank);
        out[key] = { t: withRowsAxis(own, rank), own, batched: false };
      }
    }
  }

  /** The bounds read only data and loop variables: they can be checked against the data before any step. */
  private boundsFromData(s: Extract<Stmt, { kind: 'sample' }>): boolean {
    const tr = s.dist.truncation!;
    return [tr.lo, tr.hi].every((b) => !b || varRefs(b).every((r) => this.dataNames.has(r.name) || this.loopVars.has(r.name)));
  }

  private indexConst(t: tf.Tensor, idx: number[], span: Span, name: string): tf.Tensor {
    let out = t;
    for (const i of idx) {
      const n = out.shape[1]!;
      if (i < 0 || i >= n) throw new EvalError(`index ${i} is out of bounds for '${name}' of length ${n}`, span);
      out = sliceAt(out, i);
    }
    return out;
  }

  /** Evaluate an expression outside any vectorised loop (queries, initial values). */
  eval(e: Expr): Val {
    const v = this.ev(e);
    if (v instanceof Batched) throw new EvalError('internal: a vectorised value outside its loop', e.span);
    return v;
  }

  private ev(e: Expr): BVal {
    if (this.hoisted.length && !this.batch) {
      const h = this.hoistedValue(e);
      if (h !== undefined) return h;
    }
    switch (e.kind) {
      case 'num':
        return e.value;
      case 'bool':
        return e.value ? 1 : 0;
      case 'var':
        return this.locals.get(e.name) ?? this.lookup(e.name, e.span);
      case 'unary': {
        const x = this.ev(e.arg);
        if (e.op === '+') return x;
        if (x instanceof Batched) {
          const t = toTensor(x.value);
          return e.op === '-' ? new Batched(tf.neg(t), x.known?.map((k) => -k)) : new Batched(tf.cast(tf.equal(t, 0), 'float32'));
        }
        if (e.op === '-') return isConst(x) ? -x : tf.neg(toTensor(x));
        return isConst(x) ? Number(x === 0) : tf.cast(tf.equal(toTensor(x), 0), 'float32');
      }
      case 'binary':
        return this.binary(e.op, e.left, e.right, e.span);
      case 'if': {
        const c = this.ev(e.cond);
        if (isConst(c)) return c !== 0 ? this.ev(e.then) : this.ev(e.else);
        const a = this.ev(e.then);
        const b = this.ev(e.else);
        if (c instanceof Batched || a instanceof Batched || b instanceof Batched) {
          const [tc, ta, tb] = alignRows([c, a, b]) as [tf.Tensor, tf.Tensor, tf.Tensor];
          const shape = tf.broadcast_util.assertAndGetBroadcastShape(tf.broadcast_util.assertAndGetBroadcastShape(tc.shape, ta.shape), tb.shape);
          return new Batched(tf.where(tf.broadcastTo(tf.notEqual(tc, 0), shape), expandTo(ta, shape), expandTo(tb, shape)));
        }
        const r = Math.max(logicalRank(c), logicalRank(a), logicalRank(b));
        const [tc, ta, tb] = [c, a, b].map((v) => padRank(toTensor(v), r)) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const shape = tf.broadcast_util.assertAndGetBroadcastShape(tf.broadcast_util.assertAndGetBroadcastShape(tc.shape, ta.shape), tb.shape);
        return tf.where(tf.broadcastTo(tf.notEqual(tc, 0), shape), expandTo(ta, shape), expandTo(tb, shape));
      }
      case 'call': {
        const args = e.args.map((a) => hardB(this.ev(a.value)));
        const dens = densityFunction(e.callee);
        const call = (vs: Val[]) => {
          try {
            if (dens?.ok) return callDensity(dens.fn, vs.map(hard));
            return callBuiltin(e.callee, vs.map(hard));
          } catch (err) {
            throw new EvalError(`${e.callee}: ${(err as Error).message}`, e.span);
          }
        };
        return args.some((a) => a instanceof Batched) ? liftRows(args, call) : call(args as Val[]);
      }
      case 'index':
        return this.index(e.target, e.items, e.span);
      case 'array': {
        const vs = e.elements.map((x) => this.ev(x));
        return vs.some((v) => v instanceof Batched) ? liftRows(vs, arrayOf) : arrayOf(vs as Val[]);
      }
    }
  }

  private binary(op: string, l: Expr, r: Expr, span: Span): BVal {
    const a = this.ev(l);
    if (op === '&&' && isConst(a) && a === 0) return 0;
    if (op === '||' && isConst(a) && a !== 0) return 1;
    const b = this.ev(r);
    if (a instanceof Batched || b instanceof Batched) {
      if (op === '@') return liftRows([a, b], ([x, y]) => matmul(toTensor(x!), toTensor(y!), span));
      const [ta, tb] = alignRows([a, b]) as [tf.Tensor, tf.Tensor];
      return new Batched(elementwise(op, ta, tb, isConst(b) ? b : undefined, span), knownRows(op, a, b));
    }
    if (isConst(a) && isConst(b)) return foldBinary(op, a, b);
    if (op === '@') return matmul(toTensor(a), toTensor(b), span);
    const [ta, tb] = aligned(a, b);
    return elementwise(op, ta, tb, isConst(b) ? b : undefined, span);
  }

  private index(targetExpr: Expr, items: IndexItem[], span: Span): BVal {
    const vals: IndexVal[] = items.map((it) => {
      if (it.kind === 'at') return { kind: 'at', v: this.ev(it.expr), span: it.span };
      const lo = it.lo ? this.constIntOf(it.lo, 'a slice bound') : 0;
      const hi = it.hi ? this.constIntOf(it.hi, 'a slice bound') : undefined;
      return { kind: 'slice', lo, hi, span: it.span };
    });
    // Element arrays read one element (or one element per row) without assembling the whole array.
    if (targetExpr.kind === 'var' && !this.locals.has(targetExpr.name) && !this.env.has(targetExpr.name) && this.elements.has(targetExpr.name)) {
      const name = targetExpr.name;
      const arr = this.elements.get(name)!;
      const depth = arr.depth;
      const lead = vals.slice(0, depth);
      const usable = (x: IndexVal) => x.kind === 'at' && (isConst(x.v) || (x.v instanceof Batched && x.v.known !== undefined));
      if (vals.length >= depth && lead.every(usable)) {
        const ks = lead.map((x) => (x as { v: number | Batched }).v);
        if (ks.every((k) => typeof k === 'number')) {
          const idx = ks as number[];
          const flat = this.flatIndex(arr, idx, name, span);
          const item = this.item(arr, flat);
          if (!item) throw new EvalError(`${name}[${idx.join(', ')}] is used before it is defined`, span);
          return vals.length > depth ? this.applyItems(toTensor(item), vals.slice(depth), span) : item;
        }
        const L = this.batch!.rows;
        const rows = Array.from({ length: L }, (_, l) => ks.map((k) => (typeof k === 'number' ? k : k.known![l]!)));
        const got = this.readRows(arr, rows, name, span);
        return vals.length > depth ? this.applyItems(got, vals.slice(depth), span) : got;
      }
    }
    const t = this.ev(targetExpr);
    return this.applyItems(t instanceof Batched ? t : toTensor(t), vals, span);
  }

  /** Elements at `rows` of an element array as one batched value (a block read back whole when it matches). */
  private readRows(arr: ElementArray, rows: number[][], name: string, span: Span): Batched {
    const flats = rows.map((idx, l) => {
      const f = (() => {
        try {
          return this.flatIndex(arr, idx, name, span);
        } catch (e) {
          if (e instanceof EvalError) throw new EvalError(`${e.message}${this.when(l)}`, e.span);
          throw e;
        }
      })();
      if (!arr.items.has(f)) throw new EvalError(`${name}[${idx.join(', ')}] is used before it is defined${this.when(l)}`, span);
      return f;
    });
    const first = arr.items.get(flats[0]!)!;
    if (!(first instanceof Soft) && !(first instanceof tf.Tensor) && first.row === 0 && sameList(first.block.flats, flats)) return new Batched(first.block.value);
    return new Batched(stackItems(flats.map((f) => this.item(arr, f)!)));
  }

  /** Apply evaluated index items to a value; batched values or indices keep their rows axis. */
  private applyItems(t: tf.Tensor | Batched, items: IndexVal[], span: Span): BVal {
    const anyBatched = t instanceof Batched || items.some((x) => x.kind === 'at' && x.v instanceof Batched);
    if (!anyBatched) return this.applyIndex(t as tf.Tensor, items, span);
    const head = items[0];
    if (!(t instanceof Batched) && head && head.kind === 'at' && head.v instanceof Batched && head.v.known && t.rank >= 2) {
      // A vector of known indices into the first axis: a slice when they are consecutive, else a constant gather.
      const known = head.v.known;
      const n = t.shape[1]!;
      known.forEach((k, l) => {
        if (!Number.isInteger(k) || k < 0 || k >= n) throw new EvalError(`index ${k} is out of bounds for a dimension of size ${n}${this.when(l)}`, head.span);
      });
      const rowsValue = new Batched(gatherRows(t, known));
      return items.length > 1 ? this.applyItems(rowsValue, items.slice(1), span) : rowsValue;
    }
    const args: BVal[] = [t, ...items.map((x) => (x.kind === 'at' ? x.v : 0))];
    return liftRows(args, ([x, ...vs]) =>
      this.applyIndex(
        toTensor(x!),
        items.map((it, k) => (it.kind === 'at' ? { ...it, v: vs[k]! } : it)),
        span,
      ),
    );
  }

  private applyIndex(t0: tf.Tensor, items: IndexVal[], span: Span): tf.Tensor {
    let t = t0;
    let axis = 1; // tensor axis the next index item applies to
    for (const it of items) {
      if (axis >= t.rank) throw new EvalError(`too many indices for a value of rank ${t0.rank - 1}`, span);
      const n = t.shape[axis]!;
      if (it.kind === 'slice') {
        const lo = it.lo;
        const hi = it.hi ?? n;
        if (lo < 0 || hi > n || lo > hi) throw new EvalError(`slice ${lo}:${hi} is out of bounds for a dimension of size ${n}`, it.span);
        const begin = t.shape.map((_, k) => (k === axis ? lo : 0));
        const size = t.shape.map((d, k) => (k === axis ? hi - lo : d));
        t = tf.slice(t, begin, size);
        axis++;
        continue;
      }
      const iv = it.v;
      if (iv instanceof Batched) throw new EvalError('internal: a vectorised index reached a per-element index', it.span);
      if (iv instanceof Soft) {
        t = softGather(t, iv, axis, n, it.span);
        axis += iv.shape.length - 2;
        continue;
      }
      if (isConst(iv)) {
        if (!Number.isInteger(iv) || iv < 0 || iv >= n) throw new EvalError(`index ${iv} is out of bounds for a dimension of size ${n}`, it.span);
        // slice, not gather: gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks.
        const begin = t.shape.map((_, k) => (k === axis ? iv : 0));
        const size = t.shape.map((d, k) => (k === axis ? 1 : d));
        t = tf.squeeze(tf.slice(t, begin, size), [axis]);
        continue;
      }
      if (axis === 1) {
        // Gather by an integer array as a one-hot product: differentiable in the target on every
        // backend, and the indices (often sampled from differentiated logits) get no gradient.
        const idx = tf.cast(iv, 'int32');
        t = softGather(t, new Soft(tf.oneHot(idx, n).toFloat()), axis, n, it.span);
        axis += idx.rank - 1;
        continue;
      }
      const idx = tf.cast(iv, 'int32');
      const added = idx.rank - 1;
      if (idx.shape[0] === 1) {
        t = tf.gather(t, idx.reshape(idx.shape.slice(1)), axis);
      } else if (t.shape[0] === 1) {
        // Per-particle indices into a shared value: gather from the value without its particle axis, then move particles first.
        const g = tf.gather(t.reshape(t.shape.slice(1)), idx, axis - 1);
        const perm = [axis - 1, ...Array.from({ length: g.rank }, (_, k) => k).filter((k) => k !== axis - 1)];
        t = tf.transpose(g, perm);
      } else {
        t = tf.gather(t, idx, axis, 1);
      }
      axis += added;
    }
    return t;
  }
}

/**
 * tf.broadcastTo without its Tile kernel, whose gradient loops over every repetition (a slice and
 * an add each: 195 of them to spread one [8, 5] value over 195 rows): a broadcasting add instead,
 * whose gradient is one sum.
 */
function expandTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  if (t.rank === shape.length && t.shape.every((d, i) => d === shape[i])) return t;
  if (t.dtype === 'bool') return tf.broadcastTo(t, shape);
  const out = tf.add(t, tf.zeros(shape, t.dtype));
  if (!out.shape.every((d, i) => d === shape[i])) throw new Error(`cannot broadcast [${t.shape.join(', ')}] to [${shape.join(', ')}]`);
  return out;
}

// ---------------------------------------------------------------- rows (vectorised loops)

function particlesOf(v: Val | Batched): number {
  if (isConst(v)) return 1;
  if (v instanceof Batched) return v.particles;
  return v.shape[0]!;
}

/** Row l of a [P, L, ...] value. */
function rowOf(v: tf.Tensor | Soft, l: number): tf.Tensor | Soft {
  return v instanceof Soft ? new Soft(sliceAt(v.weights, l)) : sliceAt(v, l);
}

/** The same [P, ...] value in every one of L rows: [P, L, ...]. */
function spread(t: tf.Tensor, L: number): tf.Tensor {
  return expandTo(tf.expandDims(t, 1), [t.shape[0]!, L, ...t.shape.slice(1)]);
}

/** Elements (hard, or relaxed weights) stacked on axis 1: [P, n, ...]; hard ones become one-hot beside relaxed ones. */
function stackItems(all: (tf.Tensor | Soft)[]): tf.Tensor | Soft {
  if (all.some((t) => t instanceof Soft)) {
    const K = (all.find((t) => t instanceof Soft) as Soft).k;
    const full = all.map((t) => (t instanceof Soft ? t.weights : tf.oneHot(tf.cast(t, 'int32'), K).toFloat()));
    const P = Math.max(...full.map((t) => t.shape[0]!));
    return new Soft(tf.stack(full.map((t) => expandTo(t, [P, ...t.shape.slice(1)])), 1));
  }
  const items = all as tf.Tensor[];
  const P = Math.max(...items.map((t) => t.shape[0]!));
  return tf.stack(items.map((t) => expandTo(t, [P, ...t.shape.slice(1)])), 1);
}

/** A value with a rows axis after the particle axis ([P, L or 1, ...]) and at least `rank` logical axes after it. */
function withRowsAxis(v: Val | Batched, rank: number): tf.Tensor {
  if (v instanceof Batched) {
    const t = toTensor(v.value);
    const have = t.rank - 2;
    return have >= rank ? t : t.reshape([t.shape[0]!, t.shape[1]!, ...new Array<number>(rank - have).fill(1), ...t.shape.slice(2)]);
  }
  const t = padRank(toTensor(v), rank);
  return t.reshape([t.shape[0]!, 1, ...t.shape.slice(1)]);
}

/** Operands of an elementwise op, rows axes lined up and logical shapes aligned from the right. */
function alignRows(vs: (Val | Batched)[]): tf.Tensor[] {
  const rank = Math.max(...vs.map((v) => (v instanceof Batched ? toTensor(v.value).rank - 2 : logicalRank(v))));
  return vs.map((v) => withRowsAxis(v, rank));
}

/** [p, L, ...] → [P·L, ...], broadcasting particles to P. */
function foldRows(v: tf.Tensor | Soft, P: number): tf.Tensor | Soft {
  const t = v instanceof Soft ? v.weights : v;
  const full = expandTo(t, [P, ...t.shape.slice(1)]);
  const folded = full.reshape([P * t.shape[1]!, ...t.shape.slice(2)]);
  return v instanceof Soft ? new Soft(folded) : folded;
}

/**
 * Run an operation written for particle-batched values on batched ones: the rows axis is folded
 * into the particle axis ([P, L, ...] → [P·L, ...]), which every operation already treats as
 * independent entries, and unfolded from the result. Unbatched values shared by all particles
 * (data, params) broadcast as they are; others are repeated per row.
 */
function liftRows(args: (Val | Batched)[], f: (vs: Val[]) => Val): Val | Batched {
  const L = (args.find((a) => a instanceof Batched) as Batched).rows;
  const P = Math.max(...args.map(particlesOf));
  const folded = args.map((a): Val => {
    if (isConst(a)) return a;
    if (a instanceof Batched) return foldRows(a.value, P);
    if (particlesOf(a) === 1) return a;
    return foldRows(a instanceof Soft ? new Soft(spread(a.weights, L)) : spread(a, L), P);
  });
  const r = f(folded);
  if (isConst(r) || particlesOf(r) !== P * L) return r;
  const t = r instanceof Soft ? r.weights : r;
  const unfolded = t.reshape([P, L, ...t.shape.slice(1)]);
  return new Batched(r instanceof Soft ? new Soft(unfolded) : unfolded);
}

function hardB(v: Val | Batched): Val | Batched {
  if (v instanceof Batched) return v.value instanceof Soft ? new Batched(v.value.expected(), v.known) : v;
  return hard(v);
}

/** Integer rows known before inference stay known through + − × with constants (`t - 1`, `2 * t`). */
function knownRows(op: string, a: Val | Batched, b: Val | Batched): number[] | undefined {
  if (op !== '+' && op !== '-' && op !== '*') return undefined;
  const ka = a instanceof Batched ? a.known : isConst(a) ? a : undefined;
  const kb = b instanceof Batched ? b.known : isConst(b) ? b : undefined;
  if (ka === undefined || kb === undefined) return undefined;
  const L = Array.isArray(ka) ? ka.length : (kb as number[]).length;
  const at = (k: number | number[], l: number) => (typeof k === 'number' ? k : k[l]!);
  return Array.from({ length: L }, (_, l) => foldBinary(op, at(ka, l), at(kb, l)));
}

/**
 * Rows `known` of the first logical axis of a shared value: [P, n, ...] → [P, L, ...]. Consecutive
 * indices are one slice; others a constant gather.
 */
function gatherRows(t: tf.Tensor, known: number[]): tf.Tensor {
  const L = known.length;
  const [P, n] = [t.shape[0]!, t.shape[1]!];
  const rest = t.shape.slice(2);
  if (known.every((k, l) => k === known[0]! + l)) return tf.slice(t, [0, known[0]!, ...rest.map(() => 0)], [P, L, ...rest]);
  return tf.gather(t, tf.tensor1d(known, 'int32'), 1);
}

function sameList(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** An array literal of values: stacked on a new first logical axis. */
function arrayOf(vs: Val[]): Val {
  if (vs.every(isConst)) return tf.tensor2d(vs as number[], [1, vs.length]);
  const r = Math.max(...vs.map(logicalRank));
  const ts = vs.map((v) => padRank(toTensor(v), r));
  const P = Math.max(...ts.map((t) => t.shape[0]!));
  const inner = ts.reduce<number[]>((acc, t) => tf.broadcast_util.assertAndGetBroadcastShape(acc, t.shape.slice(1)), []);
  return tf.stack(ts.map((t) => expandTo(t, [P, ...inner])), 1);
}

/** An elementwise binary operator on aligned tensors (`bConst`: the right operand when it was a constant). */
function elementwise(op: string, ta: tf.Tensor, tb: tf.Tensor, bConst: number | undefined, span: Span): tf.Tensor {
  switch (op) {
    case '+': return tf.add(ta, tb);
    case '-': return tf.sub(ta, tb);
    case '*': return tf.mul(ta, tb);
    case '/': return tf.div(ta, tb);
    case '^':
      return bConst === 2 ? ops.square(ta) : ops.pow(ta, tb);
    case '<': return tf.cast(tf.less(ta, tb), 'float32');
    case '<=': return tf.cast(tf.lessEqual(ta, tb), 'float32');
    case '>': return tf.cast(tf.greater(ta, tb), 'float32');
    case '>=': return tf.cast(tf.greaterEqual(ta, tb), 'float32');
    case '==': return tf.cast(tf.equal(ta, tb), 'float32');
    case '!=': return tf.cast(tf.notEqual(ta, tb), 'float32');
    case '&&': return tf.cast(tf.logicalAnd(tf.notEqual(ta, 0), tf.notEqual(tb, 0)), 'float32');
    case '||': return tf.cast(tf.logicalOr(tf.notEqual(ta, 0), tf.notEqual(tb, 0)), 'float32');
  }
  throw new EvalError(`unknown operator '${op}'`, span);
}

// ----------------------------------------------------------------

function leadingCount(arr: ElementArray): number {
  return arr.shape.slice(0, arr.depth).reduce((a, b) => a * b, 1);
}

/** Element i of the first logical axis (slice + squeeze: differentiable on every backend). */
export function sliceAt(t: tf.Tensor, i: number): tf.Tensor {
  const begin = t.shape.map((_, k) => (k === 1 ? i : 0));
  const size = t.shape.map((d, k) => (k === 1 ? 1 : d));
  return tf.squeeze(tf.slice(t, begin, size), [1]);
}

/**
 * Indexing by a relaxed value: the one-hot product Σₖ wₖ·t[k], differentiable in the weights.
 * One matrix product (weights [P·W, n] @ t [n, R]), not a broadcast multiply and sum: on the cpu
 * backend that broadcast multiply costs ~100 ms for 195×5 lags into 200 values, the product <1 ms.
 */
function softGather(t: tf.Tensor, w: Soft, axis: number, n: number, span: Span): tf.Tensor {
  if (axis !== 1) throw new EvalError('a relaxed discrete value can only index the first axis', span);
  if (w.k !== n) throw new EvalError(`a relaxed index over ${w.k} categories cannot index a dimension of size ${n}`, span);
  const ws = w.shape.slice(1, -1);
  const W = ws.reduce((a, b) => a * b, 1);
  const rest = t.shape.slice(2);
  const R = rest.reduce((a, b) => a * b, 1);
  const [Pw, Pt] = [w.shape[0]!, t.shape[0]!];
  if (Pt === 1) {
    const out = tf.matMul(w.weights.reshape([Pw * W, n]), t.reshape([n, R]));
    return out.reshape([Pw, ...ws, ...rest]);
  }
  const P = Math.max(Pw, Pt);
  const out = tf.matMul(expandTo(w.weights.reshape([Pw, W, n]), [P, W, n]), expandTo(t.reshape([Pt, n, R]), [P, n, R]));
  return out.reshape([P, ...ws, ...rest]);
}

function firstMissing(arr: ElementArray): number[] {
  const total = leadingCount(arr);
  const dims = arr.shape.slice(0, arr.depth);
  for (let k = 0; k < total; k++) {
    if (!arr.items.has(k)) {
      const idx: number[] = [];
      let r = k;
      for (let d = dims.length - 1; d >= 0; d--) {
        idx.unshift(r % dims[d]!);
        r = Math.floor(r / dims[d]!);
      }
      return idx;
    }
  }
  return [];
}

function foldBinary(op: string, a: number, b: number): number {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '^': return Math.pow(a, b);
    case '<': return Number(a < b);
    case '<=': return Number(a <= b);
    case '>': return Number(a > b);
    case '>=': return Number(a >= b);
    case '==': return Number(a === b);
    case '!=': return Number(a !== b);
    case '&&': return Number(a !== 0 && b !== 0);
    case '||': return Number(a !== 0 || b !== 0);
  }
  throw new Error(`unknown operator '${op}'`);
}

/** `@` with NumPy's vector promotion; shared (particle-free) right operands become one 2-D matmul. */
export function matmul(a: tf.Tensor, b: tf.Tensor, span: Span): tf.Tensor {
  const ra = a.rank - 1;
  const rb = b.rank - 1;
  if (ra === 0 || rb === 0) throw new EvalError(`'@' needs arrays on both sides`, span);
  let A = ra === 1 ? a.reshape([a.shape[0]!, 1, a.shape[1]!]) : a;
  let B = rb === 1 ? b.reshape([b.shape[0]!, b.shape[1]!, 1]) : b;
  const k = A.shape[A.rank - 1]!;
  if (B.shape[B.rank - 2] !== k) throw new EvalError(`'@' needs matching inner dimensions: [${a.shape.slice(1).join(', ')}] @ [${b.shape.slice(1).join(', ')}]`, span);
  let out: tf.Tensor;
  if (B.shape[0] === 1 && B.rank === 3) {
    // The common case (data or params on the right): fold particles and batch rows into one 2-D product.
    const m = B.shape[2]!;
    const lead = A.shape.slice(0, -1);
    out = tf.matMul(A.reshape([-1, k]), B.reshape([k, m])).reshape([...lead, m]);
  } else {
    const r = Math.max(A.rank, B.rank);
    A = padRank(A, r - 1);
    B = padRank(B, r - 1);
    out = tf.matMul(A, B);
  }
  if (ra === 1) out = out.squeeze([out.rank - 2]);
  if (rb === 1) out = out.squeeze([out.rank - 1]);
  return out;
}

export { type Val };
