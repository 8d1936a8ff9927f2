// One optimisation step with the planned estimator at every stochastic node.
// Continuous sites are reparameterised (their gradient flows through the ELBO's
// value); each discrete site has an estimator of its own (types.ts, one file per kind)
// that draws it in the step's hard pass and adds its terms to the loss. The loss's value
// stays the negative ELBO (or the expected cost) so progress and convergence read it directly.

import type { CheckedProgram } from '../../language/checked.js';
import { family } from '../../language/distributions.js';
import { tf } from '../backend.js';
import { blockViews, evaluateJoint, plainDraw, type DiscreteHook, type JointOptions } from '../joint.js';
import { logWeights, particleValue } from '../objective.js';
import type { MarginalDensity } from '../init.js';
import { optionDefaults } from '../options.js';
import type { EstimatorKind, Plan } from '../plan.js';
import { Rng } from '../rng.js';
import { concrete } from './concrete.js';
import { enumerate } from './enumerate.js';
import { lax, LaxEstimator } from './lax.js';
import { marginalize, MarginalizeEstimator } from './marginalize.js';
import { reinforce, ReinforceEstimator } from './reinforce.js';
import { RelaxEstimator, relaxEstimator } from './relax-estimator.js';
import type { Surrogate } from './relax.js';
import { iwaeBound, vimcoSignals } from './vimco.js';
import { planSignals, type SignalPlan } from './signals.js';
import { CHECK_PHASES, type EstimatorContext, type EstimatorFactory, type EstimatorOptions, type Mode, type SiteEstimator, type StepPass } from './types.js';

export type { EstimatorOptions } from './types.js';

/** A RELAX site's surrogate as learned so far: c_φ = η·f(σ(z/λ)) + r_ρ(z). */
export interface SurrogateReading {
  /** λ, the relaxation's temperature. */
  temperature: number;
  /** η, the weight of the relaxed model in the control variate. */
  scale: number;
}

/** The estimators' options out of fit options (the option table's names); rebar comes out of the estimator option. */
export function estimatorOptionsFrom(o: Omit<EstimatorOptions, 'rebar'>, rebar: boolean): EstimatorOptions {
  return { baseline: o.baseline, normalise: o.normalise, concreteTemperature: o.concreteTemperature, straightThrough: o.straightThrough, surrogateLr: o.surrogateLr, objective: o.objective, rebar };
}

/** The option table's defaults (options.ts). */
export const ESTIMATOR_DEFAULTS: EstimatorOptions = estimatorOptionsFrom(optionDefaults(), false);

/** Each planned kind's estimator (REBAR is RELAX with `options.rebar`). */
const FACTORIES: Record<Exclude<EstimatorKind, 'reparam'>, EstimatorFactory> = {
  reinforce,
  relax: relaxEstimator,
  lax,
  concrete,
  enumerate,
  marginalize,
};

export interface StepResult {
  /** The negative ELBO (or expected cost) of this step, scalar. */
  loss: tf.Tensor;
  /** Per RELAX/REINFORCE site, this step's gradient estimate w.r.t. its logits (for diagnostics and `tilde grad`). */
  siteGrads?: Map<string, tf.Tensor[]>;
}

/** Builds the step of a fit from its plan. Holds the sites' estimators (with their baselines and surrogates) across steps. */
export class Estimators {
  readonly kinds = new Map<string, string>();
  /** One per non-reparameterised site, in the plan's order: the order their terms are summed in. */
  private readonly sites: SiteEstimator[];
  private readonly bySite = new Map<string, SiteEstimator>();
  /** Sites summed out of the model (`@marginalize`, marginal.ts). */
  private readonly marginals: MarginalizeEstimator[];

