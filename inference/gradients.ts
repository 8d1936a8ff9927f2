// `tilde grad`: the mean and variance of M gradient estimates of every optimised
// parameter at its initial value, under the plan or a forced estimator — the tool a
// researcher uses to compare estimators. Each estimate averages `particles` draws.
// Gradients are of the objective as written: the expected cost (optimisation) or the ELBO.

import { engineRequest, useBackend, type BackendName } from './backend.js';
import { compileFitStep, tfjsOrExplain } from './compile/compile-fit.js';
import { blockNames, paramKey } from './layout.js';
import { isMatrixConstraint } from '../language/types.js';
import { matrixUnconstrain } from './matrix-transforms.js';
import { checkObjective, estimatorOptions, planFor, type FitOptions, type Model } from './model.js';
import { prepare } from './prepare.js';

export interface GradientOptions {
  data?: Record<string, unknown>;
  dataFile?: string;
  /** Number of gradient estimates. */
  draws?: number;
  /** Particles averaged inside each estimate. */
  particles?: number;
  seed?: number;
  estimator?: FitOptions['estimator'];
  baseline?: FitOptions['baseline'];
  /** 'iwae': gradients of the importance-weighted bound over `particles` samples (VIMCO at discrete sites). */
  objective?: FitOptions['objective'];
  /** 'js' the compiled step, a tfjs backend by name the compiled step on its kernels, 'auto' compiled when the plan allows. */
  backend?: BackendName | 'auto' | 'js';
  /** RELAX/REBAR (and NVIL's baseline): steps of surrogate training (φ/ψ only, θ held at its initial value) before measuring. */
  surrogateSteps?: number;
  surrogateLr?: number;
  /** Overrides of initial parameter values by name (constrained scale), e.g. { phi: [0.3] }. */
  at?: Record<string, number[]>;
  /** The whole flat vector (unconstrained) to measure at instead of the seeded start: a running fit's parameters. */
  atFlat?: Float32Array;
  guide?: FitOptions['guide'];
}

export interface GradientStats {
  mean: number[];
  variance: number[];
  draws: number;
}

export interface GradientReport {
  params: Record<string, GradientStats>;
  plan: Record<string, string>;
  backend: BackendName | 'js';
  /** The compiled step on the JavaScript lowering or on tfjs kernels. */
  lowering: 'js' | 'tfjs';
  /** The compiled step's scalar operations per estimate (on the JavaScript lowering). */
  work?: number;
}

