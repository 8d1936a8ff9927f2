// `@marginalize`: the site is summed out of the model (marginal.ts has the maths). The hard
// pass sets it to 0; its part of each particle's value turns that pass's value into the
// collapsed ELBO's, from one re-run per other value k. It has no guide term and no loss term.

import { tf } from '../backend.js';
import { evaluateJoint, type DiscreteEvent, type DiscreteHook } from '../joint.js';
import { Rng } from '../rng.js';
import { checkEnumerable } from './enumerate.js';
import { fixedDraw, marginalCorrection, posteriorLogits, supportSize, whyNotMarginal } from './marginal.js';
import { siteSignal } from './signals.js';
import type { DiscreteDraw, EstimatorContext, EstimatorFactory, SiteEstimator, StepPass } from './types.js';

function checkMarginal(ctx: EstimatorContext, site: string): void {
  const { program } = ctx;
  const entry = ctx.plan.bySite.get(site);
  const sym = program.symbols.get(site);
  const at = sym ? ` (${program.file}:${sym.span.start.line}:${sym.span.start.column})` : '';
  if (entry?.scope === 'guide') {
    throw new Error(`'${site}'${at}: marginalize sums it out of the model, so its site in the guide block (${program.file}:${entry.span.start.line}:${entry.span.start.column}) would never be used; remove that site, or use @enumerate`);
  }
  const why = whyNotMarginal(program, ctx.signals.get(site)!, ctx.signals);
  if (why) throw new Error(`'${site}'${at}: marginalize cannot sum it out: ${why}`);
}

export class MarginalizeEstimator implements SiteEstimator {
  constructor(
    private readonly ctx: EstimatorContext,
    readonly site: string,
  ) {}

  draw(d: DiscreteEvent): DiscreteDraw {
    d.rng.skip(); // the draw it replaces, so every pass sees the same stream
    return fixedDraw(d, 0);
  }

  /**
   * The site's signal (its dependents' log-densities) at every value k, [S] or [S, n] each:
   * k = 0 is the hard pass `j` itself, where the site was set to 0; other draws are the hard pass's.
   */
  private signalsAt({ j, jo, views, seed }: StepPass): { signals: tf.Tensor[]; family: string; scale: number } {
    const { ctx, site } = this;
    const sp = ctx.signals.get(site)!;
    const draw = j.discrete.find((d) => d.name === site)!;
    const family = draw.site.family.name;
    const K = supportSize(family, draw.logits!);
    const others = ctx.hardHook();
    const signals = [siteSignal(ctx.program, sp, j, ctx.mode)];
    for (let k = 1; k < K; k++) {
      const hook: DiscreteHook = (d) => {
        if (d.ev.site.name !== site) return others(d);
        d.rng.skip();
        return fixedDraw(d, k);
      };
      signals.push(siteSignal(ctx.program, sp, evaluateJoint({ ...jo, rng: new Rng(seed), drawDiscrete: hook }, views), ctx.mode));
    }
    return { signals, family, scale: draw.scale };
  }

  particleTerm(pass: StepPass): { total: tf.Tensor; local?: tf.Tensor } | undefined {
    const draw = pass.j.discrete.find((d) => d.name === this.site);
    if (!draw) return undefined;
    const { signals, scale } = this.signalsAt(pass);
    // The site's guide logits enter with weight zero: they are set after the fit, and this keeps
    // the parameters connected to the loss when nothing else is (an all-discrete model).
    const unused = tf.mul(tf.sum(draw.logits!), 0);
    const unweighted = marginalCorrection(signals);
    const total = tf.add(scale === 1 ? unweighted : tf.mul(unweighted, scale), unused);
    // Unweighted, as the joint's own local part (full-data chunks add those up).
    return pass.jo.batch?.local.has(this.site) ? { total, local: unweighted } : { total };
  }

  /** The site's conditional posterior averaged over the pass's particles, as its guide logits; undefined when it was not drawn. */
  posterior(pass: StepPass): tf.Tensor | undefined {
    if (!pass.j.discrete.some((d) => d.name === this.site)) return undefined;
    const { signals, family } = this.signalsAt(pass);
    return posteriorLogits(family, signals);
  }

  /** Whether the site's sum lies along `plate`, so that a minibatch or chunk of it can compute its part. */
  alongPlate(plate: string): boolean {
    return this.ctx.signals.get(this.site)!.plate?.name === plate;
  }
}

export const marginalize: EstimatorFactory = {
  checks: { support: checkEnumerable('marginalize'), collapse: checkMarginal },
  create: (ctx, site) => new MarginalizeEstimator(ctx, site),
};
