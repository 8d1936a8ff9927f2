// Concrete (Gumbel-softmax), biased and opt-in: the site's hard-pass value is the relaxed
// sample at a fixed temperature, so its gradient is pathwise and it adds no term of its own;
// straight-through takes the hard one-hot forward and the relaxed gradient back.

import { tf } from '../backend.js';
import { logProbAt, type DiscreteEvent } from '../joint.js';
import * as ops from '../ops.js';
import { Soft } from '../values.js';
import { noiseShape, relax, relaxedSample, relaxFamily, uniformNoise } from './relax.js';
import type { DiscreteDraw, EstimatorContext, EstimatorFactory, SiteEstimator } from './types.js';

export class ConcreteEstimator implements SiteEstimator {
  constructor(
    private readonly ctx: EstimatorContext,
    readonly site: string,
  ) {}

  draw(d: DiscreteEvent): DiscreteDraw | undefined {
    if (!d.logits) return undefined;
    const family = relaxFamily(d.ev.site.family.name);
    const u = uniformNoise(noiseShape(family, d.S, d.ev.shape, d.logits), d.rng.int());
    d.rng.skip(); // keep the stream aligned with RELAX's two noise draws
    const soft = relax(family, relaxedSample(family, d.logits, u), tf.scalar(this.ctx.options.concreteTemperature));
    let value: Soft = soft;
    if (this.ctx.options.straightThrough) {
      const K = soft.k;
      const hardW = tf.oneHot(tf.argMax(soft.weights, -1), K).toFloat();
      value = new Soft(tf.add(hardW, tf.sub(soft.weights, ops.detach(soft.weights))));
    }
    return { value, logq: logProbAt(d.q, value), pathwise: true };
  }
}

export const concrete: EstimatorFactory = {
  create: (ctx, site) => new ConcreteEstimator(ctx, site),
};
