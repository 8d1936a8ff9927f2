// LAX (Grathwohl et al. 2018, §3.3) for one continuous site whose cost is not differentiable in
// its value (a comparison, a step, rounding): the site is drawn z = T(θ, ε) but the model sees z
// held constant, and the estimate is
//
//   ĝ = [f(z) − c_φ(z)] ∇θ log p(z | θ) + ∇θ c_φ(z(θ, ε))
//
// unbiased for any c_φ (the two c terms have the same expectation), with c_φ a small network of
// the draw trained, like RELAX's, to minimise ĝ² by differentiating ĝ once more. ĝ is taken with
// respect to the parameters of the site's distribution (its loc and scale …) that depend on what
// is optimised; θ gets it through them by the chain rule.

import type { CheckedProgram } from '../../language/checked.js';
import type { Expr } from '../../language/ast.js';
import { tf } from '../backend.js';
import { makeDistribution } from '../distributions/index.js';
import { ancestors, buildGraph, nodeId, varRefs, type Graph } from '../graph.js';
import type { DiscreteDraw } from '../joint.js';
import * as ops from '../ops.js';
import { collectEstimate } from './collect.js';
import { Surrogate } from './relax.js';
import { siteSignal } from './signals.js';
import type { EstimatorContext, EstimatorFactory, SiteEstimator, StepPass } from './types.js';

/** Does the expression read a param or a latent (directly or through definitions) in its scope? */
function readsOptimised(p: CheckedProgram, g: Graph, e: Expr, scope: 'model' | 'guide'): boolean {
  for (const r of varRefs(e)) {
    const id = nodeId(r.name, scope);
    for (const a of [id, ...ancestors(g, id)]) {
      const kind = g.byId.get(a)?.kind;
      if (kind === 'param' || kind === 'latent') return true;
    }
    // A guide expression may read model-scope names (data): those are constants.
    if (!g.byId.has(id) && p.symbols.get(r.name)?.kind === 'param') return true;
  }
  return false;
}

export class LaxEstimator implements SiteEstimator {
  /** c_φ: made at the site's first step, when the width of its input is known. */
  surrogate?: Surrogate;
  /** ĝ is a tfjs gradient taken while the loss is traced: the op table's input-saving gradients (ops.ts). */
  /** Per drawn statement: the distribution parameters that carry θ (the others are constants, outside ĝ). */
  private readonly moving = new Map<string, Set<string>>();
  private graph?: Graph;

  constructor(
    private readonly ctx: EstimatorContext,
    readonly site: string,
  ) {}

  private movingParams(d: DiscreteDraw): Set<string> {
    const key = `${d.site.stmt.span.start.offset}`;
    let m = this.moving.get(key);
    if (!m) {
      const g = (this.graph ??= buildGraph(this.ctx.program));
      m = new Set(Object.entries(d.site.args).filter(([, e]) => readsOptimised(this.ctx.program, g, e, d.site.scope)).map(([k]) => k));
      this.moving.set(key, m);
    }
    return m;
  }

  loss({ j, collect }: StepPass): { loss: tf.Tensor; keep: tf.Tensor[] } | undefined {
    const { ctx, site } = this;
    const draws = j.discrete.filter((d) => d.name === site && d.redraw);
    if (!draws.length) return undefined;
    const S = j.S;
    const sp = ctx.signals.get(site)!;
    const f = ops.detach(siteSignal(ctx.program, sp, j, ctx.mode));
    const signal = f.rank === 1 ? f : tf.sum(f, 1);
    // c_φ's input: every draw of the site, per particle.
    const width = draws.reduce((a, d) => a + (d.value as tf.Tensor).size / S, 0);
    this.surrogate ??= new Surrogate(site, width, true, ctx.rng.split(`lax:${site}`));
    const sur = this.surrogate.view();
    const c = (zs: tf.Tensor[]) => sur.r(zs.length === 1 ? zs[0]!.reshape([S, -1]) : tf.concat(zs.map((z) => z.reshape([S, -1])), 1), false);
    // f − c(z) multiplies the score: a function of φ, a constant to the distribution's parameters.
    const coef = tf.sub(signal, c(draws.map((d) => d.value as tf.Tensor)));
    const names = draws.map((d) => [...this.movingParams(d)].filter((k) => d.redraw!.params[k]));
    const live = draws.flatMap((d, i) => names[i]!.map((k) => d.redraw!.params[k]!));
    if (!live.length) return undefined;
    const inputs = live.map((t) => ops.detach(t));
    const ghat = tf.grads((...ps: tf.Tensor[]) => {
      let at = 0;
      const zs: tf.Tensor[] = [];
      let lp: tf.Tensor = tf.zeros([S]);
      draws.forEach((d, i) => {
        const params = { ...d.redraw!.params };
        for (const k of names[i]!) params[k] = ps[at++]!;
        const dist = makeDistribution(d.site.family.name, params);
        // The same ε as the hard draw (its seed): the same value, now a function of the parameters.
        zs.push(dist.rsample!(d.redraw!.shape, d.redraw!.seed));
        const l = dist.logProb(d.value as tf.Tensor);
        lp = tf.add(lp, l.rank > 1 ? tf.sum(l, Array.from({ length: l.rank - 1 }, (_, a) => a + 1)) : l);
      });
      return tf.sum(tf.add(tf.mul(coef, lp), c(zs)));
    })(inputs);
    let thetaLoss: tf.Tensor = tf.scalar(0);
    let phiLoss: tf.Tensor = tf.scalar(0);
    ghat.forEach((g0, i) => {
      const g = tf.div(g0, S);
      // The objective is maximised: the loss carries −ĝ·params, whose gradient sends ĝ on to θ.
      thetaLoss = tf.sub(thetaLoss, tf.sum(tf.mul(ops.detach(g), live[i]!)));
      phiLoss = tf.add(phiLoss, tf.sum(tf.square(g)));
      if (collect) collectEstimate(collect, site, ops.detach(g));
    });
    return { loss: tf.add(thetaLoss, phiLoss), keep: [] };
  }

  phiVariables(): tf.Variable[] {
    return this.surrogate ? [this.surrogate.phi] : [];
  }

  dispose(): void {
    this.surrogate?.dispose();
  }
}

export const lax: EstimatorFactory = {
  create: (ctx, site) => new LaxEstimator(ctx, site),
};
