// One optimisation step with the planned estimator at every stochastic node.
// Continuous sites are reparameterised (their gradient flows through the ELBO's
// value); discrete sites add a score-function term (REINFORCE with baselines), a
// RELAX term, or draw a relaxed value (concrete). The loss's value stays the
// negative ELBO (or the expected cost) so progress and convergence read it directly.

import type { CheckedProgram } from '../../language/checked.js';
import { tf } from '../backend.js';
import { blockViews, evaluateJoint, plainDraw, logProbAt, type BlockViews, type DiscreteEvent, type DiscreteHook, type Joint, type JointOptions } from '../joint.js';
import { makeDistribution } from '../distributions/index.js';
import { particleValue, sumAfterFirst } from '../objective.js';
import * as ops from '../ops.js';
import type { MarginalDensity } from '../init.js';
import { optionDefaults } from '../options.js';
import type { Plan } from '../plan.js';
import { Rng } from '../rng.js';
import { Soft } from '../values.js';
import { EmaBaseline, leaveOneOut, NvilBaseline, type BaselineKind } from './baselines.js';
import { conditionalSample, hardValue, relax, relaxedSample, score, Surrogate, uniformNoise, type RelaxFamily } from './relax.js';
import { fixedDraw, marginalCorrection, posteriorLogits, supportSize, whyNotMarginal } from './marginal.js';
import { broadcastSignal, planSignals, siteSignal, type SignalPlan } from './signals.js';

export interface EstimatorOptions {
  /** Baseline for REINFORCE sites: leave-one-out needs S ≥ 2; 'auto' picks it then, else EMA. */
  baseline: BaselineKind | 'auto';
  /** Divide REINFORCE signals by a running estimate of their sd. */
  normalise: boolean;
  /** Temperature of the concrete relaxation. */
  concreteTemperature: number;
  /** Concrete with a hard forward value and the relaxed gradient. */
  straightThrough: boolean;
  /** RELAX without the learned network r_ρ (the REBAR control variate). */
  rebar: boolean;
  /** Learning rate of the surrogate parameters φ. */
  surrogateLr: number;
}

/** Steps between updates of the gradient-variance diagnostic (Estimators.track). */
const TRACK_EVERY = 4;

/** The estimators' options out of fit options (the option table's names); rebar comes out of the estimator option. */
export function estimatorOptionsFrom(o: Omit<EstimatorOptions, 'rebar'>, rebar: boolean): EstimatorOptions {
  return { baseline: o.baseline, normalise: o.normalise, concreteTemperature: o.concreteTemperature, straightThrough: o.straightThrough, surrogateLr: o.surrogateLr, rebar };
}

/** The option table's defaults (options.ts). */
export const ESTIMATOR_DEFAULTS: EstimatorOptions = estimatorOptionsFrom(optionDefaults(), false);

type Mode = 'inference' | 'optimisation';

/** What a RELAX site drew in the hard pass, per event (element). */
interface RelaxEvent {
  key: string;
  family: RelaxFamily;
  logits: tf.Tensor;
  u: tf.Tensor;
  v: tf.Tensor;
  b: tf.Tensor;
}

const eventKey = (d: DiscreteEvent) => `${d.ev.site.name}[${d.ev.element.join(',')}]`;

function relaxFamily(name: string): RelaxFamily {
  if (name === 'Bernoulli' || name === 'Categorical') return name;
  throw new Error(`RELAX needs a Bernoulli or Categorical site, not ${name}`);
}

/** Sum a [S, ...] tensor down to the shape of `like` (the logits it is a gradient for). */
function reduceTo(t: tf.Tensor, like: tf.Tensor): tf.Tensor {
  let r = t;
  while (r.rank > like.rank) r = tf.sum(r, 0);
  const axes = like.shape.map((d, i) => (d === 1 && r.shape[i] !== 1 ? i : -1)).filter((i) => i >= 0);
  return axes.length ? tf.sum(r, axes, true) : r;
}

export interface StepResult {
  /** The negative ELBO (or expected cost) of this step, scalar. */
  loss: tf.Tensor;
  /** Per RELAX/REINFORCE site, this step's gradient estimate w.r.t. its logits (for diagnostics and `tilde grad`). */
  siteGrads?: Map<string, tf.Tensor[]>;
}

