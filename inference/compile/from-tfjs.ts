// The kernel table: how each tfjs kernel is written in the IR's primitives
// (ir.ts). The eager tensors (tensor/) run every op as the tfjs kernel of the
// same name through this table, evaluating the IR it gives (interpret.ts); inside
// a trace the same IR is what gets recorded, as a numpy-like API becomes a jaxpr.
// The model code (evaluate.ts, the distributions, bijectors, guides and
// objectives) is written once against tfjs's op API and so runs unchanged. A
// kernel missing here ends the trace (NotCompilable) with the kernel's name as
// the reason, and the fit stops with it (compile-fit.ts).

import { Builder, forEachIndex, reduceMap, sizeOf, stridesOf, type BinaryPrim, type UnaryPrim } from './ir.js';

/** A value the tracer cannot compile; the message says which construct. */
export class NotCompilable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotCompilable';
  }
}

/** An argument as the table sees it: its IR id, its shape, and its values when it is a constant. */
export interface Arg {
  id: number;
  shape: number[];
  /** The values of a constant (indices of a gather must be constants). */
  value?: Float64Array;
}

/** What a kernel produced: the tfjs outputs' shapes and dtypes, and their values when wanted. */
export interface Out {
  shape: number[];
  dtype: string;
  values(): Float64Array;
}

type Attrs = Record<string, unknown>;
type Rule = (b: Builder, args: Arg[], attrs: Attrs, outs: Out[]) => number[];

const UNARY: Record<string, UnaryPrim> = {
  Neg: 'neg', Exp: 'exp', Log: 'log', Log1p: 'log1p', Expm1: 'expm1', Sqrt: 'sqrt', Sin: 'sin', Cos: 'cos',
  Tanh: 'tanh', Sigmoid: 'sigmoid', Softplus: 'softplus', Abs: 'abs', Sign: 'sign', Floor: 'floor', Ceil: 'ceil',
  Round: 'round', Reciprocal: 'reciprocal', IsFinite: 'isfinite', IsNan: 'isnan', LogicalNot: 'not', Erf: 'erf', Atan: 'atan',
};

const BINARY: Record<string, BinaryPrim> = {
  Add: 'add', Sub: 'sub', Multiply: 'mul', RealDiv: 'div', Pow: 'pow', Maximum: 'max', Minimum: 'min',
  Greater: 'gt', GreaterEqual: 'ge', Less: 'lt', LessEqual: 'le', Equal: 'eq', NotEqual: 'ne',
  LogicalAnd: 'and', LogicalOr: 'or',
};

/** Input names of each kernel, in order (tfjs passes a named map, or an array for n-ary kernels). */
export const INPUT_NAMES: Record<string, string[]> = {
  Select: ['condition', 't', 'e'],
  GatherV2: ['x', 'indices'],
  BatchMatMul: ['a', 'b'],
  OneHot: ['indices'],
  ScatterNd: ['indices', 'updates'],
  Softmax: ['logits'],
  ExpandDims: ['input'],
  Unpack: ['value'],
};

const axesOf = (axis: unknown, rank: number): number[] => {
  const list = axis === undefined || axis === null ? [...Array(rank).keys()] : Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return list.map((a) => (a < 0 ? a + rank : a));
};

/** Gather map of a transpose: out[o] = x[i] with i[perm[d]] = o[d]. */
function transposeMap(shape: number[], perm: number[]): { map: Int32Array; shape: number[] } {
  const out = perm.map((p) => shape[p]!);
  const xs = stridesOf(shape);
  const map = new Int32Array(sizeOf(out));
  forEachIndex(out, (o, i) => {
    let src = 0;
    for (let d = 0; d < perm.length; d++) src += o[d]! * xs[perm[d]!]!;
    map[i] = src;
  });
  return { map, shape: out };
}

/** Gather map of a slice starting at `begin` with the output's shape. */
function sliceMap(shape: number[], begin: number[], out: number[]): Int32Array {
  const xs = stridesOf(shape);
  const map = new Int32Array(sizeOf(out));
  forEachIndex(out, (o, i) => {
    let src = 0;
    for (let d = 0; d < out.length; d++) src += (o[d]! + (begin[d] ?? 0)) * xs[d]!;
    map[i] = src;
  });
  return map;
}

