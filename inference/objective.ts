// The training objective of one step: a scalar loss whose VALUE is the negative
// ELBO estimate (or the expected cost in optimisation mode) and whose GRADIENT is
// the chosen estimators' gradient. Score-function parts enter as
// detach(signal − baseline) · (log q − detach(log q)), which is zero in value.

import { tf } from './backend.js';
import type { Joint } from './joint.js';
import * as ops from './ops.js';

export interface Objective {
  /** Minimised by the optimiser. */
  loss: tf.Tensor;
  /** ELBO estimate (inference) or −expected cost (optimisation), for reporting; scalar. */
  value: tf.Tensor;
}

/** Per-particle objective value: ELBO terms (inference) or −cost (optimisation), [S]. */
export function particleValue(j: Joint, mode: 'inference' | 'optimisation'): tf.Tensor {
  if (mode === 'optimisation') return tf.neg(j.cost);
  let v = tf.add(tf.sub(tf.add(j.logp, j.logdet), j.logqExplicit), j.entropy);
  // Score-function sites get their gradient from their estimator; the direct ∇ log q term
  // is zero in expectation, so it is left out of the value's gradient (less variance).
  for (const d of j.discrete) v = tf.sub(v, sumAfterFirst(d.pathwise ? d.logq : ops.detach(d.logq)));
  return v;
}

export function sumAfterFirst(t: tf.Tensor): tf.Tensor {
  return t.rank <= 1 ? t : tf.sum(t, Array.from({ length: t.rank - 1 }, (_, i) => i + 1));
}

/** Leave-one-out mean over particles: each particle's baseline is the mean of the others. */
export function leaveOneOut(f: tf.Tensor): tf.Tensor {
  const S = f.shape[0]!;
  if (S < 2) return tf.zerosLike(f);
  const total = tf.sum(f, 0, true);
  return tf.div(tf.sub(total, f), S - 1);
}

/** The plain objective: pathwise gradients for continuous sites, REINFORCE (leave-one-out) for discrete ones. */
export function basicObjective(j: Joint, mode: 'inference' | 'optimisation'): Objective {
  const f = particleValue(j, mode);
  const value = tf.mean(f);
  let surrogate = value;
  if (j.discrete.length) {
    const signal = ops.detach(tf.sub(f, leaveOneOut(f)));
    let logq = tf.zeros([j.S]);
    for (const d of j.discrete) logq = tf.add(logq, sumAfterFirst(d.logq));
    surrogate = tf.add(surrogate, tf.mean(tf.mul(signal, tf.sub(logq, ops.detach(logq)))));
  }
  return { loss: tf.neg(surrogate), value };
}
