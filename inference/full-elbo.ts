// The full-data ELBO at fitted parameters, for reporting (issue 6): a minibatched fit's
// trace is an estimate along the way, on random subsets. Evaluated in chunks of the plate
// so memory stays bounded on large data: the ELBO is globals + Σ over entries of local
// parts, and each chunk contributes its entries' local parts (one chunk also gives the
// globals). No gradient; one tidy per chunk.

import { tf } from './backend.js';
import { batchInputs, batchOf, type PlateInfo } from './batch.js';
import { chunkRunner, type ChunkRunner } from './compile/chunks-tfjs.js';
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
  /** Run the chunks on tfjs kernels (the fit's step ran there, and tfjs is loaded): traced once per chunk size. */
  onTfjs?: boolean;
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
  if (o.onTfjs) {
    const compiled = chunksOnTfjs({ ...o, plate, objective }, flat);
    if (compiled !== undefined) return compiled;
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

/**
 * The same sum with each chunk's program traced once per chunk size (its rows are the program's
 * inputs, as a minibatch step's are) and run on tfjs kernels; undefined when it does not trace.
 */
export function chunksOnTfjs(o: FullElboOptions & { plate: PlateInfo }, flat: tf.Tensor): number | undefined {
  const { setup, layout, S, plate } = o;
  const objective = o.objective ?? plainObjective;
  const init = Float32Array.from(flat.dataSync());
  const noise = o.rng.split('chunks');
  const runners = new Map<number, ChunkRunner>();
  try {
    let total = 0;
    for (let from = 0; from < plate.N; from += o.chunk) {
      const indices = Int32Array.from({ length: Math.min(o.chunk, plate.N - from) }, (_, i) => from + i);
      let runner = runners.get(indices.length);
      if (!runner) {
        const made = chunkRunner(
          init,
          (f) => {
            const b = batchOf(setup, layout, plate, indices, 1);
            const { value, local } = objective({ setup: b.setup, layout: b.layout, S, rng: o.rng.split('chunk'), mode: 'inference', batch: b.batch }, f);
            return { value: tf.mean(value), local: tf.mean(local ?? value) };
          },
          noise,
        );
        if ('reason' in made) return undefined;
        runners.set(indices.length, (runner = made));
      }
      const out = runner.run(batchInputs(layout, plate, indices));
      // value = globals + local at weight 1: the first chunk counts its globals too.
      total += from === 0 ? out['value']! : out['local']!;
    }
    return total;
  } finally {
    for (const r of runners.values()) r.dispose();
  }
}
