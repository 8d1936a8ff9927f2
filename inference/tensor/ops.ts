// tfjs's op API over eager tensors: each op works out its output's shape and
// dtype as tfjs does and runs the matching kernel (run.ts). Only what inference/
// uses is here; names, argument orders and defaults follow tfjs 4.
/* eslint-disable @typescript-eslint/no-explicit-any */

import { broadcastShapes, sizeOf, stridesOf } from '../compile/ir.js';
import { NotCompilable } from '../compile/from-tfjs.js';
import { recording, runKernel } from './run.js';
import { tidy } from './scope.js';
import { Tensor, type DataType, type NestedArray, type TensorLike } from './tensor.js';

// ---------------------------------------------------------------- conversion

function flatten(v: NestedArray, out: number[], shape: number[], depth: number): void {
  if (Array.isArray(v)) {
    if (shape.length <= depth) shape.push(v.length);
    else if (shape[depth] !== v.length) throw new Error(`values of ragged shape at depth ${depth}`);
    for (const x of v) flatten(x, out, shape, depth + 1);
  } else out.push(typeof v === 'boolean' ? (v ? 1 : 0) : Number(v));
}

/** tfjs's inferDtype: booleans are bool, integer typed arrays int32, anything else float32. */
function inferDtype(v: unknown): DataType {
  if (v instanceof Int32Array || v instanceof Uint8Array || v instanceof Uint8ClampedArray) return 'int32';
  let x = v;
  while (Array.isArray(x)) x = x[0];
  return typeof x === 'boolean' ? 'bool' : 'float32';
}

/** Values as a tfjs typed array of `dtype` would hold them: int32 by ToInt32, bool by Math.round(v) ≠ 0. */
function coerce(values: Float64Array, dtype: DataType): Float64Array {
  if (dtype === 'int32') for (let i = 0; i < values.length; i++) values[i] = values[i]! | 0;
  else if (dtype === 'bool') for (let i = 0; i < values.length; i++) values[i] = Math.round(values[i]!) !== 0 ? 1 : 0;
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
  if (sh.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`Tensor must have a shape comprised of positive integers but got shape [${sh}].`);
  if (flat.length !== sizeOf(sh)) throw new Error(`Based on the provided shape, [${sh}], the tensor should have ${sizeOf(sh)} values but has ${flat.length}`);
  return new Tensor(coerce(flat, dt), sh, dt);
}

export const scalar = (v: number | boolean, dtype?: DataType): Tensor => {
  if (Array.isArray(v) || ArrayBuffer.isView(v)) throw new Error('The value passed to scalar() must be a number or a boolean');
  return tensor(v, [], dtype);
};
/** tensorNd(values, shape?, dtype?): values of rank n, or flat values with a shape of rank n. */
const ranked = (n: number, name: string) => (v: TensorLike, shape?: number[], dtype?: DataType): Tensor => {
  if (shape && shape.length !== n) throw new Error(`${name}() requires shape to have ${n} numbers`);
  const t = tensor(v, shape, dtype);
  if (t.rank !== n) throw new Error(`${name}() requires ${n}D values, or a flat array with a shape`);
  return t;
};
export const tensor1d = (v: TensorLike, dtype?: DataType): Tensor => {
  const t = tensor(v, undefined, dtype);
  if (t.rank !== 1) throw new Error('tensor1d() requires values to be a flat/TypedArray');
  return t;
};
export const tensor2d: (v: TensorLike, shape?: [number, number], dtype?: DataType) => Tensor = ranked(2, 'tensor2d');
export const tensor3d: (v: TensorLike, shape?: [number, number, number], dtype?: DataType) => Tensor = ranked(3, 'tensor3d');

/**
 * An op's argument as a tensor, as tfjs's convertToTensor makes it: numbers and arrays take
 * `parseAs` (else their inferred dtype, float32 for numbers), and a tensor of another dtype than
 * a required one is an error.
 */
function T(x: TensorLike, parseAs?: DataType, arg = 'x', fn = 'op'): Tensor {
  if (x instanceof Tensor) {
    if (parseAs !== undefined && x.dtype !== parseAs) throw new Error(`Argument '${arg}' passed to '${fn}' must be ${parseAs} tensor, but got ${x.dtype} tensor`);
    return x;
  }
  if (x === null || x === undefined || (typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x)))
    throw new Error(`Argument '${arg}' passed to '${fn}' must be a Tensor or TensorLike, but got '${x === null || x === undefined ? 'null' : (x as object).constructor.name}'`);
  return tensor(x, undefined, parseAs ?? inferDtype(x));
}

/**
 * An op as tfjs's op() wraps one: tensors it makes along the way (converted arguments, casts,
 * the steps of a composite) are disposed when it returns, so memory() counts only its result.
 */
function op<F extends (...args: never[]) => unknown>(f: F): F {
  return ((...args: Parameters<F>) => tidy(() => f(...args))) as F;
}

