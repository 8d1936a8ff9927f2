// Random tensors from a seed: the same seed gives the same values, as with
// tfjs's seeded ops (the values themselves differ from tfjs's: nothing compares
// the two, the compiled step draws its own noise).

import seedrandom from 'seedrandom';
import { Tensor, type DataType } from './tensor.js';
import { sizeOf } from '../compile/ir.js';

function stream(seed?: number): () => number {
  const rng = seed === undefined ? seedrandom.alea(String(Math.random())) : seedrandom.alea(String(seed));
  return () => rng();
}

export function randomUniform(shape: readonly number[], minval = 0, maxval = 1, dtype: DataType = 'float32', seed?: number): Tensor {
  const u = stream(seed);
  const v = new Float64Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = minval + (maxval - minval) * u();
  if (dtype === 'int32') for (let i = 0; i < v.length; i++) v[i] = Math.floor(v[i]!);
  else for (let i = 0; i < v.length; i++) v[i] = Math.fround(v[i]!);
  return new Tensor(v, shape, dtype);
}

/** Standard normal draws by the Box–Muller transform of two uniforms (the first of (0, 1]). */
export function randomNormal(shape: readonly number[], mean = 0, stdDev = 1, dtype: DataType = 'float32', seed?: number): Tensor {
  const u = stream(seed);
  const v = new Float64Array(sizeOf(shape));
  for (let i = 0; i < v.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const a = 2 * Math.PI * u();
    v[i] = mean + stdDev * r * Math.cos(a);
    if (i + 1 < v.length) v[i + 1] = mean + stdDev * r * Math.sin(a);
  }
  // float32 values, as tfjs gives: a trace hands them to a float32 lowering unchanged.
  for (let i = 0; i < v.length; i++) v[i] = Math.fround(v[i]!);
  return new Tensor(v, shape, dtype);
}
