// The compiled engine's intermediate representation: a straight-line program of
// primitive ops over flat arrays with static shapes (DESIGN.md, "Compiled
// engine"), in the manner of a jaxpr. A program is a plain value: it can be
// printed (`printProgram`), differentiated (grad.ts) and lowered (lower-js.ts).
//
// Every value is stored flat, row-major, in float64; booleans are 0/1. So a
// reshape is free and every indexing op — slice, transpose, broadcast, tile,
// concat, gather by constant indices, sum over axes — is one of two primitives
// over a constant index map: `gather` (out[i] = x[map[i]]) and `scatterAdd`
// (out[map[i]] += x[i]), each the other's transpose. That keeps the primitive
// table small, and each derivative rule a line.

/** Elementwise ops of one argument. */
export const UNARY = [
  'neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'softplus',
  'abs', 'sign', 'floor', 'ceil', 'round', 'trunc', 'reciprocal', 'isfinite', 'isnan', 'not', 'erf', 'atan',
] as const;
/** Elementwise ops of two arguments (each the output's size, or size 1 for a broadcast scalar). */
export const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'gt', 'ge', 'lt', 'le', 'eq', 'ne', 'and', 'or'] as const;

export type UnaryPrim = (typeof UNARY)[number];
export type BinaryPrim = (typeof BINARY)[number];

export type Node =
  /** A parameter vector being optimised: slot 0 the fit's flat vector, others e.g. RELAX's surrogate φ. */
  | { op: 'param'; shape: number[]; slot: number }
  /** State carried from step to step (a baseline's moving average): read here, its update an output. */
  | { op: 'state'; shape: number[]; slot: number }
  /** Fresh noise each step: standard normal, or uniform on [0, 1). */
  | { op: 'noise'; shape: number[]; kind: 'normal' | 'uniform' }
  /** Values the step is given each time it runs (a minibatch's indices), by key. */
  | { op: 'input'; shape: number[]; key: string }
  | { op: 'const'; shape: number[]; value: Float64Array }
  | { op: UnaryPrim; shape: number[]; args: [number] }
  | { op: BinaryPrim; shape: number[]; args: [number, number] }
  /** cond ? a : b, elementwise (each argument the output's size or size 1). */
  | { op: 'select'; shape: number[]; args: [number, number, number] }
  /** out[i] = x[map[i]], or 0 where map[i] < 0 (padding). */
  | { op: 'gather'; shape: number[]; args: [number]; map: Int32Array }
  /** out = 0; out[map[i]] += x[i] (map has x's size; entries < 0 are dropped). */
  | { op: 'scatterAdd'; shape: number[]; args: [number]; map: Int32Array }
  /** out[j] = max (or min) of x[i] over map[i] = j; −∞ (+∞) where no i maps to j. */
  | { op: 'segmentMax' | 'segmentMin'; shape: number[]; args: [number]; map: Int32Array }
  /**
   * Rows picked by indices given at run time: x viewed as [outer, n, inner], out [outer, B, inner]
   * with out[p, j, q] = x[p, idx[j], q] (idx: B values, each in 0..n−1).
   */
  | { op: 'take'; shape: number[]; args: [number, number]; outer: number; n: number; inner: number }
  /** take's transpose: out [outer, n, inner] = 0; out[p, idx[j], q] += g[p, j, q]. */
  | { op: 'put'; shape: number[]; args: [number, number]; outer: number; n: number; inner: number }
  /** batch × [M, K] @ [K, N] with either operand stored transposed; batches of equal count. */
  | { op: 'matmul'; shape: number[]; args: [number, number]; batch: number; m: number; k: number; n: number; ta: boolean; tb: boolean }
  /** The identity whose derivative is zero: a factor held constant. */
  | { op: 'stop'; shape: number[]; args: [number] };

export type Op = Node['op'];

export interface Program {
  nodes: Node[];
  /** Values the program returns, by name (e.g. the loss and its gradient). */
  outputs: Record<string, number>;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function argsOf(n: Node): readonly number[] {
  return 'args' in n ? n.args : [];
}

/** True for ops whose output carries no derivative (comparisons, rounding, predicates). */
export function piecewiseConstant(op: Op): boolean {
  return ['sign', 'floor', 'ceil', 'round', 'trunc', 'isfinite', 'isnan', 'not', 'gt', 'ge', 'lt', 'le', 'eq', 'ne', 'and', 'or'].includes(op);
}

/** Appends nodes with shape checks; constants of the same value are shared. */
export class Builder {
  readonly nodes: Node[] = [];
  private readonly scalars = new Map<number, number>();

