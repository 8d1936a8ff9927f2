// The importance-weighted bound over a step's K particles (IWAE, Burda, Grosse & Salakhutdinov
// 2016) and VIMCO's per-sample learning signals for its score-function sites (Mnih & Rezende 2016).
//
//   L̂ = log (1/K) Σ_k w_k,  log w_k = log p(x, z_k) − log q(z_k)
//
// is a lower bound on log p(x) that tightens as K grows (K = 1 is the ELBO). Its gradient is
//
//   ∇L̂ = Σ_k w̃_k ∇ log w_k + Σ_k L̂ ∇ log q(z_k)        (w̃ = normalised weights)
//
// where the first sum is what autodiff of L̂ gives when log w keeps its pathwise dependence on the
// guide (reparameterised values and every log q), and the second is the score-function part of the
// discrete sites. VIMCO centres each sample's signal L̂ by the bound with that sample replaced by
// the geometric mean of the others, L̂₋ₖ, which does not depend on z_k and so leaves the estimate
// unbiased. The whole particle is one sample: the signal is not Rao-Blackwellised per site.

import { tf } from '../backend.js';
import * as ops from '../ops.js';

/** log of the mean of exp over `axis`. */
function logMeanExp(x: tf.Tensor, axis: number): tf.Tensor {
  return tf.sub(ops.logSumExp(x, axis), Math.log(x.shape[axis]!));
}

/**
 * The bound L̂ from the particles' log weights, scalar: [S] for one bound over the whole model,
 * or [S, n] for one bound per plate entry (a belief net's digits), summed over the entries.
 */
export function iwaeBound(logw: tf.Tensor): tf.Tensor {
  return tf.sum(logMeanExp(logw, 0));
}

/**
 * VIMCO's signal per particle (and entry), shaped like `logw`, held constant: L̂ − L̂₋ₖ, where L̂₋ₖ
 * is the bound with log w_k replaced by the mean of the other K − 1 log weights. Needs K ≥ 2.
 */
export function vimcoSignals(logw: tf.Tensor): tf.Tensor {
  const K = logw.shape[0]!;
  if (K < 2) throw new RangeError(`VIMCO needs at least 2 particles, found ${K}`);
  const lw = ops.detach(logw.rank === 1 ? logw.reshape([K, 1]) : logw);
  const n = lw.shape[1]!;
  const others = tf.div(tf.sub(tf.sum(lw, 0, true), lw), K - 1);
  // [k, j, n]: the log weights with the k-th replaced by the others' mean.
  const eye = tf.eye(K).reshape([K, K, 1]);
  const replaced = tf.add(tf.mul(tf.sub(1, eye), lw.reshape([1, K, n])), tf.mul(eye, others.reshape([K, 1, n])));
  const signal = tf.sub(logMeanExp(lw, 0).reshape([1, n]), logMeanExp(replaced, 1));
  return logw.rank === 1 ? signal.reshape([K]) : signal;
}