/** Concatenation along `axis`: each input scattered into its place, the pieces added. */
function concat(b: Builder, args: Arg[], axis: number, out: number[]): number {
  const os = stridesOf(out);
  let offset = 0;
  let acc: number | undefined;
  for (const a of args) {
    const map = new Int32Array(sizeOf(a.shape));
    const at = offset;
    forEachIndex(a.shape, (idx, i) => {
      let dst = 0;
      for (let d = 0; d < out.length; d++) dst += (idx[d]! + (d === axis ? at : 0)) * os[d]!;
      map[i] = dst;
    });
    offset += a.shape[axis] ?? 1;
    const piece = b.scatterAdd(a.id, map, out);
    acc = acc === undefined ? piece : b.binary('add', acc, piece, out);
  }
  return acc!;
}

/** Pieces along `axis` (SplitV; Unpack, whose pieces lose the axis): one slice per output. */
function split(b: Builder, x: Arg, axis: number, outs: Out[], unpack: boolean): number[] {
  let offset = 0;
  return outs.map((o) => {
    const shape = unpack ? x.shape.map((d, k) => (k === axis ? 1 : d)) : o.shape;
    const begin = x.shape.map((_, d) => (d === axis ? offset : 0));
    offset += shape[axis]!;
    return b.reshape(b.gather(x.id, sliceMap(x.shape, begin, shape), shape), o.shape);
  });
}

function reduce(b: Builder, x: Arg, attrs: Attrs, out: Out, kind: 'sum' | 'mean' | 'max' | 'min'): number {
  const axes = axesOf(attrs['axis'] ?? attrs['reductionIndices'], x.shape.length);
  const { map, shape } = reduceMap(x.shape, axes);
  let r: number;
  if (kind === 'max' || kind === 'min') r = b.push({ op: kind === 'max' ? 'segmentMax' : 'segmentMin', shape, args: [x.id], map });
  else r = b.scatterAdd(x.id, map, shape);
  // tfjs's Mean sums x / count, so an empty mean is 0, not 0 / 0.
  const count = sizeOf(x.shape) / Math.max(1, sizeOf(shape));
  if (kind === 'mean' && count > 0) r = b.binary('div', r, b.constant(count));
  return b.reshape(r, out.shape);
}

/**
 * The first index of the largest (smallest) entry along an axis, as tfjs's ArgMax: no derivative.
 * tfjs scans keeping the first entry until one beats it, so a NaN first wins and a NaN later
 * never does: NaNs are made the best value at index 0 and the worst elsewhere.
 */
function argExtreme(b: Builder, x: Arg, attrs: Attrs, out: Out, kind: 'max' | 'min'): number {
  const axis = axesOf(attrs['axis'], x.shape.length)[0]!;
  const { map, shape } = reduceMap(x.shape, [axis]);
  const along = new Float64Array(sizeOf(x.shape));
  const nanAs = new Float64Array(sizeOf(x.shape));
  const best = kind === 'max' ? Infinity : -Infinity;
  forEachIndex(x.shape, (idx, i) => {
    along[i] = idx[axis]!;
    nanAs[i] = idx[axis] === 0 ? best : -best;
  });
  const v = b.select(b.unary('isnan', x.id), b.constant(nanAs, x.shape), x.id, x.shape);
  const top = b.push({ op: kind === 'max' ? 'segmentMax' : 'segmentMin', shape, args: [v], map });
  const hit = b.binary('eq', v, b.gather(top, map, x.shape), x.shape);
  const candidates = b.select(hit, b.constant(along, x.shape), b.constant(Infinity), x.shape);
  return b.reshape(b.push({ op: 'segmentMin', shape, args: [candidates], map }), out.shape);
}

/**
 * Cumulative sum along `axis`: each output gathers the entries it sums and adds them (a gather and
 * a scatter-add over constant maps). Not a product with a triangular matrix of 0s and 1s: 0 · ∞
 * would spread an infinity or a NaN to the sums before it.
 */