  constructor(from?: Node[]) {
    if (from) this.nodes.push(...from);
  }

  shape(id: number): number[] {
    return this.nodes[id]!.shape;
  }

  size(id: number): number {
    return sizeOf(this.nodes[id]!.shape);
  }

  push(n: Node): number {
    for (const a of argsOf(n)) if (a < 0 || a >= this.nodes.length) throw new Error(`internal: IR argument ${a} out of range`);
    this.nodes.push(n);
    return this.nodes.length - 1;
  }

  constant(value: Float64Array | number, shape: number[] = []): number {
    if (typeof value === 'number') {
      const known = this.scalars.get(value);
      if (known !== undefined && this.size(known) === 1 && this.shape(known).length === shape.length) return known;
      const id = this.push({ op: 'const', shape, value: new Float64Array([value]) });
      if (sizeOf(shape) === 1) this.scalars.set(value, id);
      return id;
    }
    if (value.length !== sizeOf(shape)) throw new Error(`internal: constant of ${value.length} values for shape [${shape}]`);
    return this.push({ op: 'const', shape, value });
  }

  isConst(id: number, value?: number): boolean {
    const n = this.nodes[id]!;
    if (n.op !== 'const') return false;
    if (value === undefined) return true;
    return n.value.every((v) => v === value);
  }

  unary(op: UnaryPrim, x: number): number {
    return this.push({ op, shape: this.shape(x).slice(), args: [x] });
  }

  /** An elementwise op of two arguments broadcast to `shape` (default: numpy broadcasting of theirs). */
  binary(op: BinaryPrim, a: number, b: number, shape?: number[]): number {
    const out = shape ?? broadcastShapes(this.shape(a), this.shape(b));
    return this.push({ op, shape: out, args: [this.fit(a, out), this.fit(b, out)] });
  }

  select(c: number, a: number, b: number, shape?: number[]): number {
    const out = shape ?? broadcastShapes(broadcastShapes(this.shape(c), this.shape(a)), this.shape(b));
    return this.push({ op: 'select', shape: out, args: [this.fit(c, out), this.fit(a, out), this.fit(b, out)] });
  }

  /** x as an argument of an elementwise op of shape `out`: itself, a size-1 scalar, or broadcast by a gather. */
  fit(x: number, out: number[]): number {
    const n = this.size(x);
    // Equal sizes under broadcasting means the same row-major order: the flat buffer serves as it is.
    if (n === 1 || n === sizeOf(out)) return x;
    return this.broadcastTo(x, out);
  }

  reshape(x: number, shape: number[]): number {
    if (sizeOf(shape) !== this.size(x)) throw new Error(`internal: reshape of [${this.shape(x)}] to [${shape}]`);
    if (sameShape(this.shape(x), shape)) return x;
    const map = new Int32Array(sizeOf(shape));
    for (let i = 0; i < map.length; i++) map[i] = i;
    // An identity gather: the lowering shares the buffer instead of copying.
    return this.push({ op: 'gather', shape: shape.slice(), args: [x], map });
  }

  gather(x: number, map: Int32Array, shape: number[]): number {
    if (map.length !== sizeOf(shape)) throw new Error('internal: gather map size');
    return this.push({ op: 'gather', shape: shape.slice(), args: [x], map });
  }

  scatterAdd(x: number, map: Int32Array, shape: number[]): number {
    if (map.length !== this.size(x)) throw new Error('internal: scatter map size');
    return this.push({ op: 'scatterAdd', shape: shape.slice(), args: [x], map });
  }

  broadcastTo(x: number, shape: number[]): number {
    return this.gather(x, broadcastMap(this.shape(x), shape), shape);
  }

  /** Σ over `axes`, the reduced axes kept with size 1. */
  sum(x: number, axes: number[]): number {
    const { map, shape } = reduceMap(this.shape(x), axes);
    return this.scatterAdd(x, map, shape);
  }

  matmul(a: number, b: number, ta: boolean, tb: boolean): number {
    const sa = this.shape(a);
    const sb = this.shape(b);
    const [m, k] = ta ? [sa.at(-1)!, sa.at(-2)!] : [sa.at(-2)!, sa.at(-1)!];
    const [k2, n] = tb ? [sb.at(-1)!, sb.at(-2)!] : [sb.at(-2)!, sb.at(-1)!];
    if (k !== k2) throw new Error(`internal: matmul of [${sa}] and [${sb}]`);
    const batchA = sa.slice(0, -2);
    const batchB = sb.slice(0, -2);
    const batchShape = broadcastShapes(batchA, batchB);
    const batch = sizeOf(batchShape);
    const aa = sizeOf(batchA) === batch ? a : this.broadcastTo(a, [...batchShape, ...sa.slice(-2)]);
    const bb = sizeOf(batchB) === batch ? b : this.broadcastTo(b, [...batchShape, ...sb.slice(-2)]);
    return this.push({ op: 'matmul', shape: [...batchShape, m, n], args: [aa, bb], batch, m, k, n, ta, tb });
  }

