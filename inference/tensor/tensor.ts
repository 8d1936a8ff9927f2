// The tensors the model code computes with when tfjs is not loaded: an array of
// float64 values with a shape and a tfjs dtype, which, inside a trace, also
// names the IR node that computes it (run.ts). The type follows tfjs's Tensor
// in what inference/ uses of it, so the same model code runs over either.

import { NotCompilable } from '../compile/from-tfjs.js';
import { sizeOf } from '../compile/ir.js';
import type { Recording } from './run.js';

export type DataType = 'float32' | 'int32' | 'bool';
export type Rank = number;
export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** The array type tfjs's dataSync gives for a dtype. */
export type DataTypeMap = { float32: Float32Array; int32: Int32Array; bool: Uint8Array };

let nextId = 0;

/** Scopes of tidy (scope.ts keeps them); a new tensor joins the innermost. */
export const registry = {
  live: 0,
  /** Distinct value arrays held by live tensors (tfjs's numDataBuffers). */
  buffers: 0,
  /** Bytes of every live tensor as tfjs stores it, shared buffers counted per tensor as tfjs counts them. */
  bytes: 0,
  scopes: [] as Set<Tensor>[],
};

/**
 * How many live tensors hold each value array. Tensors share one where tfjs shares a data buffer
 * (clone, a reshape, a cast to a wider dtype, a Variable and what it was assigned). Weak: an
 * array whose tensors were never disposed is still collected.
 */
const holders = new WeakMap<Float64Array, number>();
const BYTES: Record<DataType, number> = { float32: 4, int32: 4, bool: 1 };

function hold(v: Float64Array): void {
  const n = holders.get(v) ?? 0;
  holders.set(v, n + 1);
  if (n === 0) registry.buffers++;
}

function release(v: Float64Array): void {
  const n = holders.get(v) ?? 0;
  if (n <= 1) {
    holders.delete(v);
    registry.buffers--;
  } else holders.set(v, n - 1);
}

/** Tensor methods are attached by ops.ts, which imports this file: the two would otherwise import each other. */
export interface Tensor extends TensorMethods {}

export class Tensor {
  readonly id = nextId++;
  readonly shape: number[];
  readonly dtype: DataType;
  readonly size: number;
  /** The values, row-major, in float64 (booleans 0/1). */
  protected vals: Float64Array;
  /** The trace this tensor was computed in, and its node there (run.ts). */
  rec?: Recording;
  node?: number;
  isDisposedInternal = false;
  /** tfjs tensors carry a buffer handle; two tensors made by `clone` share none here. */
  readonly dataId: object = {};

  constructor(values: Float64Array, shape: readonly number[], dtype: DataType) {
    if (values.length !== sizeOf(shape)) throw new Error(`internal: ${values.length} values for shape [${shape}]`);
    this.vals = values;
    this.shape = shape.slice();
    this.dtype = dtype;
    this.size = values.length;
    registry.live++;
    registry.bytes += values.length * BYTES[dtype];
    hold(values);
    registry.scopes.at(-1)?.add(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.isDisposedInternal;
  }

  /** The float64 values, for the engine; throws if disposed. Never written in place: tensors share them. */
  get values(): Float64Array {
    if (this.isDisposedInternal) throw new Error('Tensor is disposed.');
    return this.vals;
  }

  private checkRead(): void {
    if (this.rec?.active && this.node !== undefined) throw new NotCompilable('a value read back to JavaScript during the step (a choice made on a sampled value)');
  }

  dataSync<D extends DataType = DataType>(): DataTypeMap[D] {
    this.checkRead();
    const v = this.values;
    if (this.dtype === 'int32') return Int32Array.from(v) as DataTypeMap[D];
    if (this.dtype === 'bool') return Uint8Array.from(v) as DataTypeMap[D];
    return Float32Array.from(v) as DataTypeMap[D];
  }

  data<D extends DataType = DataType>(): Promise<DataTypeMap[D]> {
    return Promise.resolve(this.dataSync<D>());
  }

  arraySync(): any {
    const flat = Array.from(this.dataSync() as ArrayLike<number>);
    if (this.shape.length === 0) return flat[0];
    // tfjs's toNestedArray: any empty tensor reads as [], whatever its shape.
    if (flat.length === 0) return [];
    const build = (d: number, at: number): unknown[] => {
      const n = this.shape[d]!;
      const stride = sizeOf(this.shape.slice(d + 1));
      return Array.from({ length: n }, (_, i) => (d === this.shape.length - 1 ? flat[at + i] : build(d + 1, at + i * stride)));
    };
    return build(0, 0);
  }

  array(): Promise<any> {
    return Promise.resolve(this.arraySync());
  }

  dispose(): void {
    if (this.isDisposedInternal) return;
    this.isDisposedInternal = true;
    registry.live--;
    registry.bytes -= this.vals.length * BYTES[this.dtype];
    release(this.vals);
  }

  print(): void {
    console.log(`Tensor [${this.shape}] ${this.dtype}\n${JSON.stringify(this.arraySync())}`);
  }

  toString(): string {
    return `Tensor [${this.shape}] ${this.dtype}`;
  }
}

let variableCount = 0;

export class Variable extends Tensor {
  readonly name: string;
  readonly trainable: boolean;