function cumsum(b: Builder, x: Arg, attrs: Attrs): number {
  const axis = axesOf(attrs['axis'], x.shape.length)[0]!;
  const n = x.shape[axis]!;
  const stride = stridesOf(x.shape)[axis]!;
  const exclusive = Boolean(attrs['exclusive']);
  const reverse = Boolean(attrs['reverse']);
  const src: number[] = [];
  const dst: number[] = [];
  forEachIndex(x.shape, (idx, o) => {
    const j = idx[axis]!;
    const base = o - j * stride;
    for (let i = 0; i < n; i++) {
      const take = reverse ? (exclusive ? i > j : i >= j) : exclusive ? i < j : i <= j;
      if (take) {
        src.push(base + i * stride);
        dst.push(o);
      }
    }
  });
  if (src.length === 0) return b.constant(new Float64Array(sizeOf(x.shape)), x.shape.slice());
  const terms = b.gather(x.id, Int32Array.from(src), [src.length]);
  return b.scatterAdd(terms, Int32Array.from(dst), x.shape.slice());
}

function castTo(b: Builder, x: Arg, dtype: string): number {
  if (dtype === 'float32') return x.id;
  if (dtype === 'int32') return b.unary('trunc', x.id);
  if (dtype === 'bool') return b.binary('ne', x.id, b.constant(0));
  throw new NotCompilable(`a cast to ${dtype}`);
}