  constructor(
    private readonly program: CheckedProgram,
    plan: Plan,
    private readonly mode: Mode,
    S: number,
    private readonly rng: Rng,
    private readonly options: EstimatorOptions = ESTIMATOR_DEFAULTS,
  ) {
    const planned = new Map<string, Exclude<EstimatorKind, 'reparam'>>();
    for (const e of plan.entries) if (e.estimator !== 'reparam') planned.set(e.site, e.estimator);
    const kinds = [...planned];
    for (const [site, kind] of kinds) this.kinds.set(site, kind);
    const signals = planSignals(program, [...this.kinds.keys()]);
    this.signalPlans = signals;
    const ctx: EstimatorContext = { program, plan, mode, S, rng, options, signals, hardHook: () => this.hardHook(new Map()), downstreamHook: (site) => this.downstreamHook(site) };
    for (const phase of CHECK_PHASES) for (const [site, kind] of kinds) FACTORIES[kind].checks?.[phase]?.(ctx, site);
    this.sites = kinds.map(([site, kind]) => FACTORIES[kind].create(ctx, site));
    for (const e of this.sites) this.bySite.set(e.site, e);
    this.marginals = this.sites.filter((e): e is MarginalizeEstimator => e instanceof MarginalizeEstimator);
    const plates = [...program.symbols.values()].filter((x) => x.kind === 'plate');
    const P = plates.length === 1 ? plates[0]!.name : undefined;
    this.entryPlate = P !== undefined && plan.entries.every((e) => (program.symbols.get(e.site)?.type.shape ?? []).includes(P)) ? P : undefined;
    this.scored = new Set(plan.entries.filter((e) => (e.estimator === 'reinforce' || e.estimator === 'lax') && !family(e.family)?.discrete).map((e) => e.site));
  }

  private readonly signalPlans: Map<string, SignalPlan>;

  /** The program's one plate when every optimised site lies along it (a per-entry bound is then possible). */
  private readonly entryPlate: string | undefined;

  /** Continuous sites under a score-function estimator (drawn with their value held constant; joint.ts). */
  private readonly scored: ReadonlySet<string>;

  get hasSurrogates(): boolean {
    return this.sites.some((e) => e instanceof RelaxEstimator || e instanceof LaxEstimator);
  }

  /** Each RELAX site's surrogate, once made (tests read φ through it). */
  private get surrogates(): Map<string, Surrogate> {
    const m = new Map<string, Surrogate>();
    for (const e of this.sites) if (e instanceof RelaxEstimator && e.surrogate) m.set(e.site, e.surrogate);
    return m;
  }

  /** The hard pass's hook: each site drawn as its estimator says, what it records kept per site in `records`. */
  private hardHook(records: Map<string, unknown[]>): DiscreteHook {
    return (d) => {
      const name = d.ev.site.name;
      const record = (r: unknown) => {
        const list = records.get(name) ?? [];
        list.push(r);
        records.set(name, list);
      };
      return this.bySite.get(name)?.draw?.(d, record) ?? plainDraw(d);
    };
  }

  /** RELAX sites drawn from `site`'s value relaxed, the others as in the hard pass (EstimatorContext.downstreamHook). */
  private downstreamHook(site: string): DiscreteHook {
    const sp = this.signalPlans.get(site);
    const drawnFrom = sp ? (this.mode === 'inference' ? sp.guideDependents : sp.dependents) : new Set<string>();
    const hard = this.hardHook(new Map());
    return (d) => {
      const name = d.ev.site.name;
      const e = this.bySite.get(name);
      if (name !== site && drawnFrom.has(name) && e instanceof RelaxEstimator) return e.relaxedDraw(d) ?? hard(d);
      return hard(d);
    };
  }

  /**
   * Per particle, what the summed-out sites add to the particle value of the hard pass (the
   * collapsed ELBO's difference), [S]; `local`, the part of it from sites local to a batch's plate.
   */
  private marginalTerms(pass: StepPass): { total: tf.Tensor; local?: tf.Tensor } | undefined {
    let total: tf.Tensor | undefined;
    let local: tf.Tensor | undefined;
    for (const e of this.sites) {
      const c = e.particleTerm?.(pass);
      if (!c) continue;
      total = total ? tf.add(total, c.total) : c.total;
      if (c.local) local = local ? tf.add(local, c.local) : c.local;
    }
    return total && { total, ...(local ? { local } : {}) };
  }

  /** The hard pass of one evaluation, and what re-running it needs. */
  private hardPass(given: JointOptions, flat: tf.Tensor, seed: number, records = new Map<string, unknown[]>(), collect?: Map<string, tf.Tensor[]>): StepPass {
    // Passes re-run for one site see the scored sites as this one does.
    const jo = this.scored.size ? { ...given, scored: this.scored } : given;
    // One cut of the flat vector serves every pass of the step.
    const views = blockViews(flat, jo.layout);
    const j = evaluateJoint({ ...jo, rng: new Rng(seed), drawDiscrete: this.hardHook(records) }, views);
    return { j, jo, views, seed, late: [], ...(collect ? { collect } : {}) };
  }

