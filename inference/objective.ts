// The value each particle contributes to the objective. The estimators (estimators/step.ts)
// build the step's loss from it: its value is the negative ELBO estimate (or the expected
// cost), its gradient the chosen estimators' gradient.

import { tf } from './backend.js';
import type { Joint } from './joint.js';
import * as ops from './ops.js';

/** Per-particle objective value: ELBO terms (inference) or −cost (optimisation), [S]. */
export function particleValue(j: Joint, mode: 'inference' | 'optimisation'): tf.Tensor {
  if (mode === 'optimisation') return tf.neg(j.cost);
  let v = tf.add(tf.sub(tf.add(j.logp, j.logdet), j.logqExplicit), j.entropy);
  // Score-function sites get their gradient from their estimator; the direct ∇ log q term
  // is zero in expectation, so it is left out of the value's gradient (less variance).
  for (const d of j.discrete) {
    const lq = sumAfterFirst(d.pathwise ? d.logq : ops.detach(d.logq));
    v = tf.sub(v, d.scale === 1 ? lq : tf.mul(lq, d.scale));
  }
  return v;
}

/**
 * log w = log p(x, z) − log q(z) per particle, [S]: the model's log density and the transforms'
 * log-Jacobians less every guide log density at its draw, all differentiable. PSIS weighs
 * posterior draws by it; the importance-weighted bound (estimators/vimco.ts) is built on it. The
 * joint must have been evaluated `withLogq` (the automatic guide's density at its draw).
 */
export function logWeights(j: Joint): tf.Tensor {
  let lw = tf.sub(tf.add(j.logp, j.logdet), tf.add(j.logqAuto, j.logqExplicit));
  for (const d of j.discrete) lw = tf.sub(lw, sumAfterFirst(d.logq));
  return lw;
}

export function sumAfterFirst(t: tf.Tensor): tf.Tensor {
  return t.rank <= 1 ? t : tf.sum(t, Array.from({ length: t.rank - 1 }, (_, i) => i + 1));
}
