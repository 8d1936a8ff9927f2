// The full-data ELBO at fitted parameters, for reporting (issue 6): a minibatched fit's
// trace is an estimate along the way, on random subsets. Evaluated in chunks of the plate
// so memory stays bounded on large data: the ELBO is globals + Σ over entries of local
// parts, and each chunk contributes its entries' local parts (one chunk also gives the
// globals). No gradient; one tidy per chunk.

import { tf } from './backend.js';
import { batchOf, type PlateInfo } from './batch.js';
import { evaluateJoint, type JointOptions } from './joint.js';
import type { Layout } from './layout.js';
import { particleValue } from './objective.js';
import type { Rng } from './rng.js';
import type { Setup } from './setup.js';

export interface FullElboOptions {
  setup: Setup;
  layout: Layout;
  /** The plate to chunk along; without one the whole data are evaluated in one pass. */
  plate?: PlateInfo;
  S: number;
  rng: Rng;
  /** Plate entries per chunk. */
  chunk: number;
  /** The per-particle objective as the fit optimised it (default: the particle value of a plain evaluation). */
  objective?: (jo: JointOptions, flat: tf.Tensor) => { value: tf.Tensor; local?: tf.Tensor };
}

function plainObjective(jo: JointOptions, flat: tf.Tensor): { value: tf.Tensor; local?: tf.Tensor } {
  const j = evaluateJoint(jo, flat);
  return { value: particleValue(j, 'inference'), ...(j.local ? { local: j.local } : {}) };
}

/** Monte Carlo estimate of the ELBO over all the data (S particles per chunk). */
export function fullElbo(o: FullElboOptions, flat: tf.Tensor): number {
  const { setup, layout, plate, S, rng } = o;
  const objective = o.objective ?? plainObjective;
  if (!plate || !plate.splittable || layout.guide !== 'meanfield') {
    return tf.tidy(() => tf.mean(objective({ setup, layout, S, rng, mode: 'inference' }, flat).value).dataSync()[0]!);
  }
  let total = 0;
  for (let from = 0; from < plate.N; from += o.chunk) {
    const size = Math.min(o.chunk, plate.N - from);
    const indices = Int32Array.from({ length: size }, (_, i) => from + i);
    total += tf.tidy(() => {
      const b = batchOf(setup, layout, plate, indices, 1);
      const { value, local } = objective({ setup: b.setup, layout: b.layout, S, rng, mode: 'inference', batch: b.batch }, flat);
      // value = globals + local at weight 1: the first chunk counts its globals too.
      const part = from === 0 ? value : local!;
      return tf.mean(part).dataSync()[0]!;
    });
  }
  return total;
}