  /**
   * Summed-out sites that do not lie along `plate`: their sum runs over the whole data, so a
   * minibatch or a chunk of the plate cannot compute it (log Σ_k of a scaled part is biased).
   */
  globalMarginals(plate: string): string[] {
    return this.marginals.filter((e) => !e.alongPlate(plate)).map((e) => e.site);
  }

  /** True when some site is summed out of the model (its guide logits are then set by posteriorOfMarginals). */
  get hasMarginals(): boolean {
    return this.marginals.length > 0;
  }

  /**
   * The conditional posterior of each summed-out site, averaged over S draws of the fitted guide,
   * as values for its guide-logits block (marginal.ts). No gradient.
   */
  posteriorOfMarginals(jo: JointOptions, flat: tf.Tensor): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    if (!this.marginals.length) return out;
    const seed = this.rng.int();
    tf.tidy(() => {
      const pass = this.hardPass(jo, flat, seed);
      for (const e of this.marginals) {
        const logits = e.posterior(pass);
        if (logits) out.set(e.site, logits.dataSync() as Float32Array);
      }
    });
    return out;
  }

  /**
   * The summed-out sites' names and the log density with them summed out, log p + log|J| per
   * particle [S], for the Laplace start's mode search (init.ts); undefined without such sites.
   */
  marginalDensity(): MarginalDensity | undefined {
    if (!this.marginals.length) return undefined;
    return {
      sites: new Set(this.marginals.map((e) => e.site)),
      logDensity: (jo, flat) => {
        // Nothing is random once u is given and the summed-out sites are fixed per pass.
        const pass = this.hardPass(jo, flat, 0);
        const c = this.marginalTerms(pass);
        const d = tf.add(pass.j.logp, pass.j.logdet);
        return c ? tf.add(d, c.total) : d;
      },
    };
  }

  /** The per-particle objective of one evaluation as the fit optimises it, [S] (summed-out sites at their exact marginal); no gradient wanted. */
  particleObjective(jo: JointOptions, flat: tf.Tensor): { value: tf.Tensor; local?: tf.Tensor } {
    const seed = this.rng.int();
    const pass = this.hardPass(jo, flat, seed);
    const { j } = pass;
    const c = this.marginalTerms(pass);
    const value = particleValue(j, this.mode);
    if (!c) return { value, ...(j.local ? { local: j.local } : {}) };
    const local = j.local && c.local ? tf.add(j.local, c.local) : j.local;
    return { value: tf.add(value, c.total), ...(local ? { local } : {}) };
  }

  /**
   * Each RELAX site's learned temperature λ and control-variate scale η: from its φ Variable, or
   * from `slotValues(k)`, the k-th of phiVariables() as a compiled step holds it.
   */
  surrogateReadings(slotValues?: (k: number) => ArrayLike<number>): Record<string, SurrogateReading> | undefined {
    const out: Record<string, SurrogateReading> = {};
    let k = 0;
    for (const e of this.sites) {
      const vars = e.phiVariables?.() ?? [];
      if (e instanceof RelaxEstimator && vars.length) {
        const v = slotValues ? slotValues(k) : vars[0]!.dataSync();
        out[e.site] = { temperature: Math.exp(v[0]!), scale: v[1]! };
      }
      k += vars.length;
    }
    return Object.keys(out).length ? out : undefined;
  }

  /** RELAX's surrogate parameters, one Variable per site (made at the site's first step). */
  phiVariables(): tf.Variable[] {
    return this.sites.flatMap((e) => e.phiVariables?.() ?? []);
  }

  /**
   * The scalar loss of one step (inside the caller's tidy; traced by compile-fit.ts): its value is
   * −ELBO (or the expected cost); its gradient w.r.t. the flat parameters is the estimators'.
   * RELAX adds Σ ĝ² whose gradient reaches only the surrogate parameters φ.
   */
  loss(jo: JointOptions, flat: tf.Tensor, seed: number, collect?: Map<string, tf.Tensor[]>): { loss: tf.Tensor; value: tf.Tensor; keep: tf.Tensor[] } {
    if (this.options.objective === 'iwae') return this.iwaeLoss(jo, flat, seed, collect);
    const records = new Map<string, unknown[]>();
    const pass = this.hardPass(jo, flat, seed, records, collect);
    const marginal = this.marginalTerms(pass);
    const f = marginal ? tf.add(particleValue(pass.j, this.mode), marginal.total) : particleValue(pass.j, this.mode);
    const value = tf.mean(f);
    let loss = tf.neg(value);
    const keep: tf.Tensor[] = [];
    // Objectives first, then losses, each in plan order: the order the terms have always been summed in.
    for (const e of this.sites) if (e.objective) loss = tf.sub(loss, e.objective(pass));
    for (const e of this.sites) {
      const r = e.loss?.(pass, records.get(e.site) ?? []);
      if (!r) continue;
      loss = tf.add(loss, r.loss);
      keep.push(...r.keep);
    }
    if (pass.late.length) loss = tf.add(loss, tf.addN(pass.late));
    return { loss, value, keep };
  }

  /**
   * The loss under the importance-weighted bound (vimco.ts): its value is −L̂ over the step's
   * particles; its gradient the bound's, the score-function sites centred by VIMCO's signals.
   * The plan gives such a fit only REINFORCE and summed-out discrete sites (plan.ts).
   */
  private iwaeLoss(jo: JointOptions, flat: tf.Tensor, seed: number, collect?: Map<string, tf.Tensor[]>): { loss: tf.Tensor; value: tf.Tensor; keep: tf.Tensor[] } {
    const pass = this.hardPass({ ...jo, withLogq: true }, flat, seed, new Map(), collect);
    const marginal = this.marginalTerms(pass);
    const lw = marginal ? tf.add(logWeights(pass.j), marginal.total) : logWeights(pass.j);
    // One bound per plate entry where every latent is local to the plate (a belief net's digits):
    // the particles are weighed entry by entry, and the rest of log w (terms without latents) is
    // the same in every particle.
    const entries = marginal ? undefined : this.entryLogWeights(pass);
    const value = entries ? tf.add(iwaeBound(entries), tf.mean(tf.sub(lw, tf.sum(entries, 1)))) : iwaeBound(lw);
    let loss = tf.neg(value);
    const reinforced = this.sites.filter((e): e is ReinforceEstimator => e instanceof ReinforceEstimator);
    if (reinforced.length) {
      const signal = vimcoSignals(entries ?? lw);
      for (const e of reinforced) loss = tf.sub(loss, e.vimcoObjective(pass, signal));
    }
    return { loss, value, keep: [] };
  }

  /**
   * log w per particle and entry of the program's one plate, [S, n], when every latent lies along
   * it and has no automatic continuous guide (whose log q is one density over all of them); else
   * undefined, and the bound is one over the whole model.
   */
  private entryLogWeights({ j, jo }: StepPass): tf.Tensor | undefined {
    const P = this.entryPlate;
    if (P === undefined || jo.layout.autoDim > 0) return undefined;
    const axisOf = (name: string, rank: number): number => {
      const shape = this.program.symbols.get(name)?.type.shape ?? [];
      return rank - 1 === shape.length ? shape.indexOf(P) : -1;
    };
    if (j.discrete.some((d) => d.element.length > 0 || axisOf(d.name, d.logq.rank) < 0)) return undefined;
    const keep = (t: tf.Tensor, axis: number): tf.Tensor => {
      const axes = Array.from({ length: t.rank - 1 }, (_, i) => i + 1).filter((a) => a !== axis + 1);
      return axes.length ? tf.sum(t, axes) : t;
    };
    let out: tf.Tensor | undefined;
    const add = (t: tf.Tensor, sign: 1 | -1) => {
      const s = sign === 1 ? t : tf.neg(t);
      out = out ? tf.add(out, s) : s;
    };
    for (const t of j.terms) {
      const axis = axisOf(t.name, t.value.rank);
      if (axis >= 0) add(keep(t.value, axis), 1);
    }
    for (const d of j.discrete) add(keep(d.logq, axisOf(d.name, d.logq.rank)), -1);
    if (!out) return undefined;
    const o = out as tf.Tensor;
    return o.shape[0] === j.S ? o : tf.broadcastTo(o, [j.S, o.shape[1]!]);
  }

  /**
   * Learned baselines' networks, for a compiled step: from now on each step's loss carries their
   * least-squares terms instead of keeping the signals for a separate update. Call after one
   * evaluation has made the networks.
   */
  compileNvil(): { variable: tf.Variable; lr: number }[] {
    return this.sites.flatMap((e) => e.compile?.() ?? []);
  }

  /** Learning rate of RELAX's surrogate parameters. */
  get surrogateLr(): number {
    return this.options.surrogateLr;
  }

  private disposed = false;

  /** Safe to call twice: a fit ends its estimators early and its prepare step releases them again on any error. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const e of this.sites) e.dispose?.();
  }
}
