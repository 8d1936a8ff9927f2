// Every random tensor of a step is drawn here, so the tracer (compile/trace.ts) can
// tell noise — new every step — from constants.
import { tf } from './backend.js';
import { traceHooks } from './compile/hooks.js';

export function normalNoise(shape: number[], seed: number): tf.Tensor {
  const t = tf.randomNormal(shape, 0, 1, 'float32', seed);
  traceHooks.noise?.(t, 'normal');
  return t;
}

/** Uniform on [0, 1). */
export function uniformNoise(shape: number[], seed: number): tf.Tensor {
  const t = tf.randomUniform(shape, 0, 1, 'float32', seed);
  traceHooks.noise?.(t, 'uniform');
  return t;
}
