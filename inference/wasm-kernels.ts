// Contiguous slices on the wasm backend without copying the whole input first.
//
// tfjs-backend-wasm's Slice reads its input with readSync, which copies the
// entire tensor out of the wasm heap, and only then copies the slice; SplitV
// slices once per piece, so it copies the input once per piece. Cutting the flat
// parameter vector of the belief net (314,784 floats) into its five blocks took
// 5–9 ms that way, against 0.1–0.3 ms for adding two such vectors. A slice
// that is contiguous in memory (any slice of a vector; leading-axis slices and
// splits of anything) is one copy between two views of the heap. Other slices
// keep the backend's own kernels.

import type * as tfjs from '@tensorflow/tfjs';

type T = tfjs.TensorInfo;

interface WasmBackend {
  makeOutput(shape: number[], dtype: tfjs.DataType): T;
  typedArrayFromHeap(t: T): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = { inputs: { x: T }; attrs: Record<string, unknown>; backend: WasmBackend };

/** Copy x's flat range [offset, offset + size(shape)) into a new output of `shape`. */
function copyRange(tf: typeof tfjs, backend: WasmBackend, x: T, offset: number, shape: number[]): T {
  // makeOutput may grow the heap, which detaches earlier views: take them after it.
  const out = backend.makeOutput(shape, x.dtype);
  backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(offset, offset + tf.util.sizeFromShape(shape)));
  return out;
}

/** Re-register wasm's kernel `name` so that `fast` answers first; its undefined means: the backend's own kernel. */
function override(tf: typeof tfjs, name: string, fast: (a: KernelArgs) => T | T[] | undefined): void {
  const own = tf.getKernel(name, 'wasm')!;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...own, kernelFunc: (args) => fast(args as unknown as KernelArgs) ?? own.kernelFunc(args) });
}

let patched = false;

/** Re-registers wasm's Slice and SplitV with an in-heap path for contiguous pieces (idempotent; after the wasm backend loaded). */
export function fastWasmSlices(tf: typeof tfjs): void {
  if (patched || !tf.getKernel('Slice', 'wasm') || !tf.getKernel('SplitV', 'wasm')) return;
  patched = true;
  override(tf, 'Slice', ({ inputs: { x }, attrs, backend }) => {
    if (x.dtype === 'string') return undefined;
    const [begin, size] = tf.slice_util.parseSliceParams(x as tfjs.Tensor, attrs['begin'] as number[], attrs['size'] as number[]);
    if (!tf.slice_util.isSliceContinous(x.shape, begin, size)) return undefined;
    return copyRange(tf, backend, x, tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape)), size);
  });
  override(tf, 'SplitV', ({ inputs: { x }, attrs, backend }) => {
    const axis = tf.util.parseAxisParam(attrs['axis'] as number, x.shape)[0]!;
    if (x.dtype === 'string' || x.shape.slice(0, axis).some((d) => d !== 1)) return undefined;
    // Pieces along the first axis of extent > 1 are contiguous ranges, one after the other.
    const sizes = tf.backend_util.prepareSplitSize(x as tfjs.Tensor, attrs['numOrSizeSplits'] as number[] | number, axis);
    const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
    let offset = 0;
    return sizes.map((s) => {
      const shape = x.shape.slice();
      shape[axis] = s;
      const out = copyRange(tf, backend, x, offset, shape);
      offset += s * inner;
      return out;
    });
  });
}