const RULES: Record<string, Rule> = {
  Identity: (_b, [x]) => [x!.id],
  Reshape: (b, [x], _a, [o]) => [b.reshape(x!.id, o!.shape)],
  ExpandDims: (b, [x], _a, [o]) => [b.reshape(x!.id, o!.shape)],
  Squeeze: (b, [x], _a, [o]) => [b.reshape(x!.id, o!.shape)],
  Cast: (b, [x], a) => [castTo(b, x!, String(a['dtype']))],
  Square: (b, [x]) => [b.binary('mul', x!.id, x!.id)],
  Rsqrt: (b, [x]) => [b.unary('reciprocal', b.unary('sqrt', x!.id))],
  // tan = sin / cos (the Cauchy's inverse-CDF draw).
  Tan: (b, [x]) => [b.binary('div', b.unary('sin', x!.id), b.unary('cos', x!.id))],
  // max(0, x), not max(x, 0): a tie sends the derivative to the first argument, and tfjs's relu'(0) is 0.
  Relu: (b, [x]) => [b.binary('max', b.constant(0), x!.id)],
  // tfjs's Step (inside its abs and relu gradients): 1 where x > 0, else alpha.
  Step: (b, [x], a) => [b.select(b.binary('gt', x!.id, b.constant(0)), b.constant(1), b.constant(Number(a['alpha'] ?? 0)), x!.shape)],
  SquaredDifference: (b, [x, y]) => {
    const d = b.binary('sub', x!.id, y!.id);
    return [b.binary('mul', d, d)];
  },
  FloorDiv: (b, [x, y]) => [b.unary('floor', b.binary('div', x!.id, y!.id))],
  AddN: (b, args, _a, [o]) => [args.slice(1).reduce((acc, x) => b.binary('add', acc, x.id, o!.shape), args[0]!.id)],
  Select: (b, [c, x, y], _a, [o]) => [b.select(c!.id, x!.id, y!.id, o!.shape)],
  ClipByValue: (b, [x], a) => [b.binary('min', b.binary('max', x!.id, b.constant(Number(a['clipValueMin']))), b.constant(Number(a['clipValueMax'])))],
  Sum: (b, [x], a, [o]) => [reduce(b, x!, a, o!, 'sum')],
  Mean: (b, [x], a, [o]) => [reduce(b, x!, a, o!, 'mean')],
  Max: (b, [x], a, [o]) => [reduce(b, x!, a, o!, 'max')],
  Min: (b, [x], a, [o]) => [reduce(b, x!, a, o!, 'min')],
  Transpose: (b, [x], a) => {
    const t = transposeMap(x!.shape, a['perm'] as number[]);
    return [b.gather(x!.id, t.map, t.shape)];
  },
  Slice: (b, [x], a, [o]) => {
    const begin = a['begin'] as number[] | number;
    const starts = Array.isArray(begin) ? begin : [begin];
    return [b.gather(x!.id, sliceMap(x!.shape, starts, o!.shape), o!.shape)];
  },
  Concat: (b, args, a, [o]) => {
    const rank = o!.shape.length;
    const axis = axesOf(a['axis'], rank)[0]!;
    // tfjs drops empty inputs itself; the others keep their rank.
    return [concat(b, args.filter((x) => sizeOf(x.shape) > 0), axis, o!.shape)];
  },
  Pack: (b, args, a, [o]) => {
    const rank = o!.shape.length;
    const axis = axesOf(a['axis'], rank)[0]!;
    const lifted = args.map((x) => {
      const shape = [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)];
      return { id: b.reshape(x.id, shape), shape };
    });
    return [concat(b, lifted, axis, o!.shape)];
  },
  SplitV: (b, [x], a, outs) => split(b, x!, axesOf(a['axis'], x!.shape.length)[0]!, outs, false),
  Unpack: (b, [x], a, outs) => split(b, x!, axesOf(a['axis'], x!.shape.length)[0]!, outs, true),
  GatherV2: (b, [x, ix], a, [o]) => {
    const axis = axesOf(a['axis'], x!.shape.length)[0]!;
    const batchDims = Number(a['batchDims'] ?? 0);
    const outer = sizeOf(x!.shape.slice(0, axis));
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const n = x!.shape[axis]!;
    // Indices given anew each step (a minibatch's): rows picked at run time.
    if (!ix!.value) {
      if (batchDims !== 0) throw new NotCompilable('a gather with batch dimensions by computed indices');
      if (ix!.shape.length !== 1) throw new NotCompilable('a gather by a computed index array of rank > 1');
      return [b.push({ op: 'take', shape: o!.shape.slice(), args: [x!.id, ix!.id], outer, n, inner })];
    }
    // x is [batch, outer, n, inner] and the indices [batch, picks]: each batch entry picks its own rows.
    const idx = ix!.value;
    const batch = sizeOf(x!.shape.slice(0, batchDims));
    const perBatch = outer / batch;
    const picks = idx.length / Math.max(1, batch);
    const map = new Int32Array(sizeOf(o!.shape));
    let k = 0;
    for (let bi = 0; bi < batch; bi++)
      for (let p = 0; p < perBatch; p++)
        for (let j = 0; j < picks; j++) for (let q = 0; q < inner; q++) map[k++] = ((bi * perBatch + p) * n + idx[bi * picks + j]!) * inner + q;
    return [b.gather(x!.id, map, o!.shape)];
  },
  Tile: (b, [x], _a, [o]) => {
    const xs = stridesOf(x!.shape);
    const map = new Int32Array(sizeOf(o!.shape));
    forEachIndex(o!.shape, (idx, i) => {
      let src = 0;
      for (let d = 0; d < idx.length; d++) src += (idx[d]! % x!.shape[d]!) * xs[d]!;
      map[i] = src;
    });
    return [b.gather(x!.id, map, o!.shape)];
  },
  BroadcastTo: (b, [x], _a, [o]) => [b.broadcastTo(x!.id, o!.shape)],
  PadV2: (b, [x], a, [o]) => {
    const pads = a['paddings'] as [number, number][];
    const xs = stridesOf(x!.shape);
    const map = new Int32Array(sizeOf(o!.shape));
    const mask = new Float64Array(map.length);
    forEachIndex(o!.shape, (idx, i) => {
      let src = 0;
      let inside = true;
      for (let d = 0; d < idx.length; d++) {
        const j = idx[d]! - pads[d]![0];
        if (j < 0 || j >= x!.shape[d]!) inside = false;
        src += j * xs[d]!;
      }
      map[i] = inside ? src : -1;
      mask[i] = inside ? 0 : 1;
    });
    const g = b.gather(x!.id, map, o!.shape);
    const value = Number(a['constantValue'] ?? 0);
    return [value === 0 ? g : b.binary('add', g, b.constant(mask.map((m) => m * value), o!.shape))];
  },
  BatchMatMul: (b, [x, y], a) => [b.matmul(x!.id, y!.id, Boolean(a['transposeA']), Boolean(a['transposeB']))],
  Cumsum: (b, [x], a) => [cumsum(b, x!, a)],
  OneHot: (b, [ix], a, [o]) => {
    const depth = Number(a['depth']);
    const iota = b.constant(Float64Array.from({ length: depth }, (_, k) => k), [...ix!.shape.map(() => 1), depth]);
    const lifted = b.reshape(ix!.id, [...ix!.shape, 1]);
    const hit = b.binary('eq', lifted, iota, o!.shape);
    return [b.select(hit, b.constant(Number(a['onValue'] ?? 1)), b.constant(Number(a['offValue'] ?? 0)), o!.shape)];
  },
  // Rows added at indices (a per-entry baseline's update at a minibatch's rows): out[idx[j], …] += u[j, …].
  ScatterNd: (b, [ix, u], _a, [o]) => {
    const depth = ix!.shape.at(-1)!;
    if (ix!.value) {
      // Constant indices, each a prefix of `depth` coordinates: a scatter-add over a map.
      const inner = sizeOf(o!.shape.slice(depth));
      const strides = stridesOf(o!.shape);
      const rows = ix!.value.length / Math.max(1, depth);
      const map = new Int32Array(rows * inner);
      for (let j = 0; j < rows; j++) {
        let at = 0;
        for (let d = 0; d < depth; d++) at += ix!.value[j * depth + d]! * strides[d]!;
        for (let q = 0; q < inner; q++) map[j * inner + q] = at + q;
      }
      return [b.scatterAdd(u!.id, map, o!.shape)];
    }
    if (ix!.shape.length !== 2 || ix!.shape[1] !== 1) throw new NotCompilable('a scatter by indices of more than one coordinate');
    const rows = ix!.shape[0]!;
    const n = o!.shape[0]!;
    const inner = sizeOf(o!.shape.slice(1));
    return [b.push({ op: 'put', shape: o!.shape.slice(), args: [u!.id, b.reshape(ix!.id, [rows])], outer: 1, n, inner })];
  },
  ArgMax: (b, [x], a, [o]) => [argExtreme(b, x!, a, o!, 'max')],
  ArgMin: (b, [x], a, [o]) => [argExtreme(b, x!, a, o!, 'min')],
  Softmax: (b, [x], _a, [o]) => {
    const last = x!.shape.length - 1;
    const { map, shape } = reduceMap(x!.shape, [last]);
    const m = b.push({ op: 'stop', shape, args: [b.push({ op: 'segmentMax', shape, args: [x!.id], map })] });
    const e = b.unary('exp', b.binary('sub', x!.id, m, x!.shape));
    return [b.binary('div', e, b.scatterAdd(e, map, shape), o!.shape)];
  },
};

