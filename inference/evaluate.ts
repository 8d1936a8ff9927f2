// Runs a checked program's statements over all particles at once. What happens
// at a sample site, an observation, a param or an objective is decided by the
// caller's handlers (the guide, the objective, prediction each bring their own),
// in the spirit of Pyro's effect handlers: this module only knows the language.

import type { DistExpr, Expr, IndexItem, LValue, Stmt } from '../language/ast.js';
import type { SiteInfo } from '../language/checked.js';
import type { Span } from '../language/span.js';
import type { Dim } from '../language/types.js';
import { tf } from './backend.js';
import { makeDistribution, type Distribution, type Params } from './distributions/index.js';
import { callBuiltin } from './functions.js';
import * as ops from './ops.js';
import { aligned, hard, isConst, logicalRank, padRank, Soft, toTensor, type Val } from './values.js';

/** A run-time problem in the user's program, with the place it happened. */
export class EvalError extends Error {
  constructor(message: string, readonly span: Span) {
    super(message);
    this.name = 'EvalError';
  }
}

export interface SiteEvent {
  site: SiteInfo;
  /** Concrete indices for an element site (`z[t]` at t = 3 → [3]); [] for a whole-array site. */
  element: number[];
  /** Concrete logical shape of this draw (the element's shape for element sites). */
  shape: number[];
  dist: Distribution;
  params: Params;
}

export interface Handlers {
  /** A latent site: returns its value, shape [P, ...shape] (or a relaxed value). */
  sample(ev: SiteEvent): tf.Tensor | Soft;
  /** An observed site with its data value. */
  observe(ev: SiteEvent, value: tf.Tensor): void;
  /** `minimize` (sign 1) / `maximize` (sign −1) term. */
  objective?(value: Val, sign: 1 | -1, span: Span): void;
  /** The value of a `param`, shape [1, ...declared shape]. */
  param(name: string): tf.Tensor;
}

/** Arrays defined element by element, assembled on demand. */
interface ElementArray {
  shape: number[];
  /** How many leading axes the element statements index; the rest of the shape lives inside each item. */
  depth: number;
  items: Map<number, tf.Tensor | Soft>;
  assembled?: tf.Tensor | Soft;
}

export interface RunOptions {
  /** Resolved sizes of symbolic dimensions (data ints and plates). */
  sizes: Map<string, number>;
  /** Site lookup by statement node. */
  siteOf: Map<Stmt, SiteInfo>;
  /** Symbolic shapes of elementwise-defined arrays. */
  elementShapes: Map<string, Dim[]>;
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

