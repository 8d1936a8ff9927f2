// A program run over many chunks of a data set on tfjs kernels: traced once on the first chunk,
// with the chunk's row indices as inputs (batch.ts marks them), lowered to tfjs and run once per
// chunk with fresh noise. The full-data ELBO of a fit on tfjs kernels is evaluated this way: the
// eager tensors would do its elementwise work in JavaScript (the belief net on 9,000 MNIST digits:
// about 40 s in a profile, where tfjs's own kernels on wasm took 9 in the previous session).

import type * as TF from '@tensorflow/tfjs';
import { tfjs as tf } from '../tfjs.js';
import type { Rng } from '../rng.js';
import { sizeOf } from './ir.js';
import { lowerTfjs } from './lower-tfjs.js';
import { simplify } from './simplify.js';
import type { Tensor } from '../tensor/index.js';
import { fillFloat32Noise, liveNoise } from './step-tfjs.js';
import { traceStateless } from './trace.js';

/** Runs the traced program on one chunk's inputs (by key) and returns its scalar outputs. */
export type ChunkRunner = { run(inputs: ReadonlyMap<string, ArrayLike<number>>): Record<string, number>; dispose(): void };

/**
 * `fn(flat)` traced at `flat` (its scalar outputs by name) and lowered to tfjs kernels; the reason
 * instead when it does not trace. Noise is drawn from `rng` at each run. tfjs must be loaded.
 */
export function chunkRunner(flat: Float32Array, fn: (flat: Tensor) => Record<string, Tensor>, rng: Rng): ChunkRunner | { reason: string } {
  const t = traceStateless(flat, fn, { inputs: true });
  if ('reason' in t) return t;
  const names = Object.keys(t.program.outputs);
  const s = simplify(t.program);
  const ids = names.map((k) => s.id(t.program.outputs[k]!));
  const low = lowerTfjs(s.program, ids);
  const leaves = new Set(low.leaves);
  const param = s.id(t.params[0]!);
  const noise = liveNoise(t.noise, s.program, (i) => leaves.has(i), s.id);
  const inputs = t.inputs.filter((i) => leaves.has(s.id(i.id))).map((i) => ({ key: i.key, id: s.id(i.id), shape: s.program.nodes[s.id(i.id)]!.shape }));
  const flatT = tf.tensor1d(flat);
  return {
    run(given) {
      fillFloat32Noise(noise, rng);
      const out: Record<string, number> = {};
      // Values leave the tidy through `out`: tidy walks what it returns.
      tf.tidy(() => {
        const leafValues = new Map<number, TF.Tensor>();
        if (leaves.has(param)) leafValues.set(param, flatT);
        for (const z of noise) leafValues.set(z.id, tf.tensor(z.values, z.shape));
        for (const i of inputs) {
          const v = given.get(i.key);
          if (!v || v.length !== sizeOf(i.shape)) throw new Error(`internal: the chunk's input '${i.key}' has ${v?.length ?? 'no'} values, not ${sizeOf(i.shape)}`);
          leafValues.set(i.id, tf.tensor(Float32Array.from(v), i.shape));
        }
        low.run(leafValues).forEach((v, k) => (out[names[k]!] = (v.dataSync() as Float32Array)[0]!));
      });
      return out;
    },
    dispose() {
      flatT.dispose();
      low.dispose();
    },
  };
}