const RANK: Record<DataType, number> = { bool: 0, int32: 1, float32: 2 };
const upcast = (a: DataType, b: DataType): DataType => (RANK[a] >= RANK[b] ? a : b);

function one(name: string, inputs: Tensor[], attrs: Record<string, unknown>, shape: number[], dtype: DataType): Tensor {
  return runKernel(name, inputs, attrs, [{ shape, dtype }])[0]!;
}

/** The same values under another dtype, stored as that dtype's typed array would hold them (no node in a trace). */
function retype(t: Tensor, dtype: DataType): Tensor {
  return t.dtype === dtype ? t : one('Identity', [t], {}, t.shape, dtype);
}

export const cast = op(function cast(x: TensorLike, dtype: DataType): Tensor {
  const t = T(x, undefined, 'x', 'cast');
  if (t.dtype === dtype) return clone(t);
  // Cast's IR truncates toward zero for int32 and tests ≠ 0 for bool, as tfjs does.
  return one('Cast', [t], { dtype }, t.shape, dtype);
});

export const clone = op(function clone(x: TensorLike): Tensor {
  const t = T(x, undefined, 'x', 'clone');
  return one('Identity', [t], {}, t.shape, t.dtype);
});

// ---------------------------------------------------------------- elementwise

type Unary = (x: TensorLike) => Tensor;
/**
 * tfjs's three kinds of unary op: some take float32 only (an int32 or bool tensor is an error),
 * some give float32 for any input, and the rest keep their input's dtype (on the cpu backend an
 * int32 input gives int32 values, truncated: round, reciprocal, softplus …).
 */
const floatOnly = (kernel: string, fn: string): Unary => (x) => {
  const t = T(x, 'float32', 'x', fn);
  return one(kernel, [t], {}, t.shape, 'float32');
};
const toFloat = (kernel: string, fn: string): Unary => (x) => {
  const t = T(x, undefined, 'x', fn);
  return one(kernel, [t], {}, t.shape, 'float32');
};
const keeping = (kernel: string, fn: string): Unary => (x) => {
  const t = T(x, undefined, 'x', fn);
  return one(kernel, [t], {}, t.shape, t.dtype);
};

const negate = keeping('Neg', 'neg');
/** −x; of a bool tensor tfjs gives it back unchanged (its kernel multiplies by −1 stored as a bool, 1). */
export const neg = op((x: TensorLike): Tensor => {
  const t = T(x, undefined, 'x', 'neg');
  return t.dtype === 'bool' ? clone(t) : negate(t);
});
export const exp = op(toFloat('Exp', 'exp'));
export const log = op(floatOnly('Log', 'log'));
export const log1p = op(keeping('Log1p', 'log1p'));
export const expm1 = op(keeping('Expm1', 'expm1'));
export const sqrt = op(floatOnly('Sqrt', 'sqrt'));
export const rsqrt = op(floatOnly('Rsqrt', 'rsqrt'));
export const square = op(keeping('Square', 'square'));
export const sin = op(floatOnly('Sin', 'sin'));
export const cos = op(floatOnly('Cos', 'cos'));
export const tan = op(floatOnly('Tan', 'tan'));
export const tanh = op(floatOnly('Tanh', 'tanh'));
export const sigmoid = op(floatOnly('Sigmoid', 'sigmoid'));
export const softplus = op(keeping('Softplus', 'softplus'));
export const abs = op(keeping('Abs', 'abs'));
export const sign = op(keeping('Sign', 'sign'));
export const floor = op(floatOnly('Floor', 'floor'));
export const ceil = op(floatOnly('Ceil', 'ceil'));
export const round = op(keeping('Round', 'round'));
export const reciprocal = op(keeping('Reciprocal', 'reciprocal'));
export const atan = op(keeping('Atan', 'atan'));
export const relu = op(keeping('Relu', 'relu'));
export const isFinite = op((x: TensorLike): Tensor => {
  const t = T(x, undefined, 'x', 'isFinite');
  return one('IsFinite', [t], {}, t.shape, 'bool');
});
export const isNaN = op((x: TensorLike): Tensor => {
  const t = T(x, undefined, 'x', 'isNaN');
  return one('IsNan', [t], {}, t.shape, 'bool');
});
export const logicalNot = op((x: TensorLike): Tensor => {
  const t = T(x, 'bool', 'x', 'logicalNot');
  return one('LogicalNot', [t], {}, t.shape, 'bool');
});

/** erf of float32 or int32 (as float32); bool is an error, as in tfjs. */
export const erf = op(function erf(x: TensorLike): Tensor {
  const t = T(x, undefined, 'x', 'erf');
  if (t.dtype === 'bool') throw new Error('Input dtype must be `int32` or `float32`.');
  return one('Erf', [t], {}, t.shape, 'float32');
});

