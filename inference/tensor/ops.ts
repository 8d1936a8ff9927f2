// tfjs's op API over eager tensors: each op works out its output's shape and
// dtype as tfjs does and runs the matching kernel (run.ts). Only what inference/
// uses is here; names, argument orders and defaults follow tfjs 4.
/* eslint-disable @typescript-eslint/no-explicit-any */

import { broadcastShapes, sizeOf, stridesOf } from '../compile/ir.js';
import { NotCompilable } from '../compile/from-tfjs.js';
import { recording, runKernel } from './run.js';
import { Tensor, type DataType, type NestedArray, type TensorLike } from './tensor.js';

// ---------------------------------------------------------------- conversion

function flatten(v: NestedArray, out: number[], shape: number[], depth: number): void {
  if (Array.isArray(v)) {
    if (shape.length <= depth) shape.push(v.length);
    else if (shape[depth] !== v.length) throw new Error(`values of ragged shape at depth ${depth}`);
    for (const x of v) flatten(x, out, shape, depth + 1);
  } else out.push(typeof v === 'boolean' ? (v ? 1 : 0) : Number(v));
}

function inferDtype(v: unknown): DataType {
  if (v instanceof Int32Array || v instanceof Uint8Array) return v instanceof Int32Array ? 'int32' : 'bool';
  let x = v;
  while (Array.isArray(x)) x = x[0];
  return typeof x === 'boolean' ? 'bool' : 'float32';
}

function coerce(values: Float64Array, dtype: DataType): Float64Array {
  if (dtype === 'int32') for (let i = 0; i < values.length; i++) values[i] = Math.trunc(values[i]!) | 0;
  else if (dtype === 'bool') for (let i = 0; i < values.length; i++) values[i] = values[i] !== 0 ? 1 : 0;
  return values;
}

export function tensor(values: TensorLike, shape?: readonly number[], dtype?: DataType): Tensor {
  if (values instanceof Tensor) return values;
  const dt = dtype ?? inferDtype(values);
  let flat: Float64Array;
  let inferred: number[] = [];
  if (typeof values === 'number' || typeof values === 'boolean') flat = new Float64Array([Number(values)]);
  else if (ArrayBuffer.isView(values)) {
    flat = Float64Array.from(values as ArrayLike<number>);
    inferred = [flat.length];
  } else {
    const out: number[] = [];
    flatten(values as NestedArray, out, inferred, 0);
    flat = Float64Array.from(out);
  }
  const sh = shape ? shape.slice() : inferred;
  if (shape && flat.length === 1 && sizeOf(sh) !== 1) flat = new Float64Array(sizeOf(sh)).fill(flat[0]!);
  if (flat.length !== sizeOf(sh)) throw new Error(`Based on the provided shape, [${sh}], the tensor should have ${sizeOf(sh)} values but has ${flat.length}`);
  return new Tensor(coerce(dt === 'float32' ? flat : flat.slice(), dt), sh, dt);
}

export const scalar = (v: number | boolean, dtype?: DataType): Tensor => tensor(v, [], dtype);
export const tensor1d = (v: TensorLike, dtype?: DataType): Tensor => {
  const t = tensor(v, undefined, dtype);
  if (t.rank !== 1) throw new Error('tensor1d() requires values to be a flat/TypedArray');
  return t;
};
export const tensor2d = (v: TensorLike, shape?: [number, number], dtype?: DataType): Tensor => tensor(v, shape, dtype);
export const tensor3d = (v: TensorLike, shape?: [number, number, number], dtype?: DataType): Tensor => tensor(v, shape, dtype);

/** An op's argument as a tensor: numbers and arrays take float32, as tfjs's convertToTensor does. */
const T = (x: TensorLike): Tensor => (x instanceof Tensor ? x : tensor(x));

const RANK: Record<DataType, number> = { bool: 0, int32: 1, float32: 2 };
const upcast = (a: DataType, b: DataType): DataType => (RANK[a] >= RANK[b] ? a : b);

function one(name: string, inputs: Tensor[], attrs: Record<string, unknown>, shape: number[], dtype: DataType): Tensor {
  return runKernel(name, inputs, attrs, [{ shape, dtype }])[0]!;
}

export function cast(x: TensorLike, dtype: DataType): Tensor {
  const t = T(x);
  if (t.dtype === dtype) return clone(t);
  // Cast's IR truncates toward zero for int32, as tfjs does.
  return one('Cast', [t], { dtype: dtype === 'float32' ? 'float32' : dtype }, t.shape, dtype);
}

