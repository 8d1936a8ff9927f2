// What one site's estimator contributes to a step, so that step.ts can sum the sites' parts
// without knowing which estimator each site has (as Pyro's infer/ keeps one ELBO per file).
// A step is one hard pass of guide and model (every discrete site drawn as its estimator
// says), then each site's terms built from that pass, re-running it where a site needs to.

import type { CheckedProgram } from '../../language/checked.js';
import type { tf } from '../backend.js';
import type { BlockViews, DiscreteEvent, DiscreteHook, Joint, JointOptions } from '../joint.js';
import type { Plan } from '../plan.js';
import type { Rng } from '../rng.js';
import type { BaselineKind } from './baselines.js';
import type { SignalPlan } from './signals.js';

export type Mode = 'inference' | 'optimisation';

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
  /** The ELBO, or the importance-weighted bound over the step's particles (vimco.ts). */
  objective: 'elbo' | 'iwae';
}

/** What every site's estimator shares with the others of a fit. */
export interface EstimatorContext {
  readonly program: CheckedProgram;
  readonly plan: Plan;
  readonly mode: Mode;
  /** Particles per step. */
  readonly S: number;
  /** The fit's estimator stream: state that needs randomness splits its own child off it. */
  readonly rng: Rng;
  readonly options: EstimatorOptions;
  /** Every non-reparameterised site's learning signal (signals.ts). */
  readonly signals: Map<string, SignalPlan>;
  /**
   * A hook that draws every site as the step's hard pass does, discarding what they record:
   * a pass re-run for one site must see the others exactly as the hard pass did.
   */
  hardHook(): DiscreteHook;
  /**
   * The hook of a relaxed pass of `site`: as hardHook, except that RELAX sites drawn from the
   * site's value (downstream in the guide, or in a stochastic objective) take their own relaxed
   * sample from the same noise, so the control variate is smooth through them (two-layer nets).
   */
  downstreamHook(site: string): DiscreteHook;
}

/** One evaluation of a step: the hard pass and what re-running it needs. */
export interface StepPass {
  readonly j: Joint;
  readonly jo: JointOptions;
  /** The flat parameters cut into blocks once for every pass of the step. */
  readonly views: BlockViews;
  /** The seed of the hard pass's stream; a re-run pass starts from it to draw the same values. */
  readonly seed: number;
  /** Per site, this step's gradient estimates w.r.t. its logits (diagnostics and `tilde grad`). */
  readonly collect?: Map<string, tf.Tensor[]>;
  /**
   * Losses of learned baselines' parameters (NVIL's ψ in a compiled step), summed into the
   * step's loss after every site's own terms, in one addition.
   */
  readonly late: tf.Tensor[];
}

export type DiscreteDraw = ReturnType<DiscreteHook>;

/**
 * One site's estimator. Every method is optional: a site adds only what its estimator has.
 * `R` is what the site records of its draws in the hard pass for its loss terms.
 */
export interface SiteEstimator<R = unknown> {
  readonly site: string;
  /** The hard pass's draw of one event of the site, or undefined for the guide's exact draw. */
  draw?(d: DiscreteEvent, record: (r: R) => void): DiscreteDraw | undefined;
  /**
   * Per particle, what the site adds to the hard pass's particle value, [S] (a summed-out site's
   * collapsed part); `local`, its unweighted part when the site is local to the batch's plate.
   */
  particleTerm?(pass: StepPass): { total: tf.Tensor; local?: tf.Tensor } | undefined;
  /** A term of the surrogate objective, subtracted from the loss: its gradient is the site's estimate. */
  objective?(pass: StepPass): tf.Tensor;
  /**
   * Terms added to the loss after every site's objective (RELAX's θ term and Σ ĝ², which reaches
   * only φ), given what the site recorded in the hard pass; `keep`, tensors the caller disposes
   * once the gradient is taken.
   */
  loss?(pass: StepPass, drawn: R[]): { loss: tf.Tensor; keep: tf.Tensor[] } | undefined;
  /** Parameters trained beside θ by the surrogate optimiser (RELAX's φ). */
  phiVariables?(): tf.Variable[];
  /**
   * For a compiled step: parameters it trains as slots of their own, whose losses the site adds
   * to `late` from now on instead of training them after each step.
   */
  compile?(): { variable: tf.Variable; lr: number }[];
  dispose?(): void;
}

/** A check of a planned site, throwing the user's error when its estimator cannot apply. */
export type SiteCheck = (ctx: EstimatorContext, site: string) => void;

/**
 * The checks run over all sites one phase at a time, so a program with several faults reports
 * the same one first whatever the order of its sites.
 */
export const CHECK_PHASES = ['support', 'collapse', 'baseline'] as const;

/** How step.ts makes a site's estimator of one kind. */
export interface EstimatorFactory {
  checks?: Partial<Record<(typeof CHECK_PHASES)[number], SiteCheck>>;
  create(ctx: EstimatorContext, site: string): SiteEstimator;
}