export const logSigmoid = op((x: TensorLike): Tensor => neg(softplus(neg(x))));

/** asinh x = sign(x) log(|x| + √(x² + 1)), in the input's dtype as tfjs's kernel gives it. */
export const asinh = op((x: TensorLike): Tensor => {
  const t = T(x, undefined, 'x', 'asinh');
  const f = t.dtype === 'float32' ? t : cast(t, 'float32');
  return retype(mul(sign(f), log(add(abs(f), sqrt(add(square(f), 1))))), t.dtype);
});

/** The shape two operands broadcast to, or tfjs's error. */
function broadcast(a: readonly number[], b: readonly number[]): number[] {
  try {
    return broadcastShapes(a, b);
  } catch {
    throw new Error(`Operands could not be broadcast together with shapes ${a} and ${b}.`);
  }
}

type Binary = (a: TensorLike, b: TensorLike) => Tensor;
/**
 * An op of two arguments: both converted (numbers are float32), brought to one dtype as tfjs's
 * makeTypesMatch does, and broadcast; `result` fixes the output's dtype where the kernel does.
 */
const binary = (kernel: string, fn: string, result?: DataType, before?: (x: Tensor, y: Tensor) => [Tensor, Tensor]): Binary => (a, b) => {
  let x = T(a, undefined, 'a', fn);
  let y = T(b, undefined, 'b', fn);
  const dtype = upcast(x.dtype, y.dtype);
  x = retype(x, dtype);
  y = retype(y, dtype);
  if (before) [x, y] = before(x, y);
  return one(kernel, [x, y], {}, broadcast(x.shape, y.shape), result ?? x.dtype);
};

/** maximum and minimum of bools compare them as int32 (tfjs casts them). */
const boolAsInt = (x: Tensor, y: Tensor): [Tensor, Tensor] => (x.dtype === 'bool' ? [cast(x, 'int32'), cast(y, 'int32')] : [x, y]);

export const add = op(binary('Add', 'add'));
export const sub = op(binary('Sub', 'sub'));
export const mul = op(binary('Multiply', 'mul'));
export const pow = op(binary('Pow', 'pow'));
export const maximum = op(binary('Maximum', 'maximum', undefined, boolAsInt));
export const minimum = op(binary('Minimum', 'minimum', undefined, boolAsInt));
export const squaredDifference = op(binary('SquaredDifference', 'squaredDifference'));
export const greater = op(binary('Greater', 'greater', 'bool'));
export const greaterEqual = op(binary('GreaterEqual', 'greaterEqual', 'bool'));
export const less = op(binary('Less', 'less', 'bool'));
export const lessEqual = op(binary('LessEqual', 'lessEqual', 'bool'));
export const equal = op(binary('Equal', 'equal', 'bool'));
export const notEqual = op(binary('NotEqual', 'notEqual', 'bool'));
/** Floor of the quotient; tfjs's kernel (cpu, webgl) gives int32 whatever the inputs. */
export const floorDiv = op(binary('FloorDiv', 'floorDiv', 'int32'));

const logical = (kernel: string, fn: string): Binary => (a, b) => {
  const x = T(a, 'bool', 'a', fn);
  const y = T(b, 'bool', 'b', fn);
  return one(kernel, [x, y], {}, broadcast(x.shape, y.shape), 'bool');
};
export const logicalAnd = op(logical('LogicalAnd', 'logicalAnd'));
export const logicalOr = op(logical('LogicalOr', 'logicalOr'));

/** Division; two int32 tensors (after the dtypes are matched) divide with floor, as tfjs's div does. */
export const div = op(function div(a: TensorLike, b: TensorLike): Tensor {
  const x = T(a, undefined, 'a', 'div');
  const y = T(b, undefined, 'b', 'div');
  const dtype = upcast(x.dtype, y.dtype);
  if (dtype === 'int32') return floorDiv(retype(x, dtype), retype(y, dtype));
  return one('RealDiv', [retype(x, dtype), retype(y, dtype)], {}, broadcast(x.shape, y.shape), dtype);
});

export const addN = op(function addN(xs: TensorLike[]): Tensor {
  if (!Array.isArray(xs)) throw new Error('The argument passed to tf.addN() must be a list of tensors');
  if (xs.length < 1) throw new Error(`Must pass at least one tensor to tf.addN(), but got ${xs.length}`);
  const ts = xs.map((x, i) => T(x, undefined, `tensors${i}`, 'addN'));
  for (const t of ts) {
    if (t.shape.length !== ts[0]!.shape.length || t.shape.some((d, i) => d !== ts[0]!.shape[i])) throw new Error('All tensors passed to tf.addN() must have the same shape');
    if (t.dtype !== ts[0]!.dtype) throw new Error('All tensors passed to tf.addN() must have the same dtype');
  }
  return one('AddN', ts, {}, ts[0]!.shape, ts[0]!.dtype);
});

