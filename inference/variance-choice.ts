// `estimator: 'auto-variance'`: the estimator of each site chosen by measurement rather than by
// rule. For every site with more than one unbiased estimator (RELAX or REINFORCE for a relaxable
// discrete site, REINFORCE or enumeration for a small finite one, LAX or REINFORCE for a
// continuous site behind a step), the fit first measures each candidate at the initial parameters:
// the total variance of its gradient estimates (the trace of their covariance, `draws` estimates
// after the surrogate's warm-up) times the compiled step's scalar operations (a count, so the
// choice is the same on every run). The lowest product — the variance left after a fixed amount of
// work — wins. Sites are measured one at a time, the others at the plan's choice.
//
// Which estimator is best changes as the guide moves (a score-function estimator's variance
// grows or shrinks with the guide's entropy and the cost's spread under it), so the fit measures
// again every `remeasureEvery` steps at its parameters then, the other sites at their current
// estimators, and goes on with the new choice when one changes (model.ts rebuilds the step).

import { makePlan, ESTIMATOR_LABEL, type EstimatorKind, type Plan } from './plan.js';
import type { CheckedProgram } from '../language/checked.js';
import type { FitOptions, Model } from './model.js';

/** One candidate's measurement. */
export interface VarianceMeasure {
  estimator: EstimatorKind;
  /** Trace of the gradient estimates' covariance, at the fit's particles. */
  variance: number;
  /** Scalar operations of one step of the compiled fit. */
  work: number;
}

export interface VarianceChoice {
  site: string;
  /** The fit's step at which it was measured (0: at the start). */
  step: number;
  chosen: EstimatorKind;
  measured: VarianceMeasure[];
  /** When the fit could not switch to the choice: what it kept, and why. */
  kept?: string;
}

/** Surrogate-only steps before a RELAX or LAX candidate is measured (and after a fit switches to one). */
export const SURROGATE_WARMUP = 100;

/** Estimators that are unbiased for the ELBO or expected cost (concrete is not; marginalize changes the model's guide). */
const UNBIASED: readonly EstimatorKind[] = ['relax', 'reinforce', 'lax', 'enumerate'];

/** The candidates for each site of the default plan that has more than one. */
export function candidates(program: CheckedProgram, plan: Plan): Map<string, EstimatorKind[]> {
  const out = new Map<string, EstimatorKind[]>();
  for (const e of plan.entries) {
    if (e.estimator === 'reparam' || !UNBIASED.includes(e.estimator)) continue;
    const ok = UNBIASED.filter((k) => k === e.estimator || makePlan(program, { estimator: { [e.site]: k } }).plan !== undefined);
    if (ok.length > 1) out.set(e.site, [e.estimator, ...ok.filter((k) => k !== e.estimator)]);
  }
  return out;
}

/** Where a measurement is made: a running fit's parameters (unconstrained, the fit's layout) and estimators. */
export interface MeasureAt {
  step: number;
  flat: Float32Array;
  current: Record<string, EstimatorKind>;
}

/**
 * Measures the candidates and returns the chosen estimator per site (every site of the plan that
 * has a choice): at the seeded start, or at a running fit's parameters (`at`).
 */
export async function chooseByVariance(model: Model, o: FitOptions & { particles: number; seed: number }, at?: MeasureAt, draws = 64, warmup = SURROGATE_WARMUP): Promise<VarianceChoice[]> {
  const { estimateGradients } = await import('./gradients.js');
  const plan = model.plan;
  const base: Record<string, EstimatorKind> = at?.current ?? Object.fromEntries(plan.entries.map((e) => [e.site, e.estimator]));
  const out: VarianceChoice[] = [];
  for (const [site, kinds] of candidates(model.program, plan)) {
    const measured: VarianceMeasure[] = [];
    for (const k of kinds) {
      // A candidate the plan allows may still be refused where its estimator is built (enumerate in
      // a stochastic objective, a step that does not compile): it is then no candidate.
      const r = await estimateGradients(model, {
        data: o.data,
        dataFile: o.dataFile,
        draws,
        particles: o.particles,
        // Each measurement its own noise, the same on every run.
        seed: o.seed + (at?.step ?? 0),
        guide: o.guide,
        baseline: o.baseline,
        objective: o.objective,
        estimator: { ...base, [site]: k },
        backend: 'js',
        atFlat: at?.flat,
        surrogateSteps: k === 'relax' || k === 'lax' ? warmup : undefined,
      }).catch((e: unknown) => {
        if (k === kinds[0]) throw e;
        return undefined;
      });
      if (!r) continue;
      const variance = Object.values(r.params).reduce((a, p) => a + p.variance.reduce((b, v) => b + v, 0), 0);
      measured.push({ estimator: k, variance, work: r.work! });
    }
    if (measured.length < 2) continue;
    const best = measured.reduce((a, b) => (b.variance * b.work < a.variance * a.work ? b : a));
    out.push({ site, step: at?.step ?? 0, chosen: best.estimator, measured });
  }
  return out;
}

/** "chosen by measured gradient variance × work per step: RELAX 1.2e-3 × 3.1k ops, REINFORCE 8.0e-3 × 0.9k ops". */
function describeChoice(c: VarianceChoice): string {
  const fmt = (x: number) => (x === 0 ? '0' : x.toExponential(2));
  const ops = (w: number) => (w >= 1e6 ? `${(w / 1e6).toFixed(1)}M` : w >= 1e3 ? `${(w / 1e3).toFixed(1)}k` : `${w}`);
  return `${c.step ? `at step ${c.step}, ` : ''}chosen by measured gradient variance × work per step: ${c.measured.map((m) => `${ESTIMATOR_LABEL[m.estimator]} ${fmt(m.variance)} × ${ops(m.work)} ops`).join(', ')}${c.kept ? ` (${c.kept})` : ''}`;
}

/**
 * A site's measurements over a fit in one line: the last one's figures, and the switches when the
 * choice changed ("… (REINFORCE at the start, then RELAX from step 400)").
 */
export function describeSite(log: readonly VarianceChoice[], site: string): string | undefined {
  const mine = log.filter((c) => c.site === site);
  if (!mine.length) return undefined;
  const switches = mine.filter((c, i) => i > 0 && c.chosen !== mine[i - 1]!.chosen && !c.kept).map((c) => `${ESTIMATOR_LABEL[c.chosen]} from step ${c.step}`);
  const last = describeChoice(mine[mine.length - 1]!);
  return switches.length ? `${last} (${ESTIMATOR_LABEL[mine[0]!.chosen]} at the start, then ${switches.join(', then ')})` : last;
}
