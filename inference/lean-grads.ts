// Gradients of the arithmetic kernels without tfjs's no-op kernels.
//
// tfjs's gradient functions for +, −, ×, ÷, x², log and √ cast every float32
// operand to float32 and reshape every result to the shape it already has; each
// of those is a full kernel run (bench/peers/profile.mjs: Cast and Reshape were
// a quarter of a RELAX step's kernels). These are the same formulas with the
// same operations in the same order — the values are bit-identical — minus the
// no-ops. They are built from differentiable ops, so they remain sound when a
// gradient is differentiated again (RELAX's surrogate training).

import { tf } from './backend.js';
import { alias } from './tape-save.js';

type T = tf.Tensor;

const f32 = (t: T): T => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

/** Axes of `out` along which an operand of `shape` was broadcast (tfjs's getReductionAxes). */
function reductionAxes(shape: number[], out: number[]): number[] {
  const axes: number[] = [];
  for (let i = 0; i < out.length; i++) {
    const d = shape[shape.length - 1 - i];
    const o = out[out.length - 1 - i]!;
    if (d === undefined || (d === 1 && o > 1)) axes.unshift(out.length - 1 - i);
  }
  return axes;
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Sum a broadcast result back to an operand's shape. */
function unbroadcast(res: T, shape: number[], out: number[]): T {
  const axes = reductionAxes(shape, out);
  const r = axes.length ? tf.sum(res, axes) : res;
  return sameShape(r.shape, shape) ? r : tf.reshape(r, shape);
}

/** The same for dy itself: the tape accumulates gradients by disposing them, so two inputs must never share dy's tensor object. */
function unbroadcastDy(dy: T, shape: number[], out: number[]): T {
  const r = unbroadcast(dy, shape, out);
  return r === dy ? alias(dy) : r;
}

const broadcastShape = (a: T, b: T): number[] => tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);

let registered = false;

/** tfjs's own gradient configs that these replaced (tests compare against them). */
export const replacedGradients = new Map<string, tf.GradConfig>();

const LEAN = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Square', 'Log', 'Sqrt', 'Cast', 'Identity'];

/** Re-registers the gradients of Add, Sub, Multiply, RealDiv, Square, Log, Sqrt, Cast and Identity (idempotent). */
export function registerLeanGradients(): void {
  if (registered) return;
  registered = true;
  for (const k of LEAN) {
    const g = tf.getGradient(k);
    if (g) replacedGradients.set(k, g);
  }
  tf.registerGradient({
    kernelName: 'Add',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [T, T];
      const out = broadcastShape(a, b);
      return { a: () => unbroadcastDy(dy as T, a.shape, out), b: () => unbroadcastDy(dy as T, b.shape, out) };
    },
  });
  tf.registerGradient({
    kernelName: 'Sub',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [T, T];
      const out = broadcastShape(a, b);
      return {
        a: () => unbroadcastDy(dy as T, a.shape, out),
        b: () => {
          // tfjs: reshape(neg(sum(dy)), shape)
          const axes = reductionAxes(b.shape, out);
          const r = tf.neg(axes.length ? tf.sum(dy as T, axes) : (dy as T));
          return sameShape(r.shape, b.shape) ? r : tf.reshape(r, b.shape);
        },
      };
    },
  });
  tf.registerGradient({
    kernelName: 'Multiply',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [T, T];
      const out = broadcastShape(a, b);
      return {
        a: () => unbroadcast(tf.mul(dy as T, f32(b)), a.shape, out),
        b: () => unbroadcast(tf.mul(dy as T, f32(a)), b.shape, out),
      };
    },
  });
  tf.registerGradient({
    kernelName: 'RealDiv',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [T, T];
      const out = broadcastShape(a, b);
      return {
        a: () => unbroadcast(tf.div(dy as T, f32(b)), a.shape, out),
        b: () => {
          let res = tf.mul(dy as T, f32(a));
          const axes = reductionAxes(b.shape, out);
          if (axes.length) res = tf.sum(res, axes);
          if (!sameShape(res.shape, b.shape)) res = tf.reshape(res, b.shape);
          return tf.neg(tf.div(res, f32(tf.square(b))));
        },
      };
    },
  });
  tf.registerGradient({
    kernelName: 'Square',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [T];
      return { x: () => tf.mul(dy as T, tf.mul(f32(x), 2)) };
    },
  });
  tf.registerGradient({
    kernelName: 'Log',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [T];
      return { x: () => tf.div(dy as T, f32(x)) };
    },
  });
  tf.registerGradient({
    kernelName: 'Sqrt',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [T];
      return { x: () => tf.div(dy as T, tf.mul(tf.sqrt(f32(x)), 2)) };
    },
  });
  // tfjs: dy.clone() and cast(dy, 'float32'), a kernel each for a float32 dy.
  for (const kernelName of ['Cast', 'Identity']) {
    tf.registerGradient({ kernelName, gradFunc: (dy) => ({ x: () => ((dy as T).dtype === 'float32' ? alias(dy as T) : tf.cast(dy as T, 'float32')) }) });
  }
}