/** Kernels whose output does not depend on their input's values (only on its shape). */
const SHAPE_ONLY = new Set(['ZerosLike', 'OnesLike', 'Fill', 'Range']);

/** The IR of one kernel applied to traced arguments: one id per output. */
export function convertKernel(b: Builder, name: string, args: Arg[], attrs: Attrs, outs: Out[]): number[] {
  if (SHAPE_ONLY.has(name)) return outs.map((o) => b.constant(o.values(), o.shape));
  for (const o of outs) if (o.dtype === 'complex64' || o.dtype === 'string') throw new NotCompilable(`a ${o.dtype} value (${name})`);
  const unary = UNARY[name];
  if (unary) return [b.unary(unary, args[0]!.id)];
  const binary = BINARY[name];
  if (binary) return [b.binary(binary, args[0]!.id, args[1]!.id, outs[0]!.shape)];
  const rule = RULES[name];
  if (!rule) throw new NotCompilable(`the tfjs kernel ${name}`);
  const ids = rule(b, args, attrs, outs);
  // Every rule keeps tfjs's output shapes: the IR is checked against the trace here.
  ids.forEach((id, k) => {
    if (b.size(id) !== sizeOf(outs[k]!.shape)) throw new Error(`internal: ${name} gave size ${b.size(id)} for [${outs[k]!.shape}]`);
  });
  return ids.map((id, k) => b.reshape(id, outs[k]!.shape));
}