export function clone(x: TensorLike): Tensor {
  const t = T(x);
  return one('Identity', [t], {}, t.shape, t.dtype);
}

// ---------------------------------------------------------------- elementwise

type Unary = (x: TensorLike) => Tensor;
const unary = (kernel: string, keep = false): Unary => (x) => {
  const t = T(x);
  return one(kernel, [t], {}, t.shape, keep ? t.dtype : 'float32');
};

export const neg = unary('Neg', true);
export const exp = unary('Exp');
export const log = unary('Log');
export const log1p = unary('Log1p');
export const expm1 = unary('Expm1');
export const sqrt = unary('Sqrt');
export const rsqrt = unary('Rsqrt');
export const square = unary('Square', true);
export const sin = unary('Sin');
export const cos = unary('Cos');
export const tan = unary('Tan');
export const tanh = unary('Tanh');
export const sigmoid = unary('Sigmoid');
export const softplus = unary('Softplus');
export const abs = unary('Abs', true);
export const sign = unary('Sign', true);
export const floor = unary('Floor');
export const ceil = unary('Ceil');
export const round = unary('Round');
export const reciprocal = unary('Reciprocal');
export const erf = unary('Erf');
export const atan = unary('Atan');
export const relu = unary('Relu', true);
export const isFinite = (x: TensorLike): Tensor => one('IsFinite', [T(x)], {}, T(x).shape, 'bool');
export const isNaN = (x: TensorLike): Tensor => one('IsNan', [T(x)], {}, T(x).shape, 'bool');
export const logicalNot = (x: TensorLike): Tensor => one('LogicalNot', [T(x)], {}, T(x).shape, 'bool');
export const logSigmoid = (x: TensorLike): Tensor => neg(softplus(neg(x)));
export const asinh = (x: TensorLike): Tensor => {
  const t = T(x);
  return mul(sign(t), log(add(abs(t), sqrt(add(square(t), 1)))));
};

type Binary = (a: TensorLike, b: TensorLike) => Tensor;
const binary = (kernel: string, result?: DataType): Binary => (a, b) => {
  const x = T(a);
  const y = T(b);
  return one(kernel, [x, y], {}, broadcastShapes(x.shape, y.shape), result ?? upcast(x.dtype, y.dtype));
};

export const add = binary('Add');
export const sub = binary('Sub');
export const mul = binary('Multiply');
export const pow = binary('Pow');
export const maximum = binary('Maximum');
export const minimum = binary('Minimum');
export const squaredDifference = binary('SquaredDifference');
export const greater = binary('Greater', 'bool');
export const greaterEqual = binary('GreaterEqual', 'bool');
export const less = binary('Less', 'bool');
export const lessEqual = binary('LessEqual', 'bool');
export const equal = binary('Equal', 'bool');
export const notEqual = binary('NotEqual', 'bool');
export const logicalAnd = binary('LogicalAnd', 'bool');
export const logicalOr = binary('LogicalOr', 'bool');
export const floorDiv = binary('FloorDiv');

