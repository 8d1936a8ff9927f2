// Per-site gradient estimates w.r.t. the logits, gathered for diagnostics and `tilde grad`
// beside the step's loss (REINFORCE and RELAX report theirs the same way).

import { tf } from '../backend.js';

/** Sum a [S, ...] tensor down to the shape of `like` (the logits it is a gradient for). */
export function reduceTo(t: tf.Tensor, like: tf.Tensor): tf.Tensor {
  let r = t;
  while (r.rank > like.rank) r = tf.sum(r, 0);
  const axes = like.shape.map((d, i) => (d === 1 && r.shape[i] !== 1 ? i : -1)).filter((i) => i >= 0);
  return axes.length ? tf.sum(r, axes, true) : r;
}

/** Keeps `t` past the step's tidy under the site's name. */
export function collectEstimate(m: Map<string, tf.Tensor[]>, site: string, t: tf.Tensor): void {
  const l = m.get(site) ?? [];
  l.push(tf.keep(t));
  m.set(site, l);
}
