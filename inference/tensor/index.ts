// The eager tensor library, shaped as the part of tfjs's namespace that
// inference/ uses: `import * as tf from './tensor/index.js'` reads as tfjs did.
// Values are float64 arrays; every op is a tfjs kernel run through the IR
// (run.ts), so tracing a model is running it with a Recording open.

import './methods.js';
import { sizeOf, broadcastShapes, stridesOf } from '../compile/ir.js';
import { Tensor, Variable, type DataType } from './tensor.js';
import { parseAxisParam } from './ops.js';

export * from './ops.js';
export { tidy, keep, dispose, memory } from './scope.js';
export { randomNormal, randomUniform } from './random.js';
export { grads, grad, customGrad, type GradSaveFunc } from './gradients.js';
export { stopGradient, untaped, withProducts, type ProductKernel } from './run.js';
export { Tensor, Variable };
export type { DataType, Rank, Scalar, Tensor1D, Tensor2D, Tensor3D, Tensor4D, TensorLike, TypedArray, NestedArray } from './tensor.js';

export function variable(init: Tensor, trainable = true, name?: string, dtype?: DataType): Variable {
  return new Variable(init, trainable, name, dtype);
}

/** The engine's name, where tfjs would name its backend. */
export function getBackend(): string {
  return 'js';
}

export const util = {
  sizeFromShape: (shape: readonly number[]) => sizeOf(shape),
  parseAxisParam: (axis: number | number[] | undefined | null, shape: readonly number[]) => parseAxisParam(axis, shape),
  computeStrides: (shape: readonly number[]) => stridesOf(shape).slice(0, -1),
};

export const broadcast_util = {
  assertAndGetBroadcastShape: (a: readonly number[], b: readonly number[]): number[] => {
    try {
      return broadcastShapes(a, b);
    } catch {
      throw new Error(`Operands could not be broadcast together with shapes ${a} and ${b}.`);
    }
  },
};