  constructor(
    private readonly opts: RunOptions,
    private readonly handlers: Handlers,
    initial: Map<string, Val>,
  ) {
    for (const [k, v] of initial) this.env.set(k, v);
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
        const v = this.eval(s.value);
        this.define(s.target, v);
        return;
      }
      case 'sample':
        return this.sample(s);
      case 'for': {
        const from = this.constIntOf(s.from, 'loop bound');
        const to = this.constIntOf(s.to, 'loop bound');
        for (let i = from; i < to; i++) {
          this.env.set(s.variable, i);
          this.run(s.body);
        }
        this.env.delete(s.variable);
        return;
      }
      case 'objective': {
        const v = this.eval(s.expr);
        this.handlers.objective?.(v, s.direction === 'minimize' ? 1 : -1, s.span);
        return;
      }
      case 'guide':
        return; // the guide runs in its own interpreter
    }
  }

  private constIntOf(e: Expr, what: string): number {
    const v = this.eval(e);
    if (!isConst(v) || !Number.isInteger(v)) throw new EvalError(`${what} must be an integer known from the data`, e.span);
    return v;
  }

  private indicesOf(target: LValue): number[] {
    return target.indices.map((e) => this.constIntOf(e, 'an element index'));
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

  private define(target: LValue, v: Val): void {
    if (target.indices.length === 0) {
      this.env.set(target.name, v);
      return;
    }
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

  /** Broadcast a value to a logical shape (keeping its particle axis). */
  private fitShape(v: Val, shape: number[], span: Span): tf.Tensor {
    const t = padRank(toTensor(v), shape.length);
    const have = t.shape.slice(1);
    if (have.length === shape.length && have.every((d, i) => d === shape[i])) return t;
    try {
      return tf.broadcastTo(t, [t.shape[0]!, ...shape]);
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
    const all = [...Array(total).keys()].map((k) => arr.items.get(k)!);
    if (all.some((t) => t instanceof Soft)) {
      // Relaxed elements (RELAX's relaxed passes) stack their weights; hard ones become one-hot.
      const ws = all.map((t) => (t instanceof Soft ? t.weights : null));
      const K = (all.find((t) => t instanceof Soft) as Soft).k;
      const full = all.map((t, i) => ws[i] ?? tf.oneHot(tf.cast(t as tf.Tensor, 'int32'), K).toFloat());
      const P = Math.max(...full.map((t) => t.shape[0]!));
      const stacked = tf.stack(full.map((t) => (t.shape[0] === P ? t : tf.broadcastTo(t, [P, ...t.shape.slice(1)]))), 1);
      arr.assembled = new Soft(stacked.reshape([P, ...arr.shape, K]));
      return arr.assembled;
    }
    const items = all as tf.Tensor[];
    const P = Math.max(...items.map((t) => t.shape[0]!));
    const full = items.map((t) => (t.shape[0] === P ? t : tf.broadcastTo(t, [P, ...t.shape.slice(1)])));
    const stacked = tf.stack(full, 1).reshape([P, ...arr.shape]);
    arr.assembled = stacked;
    return stacked;
  }

  private sample(s: Extract<Stmt, { kind: 'sample' }>): void {
    const site = this.opts.siteOf.get(s);
    if (!site) throw new EvalError(`internal: no site for '${s.target.name}'`, s.span);
    const element = this.indicesOf(s.target);
    let shape: number[];
    if (element.length) {
      const arr = this.elementArray(site.name, s.target.span, element.length);
      shape = arr.shape.slice(element.length);
    } else {
      shape = resolveShape(site.type.shape, this.opts.sizes);
    }
    const params = this.distParams(s.dist, site, shape.length);
    const dist = makeDistribution(site.family.name, params);
    const ev: SiteEvent = { site, element, shape, dist, params };
    if (site.observed) {
      let value = toTensor(this.lookup(site.name, s.target.span));
      if (element.length) value = this.indexConst(value, element, s.target.span, site.name);
      this.handlers.observe(ev, value);
      return;
    }
    const v = this.handlers.sample(ev);
    this.define(s.target, v);
  }

  /** Evaluate a distribution's arguments, aligned to the draw's logical rank. */
  distParams(d: DistExpr, site: SiteInfo, rank: number): Params {
    const params: Params = {};
    for (const spec of site.family.params) {
      const e = site.args[spec.name];
      if (!e) continue;
      const v = this.eval(e);
      params[spec.name] = padRank(toTensor(v), rank + spec.extraRank);
    }
    void d;
    return params;
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

  eval(e: Expr): Val {
    switch (e.kind) {
      case 'num':
        return e.value;
      case 'bool':
        return e.value ? 1 : 0;
      case 'var':
        return this.lookup(e.name, e.span);
      case 'unary': {
        const x = this.eval(e.arg);
        if (e.op === '+') return x;
        if (e.op === '-') return isConst(x) ? -x : tf.neg(toTensor(x));
        return isConst(x) ? Number(x === 0) : tf.cast(tf.equal(toTensor(x), 0), 'float32');
      }
      case 'binary':
        return this.binary(e.op, e.left, e.right, e.span);
      case 'if': {
        const c = this.eval(e.cond);
        if (isConst(c)) return c !== 0 ? this.eval(e.then) : this.eval(e.else);
        const a = this.eval(e.then);
        const b = this.eval(e.else);
        const r = Math.max(logicalRank(c), logicalRank(a), logicalRank(b));
        const [tc, ta, tb] = [c, a, b].map((v) => padRank(toTensor(v), r)) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const shape = tf.broadcast_util.assertAndGetBroadcastShape(tf.broadcast_util.assertAndGetBroadcastShape(tc.shape, ta.shape), tb.shape);
        return tf.where(tf.broadcastTo(tf.notEqual(tc, 0), shape), tf.broadcastTo(ta, shape), tf.broadcastTo(tb, shape));
      }
      case 'call': {
        const args = e.args.map((a) => hard(this.eval(a.value)));
        try {
          return callBuiltin(e.callee, args);
        } catch (err) {
          throw new EvalError(`${e.callee}: ${(err as Error).message}`, e.span);
        }
      }
      case 'index':
        return this.index(e.target, e.items, e.span);
      case 'array': {
        const vs = e.elements.map((x) => this.eval(x));
        if (vs.every(isConst)) return tf.tensor2d(vs as number[], [1, vs.length]);
        const r = Math.max(...vs.map(logicalRank));
        const ts = vs.map((v) => padRank(toTensor(v), r));
        const P = Math.max(...ts.map((t) => t.shape[0]!));
        const inner = ts.reduce<number[]>((acc, t) => tf.broadcast_util.assertAndGetBroadcastShape(acc, t.shape.slice(1)), []);
        return tf.stack(ts.map((t) => tf.broadcastTo(t, [P, ...inner])), 1);
      }
    }
  }

  private binary(op: string, l: Expr, r: Expr, span: Span): Val {
    const a = this.eval(l);
    if (op === '&&' && isConst(a) && a === 0) return 0;
    if (op === '||' && isConst(a) && a !== 0) return 1;
    const b = this.eval(r);
    if (isConst(a) && isConst(b)) return foldBinary(op, a, b);
    if (op === '@') return matmul(toTensor(a), toTensor(b), span);
    const [ta, tb] = aligned(a, b);
    switch (op) {
      case '+': return tf.add(ta, tb);
      case '-': return tf.sub(ta, tb);
      case '*': return tf.mul(ta, tb);
      case '/': return tf.div(ta, tb);
      case '^':
        return isConst(b) && b === 2 ? ops.square(ta) : ops.pow(ta, tb);
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

  private index(targetExpr: Expr, items: IndexItem[], span: Span): Val {
    // Element arrays read one element without assembling the whole array.
    if (targetExpr.kind === 'var' && !this.env.has(targetExpr.name) && this.elements.has(targetExpr.name)) {
      const arr = this.elements.get(targetExpr.name)!;
      const vals = items.map((it) => (it.kind === 'at' ? this.eval(it.expr) : undefined));
      const depth = arr.depth;
      if (vals.length >= depth && vals.slice(0, depth).every((v) => v !== undefined && isConst(v))) {
        const idx = vals.slice(0, depth) as number[];
        const flat = this.flatIndex(arr, idx, targetExpr.name, span);
        const item = arr.items.get(flat);
        if (!item) throw new EvalError(`${targetExpr.name}[${idx.join(', ')}] is used before it is defined`, span);
        return items.length > depth ? this.applyIndex(toTensor(item), items.slice(depth), span) : item;
      }
    }
    const t = toTensor(this.eval(targetExpr));
    return this.applyIndex(t, items, span);
  }

  private applyIndex(t0: tf.Tensor, items: IndexItem[], span: Span): tf.Tensor {
    let t = t0;
    let axis = 1; // tensor axis the next index item applies to
    for (const it of items) {
      if (axis >= t.rank) throw new EvalError(`too many indices for a value of rank ${t0.rank - 1}`, span);
      const n = t.shape[axis]!;
      if (it.kind === 'slice') {
        const lo = it.lo ? this.constIntOf(it.lo, 'a slice bound') : 0;
        const hi = it.hi ? this.constIntOf(it.hi, 'a slice bound') : n;
        if (lo < 0 || hi > n || lo > hi) throw new EvalError(`slice ${lo}:${hi} is out of bounds for a dimension of size ${n}`, it.span);
        const begin = t.shape.map((_, k) => (k === axis ? lo : 0));
        const size = t.shape.map((d, k) => (k === axis ? hi - lo : d));
        t = tf.slice(t, begin, size);
        axis++;
        continue;
      }
      const iv = this.eval(it.expr);
      if (iv instanceof Soft) {
        t = softGather(t, iv, axis, n, it.span);
        axis += iv.weights.rank - 2;
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

function leadingCount(arr: ElementArray): number {
  return arr.shape.slice(0, arr.depth).reduce((a, b) => a * b, 1);
}

/** Element i of the first logical axis (slice + squeeze: differentiable on every backend). */
export function sliceAt(t: tf.Tensor, i: number): tf.Tensor {
  const begin = t.shape.map((_, k) => (k === 1 ? i : 0));
  const size = t.shape.map((d, k) => (k === 1 ? 1 : d));
  return tf.squeeze(tf.slice(t, begin, size), [1]);
}

/** Indexing by a relaxed value: the one-hot product Σₖ wₖ·t[k], differentiable in the weights. */
function softGather(t: tf.Tensor, w: Soft, axis: number, n: number, span: Span): tf.Tensor {
  if (axis !== 1) throw new EvalError('a relaxed discrete value can only index the first axis', span);
  if (w.k !== n) throw new EvalError(`a relaxed index over ${w.k} categories cannot index a dimension of size ${n}`, span);
  const ws = w.weights.shape.slice(1, -1);
  const rest = t.shape.slice(2);
  const restSize = rest.reduce((a, b) => a * b, 1);
  const tt = t.reshape([t.shape[0]!, ...ws.map(() => 1), n, restSize]);
  const ww = w.weights.reshape([w.weights.shape[0]!, ...ws, n, 1]);
  const out = tf.sum(tf.mul(tt, ww), ws.length + 1);
  return out.reshape([out.shape[0]!, ...ws, ...rest]);
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
