// RELAX and REBAR for one Bernoulli or Categorical site (the maths is relax.ts's). The hard
// pass draws the site from its own noise u, v and records them; the site's loss then re-runs
// the pass twice with the site relaxed (at z and at z̃) to form the control variate, and adds
// the θ term of ĝ and Σ ĝ², whose gradient reaches only the surrogate's φ.

import { tf } from '../backend.js';
import { evaluateJoint, logProbAt, type BlockViews, type DiscreteEvent, type DiscreteHook } from '../joint.js';
import { makeDistribution } from '../distributions/index.js';
import * as ops from '../ops.js';
import { Rng } from '../rng.js';
import { collectEstimate, reduceTo } from './collect.js';
import { conditionalSample, hardValue, noiseShape, relax, relaxedSample, relaxFamily, score, Surrogate, uniformNoise, type RelaxFamily } from './relax.js';
import { broadcastSignal, siteSignal } from './signals.js';
import type { DiscreteDraw, EstimatorContext, EstimatorFactory, SiteEstimator, StepPass } from './types.js';

/** What a RELAX site drew in the hard pass, per event (element). */
export interface RelaxEvent {
  key: string;
  family: RelaxFamily;
  logits: tf.Tensor;
  u: tf.Tensor;
  v: tf.Tensor;
  b: tf.Tensor;
}

const eventKey = (d: DiscreteEvent) => `${d.ev.site.name}[${d.ev.element.join(',')}]`;

export class RelaxEstimator implements SiteEstimator<RelaxEvent> {
  /** Made at the site's first step, when the width of its network's input is known. */
  surrogate?: Surrogate;
  /** ĝ is a tfjs gradient taken while the loss is traced: the op table's input-saving gradients (ops.ts). */

  constructor(
    private readonly ctx: EstimatorContext,
    readonly site: string,
  ) {}

  draw(d: DiscreteEvent, record: (e: RelaxEvent) => void): DiscreteDraw | undefined {
    if (!d.logits) return undefined;
    const family = relaxFamily(d.ev.site.family.name);
    const shape = noiseShape(family, d.S, d.ev.shape, d.logits);
    const u = uniformNoise(shape, d.rng.int());
    const v = uniformNoise(shape, d.rng.int());
    const z = relaxedSample(family, d.logits, u);
    const b = hardValue(family, z);
    record({ key: eventKey(d), family, logits: d.logits, u, v, b });
    return { value: b, logq: d.q.logProb(b) };
  }

  /**
   * In another site's relaxed pass, when this site is drawn from that site's value: its relaxed
   * sample from the noise it would draw (the same stream position as the hard pass), at its own
   * temperature, so the other site's control variate is smooth through this one.
   */
  relaxedDraw(d: DiscreteEvent): DiscreteDraw | undefined {
    if (!d.logits) return undefined;
    const family = relaxFamily(d.ev.site.family.name);
    const shape = noiseShape(family, d.S, d.ev.shape, d.logits);
    const u = uniformNoise(shape, d.rng.int());
    d.rng.skip();
    const lambda = this.surrogate ? this.surrogate.view().lambda : tf.scalar(0.5);
    const soft = relax(family, relaxedSample(family, d.logits, u), lambda);
    return { value: soft, logq: logProbAt(d.q, soft), pathwise: true };
  }

  /** The relaxed-pass hook: the site's events take σ(z/λ) or σ(z̃/λ) at the given logits. */
  private relaxedHook(events: RelaxEvent[], logits: tf.Tensor[], which: 'z' | 'ztilde', lambda: tf.Tensor, raw: tf.Tensor[]): DiscreteHook {
    const byKey = new Map(events.map((e, i) => [e.key, i]));
    const hard = this.ctx.downstreamHook(this.site);
    return (d) => {
      if (d.ev.site.name !== this.site) return hard(d);
      const i = byKey.get(eventKey(d));
      if (i === undefined) throw new Error(`internal: RELAX event ${eventKey(d)} was not drawn in the hard pass`);
      d.rng.skip();
      d.rng.skip();
      const e = events[i]!;
      const l = logits[i]!;
      const zr = which === 'z' ? relaxedSample(e.family, l, e.u) : conditionalSample(e.family, l, e.b, e.v);
      raw[i] = zr;
      const soft = relax(e.family, zr, lambda);
      const q = makeDistribution(e.family, { logits: l });
      return { value: soft, logq: logProbAt(q, soft), pathwise: true };
    };
  }