  /**
   * `init`'s values, shared (value arrays are never written in place), as tfjs shares the buffer;
   * cast to `dtype` where another is asked for, as tfjs casts (int32 truncates toward zero).
   */
  constructor(init: Tensor, trainable = true, name?: string, dtype?: DataType) {
    super(dtype === undefined || dtype === init.dtype ? init.values : castValues(init.values, dtype), init.shape, dtype ?? init.dtype);
    this.trainable = trainable;
    this.name = name ?? `v${variableCount++}`;
    // A Variable lives until disposed: tidy does not collect it.
    for (const s of registry.scopes) s.delete(this);
  }

  /** Takes `value`'s values (its shape and dtype); a trace records the assignment as state (run.ts). */
  assign(value: Tensor): void {
    if (this.isDisposedInternal) throw new Error(`Tensor is disposed.`);
    if (value.dtype !== this.dtype) throw new Error(`dtype of the new value (${value.dtype}) and previous value (${this.dtype}) must match`);
    if (value.rank !== this.rank || value.shape.some((d, i) => d !== this.shape[i]))
      throw new Error(`shape of the new value (${value.shape}) and previous value (${this.shape}) must match`);
    variableHooks.assign?.(this, value);
    const v = value.values;
    hold(v);
    release(this.vals);
    this.vals = v;
  }
}

function castValues(v: Float64Array, dtype: DataType): Float64Array {
  if (dtype === 'int32') return Float64Array.from(v, (x) => x | 0);
  if (dtype === 'bool') return Float64Array.from(v, (x) => (x !== 0 ? 1 : 0));
  return v;
}

/** The trace's hook on Variable.assign (run.ts installs it while a trace runs). */
export const variableHooks: { assign?: (v: Variable, value: Tensor) => void } = {};

/** Methods attached by ops.ts (the subset of tfjs's chained API that inference/ uses). */
export interface TensorMethods {
  add(b: TensorLike): Tensor;
  sub(b: TensorLike): Tensor;
  mul(b: TensorLike): Tensor;
  div(b: TensorLike): Tensor;
  pow(b: TensorLike): Tensor;
  maximum(b: TensorLike): Tensor;
  minimum(b: TensorLike): Tensor;
  greater(b: TensorLike): Tensor;
  greaterEqual(b: TensorLike): Tensor;
  less(b: TensorLike): Tensor;
  lessEqual(b: TensorLike): Tensor;
  equal(b: TensorLike): Tensor;
  notEqual(b: TensorLike): Tensor;
  logicalAnd(b: TensorLike): Tensor;
  logicalOr(b: TensorLike): Tensor;
  neg(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  log1p(): Tensor;
  sqrt(): Tensor;
  square(): Tensor;
  abs(): Tensor;
  sigmoid(): Tensor;
  tanh(): Tensor;
  floor(): Tensor;
  round(): Tensor;
  sign(): Tensor;
  reciprocal(): Tensor;
  logicalNot(): Tensor;
  isNaN(): Tensor;
  isFinite(): Tensor;
  sum(axis?: number | number[], keepDims?: boolean): Tensor;
  mean(axis?: number | number[], keepDims?: boolean): Tensor;
  max(axis?: number | number[], keepDims?: boolean): Tensor;
  min(axis?: number | number[], keepDims?: boolean): Tensor;
  prod(axis?: number | number[], keepDims?: boolean): Tensor;
  argMax(axis?: number): Tensor;
  logSumExp(axis?: number | number[], keepDims?: boolean): Tensor;
  reshape(shape: number[]): Tensor;
  expandDims(axis?: number): Tensor;
  squeeze(axis?: number[]): Tensor;
  transpose(perm?: number[]): Tensor;
  slice(begin: number | number[], size?: number | number[]): Tensor;
  gather(indices: Tensor | number[], axis?: number, batchDims?: number): Tensor;
  broadcastTo(shape: number[]): Tensor;
  tile(reps: number[]): Tensor;
  cast(dtype: DataType): Tensor;
  toFloat(): Tensor;
  toInt(): Tensor;
  clone(): Tensor;
  matMul(b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
  clipByValue(lo: number, hi: number): Tensor;
  flatten(): Tensor;
  as1D(): Tensor;
  asScalar(): Tensor;
  cumsum(axis?: number, exclusive?: boolean, reverse?: boolean): Tensor;
}

export type Scalar = Tensor;
export type Tensor1D = Tensor;
export type Tensor2D = Tensor;
export type Tensor3D = Tensor;
export type Tensor4D = Tensor;
export type NestedArray = number | boolean | NestedArray[];
export type TensorLike = Tensor | number | boolean | NestedArray | Float32Array | Float64Array | Int32Array | Uint8Array;
