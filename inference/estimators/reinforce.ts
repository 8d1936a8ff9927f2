// REINFORCE (the score-function estimator) for one discrete site: its term is
// mean over particles of Σ detach(f − baseline)·(log q − detach(log q)), zero in value, with f
// the site's Rao-Blackwellised signal and the baseline from baselines.ts (leave-one-out,
// a per-entry moving average, or NVIL's learned b_ψ(x)), optionally scaled by a running sd.

import { tf } from '../backend.js';
import type { JointOptions } from '../joint.js';
import * as ops from '../ops.js';
import { EmaBaseline, leaveOneOut, NvilBaseline, type BaselineKind } from './baselines.js';
import { collectEstimate, reduceTo } from './collect.js';
import { score } from './relax.js';
import { broadcastSignal, siteSignal, type SignalPlan } from './signals.js';
import type { EstimatorContext, EstimatorFactory, SiteEstimator, StepPass } from './types.js';

/** The baseline a fit's options ask for: 'auto' is leave-one-out when there are particles to leave out. */
export function baselineKind(ctx: EstimatorContext): BaselineKind {
  const b = ctx.options.baseline;
  return b === 'auto' ? (ctx.S >= 2 ? 'loo' : 'ema') : b;
}

/** NVIL's baseline is a function of a plate entry's data rows: the site must lie along a plate. */
function checkNvil(ctx: EstimatorContext, site: string): void {
  if (ctx.options.baseline !== 'nvil') return;
  const sp = ctx.signals.get(site)!;
  if (sp.plate) return;
  const sym = ctx.program.symbols.get(site);
  const at = sym ? ` (${ctx.program.file}:${sym.span.start.line}:${sym.span.start.column})` : '';
  throw new RangeError(`baseline 'nvil' needs REINFORCE sites along a plate, whose entries' data rows are its input; '${site}'${at} has no plate dimension. Use baseline 'loo' or 'ema'`);
}

export class ReinforceEstimator implements SiteEstimator {
  private readonly sp: SignalPlan;
  private ema?: EmaBaseline;
  private sdEma?: EmaBaseline;
  private nvil?: NvilBaseline;
  /** Once compiled, the step trains ψ with θ: its loss goes into the step's (the evaluation that makes ψ, before, trains nothing). */
  private compiled = false;

  constructor(
    private readonly ctx: EstimatorContext,
    readonly site: string,
  ) {
    this.sp = ctx.signals.get(site)!;
  }

  /** The input of NVIL's baseline: per plate entry, its rows of every data array that carries the plate, flattened, [n, D]. */
  private nvilInputs(jo: JointOptions): tf.Tensor {
    const sp = this.sp;
    const plate = sp.plate!.name;
    const parts: tf.Tensor[] = [];
    for (const sym of this.ctx.program.symbols.values()) {
      if (sym.kind !== 'data') continue;
      const axis = sym.type.shape.indexOf(plate);
      const v = jo.setup.dataEnv.get(sym.name);
      if (axis < 0 || !(v instanceof tf.Tensor)) continue;
      const t = tf.squeeze(v, [0]);
      const perm = [axis, ...t.shape.map((_, i) => i).filter((i) => i !== axis)];
      parts.push(tf.transpose(t, perm).reshape([t.shape[axis]!, -1]).toFloat());
    }
    if (!parts.length) {
      throw new RangeError(`baseline 'nvil' for '${sp.site}': no data array is indexed by plate '${plate}', so the baseline has no input; use baseline 'loo' or 'ema'`);
    }
    return parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
  }

  private emaBaseline(): EmaBaseline {
    return (this.ema ??= new EmaBaseline());
  }