/** Division; integer tensors divide with floor, as tfjs's div does. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const x = T(a);
  const y = T(b);
  if (x.dtype === 'int32' && y.dtype === 'int32') return floorDiv(x, y);
  return one('RealDiv', [x, y], {}, broadcastShapes(x.shape, y.shape), upcast(x.dtype, y.dtype));
}

export function addN(xs: TensorLike[]): Tensor {
  const ts = xs.map(T);
  return one('AddN', ts, {}, ts[0]!.shape, ts[0]!.dtype);
}

export function where(c: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const [tc, ta, tb] = [T(c), T(a), T(b)];
  const shape = broadcastShapes(broadcastShapes(tc.shape, ta.shape), tb.shape);
  return one('Select', [tc, ta, tb], {}, shape, upcast(ta.dtype, tb.dtype));
}

export function clipByValue(x: TensorLike, lo: number, hi: number): Tensor {
  const t = T(x);
  return one('ClipByValue', [t], { clipValueMin: lo, clipValueMax: hi }, t.shape, t.dtype);
}

// ---------------------------------------------------------------- reductions

export function parseAxisParam(axis: number | number[] | undefined | null, shape: readonly number[]): number[] {
  const rank = shape.length;
  const list = axis === undefined || axis === null ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  return list.map((a) => {
    if (a < -Math.max(rank, 1) || a >= Math.max(rank, 1)) throw new Error(`All values in axis param must be in range [-${rank}, ${rank}) but got axis ${a}`);
    return a < 0 ? a + rank : a;
  });
}

function reducedShape(shape: readonly number[], axes: number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

const reduction = (kernel: string, dtypeOf: (d: DataType) => DataType) => (x: TensorLike, axis?: number | number[] | null, keepDims = false): Tensor => {
  const t = T(x);
  const axes = parseAxisParam(axis, t.shape);
  return one(kernel, [t], { axis: axes, keepDims }, reducedShape(t.shape, axes, keepDims), dtypeOf(t.dtype));
};

export const sum = reduction('Sum', (d) => (d === 'bool' ? 'int32' : d));
export const mean = reduction('Mean', () => 'float32');
export const max = reduction('Max', (d) => d);
export const min = reduction('Min', (d) => d);

/** Product along axes: no IR rule (tfjs's Prod), so it runs only on constants. */
export function prod(x: TensorLike, axis?: number | number[] | null, keepDims = false): Tensor {
  const t = T(x);
  const rec = recording();
  if (rec?.active && rec.traced(t)) throw new NotCompilable('the tfjs kernel Prod');
  const axes = parseAxisParam(axis, t.shape);
  const shape = reducedShape(t.shape, axes, true);
  const out = new Float64Array(sizeOf(shape)).fill(1);
  const os = stridesOf(shape);
  const idx = new Array<number>(t.rank).fill(0);
  const v = t.values;
  for (let i = 0; i < v.length; i++) {
    let o = 0;
    for (let d = 0; d < t.rank; d++) if (shape[d] !== 1) o += idx[d]! * os[d]!;
    out[o] *= v[i]!;
    for (let d = t.rank - 1; d >= 0; d--) {
      if (++idx[d]! < t.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return new Tensor(out, reducedShape(t.shape, axes, keepDims), t.dtype === 'bool' ? 'int32' : t.dtype);
}

export function all(x: TensorLike, axis?: number | number[] | null, keepDims = false): Tensor {
  return cast(equal(min(cast(x, 'int32'), axis, keepDims), 1), 'bool');
}

export function argMax(x: TensorLike, axis = 0): Tensor {
  const t = T(x);
  const a = parseAxisParam(axis, t.shape);
  return one('ArgMax', [t], { axis: a }, reducedShape(t.shape, a, false), 'int32');
}

export function argMin(x: TensorLike, axis = 0): Tensor {
  const t = T(x);
  const a = parseAxisParam(axis, t.shape);
  return one('ArgMin', [t], { axis: a }, reducedShape(t.shape, a, false), 'int32');
}

/** log Σ exp along axes, shifted by the (held) maximum as tfjs does. */
export function logSumExp(x: TensorLike, axis?: number | number[] | null, keepDims = false): Tensor {
  const t = T(x);
  const axes = parseAxisParam(axis, t.shape);
  const m = max(t, axes, true);
  const s = log(sum(exp(sub(t, m)), axes, true));
  const r = add(m, s);
  return keepDims ? r : reshape(r, reducedShape(t.shape, axes, false));
}

export function softmax(logits: TensorLike, dim = -1): Tensor {
  const t = T(logits);
  if (dim !== -1 && dim !== t.rank - 1) throw new Error('Softmax along a non-last dimension is not yet supported.');
  return one('Softmax', [t], { dim: -1 }, t.shape, 'float32');
}

export function logSoftmax(logits: TensorLike, axis = -1): Tensor {
  const t = T(logits);
  return sub(t, logSumExp(t, axis, true));
}

export function cumsum(x: TensorLike, axis = 0, exclusive = false, reverse = false): Tensor {
  const t = T(x);
  return one('Cumsum', [t], { axis, exclusive, reverse }, t.shape, t.dtype);
}

// ---------------------------------------------------------------- shapes

export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = T(x);
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const out = shape.map((d) => (d === -1 ? t.size / known : d));
  if (sizeOf(out) !== t.size) throw new Error(`Size(${t.size}) must match the product of shape ${shape.join(',')}`);
  return one('Reshape', [t], { shape: out }, out, t.dtype);
}

export function expandDims(x: TensorLike, axis = 0): Tensor {
  const t = T(x);
  const a = axis < 0 ? axis + t.rank + 1 : axis;
  const shape = [...t.shape.slice(0, a), 1, ...t.shape.slice(a)];
  return one('ExpandDims', [t], { dim: a }, shape, t.dtype);
}

export function squeeze(x: TensorLike, axis?: number[]): Tensor {
  const t = T(x);
  const axes = axis === undefined ? t.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : axis.map((a) => (a < 0 ? a + t.rank : a));
  for (const a of axes) if (t.shape[a] !== 1) throw new Error(`Can't squeeze axis ${a} since its dim '${t.shape[a]}' is not 1`);
  return one('Squeeze', [t], { axis: axes }, t.shape.filter((_, i) => !axes.includes(i)), t.dtype);
}

export function transpose(x: TensorLike, perm?: number[]): Tensor {
  const t = T(x);
  const p = perm ?? [...Array(t.rank).keys()].reverse();
  return one('Transpose', [t], { perm: p }, p.map((d) => t.shape[d]!), t.dtype);
}

export function slice(x: TensorLike, begin: number | number[], size?: number | number[]): Tensor {
  const t = T(x);
  const b = (Array.isArray(begin) ? begin : [begin]).slice();
  while (b.length < t.rank) b.push(0);
  const s = size === undefined ? [] : Array.isArray(size) ? size.slice() : [size];
  while (s.length < t.rank) s.push(-1);
  const out = t.shape.map((d, i) => (s[i] === -1 ? d - b[i]! : s[i]!));
  for (let i = 0; i < t.rank; i++) if (b[i]! < 0 || b[i]! + out[i]! > t.shape[i]! || out[i]! < 0) throw new Error(`slice of [${t.shape}] at [${b}] of size [${out}] is out of bounds`);
  return one('Slice', [t], { begin: b, size: out }, out, t.dtype);
}

export function concat(xs: TensorLike[], axis = 0): Tensor {
  const ts = xs.map(T);
  if (ts.length === 1) return clone(ts[0]!);
  const rank = ts[0]!.rank;
  const a = axis < 0 ? axis + rank : axis;
  const shape = ts[0]!.shape.slice();
  shape[a] = ts.reduce((acc, t) => acc + t.shape[a]!, 0);
  let dtype = ts[0]!.dtype;
  for (const t of ts) dtype = upcast(dtype, t.dtype);
  return one('Concat', ts, { axis: a }, shape, dtype);
}

export function stack(xs: TensorLike[], axis = 0): Tensor {
  const ts = xs.map(T);
  const rank = ts[0]!.rank + 1;
  const a = axis < 0 ? axis + rank : axis;
  const shape = [...ts[0]!.shape.slice(0, a), ts.length, ...ts[0]!.shape.slice(a)];
  return one('Pack', ts, { axis: a }, shape, ts[0]!.dtype);
}

export function unstack(x: TensorLike, axis = 0): Tensor[] {
  const t = T(x);
  const a = axis < 0 ? axis + t.rank : axis;
  const shape = t.shape.filter((_, i) => i !== a);
  return runKernel('Unpack', [t], { axis: a }, Array.from({ length: t.shape[a]! }, () => ({ shape, dtype: t.dtype })));
}

export function split(x: TensorLike, numOrSizeSplits: number | number[], axis = 0): Tensor[] {
  const t = T(x);
  const a = axis < 0 ? axis + t.rank : axis;
  const n = t.shape[a]!;
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') {
    if (n % numOrSizeSplits !== 0) throw new Error('Number of splits must evenly divide the axis.');
    sizes = new Array<number>(numOrSizeSplits).fill(n / numOrSizeSplits);
  } else {
    const rest = n - numOrSizeSplits.filter((s) => s !== -1).reduce((p, q) => p + q, 0);
    sizes = numOrSizeSplits.map((s) => (s === -1 ? rest : s));
  }
  if (sizes.reduce((p, q) => p + q, 0) !== n) throw new Error(`The sizes of the splits must sum to the axis' size ${n}`);
  return runKernel('SplitV', [t], { axis: a, numOrSizeSplits: sizes }, sizes.map((s) => ({ shape: t.shape.map((d, i) => (i === a ? s : d)), dtype: t.dtype })));
}

export function gather(x: TensorLike, indices: TensorLike, axis = 0, batchDims = 0): Tensor {
  const t = T(x);
  const ix = indices instanceof Tensor ? indices : tensor(indices as NestedArray, undefined, 'int32');
  const a = axis < 0 ? axis + t.rank : axis;
  const n = t.shape[a]!;
  if (!(ix.rec?.active && ix.node !== undefined)) {
    for (const v of ix.values) if (v < 0 || v >= n || !Number.isInteger(v)) throw new Error(`GatherV2: the index value ${v} is not in [0, ${n - 1}]`);
  }
  const shape = [...t.shape.slice(0, a), ...ix.shape, ...t.shape.slice(a + 1)];
  return one('GatherV2', [t, ix], { axis: a, batchDims }, shape, t.dtype);
}

export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = T(x);
  const out = broadcastShapes(t.shape, shape);
  if (out.length !== shape.length || out.some((d, i) => d !== shape[i])) throw new Error(`broadcastTo(): [${t.shape}] cannot be broadcast to [${shape}]`);
  return one('BroadcastTo', [t], { shape: out }, out, t.dtype);
}

