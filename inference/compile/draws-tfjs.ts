// Posterior draws of a fit whose step runs on tfjs kernels: the one-particle draw program of
// draws-js.ts, lowered to tfjs (lower-tfjs.ts) instead of JavaScript and run once per draw. Such
// models are large (a belief net's draw is a million values), and the eager tensors would make
// every draw's elementwise work in JavaScript: the draws of the belief net on 900 digits took 23 s
// eagerly, against a few seconds on wasm's kernels.

import type * as TF from '@tensorflow/tfjs';
import { tfjs as tf } from '../tfjs.js';
import type { Rng } from '../rng.js';
import { traceDraw, type Draws } from './draws-js.js';
import { lowerTfjs } from './lower-tfjs.js';
import { simplify } from './simplify.js';
import type { Tensor } from '../tensor/index.js';
import { fillFloat32Noise, liveNoise } from './step-tfjs.js';

/**
 * `n` draws (at most `maxValues` values in all) of each tensor `one(flat)` returns, where `one`
 * evaluates a single particle; the noise comes from `rng`. The reason instead when `one` cannot
 * be traced. tfjs must be loaded (the fit's step ran on it).
 */
export function drawOnTfjs(flat: Float32Array, one: (flat: Tensor) => Record<string, Tensor>, n: number, rng: Rng, maxValues = Infinity): Map<string, Draws> | { reason: string } {
  const traced = traceDraw(flat, one, n, maxValues);
  if ('reason' in traced) return traced;
  const { t, s, ids, outputs: out, kept } = traced;
  const low = lowerTfjs(s.program, ids);
  const leaves = new Set(low.leaves);
  const param = s.id(t.params[0]!);
  const noise = liveNoise(t.noise, s.program, (i) => leaves.has(i), s.id);
  const flatT = tf.tensor1d(flat);
  try {
    for (let d = 0; d < kept; d++) {
      fillFloat32Noise(noise, rng);
      // Values leave the tidy through the draws' arrays: tidy walks what it returns.
      tf.tidy(() => {
        const given = new Map<number, TF.Tensor>();
        if (leaves.has(param)) given.set(param, flatT);
        for (const z of noise) given.set(z.id, tf.tensor(z.values, z.shape));
        low.run(given).forEach((v, k) => out[k]!.draws.values.set(v.dataSync() as Float32Array, d * out[k]!.size));
      });
    }
  } finally {
    flatT.dispose();
    low.dispose();
  }
  return new Map(out.map((o) => [o.name, o.draws]));
}
