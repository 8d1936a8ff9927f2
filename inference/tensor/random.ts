// Random tensors from a seed: the same seed gives the same values, as with
// tfjs's seeded ops (the values themselves differ from tfjs's: nothing compares
// the two, the compiled step draws its own noise). Dtypes as tfjs has them: an
// int32 normal is rounded, an int32 uniform truncated toward zero (tfjs writes
// the float into an Int32Array), a bool normal is an error.

import seedrandom from 'seedrandom';
import { Tensor, type DataType } from './tensor.js';
import { sizeOf } from '../compile/ir.js';

function stream(seed?: number | string): () => number {
  const rng = seed === undefined ? seedrandom.alea(String(Math.random())) : seedrandom.alea(String(seed));
  return () => rng();
}

function checkShape(shape: readonly number[]): void {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`Tensor must have a shape comprised of positive integers but got shape [${shape}].`);
}

// float32 values, as tfjs gives: a trace hands them to a float32 lowering unchanged.
const FLOAT32 = (x: number) => Math.fround(x);

export function randomUniform(shape: readonly number[], minval = 0, maxval = 1, dtype: DataType = 'float32', seed?: number | string): Tensor {
  checkShape(shape);
  const u = stream(seed);
  const v = new Float64Array(sizeOf(shape));
  const store = dtype === 'int32' ? (x: number) => x | 0 : dtype === 'bool' ? (x: number) => x & 255 : FLOAT32;
  for (let i = 0; i < v.length; i++) v[i] = store(minval + (maxval - minval) * u());
  return new Tensor(v, shape, dtype);
}

/** Normal draws by the Box–Muller transform of two uniforms (the first of (0, 1]). */
export function randomNormal(shape: readonly number[], mean = 0, stdDev = 1, dtype: DataType = 'float32', seed?: number | string): Tensor {
  checkShape(shape);
  if (dtype === 'bool') throw new Error(`Unsupported data type ${dtype}`);
  const u = stream(seed);
  const v = new Float64Array(sizeOf(shape));
  const store = dtype === 'int32' ? (x: number) => Math.round(x) | 0 : FLOAT32;
  for (let i = 0; i < v.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const a = 2 * Math.PI * u();
    v[i] = store(mean + stdDev * r * Math.cos(a));
    if (i + 1 < v.length) v[i + 1] = store(mean + stdDev * r * Math.sin(a));
  }
  return new Tensor(v, shape, dtype);
}
