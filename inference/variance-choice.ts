// `estimator: 'auto-variance'`: the estimator of each site chosen by measurement rather than by
// rule. For every site with more than one unbiased estimator (RELAX or REINFORCE for a relaxable
// discrete site, REINFORCE or enumeration for a small finite one, LAX or REINFORCE for a
// continuous site behind a step), the fit first measures each candidate at the initial parameters:
// the total variance of its gradient estimates (the trace of their covariance, `draws` estimates
// after the surrogate's warm-up) times the compiled step's scalar operations (a count, so the
// choice is the same on every run). The lowest product — the variance left after a fixed amount of
// work — wins. Sites are measured one at a time, the others at the plan's choice.

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
  chosen: EstimatorKind;
  measured: VarianceMeasure[];
}

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

/** Measures the candidates and returns the chosen estimator per site (every site of the plan that has a choice). */
export async function chooseByVariance(model: Model, o: FitOptions & { particles: number; seed: number }, draws = 64, warmup = 100): Promise<VarianceChoice[]> {
  const { estimateGradients } = await import('./gradients.js');
  const plan = model.plan;
  const base: Record<string, EstimatorKind> = Object.fromEntries(plan.entries.map((e) => [e.site, e.estimator]));
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
        seed: o.seed,
        estimator: { ...base, [site]: k },
        backend: 'js',
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
    out.push({ site, chosen: best.estimator, measured });
  }
  return out;
}

/** "chosen by measured gradient variance × work per step: RELAX 1.2e-3 × 3.1k ops, REINFORCE 8.0e-3 × 0.9k ops". */
export function describeChoice(c: VarianceChoice): string {
  const fmt = (x: number) => (x === 0 ? '0' : x.toExponential(2));
  const ops = (w: number) => (w >= 1e6 ? `${(w / 1e6).toFixed(1)}M` : w >= 1e3 ? `${(w / 1e3).toFixed(1)}k` : `${w}`);
  return `chosen by measured gradient variance × work per step: ${c.measured.map((m) => `${ESTIMATOR_LABEL[m.estimator]} ${fmt(m.variance)} × ${ops(m.work)} ops`).join(', ')}`;
}
