// Summing a discrete latent out of the model (`@marginalize`), as Stan's users write a
// mixture with log_sum_exp and Pyro enumerates a site that only the model samples.
// For a Bernoulli or Categorical z (a scalar, or a vector along a plate whose entries are
// independent), the ELBO's z part becomes, per plate entry n,
//   log Σ_k p(z_n = k | …) p(dependents_n | z_n = k, …),
// computed from one model pass per value k with every other draw held fixed. No guide for z
// enters the objective, so the bound is the collapsed one (at least as tight as any q(z)), its
// gradient is exact in z, and the continuous latents get pathwise gradients through it.
// After the fit, z's guide logits are set to its conditional posterior averaged over the
// fitted guide's draws, so summaries, queries and draws of z need nothing new.

import type { CheckedProgram } from '../../language/checked.js';
import { tf } from '../backend.js';
import type { DiscreteEvent } from '../joint.js';
import * as ops from '../ops.js';
import type { SignalPlan } from './signals.js';

/** z set to the value k in every particle and entry; its log q is left out (zero): no guide enters. */
export function fixedDraw(d: DiscreteEvent, k: number): { value: tf.Tensor; logq: tf.Tensor } {
  const value = tf.fill([d.S, ...d.ev.shape], k);
  return { value, logq: tf.zerosLike(value) };
}

/** Number of values of a Bernoulli or Categorical site, from the logits its guide drew with. */
export function supportSize(family: string, logits: tf.Tensor): number {
  return family === 'Bernoulli' ? 2 : logits.shape[logits.rank - 1]!;
}

/**
 * Per particle, Σ over entries of (log Σ_k exp f_k − f_0), unweighted (a minibatch's N/B is the
 * caller's): what turns the particle value of the pass at z = 0 into the collapsed ELBO.
 * `signals[k]` is the site's signal (its dependents' log-densities) at z = k, [S] or [S, n].
 */
export function marginalCorrection(signals: tf.Tensor[]): tf.Tensor {
  const lse = ops.logSumExp(tf.stack(signals, 0), 0);
  const perEntry = tf.sub(lse, signals[0]!);
  return perEntry.rank > 1 ? tf.sum(perEntry, 1) : perEntry;
}

/**
 * The conditional posterior of the site given each particle's other values, averaged over
 * particles, as guide logits: Bernoulli [n] (or scalar), log p(1) − log p(0); Categorical
 * [n, K] (or [K]), log-probabilities.
 */
export function posteriorLogits(family: string, signals: tf.Tensor[]): tf.Tensor {
  return tf.tidy(() => {
    const stacked = tf.stack(signals, -1); // [S, (n,) K]
    const logp = tf.sub(tf.logSumExp(tf.logSoftmax(stacked, -1), 0), Math.log(stacked.shape[0]!));
    if (family !== 'Bernoulli') return logp;
    const [l0, l1] = tf.unstack(logp, -1);
    return tf.sub(l1!, l0!);
  });
}

/**
 * Why the site cannot be summed out of the model on its own, or undefined when it can: every
 * term its value reaches must be an observation or its own prior, and no other discrete latent
 * may share those terms (its estimator would see them at a fixed z).
 */
export function whyNotMarginal(program: CheckedProgram, sp: SignalPlan, all: Map<string, SignalPlan>): string | undefined {
  const site = sp.site;
  const sym = (name: string) => program.symbols.get(name);
  const at = (name: string) => {
    const s = sym(name);
    return s ? ` (${program.file}:${s.span.start.line}:${s.span.start.column})` : '';
  };
  for (const g of sp.guideDependents) if (g !== site) return `the guide draws '${g}'${at(g)} from it`;
  for (const name of sp.dependents) {
    if (name === site) continue;
    const s = sym(name);
    if (s && !(s.kind === 'data' && s.observed)) return `its value decides the distribution of the latent '${name}'${at(name)}; sum that one out too or use @enumerate`;
  }
  for (const [other, op] of all) {
    if (other === site) continue;
    const shared = [...sp.dependents].find((n) => n !== site && op.dependents.has(n));
    if (shared) return `the term of '${shared}'${at(shared)} also depends on the discrete latent '${other}', so the two must be summed out together, which is not implemented`;
  }
  return undefined;
}