  objective({ j, jo, collect, late }: StepPass): tf.Tensor {
    const { ctx, site, sp } = this;
    const draws = j.discrete.filter((d) => d.name === site);
    if (!draws.length) return tf.scalar(0);
    const f = ops.detach(siteSignal(ctx.program, sp, j, ctx.mode));
    // Per-entry baselines follow the true plate index under a minibatch.
    const at = jo.batch && sp.plate?.name === jo.batch.plate ? { N: jo.batch.N, indices: jo.batch.indices } : undefined;
    let centred: tf.Tensor;
    const kind = baselineKind(ctx);
    if (kind === 'nvil') {
      // Centre by the learned b_ψ(x_n), then by the residual's leave-one-out mean (S ≥ 2) or its per-entry EMA.
      const x = this.nvilInputs(jo);
      const nv = (this.nvil ??= new NvilBaseline(x.shape[1]!, ctx.rng.split(`nvil:${site}`)));
      const resid = tf.sub(f, ops.detach(nv.predict(x, f)));
      if (ctx.S >= 2) centred = tf.sub(resid, leaveOneOut(resid));
      else {
        const ema = this.emaBaseline();
        centred = tf.sub(resid, ema.value(resid, at));
        ema.update(resid, at);
      }
      // The compiled step trains ψ with θ (a slot of its own, its loss added to the step's); the step's baseline is ψ before.
      if (this.compiled) late.push(nv.loss(x, f));
    } else if (kind === 'loo') centred = tf.sub(f, leaveOneOut(f));
    else if (kind === 'ema') {
      const ema = this.emaBaseline();
      centred = tf.sub(f, ema.value(f, at));
      ema.update(f, at);
    } else centred = f;
    if (ctx.options.normalise) {
      const sd = (this.sdEma ??= new EmaBaseline());
      const sq = tf.square(centred);
      const scale = tf.sqrt(tf.add(sd.value(sq, at), 1e-8));
      sd.update(sq, at);
      centred = tf.div(centred, tf.maximum(scale, 1));
    }
    return this.scoreTerm({ j, collect }, centred, j.S);
  }

  /**
   * Under the importance-weighted bound: the particle's VIMCO signal [S] (vimco.ts) times the
   * site's score, summed over particles (the bound's gradient is a sum over its samples, not a mean).
   */
  vimcoObjective({ j, collect }: StepPass, signal: tf.Tensor): tf.Tensor {
    return this.scoreTerm({ j, collect }, signal, 1);
  }

  /** Σ over the site's draws of signal · (log q − detach(log q)) / `per`: zero in value, the estimate in gradient. */
  private scoreTerm({ j, collect }: Pick<StepPass, 'j' | 'collect'>, signal: tf.Tensor, per: number): tf.Tensor {
    const { site, sp } = this;
    let term = tf.scalar(0);
    for (const d of j.discrete) {
      if (d.name !== site) continue;
      // A local site's signal is its own entry's, unweighted: the N/B of a minibatch applies here, once.
      const c = broadcastSignal(d.scale === 1 ? signal : tf.mul(signal, d.scale), sp, d.logq.rank - 1);
      term = tf.add(term, tf.div(tf.sum(tf.mul(c, tf.sub(d.logq, ops.detach(d.logq)))), per));
      if (collect && d.logits) {
        // The estimate w.r.t. the logits, for diagnostics: (f − b)·score, summed to the logits' shape.
        const fam = d.site.family.name;
        if (fam === 'Bernoulli' || fam === 'Categorical') {
          const sc = score(fam, d.logits, d.value as tf.Tensor);
          const cc = fam === 'Categorical' ? c.expandDims(-1) : c;
          collectEstimate(collect, site, tf.div(reduceTo(tf.mul(cc, sc), d.logits), per));
        }
      }
    }
    return term;
  }

  /** NVIL's network as a slot of the compiled step (zero gradient for θ: the signal and the data are constants to it). */
  compile(): { variable: tf.Variable; lr: number }[] {
    this.compiled = true;
    return this.nvil ? [{ variable: this.nvil.variable, lr: this.nvil.lr }] : [];
  }

  dispose(): void {
    this.ema?.dispose();
    this.sdEma?.dispose();
    this.nvil?.dispose();
  }
}

export const reinforce: EstimatorFactory = {
  checks: { baseline: checkNvil },
  create: (ctx, site) => new ReinforceEstimator(ctx, site),
};