  program(outputs: Record<string, number>): Program {
    return { nodes: this.nodes, outputs };
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`internal: shapes [${a}] and [${b}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** For each output index of `to`, the index in `from` it reads under numpy broadcasting. */
export function broadcastMap(from: readonly number[], to: readonly number[]): Int32Array {
  const r = to.length;
  const pad = [...new Array<number>(r - from.length).fill(1), ...from];
  if (pad.length !== r) throw new Error(`internal: cannot broadcast [${from}] to [${to}]`);
  const fs = stridesOf(pad);
  const n = sizeOf(to);
  const map = new Int32Array(n);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < r; d++) if (pad[d] !== 1) src += idx[d]! * fs[d]!;
    map[i] = src;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < to[d]!) break;
      idx[d] = 0;
    }
  }
  return map;
}

/** The map of a reduction over `axes` (kept as size 1): input index → output index. */
export function reduceMap(shape: readonly number[], axes: readonly number[]): { map: Int32Array; shape: number[] } {
  const out = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const os = stridesOf(out);
  const n = sizeOf(shape);
  const map = new Int32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let dst = 0;
    for (let d = 0; d < shape.length; d++) if (out[d] !== 1) dst += idx[d]! * os[d]!;
    map[i] = dst;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { map, shape: out };
}

/** Visits every multi-index of `shape` in row-major order with its flat index. */
export function forEachIndex(shape: readonly number[], f: (idx: readonly number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    f(idx, i);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** One line per node, for the REPL and for debugging: `%7 = mul %3 %6 : [1, 8]`. */
export function printProgram(p: Program): string {
  const lines = p.nodes.map((n, i) => {
    const args = argsOf(n).map((a) => `%${a}`).join(' ');
    const extra = n.op === 'param' || n.op === 'state' ? ` ${n.slot}` : n.op === 'input' ? ` ${n.key}` : n.op === 'take' || n.op === 'put' ? ` ${n.outer}x${n.n}x${n.inner}` : n.op === 'const' ? (n.value.length <= 4 ? ` ${Array.from(n.value).join(',')}` : ` (${n.value.length} values)`) : n.op === 'noise' ? ` ${n.kind}` : n.op === 'matmul' ? ` ${n.batch}x[${n.m},${n.k}]@[${n.k},${n.n}]${n.ta ? ' ta' : ''}${n.tb ? ' tb' : ''}` : '';
    return `%${i} = ${n.op}${args ? ' ' + args : ''}${extra} : [${n.shape.join(', ')}]`;
  });
  for (const [k, v] of Object.entries(p.outputs)) lines.push(`${k} = %${v}`);
  return lines.join('\n');
}

/** Nodes the outputs need. */
export function liveSet(p: Program, outputs: readonly number[]): boolean[] {
  const live = new Array<boolean>(p.nodes.length).fill(false);
  for (const o of outputs) live[o] = true;
  for (let i = p.nodes.length - 1; i >= 0; i--) if (live[i]) for (const a of argsOf(p.nodes[i]!)) live[a] = true;
  return live;
}

/** Nodes whose value changes from run to run: they depend on a param, noise, state or input node. */
export function dynamicSet(nodes: readonly Node[]): boolean[] {
  const dyn = new Array<boolean>(nodes.length).fill(false);
  nodes.forEach((n, i) => {
    dyn[i] = n.op === 'param' || n.op === 'noise' || n.op === 'state' || n.op === 'input' || argsOf(n).some((a) => dyn[a]);
  });
  return dyn;
}

/**
 * Multiply–adds per run in the matrix products the outputs need and that change from run to run
 * (a product of constants is folded once): what decides between the lowerings under 'auto'.
 */
export function productWork(p: Program, outputs: readonly number[]): number {
  const live = liveSet(p, outputs);
  const dyn = dynamicSet(p.nodes);
  let work = 0;
  p.nodes.forEach((n, i) => {
    if (live[i] && dyn[i] && n.op === 'matmul') work += n.batch * n.m * n.k * n.n;
  });
  return work;
}