export const where = op(function where(c: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const ta = T(a, undefined, 'a', 'where');
  const tb = T(b, undefined, 'b', 'where');
  const tc = T(c, 'bool', 'condition', 'where');
  const shape = broadcast(broadcast(tc.shape, ta.shape), tb.shape);
  return one('Select', [tc, ta, tb], {}, shape, upcast(ta.dtype, tb.dtype));
});

export const clipByValue = op(function clipByValue(x: TensorLike, lo: number, hi: number): Tensor {
  const t = T(x, undefined, 'x', 'clipByValue');
  if (!(lo <= hi)) throw new Error(`Error in clip: min (${lo}) must be less than or equal to max (${hi}).`);
  if (lo === hi) return fill(t.shape, lo, t.dtype);
  return one('ClipByValue', [t], { clipValueMin: lo, clipValueMax: hi }, t.shape, t.dtype);
});

// ---------------------------------------------------------------- reductions

/** tfjs's util.parseAxisParam: every axis (default all) in [−rank, rank), made non-negative. */
export function parseAxisParam(axis: number | number[] | undefined | null, shape: readonly number[]): number[] {
  const rank = shape.length;
  const list = axis === undefined || axis === null ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  for (const a of list) {
    if (!(a >= -rank && a < rank)) throw new Error(`All values in axis param must be in range [-${rank}, ${rank}) but got axis ${a}`);
    if (!Number.isInteger(a)) throw new Error(`All values in axis param must be integers but got axis ${a}`);
  }
  return list.map((a) => (a < 0 ? a + rank : a));
}

function reducedShape(shape: readonly number[], axes: number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** How many entries each output of a reduction over `axes` gathers. */
const reduceSize = (shape: readonly number[], axes: number[]): number => sizeOf(shape.filter((_, i) => axes.includes(i)));

const reduction = (kernel: string, fn: string, dtypeOf: (d: DataType) => DataType) => (x: TensorLike, axis?: number | number[] | null, keepDims = false): Tensor => {
  const t = T(x, undefined, 'x', fn);
  const axes = parseAxisParam(axis, t.shape);
  const shape = reducedShape(t.shape, axes, keepDims);
  const dtype = dtypeOf(t.dtype);
  // tfjs's max and min start from the first entry, which an empty reduction reads as undefined.
  if ((kernel === 'Max' || kernel === 'Min') && reduceSize(t.shape, axes) === 0) return fill(shape, NaN, dtype);
  return one(kernel, [t], { axis: axes, keepDims }, shape, dtype);
};

export const sum = op(reduction('Sum', 'sum', (d) => (d === 'bool' ? 'int32' : d)));
export const mean = op(reduction('Mean', 'mean', () => 'float32'));
export const max = op(reduction('Max', 'max', (d) => d));
export const min = op(reduction('Min', 'min', (d) => d));

/** Product along axes: no IR rule (tfjs's Prod), so it runs only on constants. */
export const prod = op(function prod(x: TensorLike, axis?: number | number[] | null, keepDims = false): Tensor {
  const t = T(x, undefined, 'x', 'prod');
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
  const dtype = t.dtype === 'bool' ? 'int32' : t.dtype;
  return new Tensor(dtype === 'int32' ? coerce(out, dtype) : out, reducedShape(t.shape, axes, keepDims), dtype);
});

export const all = op(function all(x: TensorLike, axis?: number | number[] | null, keepDims = false): Tensor {
  const t = T(x, 'bool', 'x', 'all');
  return cast(min(cast(t, 'int32'), axis, keepDims), 'bool');
});

const argExtreme = (kernel: string, fn: string) => (x: TensorLike, axis = 0): Tensor => {
  const t = T(x, undefined, 'x', fn);
  const a = parseAxisParam(axis, t.shape);
  return one(kernel, [t], { axis: a }, reducedShape(t.shape, a, false), 'int32');
};
export const argMax = op(argExtreme('ArgMax', 'argMax'));
export const argMin = op(argExtreme('ArgMin', 'argMin'));

/** log Σ exp along axes, shifted by the maximum, written as tfjs writes it. */
export const logSumExp = op(function logSumExp(x: TensorLike, axis?: number | number[] | null, keepDims = false): Tensor {
  const t = T(x, undefined, 'x', 'logSumExp');
  const axes = parseAxisParam(axis, t.shape);
  const m = max(t, axes, true);
  const s = log(sum(exp(sub(t, m)), axes));
  const r = add(reshape(m, s.shape), s);
  return keepDims ? reshape(r, reducedShape(t.shape, axes, true)) : r;
});

/** The last axis, named as -1 or rank − 1; tfjs has no other (its error otherwise). */
function lastAxis(t: Tensor, axis: number, what: string): number {
  parseAxisParam(axis, t.shape);
  const a = axis === -1 ? t.rank - 1 : axis;
  if (a !== t.rank - 1) throw new Error(`${what} along a non-last dimension is not yet supported. Logits was rank ${t.rank} and axis was ${a}`);
  return a;
}

export const softmax = op(function softmax(logits: TensorLike, dim = -1): Tensor {
  const t = T(logits, 'float32', 'logits', 'softmax');
  lastAxis(t, dim, 'Softmax');
  return one('Softmax', [t], { dim: t.rank - 1 }, t.shape, 'float32');
});

export const logSoftmax = op(function logSoftmax(logits: TensorLike, axis = -1): Tensor {
  const t = T(logits, undefined, 'logits', 'logSoftmax');
  const a = lastAxis(t, axis, 'Log Softmax');
  const shifted = sub(t, max(t, a, true));
  return sub(cast(shifted, 'float32'), log(sum(exp(shifted), a, true)));
});

/**
 * Cumulative sum along `axis` (negative counts from the end). tfjs 4.22's cpu kernel gives wrong
 * shapes for a negative axis and garbage for an axis past the rank; here the first is the axis
 * from the end and the second an error.
 */
export const cumsum = op(function cumsum(x: TensorLike, axis = 0, exclusive = false, reverse = false): Tensor {
  const t = T(x, undefined, 'x', 'cumsum');
  if (t.rank === 0) throw new Error('cumsum of a scalar: the input must have rank at least 1');
  const a = parseAxisParam(axis, t.shape)[0]!;
  const dtype = t.dtype === 'bool' ? 'int32' : t.dtype;
  if (t.size === 0) return zeros(t.shape, dtype);
  return one('Cumsum', [t], { axis: a, exclusive, reverse }, t.shape, dtype);
});

// ---------------------------------------------------------------- shapes

/** A shape with its one −1 worked out from `size`, checked as tfjs's inferFromImplicitShape does. */
function implicitShape(shape: readonly number[], size: number): number[] {
  let known = 1;
  let implicit = -1;
  shape.forEach((d, i) => {
    if (d >= 0) known *= d;
    else if (d === -1) {
      if (implicit !== -1) throw new Error(`Shapes can only have 1 implicit size. Found -1 at dim ${implicit} and dim ${i}`);
      implicit = i;
    } else throw new Error(`Shapes can not be < 0. Found ${d} at dim ${i}`);
  });
  if (implicit === -1) return shape.slice();
  if (known === 0) throw new Error(`Cannot infer the missing size in [${shape}] when there are 0 elements`);
  if (size % known !== 0) throw new Error(`The implicit shape can't be a fractional number. Got ${size} / ${known}`);
  const out = shape.slice();
  out[implicit] = size / known;
  return out;
}

export const reshape = op(function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = T(x, undefined, 'x', 'reshape');
  const out = implicitShape(shape, t.size);
  if (sizeOf(out) !== t.size) throw new Error(`new shape and old shape must have the same number of elements. Size(${t.size}) must match the product of shape ${shape.join(',')}`);
  return one('Reshape', [t], { shape: out }, out, t.dtype);
});