/** Builds the step of a fit from its plan. Holds estimator state (baselines, surrogates) across steps. */
export class Estimators {
  readonly kinds = new Map<string, string>();
  private readonly signals: Map<string, SignalPlan>;
  private readonly ema = new Map<string, EmaBaseline>();
  private readonly sdEma = new Map<string, EmaBaseline>();
  private readonly nvil = new Map<string, NvilBaseline>();
  /** (input, signal) pairs of this step's NVIL sites, kept until the baselines are trained after the step. */
  private nvilPending: { site: string; x: tf.Tensor; f: tf.Tensor }[] = [];
  /** Set while a compiled step is traced: NVIL's least-squares terms, added to the step's loss. */
  private nvilTerms?: tf.Tensor[];
  private readonly surrogates = new Map<string, Surrogate>();
  private phiOptimizer?: tf.Optimizer;
  private readonly relaxSites: string[];

  constructor(
    private readonly program: CheckedProgram,
    plan: Plan,
    private readonly mode: Mode,
    private readonly S: number,
    private readonly rng: Rng,
    private readonly options: EstimatorOptions = ESTIMATOR_DEFAULTS,
  ) {
    for (const e of plan.entries) if (e.estimator !== 'reparam') this.kinds.set(e.site, e.estimator);
    this.signals = planSignals(program, [...this.kinds.keys()]);
    for (const [site, kind] of this.kinds) if (kind === 'enumerate' || kind === 'marginalize') this.checkEnumerable(site, kind);
    this.marginalSites = [...this.kinds].filter(([, k]) => k === 'marginalize').map(([s]) => s);
    for (const site of this.marginalSites) this.checkMarginal(site, plan);
    if (options.baseline === 'nvil') for (const [site, kind] of this.kinds) if (kind === 'reinforce') this.checkNvil(site);
    this.relaxSites = [...this.kinds].filter(([, k]) => k === 'relax').map(([s]) => s);
    // Training φ differentiates the relaxed model twice: the op table must be second-order safe.
    if (this.relaxSites.length) this.secondOrder = ops.requireSecondOrder();
  }

  private secondOrder?: { release(): void };
  /** Sites summed out of the model (`@marginalize`, marginal.ts). */
  private readonly marginalSites: string[];

  private checkMarginal(site: string, plan: Plan): void {
    const entry = plan.bySite.get(site);
    const sym = this.program.symbols.get(site);
    const at = sym ? ` (${this.program.file}:${sym.span.start.line}:${sym.span.start.column})` : '';
    if (entry?.scope === 'guide') {
      throw new Error(`'${site}'${at}: marginalize sums it out of the model, so its site in the guide block (${this.program.file}:${entry.span.start.line}:${entry.span.start.column}) would never be used; remove that site, or use @enumerate`);
    }
    const why = whyNotMarginal(this.program, this.signals.get(site)!, this.signals);
    if (why) throw new Error(`'${site}'${at}: marginalize cannot sum it out: ${why}`);
  }

  /** NVIL's baseline is a function of a plate entry's data rows: the site must lie along a plate. */
  private checkNvil(site: string): void {
    const sp = this.signals.get(site)!;
    if (sp.plate) return;
    const sym = this.program.symbols.get(site);
    const at = sym ? ` (${this.program.file}:${sym.span.start.line}:${sym.span.start.column})` : '';
    throw new RangeError(`baseline 'nvil' needs REINFORCE sites along a plate, whose entries' data rows are its input; '${site}'${at} has no plate dimension. Use baseline 'loo' or 'ema'`);
  }