export async function estimateGradients(model: Model, o: GradientOptions = {}): Promise<GradientReport> {
  const draws = o.draws ?? 1000;
  const particles = o.particles ?? 1;
  const seed = o.seed ?? 1;
  const engine = engineRequest(o.backend);
  // tfjs is loaded only when its kernels run the step (a backend named, or a failed self-check).
  let tfjsBackend = engine === 'tfjs' ? await useBackend(o.backend === 'js' ? undefined : o.backend) : undefined;
  if (o.estimator === 'auto-variance') throw new RangeError("estimator 'auto-variance' chooses a fit's estimators by measuring them; to compare estimators' gradients, name one (--estimator relax, reinforce, …)");
  checkObjective(model.program, { objective: o.objective, particles, baseline: o.baseline });
  const plan = planFor(model.program, { guide: o.guide, estimator: o.estimator, objective: o.objective });
  const estimators = estimatorOptions({ estimator: o.estimator, baseline: o.baseline, surrogateLr: o.surrogateLr, objective: o.objective });
  const prepared = prepare(model.program, model.bind(o.data ?? {}, o.dataFile), { guide: o.guide, seed, plan, particles, estimators });
  const { setup: s, layout, rng, random: init, mode } = prepared;
  const est = prepared.est;
  try {
    if (o.atFlat && o.atFlat.length !== init.length) throw new Error(`internal: atFlat has ${o.atFlat.length} values, the layout ${init.length}`);
    for (const [name, values] of Object.entries(o.at ?? {})) {
      const p = s.params.find((q) => q.name === name);
      if (!p) throw new RangeError(`--at: '${name}' is not a param (params: ${s.params.map((q) => q.name).join(', ') || 'none'})`);
      const b = layout.blocks.get(paramKey(p))!;
      // A matrix type is given as its K×K values and stored as its free unconstrained ones.
      const want = isMatrixConstraint(p.constraint) ? p.shape.reduce((x, y) => x * y, 1) : b.size;
      if (values.length !== want) throw new RangeError(`--at: '${name}' needs ${want} value(s), found ${values.length}`);
      if (isMatrixConstraint(p.constraint)) {
        const K = p.shape[p.shape.length - 1]!;
        const u: number[] = [];
        for (let at = 0; at < values.length; at += K * K) matrixUnconstrain(p.constraint, values, at, K, u);
        u.forEach((v, i) => (init[b.offset + i] = v));
        continue;
      }
      const { unconstrainValues } = await import('./layout.js');
      init.set(unconstrainValues(p.constraint, values, p.shape[p.shape.length - 1] ?? 1), b.offset);
    }
    // The step is compiled at the seeded start and then run at atFlat: the program does not depend on
    // where it was traced, and a tfjs lowering's float32 check is safest away from the extreme logits
    // a fit can drive a guide to.
    const at = o.atFlat ?? init;
    const jo = { setup: s, layout, S: particles, rng: rng.split('steps'), mode } as const;
    const n = layout.size;
    const sum = new Float64Array(n);
    const sumSq = new Float64Array(n);
    const sign = mode === 'optimisation' ? 1 : -1;
    const add = (g: ArrayLike<number>) => {
      for (let i = 0; i < n; i++) {
        const x = sign * g[i]!;
        sum[i] += x;
        sumSq[i] += x * x;
      }
    };
    // The compiled step: θ's update rule has rate 0, so surrogate training leaves θ where it is.
    const compiled = compileFitStep(est, jo, init, 'sgd', 0, rng.split('steps-js'), undefined, () => engine === 'tfjs');
    const jsStep = compiled.ok ? compiled.step : undefined;
    if (!jsStep && engine === 'js') throw new RangeError(`backend 'js' cannot estimate these gradients: ${compiled.ok ? compiled.jsReason : compiled.reason}`);
    const surrogateSteps = o.surrogateSteps && (est.hasSurrogates || o.baseline === 'nvil') ? o.surrogateSteps : 0;
    // A tfjs backend named, or a JavaScript lowering that failed its check: the same compiled program on tfjs kernels.
    let lowering: 'js' | 'tfjs';
    if (jsStep) {
      lowering = 'js';
      jsStep.params.set(at);
      for (let k = 0; k < surrogateSteps; k++) jsStep.step();
      for (let m = 0; m < draws; m++) {
        jsStep.estimate();
        add(jsStep.grad);
      }
    } else {
      tfjsBackend ??= await useBackend();
      const t = tfjsOrExplain(compiled, model.program.file);
      if ('error' in t) throw t.error;
      lowering = 'tfjs';
      const step = t.step;
      step.setSlot(0, at);
      try {
        for (let k = 0; k < surrogateSteps; k++) step.step().dispose();
        for (let m = 0; m < draws; m++) {
          step.estimate();
          add(step.gradient());
        }
      } finally {
        step.dispose();
      }
    }
    const params: Record<string, GradientStats> = {};
    for (const b of blockNames(layout)) {
      const mean: number[] = [];
      const variance: number[] = [];
      for (let i = b.offset; i < b.offset + b.size; i++) {
        const mu = sum[i]! / draws;
        mean.push(mu);
        variance.push(draws > 1 ? (sumSq[i]! - draws * mu * mu) / (draws - 1) : 0);
      }
      params[b.name] = { mean, variance, draws };
    }
    return { params, plan: Object.fromEntries(plan.entries.map((e) => [e.site, e.estimator])), backend: lowering === 'js' ? 'js' : tfjsBackend!, lowering, ...(lowering === 'js' && jsStep ? { work: jsStep.lowered.work } : {}) };
  } finally {
    prepared.dispose();
  }
}