export const expandDims = op(function expandDims(x: TensorLike, axis = 0): Tensor {
  const t = T(x, undefined, 'x', 'expandDims');
  if (axis > t.rank) throw new Error('Axis must be <= rank of the tensor');
  if (axis < -(t.rank + 1)) throw new Error(`Axis must be in the interval [${-(t.rank + 1)}, ${t.rank}]`);
  const a = axis < 0 ? axis + t.rank + 1 : axis;
  const shape = [...t.shape.slice(0, a), 1, ...t.shape.slice(a)];
  return one('ExpandDims', [t], { dim: a }, shape, t.dtype);
});

export const squeeze = op(function squeeze(x: TensorLike, axis?: number[]): Tensor {
  const t = T(x, undefined, 'x', 'squeeze');
  const axes = axis === undefined ? t.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : parseAxisParam(axis, t.shape);
  for (const a of axes) if (t.shape[a] !== 1) throw new Error(`Can't squeeze axis ${a} since its dim '${t.shape[a]}' is not 1`);
  return one('Squeeze', [t], { axis: axes }, t.shape.filter((_, i) => !axes.includes(i)), t.dtype);
});

export const transpose = op(function transpose(x: TensorLike, perm?: number[]): Tensor {
  const t = T(x, undefined, 'x', 'transpose');
  const p = perm ?? [...Array(t.rank).keys()].reverse();
  if (p.length !== t.rank) throw new Error(`Error in transpose: rank of input ${t.rank} must match length of perm ${p}.`);
  for (const d of p) if (!(d >= 0 && d < t.rank)) throw new Error(`All entries in 'perm' must be between 0 and ${t.rank - 1} but got ${p}`);
  return one('Transpose', [t], { perm: p }, p.map((d) => t.shape[d]!), t.dtype);
});