  loss({ j, jo, views, seed, collect }: StepPass, events: RelaxEvent[]): { loss: tf.Tensor; keep: tf.Tensor[] } | undefined {
    if (!events.length) return undefined;
    const { ctx, site } = this;
    const sp = ctx.signals.get(site)!;
    const S = j.S;
    const plated = sp.plate !== undefined && sp.plate.axis === 0;
    // r_ρ's input: every event's raw relaxed components, per particle (and plate entry).
    const width = events.reduce((a, e) => a + e.u.size / (S * (plated ? e.u.shape[1]! : 1)), 0);
    this.surrogate ??= new Surrogate(site, width, !ctx.options.rebar, ctx.rng.split(`surrogate:${site}`));
    const sur = this.surrogate.view();
    const siteScale = j.discrete.find((d) => d.name === site)?.scale ?? 1;
    const fb = ops.detach(siteSignal(ctx.program, sp, j, ctx.mode));
    // The relaxed passes see constant model parameters: φ must not move θ, and the decoder
    // gets only ∂f(b)/∂w (RELAX.md §1.6).
    const detached = new Map<string, tf.Tensor>();
    const viewsD: BlockViews = (key) => detached.get(key) ?? detached.set(key, ops.detach(views(key))).get(key)!;
    const inputs = events.map((e) => ops.detach(e.logits));
    let cTilde: tf.Tensor | undefined;
    const c = (which: 'z' | 'ztilde', ls: tf.Tensor[]) => {
      const lambda = sur.lambda;
      const raw: tf.Tensor[] = [];
      const jr = evaluateJoint({ ...jo, rng: new Rng(seed), drawDiscrete: this.relaxedHook(events, ls, which, lambda, raw) }, viewsD);
      const fr = siteSignal(ctx.program, sp, jr, ctx.mode);
      const rIn = raw.length === 1 ? raw[0]! : tf.concat(raw.map((r) => r.reshape([S, ...(plated ? [r.shape[1]!] : []), -1])), -1);
      return tf.add(tf.mul(sur.eta, fr), sur.r(rIn, plated));
    };
    const innerGrads = tf.grads((...ls: tf.Tensor[]) => {
      const cz = c('z', ls);
      const czt = c('ztilde', ls);
      cTilde = tf.keep(czt);
      return tf.sum(tf.sub(cz, czt));
    })(inputs);
    const coef = tf.sub(fb, cTilde!);
    let thetaLoss = tf.scalar(0);
    let phiLoss = tf.scalar(0);
    events.forEach((e, i) => {
      const sc = score(e.family, inputs[i]!, e.b);
      let cf = broadcastSignal(coef, sp, e.b.rank - 1);
      if (e.family === 'Categorical') cf = cf.expandDims(-1);
      const g = tf.div(tf.add(reduceTo(tf.mul(cf, sc), inputs[i]!), innerGrads[i]!), S);
      // Under a minibatch a local site's estimate is its entries' own, weighted by N/B once here.
      const w = siteScale === 1 ? g : tf.mul(g, siteScale);
      thetaLoss = tf.sub(thetaLoss, tf.sum(tf.mul(ops.detach(w), e.logits)));
      phiLoss = tf.add(phiLoss, tf.sum(tf.square(g)));
      if (collect) collectEstimate(collect, site, ops.detach(g));
    });
    return { loss: tf.add(thetaLoss, phiLoss), keep: [cTilde!] };
  }

  phiVariables(): tf.Variable[] {
    return this.surrogate ? [this.surrogate.phi] : [];
  }

  dispose(): void {
    this.surrogate?.dispose();
  }
}

export const relaxEstimator: EstimatorFactory = {
  create: (ctx, site) => new RelaxEstimator(ctx, site),
};
