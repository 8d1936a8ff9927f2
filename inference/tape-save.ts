// How the gradient tape keeps the tensors a kernel's gradient will need.
//
// tfjs saves each one by `keep(clone(t))`, and a clone is a full Identity kernel
// (plus a tape node of its own; on wasm it also copies the buffer). On the small
// tensors of a typical step that bookkeeping was ~30 % of all kernels run
// (bench/peers/RESULTS.md, "Profile of tilde's step"). The cpu and wasm backends
// count references to a buffer (Reshape already shares buffers that way), and no
// kernel writes into its inputs, so a saved tensor can be a second handle on the
// same buffer: the same values and lifetime as the clone, without the kernel.
// The clone's tape node stays: a gradient taken through a gradient (RELAX's
// surrogate loss) differentiates through saved tensors, so each one must stay
// connected to the tensor it was saved from.

import { tf } from './backend.js';

interface EngineInternals {
  backendName: string;
  backend: { incRef?: (dataId: object) => void };
  state: { tensorInfo: Map<object, { backend: unknown }>; activeScope: { name: string } };
  nextTensorId(): number;
  incRef(t: tf.Tensor, backend: unknown): void;
  keep<T extends tf.Tensor>(t: T): T;
  addTapeNode(name: string, inputs: { x: tf.Tensor }, outputs: tf.Tensor[], grad: (dy: tf.Tensor) => { x: () => tf.Tensor }, saved: tf.Tensor[], attrs: object): void;
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
}

type TensorCtor = new (shape: number[], dtype: tf.DataType, dataId: object, id: number) => tf.Tensor;

/** Backends whose buffers are reference-counted and never written in place (checked in their sources). */
const SHARING = new Set(['cpu', 'wasm']);

let installed = false;

/** Replace the tape's clone-per-saved-tensor by a shared, reference-counted handle (cpu and wasm only). */
export function installSharedTapeSaves(): void {
  if (installed) return;
  installed = true;
  const engine = tf.engine() as unknown as EngineInternals;
  const cloneSave = engine.saveTensorsForBackwardMode.bind(engine);
  const Tensor = tf.Tensor as unknown as TensorCtor;
  engine.saveTensorsForBackwardMode = function (this: EngineInternals, tensors: tf.Tensor[]): tf.Tensor[] {
    const backend = this.backend;
    if (!SHARING.has(this.backendName) || typeof backend.incRef !== 'function') return cloneSave(tensors);
    return tensors.map((t) => {
      // A tensor from another backend (moved data) keeps tfjs's own path.
      if (this.state.tensorInfo.get(t.dataId)?.backend !== backend) return cloneSave([t])[0]!;
      const shared = new Tensor(t.shape.slice(), t.dtype, t.dataId, this.nextTensorId());
      this.incRef(shared, backend);
      // As tfjs's clone records it (its gradient casts dy to float32).
      this.addTapeNode(this.state.activeScope.name, { x: t }, [shared], (dy) => ({ x: () => tf.cast(dy, 'float32') }), [], {});
      return this.keep(shared);
    });
  };
}