export const slice = op(function slice(x: TensorLike, begin: number | number[], size?: number | number[]): Tensor {
  const t = T(x, undefined, 'x', 'slice');
  if (t.rank === 0) throw new Error('Slicing scalar is not possible');
  const b = typeof begin === 'number' ? [begin] : begin.slice();
  while (b.length < t.rank) b.push(0);
  const s = size === undefined ? [] : typeof size === 'number' ? [size] : size.slice();
  while (s.length < t.rank) s.push(-1);
  if (b.length !== t.rank || s.length !== t.rank) throw new Error(`Error in slice${t.rank}D: Length of begin ${b} and size ${s} must match the rank of the array (${t.rank}).`);
  const out = t.shape.map((d, i) => (s[i] === -1 ? d - b[i]! : s[i]!));
  for (let i = 0; i < t.rank; i++) {
    if (b[i]! < 0) throw new Error('slice() does not support negative begin indexing.');
    if (out[i]! < 0) throw new Error(`Bad value in size: size[${i}] = ${s[i]}`);
    if (b[i]! + out[i]! > t.shape[i]!) throw new Error(`Error in slice${t.rank}D: begin[${i}] + size[${i}] (${b[i]! + out[i]!}) would overflow input.shape[${i}] (${t.shape[i]})`);
  }
  return one('Slice', [t], { begin: b, size: out }, out, t.dtype);
});

/** Concatenation along `axis`; the result takes the first tensor's dtype, as tfjs's kernel does. */
export const concat = op(function concat(xs: TensorLike[], axis = 0): Tensor {
  if (xs.length < 1) throw new Error('Pass at least one tensor to concat');
  const ts = xs.map((x, i) => T(x, undefined, `tensors[${i}]`, 'concat'));
  if (ts.length === 1) return clone(ts[0]!);
  const first = ts[0]!;
  const a = parseAxisParam(axis, first.shape)[0]!;
  ts.forEach((t, i) => {
    if (t.rank !== first.rank) throw new Error(`Error in concat${first.rank}D: rank of tensors[${i}] must be the same as the rank of the rest (${first.rank})`);
    t.shape.forEach((d, k) => {
      if (k !== a && d !== first.shape[k]) throw new Error(`Error in concat${first.rank}D: Shape of tensors[${i}] (${t.shape}) does not match the shape of the rest (${first.shape}) along the non-concatenated axis ${i}.`);
    });
  });
  const shape = first.shape.slice();
  shape[a] = ts.reduce((acc, t) => acc + t.shape[a]!, 0);
  if (sizeOf(shape) === 0) return zeros(shape, first.dtype);
  const pieces = ts.filter((t) => t.size > 0);
  // tfjs hands a lone non-empty piece back unchanged, in its own dtype.
  if (pieces.length === 1) return clone(pieces[0]!);
  return one('Concat', pieces, { axis: a }, shape, first.dtype);
});

export const stack = op(function stack(xs: TensorLike[], axis = 0): Tensor {
  const ts = xs.map((x, i) => T(x, undefined, `tensors[${i}]`, 'stack'));
  if (ts.length < 1) throw new Error('Pass at least one tensor to tf.stack');
  const first = ts[0]!;
  if (axis > first.rank) throw new Error('Axis must be <= rank of the tensor');
  for (const t of ts) {
    if (t.rank !== first.rank || t.shape.some((d, i) => d !== first.shape[i])) throw new Error(`All tensors passed to stack must have matching shapes Shapes ${first.shape} and ${t.shape} must match`);
    if (t.dtype !== first.dtype) throw new Error('All tensors passed to stack must have matching dtypes');
  }
  const rank = first.rank + 1;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0) throw new Error(`Axis must be in the interval [${-rank}, ${rank - 1}]`);
  const shape = [...first.shape.slice(0, a), ts.length, ...first.shape.slice(a)];
  return one('Pack', ts, { axis: a }, shape, first.dtype);
});

export const unstack = op(function unstack(x: TensorLike, axis = 0): Tensor[] {
  const t = T(x, undefined, 'x', 'unstack');
  if (!(axis >= -t.rank && axis < t.rank)) throw new Error(`Axis = ${axis} is not in [-${t.rank}, ${t.rank})`);
  const a = axis < 0 ? axis + t.rank : axis;
  const shape = t.shape.filter((_, i) => i !== a);
  return runKernel('Unpack', [t], { axis: a }, Array.from({ length: t.shape[a]! }, () => ({ shape, dtype: t.dtype })));
});

