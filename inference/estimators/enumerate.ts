// Enumeration (exact, opt-in): a local discrete site's sampled contribution is replaced by its
// expectation under the guide, Σₖ q(k)·f(k), from one re-run of the hard pass per value k.

import { tf } from '../backend.js';
import { evaluateJoint, type DiscreteHook } from '../joint.js';
import * as ops from '../ops.js';
import { Rng } from '../rng.js';
import { supportSize } from './marginal.js';
import { relaxFamily } from './relax.js';
import { siteSignal } from './signals.js';
import type { EstimatorContext, EstimatorFactory, SiteEstimator, StepPass } from './types.js';

/**
 * Enumeration sums a site out exactly by re-running the model once per value. Entries along a
 * plate are independent, so one pass with every entry set to k covers them all; other shapes
 * would need Kᴰ passes and are refused. `@marginalize` sums the same way.
 */
export function checkEnumerable(kind: 'enumerate' | 'marginalize') {
  return (ctx: EstimatorContext, site: string): void => {
    const sym = ctx.program.symbols.get(site);
    const fam = ctx.program.sites.find((x) => x.name === site)?.family.name;
    const why = (m: string) => new Error(`'${site}': ${kind} ${m}; use @reinforce or @relax`);
    if (ctx.mode !== 'inference') throw why('applies to latents of an inference model');
    if (fam !== 'Bernoulli' && fam !== 'Categorical') throw why(`is implemented for Bernoulli and Categorical sites, not ${fam}`);
    if (sym?.elementwise) throw why('needs the site drawn as a whole, not element by element in a loop');
    const shape = sym?.type.shape ?? [];
    const sp = ctx.signals.get(site)!;
    if (shape.length > 1 || (shape.length === 1 && sp.plate?.axis !== 0)) {
      throw why('needs a scalar site or a vector along a plate (entries along a plate are summed out independently)');
    }
  };
}

export class EnumerateEstimator implements SiteEstimator {
  constructor(
    private readonly ctx: EstimatorContext,
    readonly site: string,
  ) {}

  /**
   * Σₖ q(k)·f(k) per plate entry, with f the site's Rao-Blackwellised signal (which carries
   * −log q(k)), minus the sampled signal (value and gradient) the particle value already holds.
   */
  objective({ j, jo, views, seed }: StepPass): tf.Tensor {
    const { ctx, site } = this;
    const sp = ctx.signals.get(site)!;
    const draw = j.discrete.find((d) => d.name === site);
    if (!draw?.logits) return tf.scalar(0);
    const family = relaxFamily(draw.site.family.name);
    const logits = draw.logits;
    const K = supportSize(family, logits);
    const sampled = siteSignal(ctx.program, sp, { ...j, discrete: j.discrete.map((d) => ({ ...d, logq: ops.detach(d.logq) })) }, ctx.mode);
    let expected: tf.Tensor = tf.zerosLike(sampled);
    // Other discrete sites take the hard pass's values (RELAX's own noise, a summed-out site's 0).
    const others = ctx.hardHook();
    for (let k = 0; k < K; k++) {
      const hook: DiscreteHook = (d) => {
        if (d.ev.site.name !== site) return others(d);
        d.rng.skip(); // the draw this pass replaces
        const value = tf.fill([d.S, ...d.ev.shape], k);
        return { value, logq: d.q.logProb(value) };
      };
      const jk = evaluateJoint({ ...jo, rng: new Rng(seed), drawDiscrete: hook }, views);
      const fk = siteSignal(ctx.program, sp, jk, ctx.mode);
      const qk = family === 'Bernoulli' ? ops.sigmoid(k === 1 ? logits : tf.neg(logits)) : tf.squeeze(tf.slice(ops.softmax(logits, -1), [...Array(logits.rank - 1).fill(0), k], [...logits.shape.slice(0, -1), 1]), [logits.rank - 1]);
      expected = tf.add(expected, tf.mul(qk.reshape(qk.shape.slice(0, Math.max(1, sampled.rank))), fk));
    }
    // A local site's signals are its entries' own (unweighted): the minibatch's N/B applies once here.
    return tf.div(tf.mul(tf.sum(tf.sub(expected, sampled)), draw.scale), j.S);
  }
}

export const enumerate: EstimatorFactory = {
  checks: { support: checkEnumerable('enumerate') },
  create: (ctx, site) => new EnumerateEstimator(ctx, site),
};
