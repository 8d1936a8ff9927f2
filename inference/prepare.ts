// What every fit, gradient estimate, saved-fit load, benchmark and test builds before its first
// step: the program bound to its data, the flat parameter layout, the fit's root random stream,
// the random start and the plan's estimators. Made here once, in one order, so that the same seed
// gives the same start wherever a fit is made, and a new ingredient is added in one place.

import type { CheckedProgram } from '../language/checked.js';
import type { BoundData } from '../language/data.js';
import { tf } from './backend.js';
import { checkBatchGuide, type PlateInfo } from './batch.js';
import { Estimators, type EstimatorOptions } from './estimators/step.js';
import { Interpreter } from './evaluate.js';
import { buildLayout, initialValues, paramKey, type GuideKind, type Layout } from './layout.js';
import type { Plan } from './plan.js';
import { Rng } from './rng.js';
import { setup, type Setup } from './setup.js';
import { hard } from './values.js';

export type FitMode = 'inference' | 'optimisation';

/** Prior-predictive programs are fitted as inference ones; only `minimize`/`maximize` programs optimise. */
export function fitMode(program: CheckedProgram): FitMode {
  return program.mode === 'optimisation' ? 'optimisation' : 'inference';
}

/** A program bound to its data and its parameter layout: enough to draw from a fitted vector. */
export interface Bound {
  setup: Setup;
  layout: Layout;
  mode: FitMode;
  /** Releases the data tensors (and, for a Prepared, the estimators); safe to call twice. */
  dispose(): void;
}

export interface StartOptions {
  guide?: GuideKind;
  /** The root of every stream of the fit (split per purpose by the caller: 'steps', 'batch', …). */
  seed?: number;
  /** Initial scale of the automatic Normal guides (Pyro's AutoNormal uses 0.1). */
  initScale?: number;
  /** The plate that minibatches are drawn from: the layout must allow them. */
  minibatch?: PlateInfo;
}

export interface Start extends Bound {
  rng: Rng;
  /** Random initial values of the flat vector (Stan-style for the automatic guides), unconstrained. */
  random: Float32Array;
}

export interface PrepareOptions extends StartOptions {
  plan: Plan;
  particles: number;
  estimators?: EstimatorOptions;
}

export interface Prepared extends Start {
  est: Estimators;
}

/** Setup and layout; the setup is released again when the layout cannot be built. */
export function bindLayout(program: CheckedProgram, data: BoundData, guide: GuideKind = 'meanfield', minibatch?: PlateInfo): Bound {
  const s = setup(program, data);
  try {
    const layout = buildLayout(s, guide);
    if (minibatch) checkBatchGuide(layout, minibatch);
    return { setup: s, layout, mode: fitMode(program), dispose: once(() => s.dispose()) };
  } catch (e) {
    s.dispose();
    throw e;
  }
}

/** Setup, layout, the root stream and the random start. */
export function prepareStart(program: CheckedProgram, data: BoundData, o: StartOptions = {}): Start {
  const b = bindLayout(program, data, o.guide, o.minibatch);
  try {
    const rng = new Rng(o.seed ?? 1);
    const random = initialValues(b.layout, b.setup, { rng: rng.split('init'), paramInits: evaluateInits(b.setup), initScale: o.initScale ?? 0.1 });
    return { ...b, rng, random };
  } catch (e) {
    b.dispose();
    throw e;
  }
}

/** The start and the plan's estimators (which hold baselines and surrogates across steps). */
export function prepare(program: CheckedProgram, data: BoundData, o: PrepareOptions): Prepared {
  const start = prepareStart(program, data, o);
  try {
    const est = new Estimators(program, o.plan, start.mode, o.particles, start.rng.split('estimators'), o.estimators);
    return {
      ...start,
      est,
      dispose: once(() => {
        est.dispose();
        start.dispose();
      }),
    };
  } catch (e) {
    start.dispose();
    throw e;
  }
}

/** Constant initial values of params that declare one. */
export function evaluateInits(s: Setup): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const p of s.params) {
    const init = p.symbol.init;
    if (!init) continue;
    // Set inside the tidy rather than returned: tidy walks a returned typed array index by index.
    tf.tidy(() => {
      const interp = new Interpreter(s.modelRun, noHandlers(), s.dataEnv);
      const val = hard(interp.eval(init));
      out.set(paramKey(p), typeof val === 'number' ? new Float32Array([val]) : (val.dataSync() as Float32Array).slice());
    });
  }
  return out;
}

function noHandlers() {
  const fail = (): never => {
    throw new Error('an initial value must be a constant');
  };
  return { sample: fail, observe: fail, param: fail };
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}