export function tile(x: TensorLike, reps: readonly number[]): Tensor {
  const t = T(x);
  return one('Tile', [t], { reps }, t.shape.map((d, i) => d * reps[i]!), t.dtype);
}

export function pad(x: TensorLike, paddings: [number, number][], constantValue = 0): Tensor {
  const t = T(x);
  return one('PadV2', [t], { paddings, constantValue }, t.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]), t.dtype);
}

export function matMul(a: TensorLike, b: TensorLike, transposeA = false, transposeB = false): Tensor {
  const x = T(a);
  const y = T(b);
  if (x.rank < 2 || y.rank < 2) throw new Error(`Error in matMul: inputs must have rank >= 2, got ranks ${x.rank} and ${y.rank}.`);
  const m = transposeA ? x.shape.at(-1)! : x.shape.at(-2)!;
  const k = transposeA ? x.shape.at(-2)! : x.shape.at(-1)!;
  const k2 = transposeB ? y.shape.at(-1)! : y.shape.at(-2)!;
  const n = transposeB ? y.shape.at(-2)! : y.shape.at(-1)!;
  if (k !== k2) throw new Error(`Error in matMul: inner shapes (${k}) and (${k2}) of Tensors with shapes ${x.shape} and ${y.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  const batch = broadcastShapes(x.shape.slice(0, -2), y.shape.slice(0, -2));
  return one('BatchMatMul', [x, y], { transposeA, transposeB }, [...batch, m, n], upcast(x.dtype, y.dtype));
}

export function oneHot(indices: TensorLike, depth: number, onValue = 1, offValue = 0, dtype: DataType = 'int32'): Tensor {
  const ix = T(indices);
  return one('OneHot', [ix], { depth, onValue, offValue, dtype }, [...ix.shape, depth], dtype);
}

/** Adds `updates` into zeros of `shape` at `indices` (rows of one coordinate, as inference/ uses it). */
export function scatterND(indices: TensorLike, updates: TensorLike, shape: number[]): Tensor {
  const ix = indices instanceof Tensor ? indices : tensor(indices as NestedArray, undefined, 'int32');
  const u = T(updates);
  return one('ScatterNd', [ix, u], { shape }, shape, u.dtype);
}

// ---------------------------------------------------------------- creation

export const fill = (shape: readonly number[], value: number, dtype: DataType = 'float32'): Tensor => new Tensor(coerce(new Float64Array(sizeOf(shape)).fill(value), dtype), shape, dtype);
export const zeros = (shape: readonly number[], dtype: DataType = 'float32'): Tensor => fill(shape, 0, dtype);
export const ones = (shape: readonly number[], dtype: DataType = 'float32'): Tensor => fill(shape, 1, dtype);
export const zerosLike = (x: TensorLike): Tensor => zeros(T(x).shape, T(x).dtype);
export const onesLike = (x: TensorLike): Tensor => ones(T(x).shape, T(x).dtype);

export function eye(numRows: number, numColumns = numRows, batchShape?: number[], dtype: DataType = 'float32'): Tensor {
  const v = new Float64Array(numRows * numColumns);
  for (let i = 0; i < Math.min(numRows, numColumns); i++) v[i * numColumns + i] = 1;
  const m = new Tensor(v, [numRows, numColumns], dtype);
  if (!batchShape?.length) return m;
  return tile(reshape(m, [...batchShape.map(() => 1), numRows, numColumns]), [...batchShape, 1, 1]);
}

export function range(start: number, stop: number, step = 1, dtype: DataType = 'float32'): Tensor {
  if (step === 0) throw new Error('Cannot have a step of zero');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return new Tensor(coerce(Float64Array.from({ length: n }, (_, i) => start + i * step), dtype), [n], dtype);
}

export function linspace(start: number, stop: number, num: number): Tensor {
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  return new Tensor(Float64Array.from({ length: num }, (_, i) => start + i * step), [num], 'float32');
}