export const split = op(function split(x: TensorLike, numOrSizeSplits: number | number[], axis = 0): Tensor[] {
  const t = T(x, undefined, 'x', 'split');
  const a = parseAxisParam(axis, t.shape)[0]!;
  const n = t.shape[a]!;
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') {
    if (n % numOrSizeSplits !== 0) throw new Error('Number of splits must evenly divide the axis.');
    sizes = new Array<number>(numOrSizeSplits).fill(n / numOrSizeSplits);
  } else {
    if (numOrSizeSplits.filter((s) => s === -1).length > 1) throw new Error('There should be only one negative value in split array.');
    const rest = n - numOrSizeSplits.filter((s) => s > 0).reduce((p, q) => p + q, 0);
    sizes = numOrSizeSplits.map((s) => (s === -1 ? rest : s));
    if (sizes.reduce((p, q) => p + q, 0) !== n) throw new Error('The sum of sizes must match the size of the axis dimension.');
  }
  return runKernel('SplitV', [t], { axis: a, numOrSizeSplits: sizes }, sizes.map((s) => ({ shape: t.shape.map((d, i) => (i === a ? s : d)), dtype: t.dtype })));
});

export const gather = op(function gather(x: TensorLike, indices: TensorLike, axis = 0, batchDims = 0): Tensor {
  const t = T(x, undefined, 'x', 'gather');
  const ix = T(indices, 'int32', 'indices', 'gather');
  const a = parseAxisParam(axis, t.shape)[0]!;
  let bd = batchDims;
  if (bd < -ix.rank || bd > ix.rank) throw new Error(`Expect batchDims in the range of [-${ix.rank}, ${ix.rank}], but got ${batchDims}`);
  if (bd < 0) bd += ix.rank;
  if (bd > a) throw new Error(`batchDims (${bd}) must be less than or equal to axis (${a}).`);
  for (let i = 0; i < bd; i++) if (t.shape[i] !== ix.shape[i]) throw new Error(`x.shape[${i}]: ${t.shape[i]} should be equal to indices.shape[${i}]: ${ix.shape[i]}.`);
  const n = t.shape[a]!;
  if (!(ix.rec?.active && ix.node !== undefined)) {
    for (const v of ix.values) if (v < 0 || v >= n) throw new Error(`GatherV2: the index value ${v} is not in [0, ${n - 1}]`);
  }
  const shape = [...t.shape.slice(0, a), ...ix.shape.slice(bd), ...t.shape.slice(a + 1)];
  return one('GatherV2', [t, ix], { axis: a, batchDims: bd }, shape, t.dtype);
});

export const broadcastTo = op(function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = T(x, undefined, 'x', 'broadcastTo');
  if (shape.length < t.rank) throw new Error(`broadcastTo(): shape.length=${shape.length} < input.rank=${t.rank}.`);
  const padded = [...new Array<number>(shape.length - t.rank).fill(1), ...t.shape];
  padded.forEach((d, i) => {
    if (d !== shape[i] && d !== 1) throw new Error(`broadcastTo(): [${t.shape}] cannot be broadcast to [${shape}].`);
  });
  return one('BroadcastTo', [t], { shape: shape.slice() }, shape.slice(), t.dtype);
});

export const tile = op(function tile(x: TensorLike, reps: readonly number[]): Tensor {
  const t = T(x, undefined, 'x', 'tile');
  if (reps.length !== t.rank) throw new Error(`Error in transpose: rank of input ${t.rank} must match length of reps ${reps}.`);
  return one('Tile', [t], { reps }, t.shape.map((d, i) => d * reps[i]!), t.dtype);
});

export const pad = op(function pad(x: TensorLike, paddings: [number, number][], constantValue = 0): Tensor {
  const t = T(x, undefined, 'x', 'pad');
  if (t.rank === 0) throw new Error('pad(scalar) is not defined. Pass non-scalar to pad');
  if (paddings.length !== t.rank) throw new Error(`pad(): ${paddings.length} paddings for a tensor of rank ${t.rank}`);
  return one('PadV2', [t], { paddings, constantValue }, t.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]), t.dtype);
});