  /** The input of NVIL's baseline: per plate entry, its rows of every data array that carries the plate, flattened, [n, D]. */
  private nvilInputs(jo: JointOptions, sp: SignalPlan): tf.Tensor {
    const plate = sp.plate!.name;
    const parts: tf.Tensor[] = [];
    for (const sym of this.program.symbols.values()) {
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

  /**
   * Enumeration sums a site out exactly by re-running the model once per value. Entries along a
   * plate are independent, so one pass with every entry set to k covers them all; other shapes
   * would need Kᴰ passes and are refused.
   */
  private checkEnumerable(site: string, kind: 'enumerate' | 'marginalize'): void {
    const sym = this.program.symbols.get(site);
    const fam = this.program.sites.find((x) => x.name === site)?.family.name;
    const why = (m: string) => new Error(`'${site}': ${kind} ${m}; use @reinforce or @relax`);
    if (this.mode !== 'inference') throw why('applies to latents of an inference model');
    if (fam !== 'Bernoulli' && fam !== 'Categorical') throw why(`is implemented for Bernoulli and Categorical sites, not ${fam}`);
    if (sym?.elementwise) throw why('needs the site drawn as a whole, not element by element in a loop');
    const shape = sym?.type.shape ?? [];
    const sp = this.signals.get(site)!;
    if (shape.length > 1 || (shape.length === 1 && sp.plate?.axis !== 0)) {
      throw why('needs a scalar site or a vector along a plate (entries along a plate are summed out independently)');
    }
  }

  /**
   * Replace the sampled contribution of an enumerated site by its exact expectation:
   * Σₖ q(k)·f(k) per plate entry, with f the site's Rao-Blackwellised signal (which carries
   * −log q(k)), minus the sampled signal (value and gradient) the particle value already holds.
   */
  private enumerateTerm(site: string, j: Joint, jo: JointOptions, flat: BlockViews, seed: number): tf.Tensor {
    const sp = this.signals.get(site)!;
    const draw = j.discrete.find((d) => d.name === site);
    if (!draw?.logits) return tf.scalar(0);
    const family = relaxFamily(draw.site.family.name);
    const logits = draw.logits;
    const K = supportSize(family, logits);
    const sampled = siteSignal(this.program, sp, { ...j, discrete: j.discrete.map((d) => ({ ...d, logq: ops.detach(d.logq) })) }, this.mode);
    let expected: tf.Tensor = tf.zerosLike(sampled);
    // Other discrete sites take the hard pass's values (RELAX's own noise, a summed-out site's 0).
    const others = this.hardHook(new Map());
    for (let k = 0; k < K; k++) {
      const hook: DiscreteHook = (d) => {
        if (d.ev.site.name !== site) return others(d);
        d.rng.skip(); // the draw this pass replaces
        const value = tf.fill([d.S, ...d.ev.shape], k);
        return { value, logq: d.q.logProb(value) };
      };
      const jk = evaluateJoint({ ...jo, rng: new Rng(seed), drawDiscrete: hook }, flat);
      const fk = siteSignal(this.program, sp, jk, this.mode);
      const qk = family === 'Bernoulli' ? ops.sigmoid(k === 1 ? logits : tf.neg(logits)) : tf.squeeze(tf.slice(ops.softmax(logits, -1), [...Array(logits.rank - 1).fill(0), k], [...logits.shape.slice(0, -1), 1]), [logits.rank - 1]);
      expected = tf.add(expected, tf.mul(qk.reshape(qk.shape.slice(0, Math.max(1, sampled.rank))), fk));
    }
    // A local site's signals are its entries' own (unweighted): the minibatch's N/B applies once here.
    return tf.div(tf.mul(tf.sum(tf.sub(expected, sampled)), draw.scale), j.S);
  }

  get hasSurrogates(): boolean {
    return this.relaxSites.length > 0;
  }

  private baselineKind(): BaselineKind {
    const b = this.options.baseline;
    return b === 'auto' ? (this.S >= 2 ? 'loo' : 'ema') : b;
  }

  /** The hard-pass hook: RELAX sites draw from their own noise (recorded); concrete sites draw relaxed values. */
  private hardHook(records: Map<string, RelaxEvent[]>): DiscreteHook {
    return (d) => {
      const kind = this.kinds.get(d.ev.site.name);
      if (kind === 'relax' && d.logits) {
        const family = relaxFamily(d.ev.site.family.name);
        const shape = [d.S, ...d.ev.shape, ...(family === 'Categorical' ? [d.logits.shape[d.logits.rank - 1]!] : [])];
        const u = uniformNoise(shape, d.rng.int());
        const v = uniformNoise(shape, d.rng.int());
        const z = relaxedSample(family, d.logits, u);
        const b = hardValue(family, z);
        const list = records.get(d.ev.site.name) ?? [];
        list.push({ key: eventKey(d), family, logits: d.logits, u, v, b });
        records.set(d.ev.site.name, list);
        return { value: b, logq: d.q.logProb(b) };
      }
      if (kind === 'concrete' && d.logits) {
        const family = relaxFamily(d.ev.site.family.name);
        const shape = [d.S, ...d.ev.shape, ...(family === 'Categorical' ? [d.logits.shape[d.logits.rank - 1]!] : [])];
        const u = uniformNoise(shape, d.rng.int());
        d.rng.skip(); // keep the stream aligned with RELAX's two noise draws
        const soft = relax(family, relaxedSample(family, d.logits, u), tf.scalar(this.options.concreteTemperature));
        let value: Soft = soft;
        if (this.options.straightThrough) {
          const K = soft.k;
          const hardW = tf.oneHot(tf.argMax(soft.weights, -1), K).toFloat();
          value = new Soft(tf.add(hardW, tf.sub(soft.weights, ops.detach(soft.weights))));
        }
        return { value, logq: logProbAt(d.q, value), pathwise: true };
      }
      if (kind === 'marginalize') {
        d.rng.skip(); // the draw it replaces, so every pass sees the same stream
        return fixedDraw(d, 0);
      }
      return plainDraw(d);
    };
  }

  /**
   * The site's signal (its dependents' log-densities) at every value k, [S] or [S, n] each:
   * k = 0 is the hard pass `j` itself, where the site was set to 0; other draws are the hard pass's.
   */
  private marginalSignals(site: string, j: Joint, jo: JointOptions, views: BlockViews, seed: number): { signals: tf.Tensor[]; family: string; scale: number } {
    const sp = this.signals.get(site)!;
    const draw = j.discrete.find((d) => d.name === site)!;
    const family = draw.site.family.name;
    const K = supportSize(family, draw.logits!);
    const others = this.hardHook(new Map());
    const signals = [siteSignal(this.program, sp, j, this.mode)];
    for (let k = 1; k < K; k++) {
      const hook: DiscreteHook = (d) => {
        if (d.ev.site.name !== site) return others(d);
        d.rng.skip();
        return fixedDraw(d, k);
      };
      signals.push(siteSignal(this.program, sp, evaluateJoint({ ...jo, rng: new Rng(seed), drawDiscrete: hook }, views), this.mode));
    }
    return { signals, family, scale: draw.scale };
  }

  /**
   * Per particle, what the summed-out sites add to the particle value of the hard pass (the
   * collapsed ELBO's difference), [S]; `local`, the part of it from sites local to a batch's plate.
   */
  private marginalTerms(j: Joint, jo: JointOptions, views: BlockViews, seed: number): { total: tf.Tensor; local?: tf.Tensor } | undefined {
    let total: tf.Tensor | undefined;
    let local: tf.Tensor | undefined;
    for (const site of this.marginalSites) {
      const draw = j.discrete.find((d) => d.name === site);
      if (!draw) continue;
      const { signals, scale } = this.marginalSignals(site, j, jo, views, seed);
      // The site's guide logits enter with weight zero: they are set after the fit, and this keeps
      // the parameters connected to the loss when nothing else is (an all-discrete model).
      const unused = tf.mul(tf.sum(draw.logits!), 0);
      const unweighted = marginalCorrection(signals);
      const c = tf.add(scale === 1 ? unweighted : tf.mul(unweighted, scale), unused);
      total = total ? tf.add(total, c) : c;
      // Unweighted, as the joint's own local part (full-data chunks add those up).
      if (jo.batch?.local.has(site)) local = local ? tf.add(local, unweighted) : unweighted;
    }
    return total && { total, ...(local ? { local } : {}) };
  }

  /**
   * Summed-out sites that do not lie along `plate`: their sum runs over the whole data, so a
   * minibatch or a chunk of the plate cannot compute it (log Σ_k of a scaled part is biased).
   */
  globalMarginals(plate: string): string[] {
    return this.marginalSites.filter((s) => this.signals.get(s)!.plate?.name !== plate);
  }

  /** True when some site is summed out of the model (its guide logits are then set by posteriorOfMarginals). */
  get hasMarginals(): boolean {
    return this.marginalSites.length > 0;
  }

  /**
   * The conditional posterior of each summed-out site, averaged over S draws of the fitted guide,
   * as values for its guide-logits block (marginal.ts). No gradient.
   */
  posteriorOfMarginals(jo: JointOptions, flat: tf.Tensor): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    if (!this.marginalSites.length) return out;
    const seed = this.rng.int();
    tf.tidy(() => {
      const views = blockViews(flat, jo.layout);
      const j = evaluateJoint({ ...jo, rng: new Rng(seed), drawDiscrete: this.hardHook(new Map()) }, views);
      for (const site of this.marginalSites) {
        if (!j.discrete.some((d) => d.name === site)) continue;
        const { signals, family } = this.marginalSignals(site, j, jo, views, seed);
        out.set(site, posteriorLogits(family, signals).dataSync() as Float32Array);
      }
    });
    return out;
  }

  /**
   * The summed-out sites' names and the log density with them summed out, log p + log|J| per
   * particle [S], for the Laplace start's mode search (init.ts); undefined without such sites.
   */
  marginalDensity(): MarginalDensity | undefined {
    if (!this.marginalSites.length) return undefined;
    return {
      sites: new Set(this.marginalSites),
      logDensity: (jo, flat) => {
        // Nothing is random once u is given and the summed-out sites are fixed per pass.
        const views = blockViews(flat, jo.layout);
        const j = evaluateJoint({ ...jo, rng: new Rng(0), drawDiscrete: this.hardHook(new Map()) }, views);
        const c = this.marginalTerms(j, jo, views, 0);
        const d = tf.add(j.logp, j.logdet);
        return c ? tf.add(d, c.total) : d;
      },
    };
  }

  /** The per-particle objective of one evaluation as the fit optimises it, [S] (summed-out sites at their exact marginal); no gradient wanted. */
  particleObjective(jo: JointOptions, flat: tf.Tensor): { value: tf.Tensor; local?: tf.Tensor } {
    const seed = this.rng.int();
    const views = blockViews(flat, jo.layout);
    const j = evaluateJoint({ ...jo, rng: new Rng(seed), drawDiscrete: this.hardHook(new Map()) }, views);
    const c = this.marginalTerms(j, jo, views, seed);
    const value = particleValue(j, this.mode);
    if (!c) return { value, ...(j.local ? { local: j.local } : {}) };
    const local = j.local && c.local ? tf.add(j.local, c.local) : j.local;
    return { value: tf.add(value, c.total), ...(local ? { local } : {}) };
  }

  /** The relaxed-pass hook for one RELAX site: its events take σ(z/λ) or σ(z̃/λ) at the given logits. */
  private relaxedHook(site: string, events: RelaxEvent[], logits: tf.Tensor[], which: 'z' | 'ztilde', lambda: tf.Tensor, raw: tf.Tensor[]): DiscreteHook {
    const byKey = new Map(events.map((e, i) => [e.key, i]));
    const hard = this.hardHook(new Map());
    return (d) => {
      if (d.ev.site.name !== site) return hard(d);
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

  /** The site's surrogate, made at its first step, when the width of its network's input is known. */
  private surrogate(site: string, inputs: number): Surrogate {
    let s = this.surrogates.get(site);
    if (!s) {
      s = new Surrogate(site, inputs, !this.options.rebar, this.rng.split(`surrogate:${site}`));
      this.surrogates.set(site, s);
    }
    return s;
  }

  /** RELAX's surrogate parameters, one Variable per site (made at the site's first step). */
  phiVariables(): tf.Variable[] {
    return [...this.surrogates.values()].map((s) => s.phi);
  }

  /**
   * The scalar loss of one step (inside the caller's tidy and gradient tape): its value is
   * −ELBO (or the expected cost); its gradient w.r.t. the flat parameters is the estimators'.
   * RELAX adds Σ ĝ² whose gradient reaches only the surrogate parameters φ.
   */
  loss(jo: JointOptions, flat: tf.Tensor, seed: number, collect?: Map<string, tf.Tensor[]>): { loss: tf.Tensor; value: tf.Tensor; keep: tf.Tensor[] } {
    const records = new Map<string, RelaxEvent[]>();
    // One cut of the flat vector serves every pass of the step.
    const views = blockViews(flat, jo.layout);
    const j = evaluateJoint({ ...jo, rng: new Rng(seed), drawDiscrete: this.hardHook(records) }, views);
    const marginal = this.marginalTerms(j, jo, views, seed);
    const f = marginal ? tf.add(particleValue(j, this.mode), marginal.total) : particleValue(j, this.mode);
    const value = tf.mean(f);
    let loss = tf.neg(value);
    const keep: tf.Tensor[] = [];
    for (const [site, kind] of this.kinds) {
      if (kind === 'reinforce') loss = tf.sub(loss, this.reinforceTerm(site, j, jo, collect));
      if (kind === 'enumerate') loss = tf.sub(loss, this.enumerateTerm(site, j, jo, views, seed));
    }
    for (const site of this.relaxSites) {
      const events = records.get(site);
      if (!events?.length) continue;
      const { thetaLoss, phiLoss, kept } = this.relaxTerms(site, events, j, jo, views, seed, collect);
      loss = tf.add(loss, tf.add(thetaLoss, phiLoss));
      keep.push(...kept);
    }
    if (this.nvilTerms?.length) {
      loss = tf.add(loss, tf.addN(this.nvilTerms));
      this.nvilTerms = [];
    }
    return { loss, value, keep };
  }

  /** mean over particles of Σ detach(f − baseline)·(log q − detach(log q)): zero in value. */
  private reinforceTerm(site: string, j: Joint, jo: JointOptions, collect?: Map<string, tf.Tensor[]>): tf.Tensor {
    const sp = this.signals.get(site)!;
    const draws = j.discrete.filter((d) => d.name === site);
    if (!draws.length) return tf.scalar(0);
    const f = ops.detach(siteSignal(this.program, sp, j, this.mode));
    // Per-entry baselines follow the true plate index under a minibatch.
    const at = jo.batch && sp.plate?.name === jo.batch.plate ? { N: jo.batch.N, indices: jo.batch.indices } : undefined;
    let centred: tf.Tensor;
    const kind = this.baselineKind();
    if (kind === 'nvil') {
      // Centre by the learned b_ψ(x_n), then by the residual's leave-one-out mean (S ≥ 2) or its per-entry EMA.
      const x = this.nvilInputs(jo, sp);
      let nv = this.nvil.get(site);
      if (!nv) this.nvil.set(site, (nv = new NvilBaseline(x.shape[1]!, this.rng.split(`nvil:${site}`))));
      const resid = tf.sub(f, ops.detach(nv.predict(x, f)));
      if (this.S >= 2) centred = tf.sub(resid, leaveOneOut(resid));
      else {
        let ema = this.ema.get(site);
        if (!ema) this.ema.set(site, (ema = new EmaBaseline()));
        centred = tf.sub(resid, ema.value(resid, at));
        ema.update(resid, at);
      }
      // A compiled step trains ψ with θ (a slot of its own, its loss added to the step's); the tfjs
      // engine trains it after the step on the kept signals. Either way the step's baseline is ψ before.
      if (this.nvilTerms) this.nvilTerms.push(nv.loss(x, f));
      else this.nvilPending.push({ site, x: tf.keep(x), f: tf.keep(f) });
    } else if (kind === 'loo') centred = tf.sub(f, leaveOneOut(f));
    else if (kind === 'ema') {
      let ema = this.ema.get(site);
      if (!ema) this.ema.set(site, (ema = new EmaBaseline()));
      centred = tf.sub(f, ema.value(f, at));
      ema.update(f, at);
    } else centred = f;
    if (this.options.normalise) {
      let sd = this.sdEma.get(site);
      if (!sd) this.sdEma.set(site, (sd = new EmaBaseline()));
      const sq = tf.square(centred);
      const scale = tf.sqrt(tf.add(sd.value(sq, at), 1e-8));
      sd.update(sq, at);
      centred = tf.div(centred, tf.maximum(scale, 1));
    }
    let term = tf.scalar(0);
    for (const d of draws) {
      // A local site's signal is its own entry's, unweighted: the N/B of a minibatch applies here, once.
      const c = broadcastSignal(d.scale === 1 ? centred : tf.mul(centred, d.scale), sp, d.logq.rank - 1);
      term = tf.add(term, tf.div(tf.sum(tf.mul(c, tf.sub(d.logq, ops.detach(d.logq)))), j.S));
      if (collect && d.logits) {
        // The estimate w.r.t. the logits, for diagnostics: (f − b)·score, summed to the logits' shape.
        const fam = d.site.family.name;
        if (fam === 'Bernoulli' || fam === 'Categorical') {
          const sc = score(fam, d.logits, d.value as tf.Tensor);
          const cc = fam === 'Categorical' ? c.expandDims(-1) : c;
          push(collect, site, tf.div(reduceTo(tf.mul(cc, sc), d.logits), j.S));
        }
      }
    }
    return term;
  }

  private relaxTerms(
    site: string,
    events: RelaxEvent[],
    j: Joint,
    jo: JointOptions,
    views: BlockViews,
    seed: number,
    collect?: Map<string, tf.Tensor[]>,
  ): { thetaLoss: tf.Tensor; phiLoss: tf.Tensor; kept: tf.Tensor[] } {
    const sp = this.signals.get(site)!;
    const S = j.S;
    const plated = sp.plate !== undefined && sp.plate.axis === 0;
    // r_ρ's input: every event's raw relaxed components, per particle (and plate entry).
    const width = events.reduce((a, e) => a + e.u.size / (S * (plated ? e.u.shape[1]! : 1)), 0);
    const sur = this.surrogate(site, width).view();
    const siteScale = j.discrete.find((d) => d.name === site)?.scale ?? 1;
    const fb = ops.detach(siteSignal(this.program, sp, j, this.mode));
    // The relaxed passes see constant model parameters: φ must not move θ, and the decoder
    // gets only ∂f(b)/∂w (RELAX.md §1.6).
    const detached = new Map<string, tf.Tensor>();
    const viewsD: BlockViews = (key) => detached.get(key) ?? detached.set(key, ops.detach(views(key))).get(key)!;
    const inputs = events.map((e) => ops.detach(e.logits));
    let cTilde: tf.Tensor | undefined;
    const c = (which: 'z' | 'ztilde', ls: tf.Tensor[]) => {
      const lambda = sur.lambda;
      const raw: tf.Tensor[] = [];
      const jr = evaluateJoint({ ...jo, rng: new Rng(seed), drawDiscrete: this.relaxedHook(site, events, ls, which, lambda, raw) }, viewsD);
      const fr = siteSignal(this.program, sp, jr, this.mode);
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
      if (collect) push(collect, site, ops.detach(g));
    });
    return { thetaLoss, phiLoss, kept: [cTilde!] };
  }

  private moments?: { m1: tf.Variable; m2: tf.Variable };
  /** Steps seen by track, to pick every TRACK_EVERY-th. */
  private tracked = 0;

  /**
   * Running first and second moments of the parameter gradient, for per-node variance: every
   * TRACK_EVERY-th step's gradient, weighted so the window spans the last ~100 steps. A diagnostic
   * only; on the smallest models updating it every step was 8 % of a step's kernels.
   */
  private track(g: tf.Tensor): void {
    if (this.tracked++ % TRACK_EVERY !== 0) return;
    const beta = 0.99 ** TRACK_EVERY;
    if (!this.moments) {
      this.moments = { m1: tf.variable(g, false), m2: tf.variable(tf.square(g), false) };
      return;
    }
    this.moments.m1.assign(tf.add(tf.mul(this.moments.m1, beta), tf.mul(g, 1 - beta)));
    this.moments.m2.assign(tf.add(tf.mul(this.moments.m2, beta), tf.mul(tf.square(g), 1 - beta)));
  }

  /** Per-element running gradient variance E[g²] − E[g]², or undefined before the first step. */
  gradientVariance(): Float32Array | undefined {
    if (!this.moments) return undefined;
    return tf.tidy(() => tf.relu(tf.sub(this.moments!.m2, tf.square(this.moments!.m1))).dataSync() as Float32Array);
  }

  /** Why the compiled engine (compile/) cannot run this plan's step yet; undefined when it can. */
  /**
   * Why a step on minibatches of `plate` cannot be compiled, or undefined. Per-entry moving averages
   * keep, in JavaScript, which entries a batch has seen: the trace would fix that to its first batch.
   */
  whyNotCompiled(plate?: string): string | undefined {
    if (plate === undefined) return undefined;
    for (const [site, kind] of this.kinds) {
      if (kind !== 'reinforce' || this.signals.get(site)?.plate?.name !== plate) continue;
      const b = this.baselineKind();
      if (b === 'ema' || (b === 'nvil' && this.S < 2) || this.options.normalise) {
        return `per-entry moving averages of '${site}' under minibatches (with 2 or more particles the leave-one-out baseline compiles)`;
      }
    }
    return undefined;
  }

  /**
   * NVIL's networks, for a compiled step: from now on each step's loss carries their least-squares
   * terms (zero gradient for θ: the signal and the data are constants to them) instead of keeping
   * the signals for a separate update. Call after one evaluation has made the networks.
   */
  compileNvil(): { variable: tf.Variable; lr: number }[] {
    this.trainNvil(false);
    this.nvilTerms = [];
    return [...this.nvil.values()].map((n) => ({ variable: n.variable, lr: n.lr }));
  }

  /** Back to training NVIL's networks after each step (a step that could not be compiled); drops kept signals. */
  uncompileNvil(): void {
    this.trainNvil(false);
    this.nvilTerms = undefined;
  }

  /** Learning rate of RELAX's surrogate parameters. */
  get surrogateLr(): number {
    return this.options.surrogateLr;
  }

  /** One optimisation step: θ by `optimizer`, φ by the surrogate optimiser. Returns the loss (kept). */
  step(jo: JointOptions, flat: tf.Variable, optimizer: tf.Optimizer): tf.Tensor {
    const seed = this.rng.int();
    if (!this.hasSurrogates) {
      const { value, grads } = tf.variableGrads(() => this.loss(jo, flat, seed).loss as tf.Scalar, [flat]);
      const g = grads[flat.name]!;
      optimizer.applyGradients({ [flat.name]: g });
      this.track(g);
      this.trainNvil();
      return value;
    }
    const phi = this.phiVariables();
    let value: tf.Tensor | undefined;
    let kept: tf.Tensor[] = [];
    const { grads } = tf.variableGrads(() => {
      const r = this.loss(jo, flat, seed);
      value = tf.keep(tf.neg(r.value));
      kept = r.keep;
      return r.loss as tf.Scalar;
    }, [flat, ...phi]);
    kept.forEach((t) => t.dispose());
    optimizer.applyGradients({ [flat.name]: grads[flat.name]! });
    this.track(grads[flat.name]!);
    if (phi.length) {
      this.phiOptimizer ??= tf.train.adam(this.options.surrogateLr);
      const phiGrads: Record<string, tf.Tensor> = {};
      for (const v of phi) if (grads[v.name]) phiGrads[v.name] = grads[v.name]!;
      this.phiOptimizer.applyGradients(phiGrads);
    }
    this.trainNvil();
    return value!;
  }

  /** NVIL's baselines learn from this step's signals only after they were used (so the step's baseline did not see them). */
  private trainNvil(train = true): void {
    for (const p of this.nvilPending) {
      if (train) this.nvil.get(p.site)!.train(p.x, p.f);
      p.x.dispose();
      p.f.dispose();
    }
    this.nvilPending = [];
  }

  /** Gradient estimates of this step w.r.t. each optimised parameter block, without updating. */
  gradients(jo: JointOptions, flat: tf.Variable): { grads: tf.Tensor; value: tf.Tensor } {
    const seed = this.rng.int();
    let kept: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const r = this.loss(jo, flat, seed);
      kept = r.keep;
      // Only θ's gradient is wanted: Σ ĝ² reaches φ alone, so it does not change θ's.
      return r.loss as tf.Scalar;
    }, [flat]);
    kept.forEach((t) => t.dispose());
    this.trainNvil(false);
    return { grads: grads[flat.name]!, value };
  }

  /** Steps that train only the learned baselines (NVIL's ψ) at fixed θ, as RELAX's φ can be trained with θ frozen. */
  trainBaselines(jo: JointOptions, flat: tf.Variable): void {
    const seed = this.rng.int();
    tf.tidy(() => {
      this.loss(jo, flat, seed).keep.forEach((t) => t.dispose());
      this.trainNvil();
    });
  }

  private disposed = false;

  /** Safe to call twice: a fit ends its estimators early and its prepare step releases them again on any error. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.secondOrder?.release();
    this.moments?.m1.dispose();
    this.moments?.m2.dispose();
    this.ema.forEach((e) => e.dispose());
    this.sdEma.forEach((e) => e.dispose());
    this.nvil.forEach((b) => b.dispose());
    this.trainNvil(false);
    this.surrogates.forEach((s) => s.dispose());
    this.phiOptimizer?.dispose();
  }
}

function push(m: Map<string, tf.Tensor[]>, k: string, t: tf.Tensor): void {
  const l = m.get(k) ?? [];
  l.push(tf.keep(t));
  m.set(k, l);
}

void sumAfterFirst;
