// Shared by the estimator tests: gradient estimates of a fit's loss from its compiled step
// (compile/compile-fit.ts, the JavaScript lowering), the way a fit and `tilde grad` take them —
// on the full data, or on minibatches given to the step as index inputs (batch.ts).
import { batchInputs, batchOf, IndexSampler, type PlateInfo } from '../../inference/batch.js';
import { compileFitStep } from '../../inference/compile/compile-fit.js';
import type { JsStep } from '../../inference/compile/step-js.js';
import type { Estimators } from '../../inference/estimators/step.js';
import type { JointOptions } from '../../inference/joint.js';
import type { Rng } from '../../inference/rng.js';

export interface Minibatching {
  info: PlateInfo;
  B: number;
  /** The stream of the batches' rows. */
  rng: Rng;
}

/**
 * The compiled step of `est` at `init` with θ's learning rate 0: `train` steps train only what the
 * step trains beside θ (RELAX's φ, NVIL's ψ), then `draws` estimates of the loss's gradient w.r.t.
 * the flat parameters (fresh noise each, the state carried on as in a fit), as float64 copies.
 */
export function compiledGradients(est: Estimators, jo: JointOptions, init: Float32Array, o: { draws: number; train?: number; rng: Rng; batch?: Minibatching }): Float64Array[] {
  const mb = o.batch;
  const firstRows = mb && Int32Array.from({ length: mb.B }, (_, i) => i);
  const onBatch = mb && {
    plate: mb.info.plate,
    options: () => {
      const b = batchOf(jo.setup, jo.layout, mb.info, firstRows!, mb.info.N / mb.B);
      return { ...jo, setup: b.setup, layout: b.layout, batch: b.batch };
    },
  };
  const c = compileFitStep(est, jo, init, 'sgd', 0, o.rng, onBatch);
  if (!c.ok || !c.step) throw new Error(`the step does not compile: ${c.ok ? c.jsReason : c.reason}`);
  const step: JsStep = c.step;
  step.params.set(init);
  const sampler = mb && new IndexSampler(mb.info.N, mb.B, mb.rng);
  const feed = () => {
    if (sampler) for (const [key, values] of batchInputs(jo.layout, mb!.info, sampler.next())) step.setInput(key, values);
  };
  for (let k = 0; k < (o.train ?? 0); k++) {
    feed();
    step.step();
  }
  const out: Float64Array[] = [];
  for (let k = 0; k < o.draws; k++) {
    feed();
    step.estimate();
    out.push(Float64Array.from(step.grad));
  }
  return out;
}