export const matMul = op(function matMul(a: TensorLike, b: TensorLike, transposeA = false, transposeB = false): Tensor {
  let x = T(a, undefined, 'a', 'matMul');
  let y = T(b, undefined, 'b', 'matMul');
  const dtype = upcast(x.dtype, y.dtype);
  x = retype(x, dtype);
  y = retype(y, dtype);
  if (x.rank < 2 || y.rank < 2) throw new Error(`Error in matMul: inputs must have rank >= 2, got ranks ${x.rank} and ${y.rank}.`);
  const m = transposeA ? x.shape.at(-1)! : x.shape.at(-2)!;
  const k = transposeA ? x.shape.at(-2)! : x.shape.at(-1)!;
  const k2 = transposeB ? y.shape.at(-1)! : y.shape.at(-2)!;
  const n = transposeB ? y.shape.at(-2)! : y.shape.at(-1)!;
  if (k !== k2) throw new Error(`Error in matMul: inner shapes (${k}) and (${k2}) of Tensors with shapes ${x.shape} and ${y.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  const batch = broadcast(x.shape.slice(0, -2), y.shape.slice(0, -2));
  return one('BatchMatMul', [x, y], { transposeA, transposeB }, [...batch, m, n], dtype);
});

export const oneHot = op(function oneHot(indices: TensorLike, depth: number, onValue = 1, offValue = 0, dtype: DataType = 'int32'): Tensor {
  if (depth < 2) throw new Error(`Error in oneHot: depth must be >=2, but it is ${depth}`);
  const ix = T(indices, 'int32', 'indices', 'oneHot');
  return one('OneHot', [ix], { depth, onValue, offValue, dtype }, [...ix.shape, depth], dtype);
});

/** Adds `updates` into zeros of `shape` at `indices` (each row of the last axis one coordinate prefix). */
export const scatterND = op(function scatterND(indices: TensorLike, updates: TensorLike, shape: number[]): Tensor {
  const ix = T(indices, 'int32', 'indices', 'scatterND');
  const u = T(updates, undefined, 'updates', 'scatterND');
  const k = ix.shape.at(-1) ?? 0;
  if (ix.rank < 1 || k > shape.length) throw new Error(`Index innermost dimension length must be <= shape rank; got ${k} vs. ${shape.length}`);
  const expected = [...ix.shape.slice(0, -1), ...shape.slice(k)];
  if (u.rank !== expected.length || u.shape.some((d, i) => d !== expected[i])) throw new Error(`updates.shape [${u.shape}] must be [${expected}] (indices [${ix.shape}], shape [${shape}])`);
  return one('ScatterNd', [ix, u], { shape }, shape.slice(), u.dtype);
});

// ---------------------------------------------------------------- creation

/** tfjs's assertNonNegativeIntegerDimensions. */
function checkShape(shape: readonly number[]): void {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`Tensor must have a shape comprised of positive integers but got shape [${shape}].`);
}

/** `value` everywhere, stored as tfjs's typed array of `dtype` stores it (an Int32Array or Uint8Array's fill). */
export const fill = (shape: readonly number[], value: number, dtype: DataType = 'float32'): Tensor => {
  checkShape(shape);
  const v = dtype === 'int32' ? value | 0 : dtype === 'bool' ? value & 255 : value;
  return new Tensor(new Float64Array(sizeOf(shape)).fill(v), shape, dtype);
};
export const zeros = (shape: readonly number[], dtype: DataType = 'float32'): Tensor => fill(shape, 0, dtype);
export const ones = (shape: readonly number[], dtype: DataType = 'float32'): Tensor => fill(shape, 1, dtype);
export const zerosLike = op((x: TensorLike): Tensor => {
  const t = T(x, undefined, 'x', 'zerosLike');
  return zeros(t.shape, t.dtype);
});
export const onesLike = op((x: TensorLike): Tensor => {
  const t = T(x, undefined, 'x', 'onesLike');
  return ones(t.shape, t.dtype);
});

export const eye = op(function eye(numRows: number, numColumns = numRows, batchShape?: number[], dtype: DataType = 'float32'): Tensor {
  const v = new Float64Array(numRows * numColumns);
  for (let i = 0; i < Math.min(numRows, numColumns); i++) v[i * numColumns + i] = 1;
  const m = new Tensor(v, [numRows, numColumns], dtype);
  if (!batchShape) return m;
  if (batchShape.length < 1 || batchShape.length > 3) throw new Error(`eye() currently supports only 1D and 2D batchShapes, but received ${batchShape.length}D.`);
  return tile(reshape(m, [...batchShape.map(() => 1), numRows, numColumns]), [...batchShape, 1, 1]);
});

/**
 * tfjs's Range: start, then each value the previous plus `step` in the dtype's storage (an int32
 * range of step 0.5 stays at its start); a stop below the start with the default step counts down.
 */
export function range(start: number, stop: number, step = 1, dtype: DataType = 'float32'): Tensor {
  if (step === 0) throw new Error('Cannot have a step of zero');
  if (start === stop || (start < stop && step < 0) || (stop < start && step > 1)) return new Tensor(new Float64Array(0), [0], dtype);
  const n = Math.abs(Math.ceil((stop - start) / step));
  const s = stop < start && step === 1 ? -1 : step;
  const v = new Float64Array(n);
  const store = dtype === 'int32' ? (x: number) => x | 0 : dtype === 'bool' ? (x: number) => x & 255 : (x: number) => x;
  if (n > 0) v[0] = store(start);
  for (let i = 1; i < n; i++) v[i] = store(v[i - 1]! + s);
  return new Tensor(v, [n], dtype);
}

export function linspace(start: number, stop: number, num: number): Tensor {
  if (num <= 0) throw new Error('The number of values should be positive.');
  const step = (stop - start) / (num - 1);
  const v = new Float64Array(num);
  v[0] = start;
  for (let i = 1; i < num; i++) v[i] = v[i - 1]! + step;
  return new Tensor(v, [num], 'float32');
}
