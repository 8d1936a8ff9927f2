// Second handles on a tensor's buffer, made without running a kernel.
//
// tfjs copies a tensor by running a full Identity kernel (on wasm it also copies
// the buffer), and it does so for every tensor the tape saves for a gradient:
// `keep(clone(t))`. On the small tensors of a typical step that bookkeeping was
// ~30 % of all kernels run (bench/peers/RESULTS.md, "Profile of tilde's step").
// The cpu and wasm backends count references to a buffer (Reshape already
// shares buffers that way) and no kernel writes into its inputs, so a second
// handle on the same buffer has the same values and lifetime as the clone.
// A handle is recorded on the tape, as tfjs records its clone, wherever a
// gradient may be taken through a gradient (RELAX's surrogate loss): that
// differentiates through saved tensors, so they must stay connected to what
// they were made from.

import { tf } from './backend.js';
import { traceHooks } from './compile/hooks.js';

interface EngineInternals {
  backendName: string;
  backend: { incRef?: (dataId: object) => void };
  state: { tensorInfo: Map<object, { backend: unknown }>; activeScope: { name: string }; gradientDepth: number; kernelDepth: number };
  isTapeOn(): boolean;
  nextTensorId(): number;
  incRef(t: tf.Tensor, backend: unknown): void;
  clone<T extends tf.Tensor>(t: T): T;
  addTapeNode(name: string, inputs: { x: tf.Tensor }, outputs: tf.Tensor[], grad: (dy: tf.Tensor) => { x: () => tf.Tensor }, saved: tf.Tensor[], attrs: object): void;
}

type TensorCtor = new (shape: number[], dtype: tf.DataType, dataId: object, id: number) => tf.Tensor;

/** Backends whose buffers are reference-counted and never written in place (checked in their sources). */
const SHARING = new Set(['cpu', 'wasm']);

const engine = () => tf.engine() as unknown as EngineInternals;
let tfjsClone: (<T extends tf.Tensor>(t: T) => T) | undefined;

/** A new handle on t's buffer, tracked by the current scope; recorded on the tape with t's gradient when `record`. */
function share<R extends tf.Tensor>(t: R, record: boolean): R {
  const e = engine();
  const backend = e.backend;
  // A tensor from another backend (moved data) keeps tfjs's own path.
  if (!SHARING.has(e.backendName) || typeof backend.incRef !== 'function' || e.state.tensorInfo.get(t.dataId)?.backend !== backend) {
    return (tfjsClone ?? e.clone.bind(e))(t);
  }
  const shared = new (tf.Tensor as unknown as TensorCtor)(t.shape.slice(), t.dtype, t.dataId, e.nextTensorId()) as R;
  e.incRef(shared, backend);
  traceHooks.alias?.(t, shared);
  // tfjs's clone's gradient casts dy to float32.
  if (record) e.addTapeNode(e.state.activeScope.name, { x: t }, [shared], (dy) => ({ x: () => (dy.dtype === 'float32' ? alias(dy) : tf.cast(dy, 'float32')) }), [], {});
  return shared;
}

/** t as a new tensor without a kernel: what tf.clone gives (recorded while a tape records), for free. */
export function alias<R extends tf.Tensor>(t: R): R {
  return share(t, engine().isTapeOn());
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

/**
 * The engine's clone — the tape's saves and custom gradients' saves — makes shared handles (idempotent).
 * tfjs records every copy on the tape. Only a backward pass that is itself recorded reads saved
 * tensors differentiably, and that needs an enclosing tape, so the forward pass that saved them ran
 * with two or more tapes open: below that depth the record would only lengthen the tape that every
 * gradient call walks.
 */
export function installSharedTapeSaves(): void {
  if (installed) return;
  installed = true;
  const e = engine();
  tfjsClone = e.clone.bind(e);
  e.clone = <T extends tf.Tensor>(t: T): T => share(t, e.state.gradientDepth > 1);
}
