// Second handles on a tensor's buffer, made without running a kernel, and
// stretches run with the gradient tape off — both seen by the tracer
// (compile/hooks.ts): a handle is the value it shares, and what an untaped
// stretch computes is held constant (an IR `stop`), which is how `detach` works.
//
// tfjs copies a tensor by running an Identity kernel, and it does so for every
// tensor its tape saves for a gradient: `keep(clone(t))`, run inside the kernel
// that saves it, where the tracer does not look. RELAX's and LAX's losses take a
// first-order gradient over tfjs while they are traced (their ĝ), so those saves
// are made handles the tracer sees instead. The cpu and wasm backends count
// references to a buffer (Reshape already shares buffers that way) and no kernel
// writes into its inputs, so a second handle on the same buffer has the same
// values and lifetime as the clone. tfjs differentiates nothing twice any more
// (our reverse mode does, on the IR), so a handle is never recorded on the tape.

import { tf } from './backend.js';
import { traceHooks } from './compile/hooks.js';

interface EngineInternals {
  backendName: string;
  backend: { incRef?: (dataId: object) => void };
  state: { tensorInfo: Map<object, { backend: unknown }>; kernelDepth: number };
  nextTensorId(): number;
  incRef(t: tf.Tensor, backend: unknown): void;
  clone<T extends tf.Tensor>(t: T): T;
}

type TensorCtor = new (shape: number[], dtype: tf.DataType, dataId: object, id: number) => tf.Tensor;

/** Backends whose buffers are reference-counted and never written in place (checked in their sources). */
const SHARING = new Set(['cpu', 'wasm']);

const engine = () => tf.engine() as unknown as EngineInternals;
let tfjsClone: (<T extends tf.Tensor>(t: T) => T) | undefined;

/** A new handle on t's buffer, tracked by the current scope. */
function share<R extends tf.Tensor>(t: R): R {
  const e = engine();
  const backend = e.backend;
  // A tensor from another backend (moved data) keeps tfjs's own path.
  if (!SHARING.has(e.backendName) || typeof backend.incRef !== 'function' || e.state.tensorInfo.get(t.dataId)?.backend !== backend) {
    return (tfjsClone ?? e.clone.bind(e))(t);
  }
  const shared = new (tf.Tensor as unknown as TensorCtor)(t.shape.slice(), t.dtype, t.dataId, e.nextTensorId()) as R;
  e.incRef(shared, backend);
  traceHooks.alias?.(t, shared);
  return shared;
}

/** t as a new tensor without a kernel (not recorded on the tape: use it off the tape, as `detach` does). */
export function alias<R extends tf.Tensor>(t: R): R {
  return share(t);
}

/**
 * f's kernels run with the tape off, as tfjs runs a kernel's own inner ops: nothing is recorded
 * or saved, so what f returns is a constant to every gradient, at any order. A value held constant
 * this way also takes the ops that made it out of every backward pass, where a zero-gradient op on
 * the tape would still send zeros back through each of them.
 */
export function untaped<R>(f: () => R): R {
  const s = engine().state;
  s.kernelDepth++;
  traceHooks.untaped?.(1);
  try {
    return f();
  } finally {
    s.kernelDepth--;
    traceHooks.untaped?.(-1);
  }
}

let installed = false;

/** The engine's clone — the tape's saves and custom gradients' saves — makes shared handles (idempotent). */
export function installSharedTapeSaves(): void {
  if (installed) return;
  installed = true;
  const e = engine();
  tfjsClone = e.clone.bind(e);
  e.clone = <T extends tf.Tensor>(t: T): T => share(t);
}
