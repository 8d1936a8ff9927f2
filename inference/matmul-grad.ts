// The gradient of matMul, re-registered so that the wasm backend never runs a
// matrix product with a transposed operand. tfjs's own gradient of a @ b is
// dy @ bᵀ and aᵀ @ dy, expressed with matMul's transpose flags, and the wasm
// backend's BatchMatMul with either flag set is 10–20× slower than without
// (measured here on the sigmoid belief net, [24, 784] × [784, 200]: 0.8 ms
// plain, 16 ms with transposeB, 18 ms with transposeA). Those backward
// products were most of a RELAX step's time.
//
// Any flagged product op(x) @ op(y) equals either an unflagged product of
// explicitly transposed operands, or the transpose of op'(y) @ op'(x) with the
// flags flipped ((AB)ᵀ = BᵀAᵀ). Each backward product takes whichever form
// transposes fewer elements: for the belief net that is the batch-sized
// operand, never the 784 × 200 weights. The gradient is built from matMul and
// transpose, both differentiable, so it is sound at second order (RELAX
// differentiates it again); other backends and batched (rank > 2) products
// keep the flagged form.

import { tf } from './backend.js';

type T = tf.Tensor;

const size = (t: T) => t.size;

/** op(x) @ op(y) by an unflagged matMul on wasm, choosing the cheaper of the two identities. */
export function flaglessMatMul(x: T, y: T, tx: boolean, ty: boolean): T {
  if ((!tx && !ty) || x.rank !== 2 || y.rank !== 2 || tf.getBackend() !== 'wasm') return tf.matMul(x, y, tx, ty);
  const rows = tx ? x.shape[1]! : x.shape[0]!;
  const cols = ty ? y.shape[0]! : y.shape[1]!;
  const direct = (tx ? size(x) : 0) + (ty ? size(y) : 0);
  const flipped = (tx ? 0 : size(x)) + (ty ? 0 : size(y)) + rows * cols;
  if (direct <= flipped) return tf.matMul(tx ? tf.transpose(x) : x, ty ? tf.transpose(y) : y);
  return tf.transpose(tf.matMul(ty ? y : tf.transpose(y), tx ? x : tf.transpose(x)));
}

let registered = false;

/** Replaces tfjs's BatchMatMul gradient by the flagless one (idempotent). */
export function registerMatMulGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [T, T];
      const { transposeA: ta, transposeB: tb } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = dy as T;
      // C = op(a) @ op(b): ∂a = dy @ op(b)ᵀ (transposed back when a was), ∂b likewise.
      return {
        a: () => (ta ? flaglessMatMul(b, g, tb, true) : flaglessMatMul(g, b, false, !tb)),
        b: () => (tb ? flaglessMatMul(g, a, true, ta) : flaglessMatMul(a, g, !ta, false)),
      };
    },
  });
}
