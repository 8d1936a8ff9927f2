// The engine's public face: compile(source) → Model, model.fit(options) → Fit.
// Pipeline: front end (language/) → bind data → layout → fit loop → posterior.

import type { Expr, Stmt } from '../language/ast.js';
import type { CheckedProgram } from '../language/checked.js';
import { bindData, type BoundData } from '../language/data.js';
import type { Diagnostic } from '../language/diagnostics.js';
import { EvalError, ModelError } from '../language/errors.js';
import { frontEnd } from '../language/index.js';
import { parseExpression } from '../language/parse.js';
import { engineRequest, selectBackend, tf, useBackend, type BackendName } from './backend.js';
import { tfjsProducts } from './tfjs.js';
import { drawOnTfjs } from './compile/draws-tfjs.js';
import { chooseInit, preconditionTensors, toOriginal, type InitKind, type InitReport } from './init.js';
import { runLoop, type OptimizerName, type Progress, type Trainer } from './fit.js';
import { compileFitStep, tfjsOrExplain } from './compile/compile-fit.js';
import { drawCompiled } from './compile/draws-js.js';
import { sizeOf } from './compile/ir.js';
import { JsTrainer } from './compile/js-trainer.js';
import { TfjsTrainer } from './compile/tfjs-trainer.js';
import { evaluateJoint, type JointOptions } from './joint.js';
import { blockNames, type GuideKind, type Layout } from './layout.js';
import { logWeights } from './objective.js';
import { ESTIMATOR_LABEL, makePlan, planToJSON, type EstimatorKind, type Plan } from './plan.js';
import { Posterior, summarise, elementNames, type DrawArray, type QueryResult, type SummaryRow } from './posterior.js';
import { paretoKhat } from './psis.js';
import { Rng } from './rng.js';
import { Estimators, estimatorOptionsFrom, type EstimatorOptions, type SurrogateReading } from './estimators/step.js';
import { optionDefaults, optionProblem, optionsFor, type Assert, type FitDefaults, type OptionName, type Same } from './options.js';
import type { BaselineKind } from './estimators/baselines.js';
import type { Setup } from './setup.js';
import { bindLayout, fitMode, prepare, type FitMode } from './prepare.js';
import { batchInputs, batchOf, checkBatchable, IndexSampler, plateInfo, type PlateInfo } from './batch.js';
import { fullElbo } from './full-elbo.js';
import { SURROGATE_WARMUP, type MeasureAt, type VarianceChoice } from './variance-choice.js';
import { hard } from './values.js';

/**
 * Options of `model.fit`. What each one means, its default and the values it accepts are its
 * entry in FIT_OPTIONS (options.ts), which also checks it; FitOptionsMatchTable fails to compile
 * when this interface and the table name different options.
 */
export interface FitOptions {
  data?: Record<string, unknown>;
  dataFile?: string;
  steps?: number;
  particles?: number;
  objective?: 'elbo' | 'iwae';
  batchSize?: number;
  lr?: number;
  seed?: number;
  guide?: GuideKind;
  init?: InitKind;
  optimizer?: OptimizerName;
  backend?: BackendName | 'auto' | 'js';
  tolRelObj?: number;
  evalEvery?: number;
  draws?: number;
  /** One estimator for every discrete site, one per site (`{ z: 'reinforce' }`), or 'auto-variance' (each site's by measurement). */
  estimator?: EstimatorKind | 'rebar' | 'auto-variance' | Record<string, EstimatorKind | 'rebar'>;
  /** With estimator 'auto-variance': steps between measurements during the fit. */
  remeasureEvery?: number;
  baseline?: BaselineKind | 'auto';
  normalise?: boolean;
  concreteTemperature?: number;
  straightThrough?: boolean;
  surrogateLr?: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

export type FitOptionsMatchTable = Assert<Same<keyof FitOptions, OptionName>>;

/** The defaults of the options that have one, from the option table (options.ts). */
export const FIT_DEFAULTS: FitDefaults = optionDefaults();

const KNOWN_OPTIONS = new Set<string>(optionsFor('api').map((o) => o.name));

/** 'rebar' is RELAX with the network switched off: split it out of the estimator option. */
function splitRebar(e: FitOptions['estimator']): { estimator?: EstimatorKind | Record<string, EstimatorKind>; rebar: boolean } {
  if (e === undefined || e === 'auto-variance') return { rebar: false };
  if (typeof e === 'string') return e === 'rebar' ? { estimator: 'relax', rebar: true } : { estimator: e, rebar: false };
  let rebar = false;
  const out: Record<string, EstimatorKind> = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === 'rebar') rebar = true;
    out[k] = v === 'rebar' ? 'relax' : v;
  }
  return { estimator: out, rebar };
}

export function estimatorOptions(o: FitOptions): EstimatorOptions {
  return estimatorOptionsFrom({ ...FIT_DEFAULTS, ...stripUndefined(o) }, splitRebar(o.estimator).rebar);
}

/** A lowering only fits saved by an earlier version name. */
export type SavedLowering = 'tape';

export interface FitDiagnostics {
  /** RELAX sites' learned temperature λ and control-variate scale η at the end of the fit. */
  surrogates?: Record<string, SurrogateReading>;
  /** With estimator 'auto-variance': each measurement of each site's candidates (at the start and during the fit), their variance and work, and the choice. */
  estimatorChoice?: VarianceChoice[];
  /** 'js' when the compiled JavaScript step ran the fit, else the tfjs backend. */
  backend: BackendName | 'js';
  /**
   * What ran the step: the compiled step on the JavaScript lowering ('js') or on tfjs kernels of
   * `backend` ('tfjs'). Absent in fits saved before it; 'tape' (the tfjs engine, since deleted) in
   * fits saved while it ran fits that did not compile, with `notCompiled` saying why.
   */
  lowering?: 'js' | 'tfjs' | SavedLowering;
  /** In fits saved by the tfjs engine ('tape'): why the step was not compiled then. */
  notCompiled?: string;
  /** The tfjs backend the fit loaded, if it loaded tfjs at all (a JavaScript-lowered fit does not). */
  tfjsBackend?: BackendName;
  steps: number;
  seconds: number;
  converged: boolean;
  stopped: 'converged' | 'max-steps' | 'aborted';
  /** Final ELBO: mean of the last window of per-step estimates (on minibatches when batchSize is set). */
  elbo: number;
  /** The ELBO over all the data at the fitted parameters (models with a plate; evaluated in chunks of the plate). */
  fullElbo?: number;
  /** fullElbo divided by the plate's size, in nats per datum. */
  elboPerDatum?: number;
  /** The plate whose size divides elboPerDatum, and its size. */
  plate?: { name: string; size: number };
  /** Minibatch size (absent: every step used all the data). */
  batchSize?: number;
  khat: number;
  khatReading: 'good' | 'ok' | 'unreliable' | 'unavailable';
  /** Importance weights k̂ was estimated from: the draws, and on the compiled engine at least KHAT_WEIGHTS. */
  khatWeights?: number;
  /** Posterior draws kept, when fewer than asked for: one draw holds too many values (DRAW_LIMITS). */
  drawsKept?: { kept: number; asked: number; valuesPerDraw: number };
  particles: number;
  seed: number;
  guide: GuideKind;
  /** Which start the automatic guide had (absent in fits saved before init.ts). */
  init?: InitReport;
  warnings: string[];
  /**
   * Running estimate (moving average over the last ~100 steps) of the gradient variance per
   * stochastic node and param: the mean over its parameters' components.
   */
  gradientVariance: Record<string, number>;
}

/** Average the per-component gradient variance over each node's parameters (z.logits → z, mu.loc/mu.logscale → mu). */
function perNodeVariance(layout: Layout, v: Float32Array | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!v) return out;
  const acc = new Map<string, { sum: number; n: number }>();
  for (const b of blockNames(layout)) {
    const node = b.name.replace(/\.(loc|logscale|logits)$/, '');
    const a = acc.get(node) ?? { sum: 0, n: 0 };
    for (let i = b.offset; i < b.offset + b.size; i++) a.sum += v[i]!;
    a.n += b.size;
    acc.set(node, a);
  }
  for (const [k, a] of acc) out[k] = a.n ? a.sum / a.n : 0;
  return out;
}

export function khatReading(k: number): FitDiagnostics['khatReading'] {
  if (!Number.isFinite(k)) return 'unavailable';
  return k < 0.5 ? 'good' : k < 0.7 ? 'ok' : 'unreliable';
}

export interface CompileOptions {
  file?: string;
}

export function compile(source: string, options: CompileOptions = {}): Model {
  const { checked, diagnostics } = frontEnd(source, options.file ?? '<input>');
  if (!checked) throw new ModelError(diagnostics, source);
  return new Model(checked, diagnostics);
}

/** The estimator plan for a program and options; a plan that cannot be made is a ModelError. */
export function planFor(program: CheckedProgram, options: { guide?: GuideKind; estimator?: FitOptions['estimator']; objective?: FitOptions['objective'] } = {}): Plan {
  const { plan, diagnostics } = makePlan(program, { guide: options.guide, estimator: splitRebar(options.estimator).estimator, objective: options.objective });
  if (!plan) throw new ModelError(diagnostics, program.source);
  return plan;
}

function parseQuery(text: string): Expr {
  const { expr, diagnostics } = parseExpression(text, '<query>');
  if (!expr || diagnostics.some((d) => d.severity === 'error')) throw new ModelError(diagnostics, text);
  return expr;
}

/** estimator 'auto-variance' during a fit: steps between measurements, and the measurement (variance-choice.ts). */
interface Remeasure {
  every: number;
  choose(at: MeasureAt): Promise<VarianceChoice[]>;
}

export class Model {
  /** The estimator per stochastic node under default options, with the reason for each. */
  readonly plan: Plan;

  constructor(
    readonly program: CheckedProgram,
    readonly warnings: Diagnostic[] = [],
  ) {
    this.plan = planFor(program);
  }

  get source(): string {
    return this.program.source;
  }

  /**
   * `estimator: 'auto-variance'`: each site's estimator measured at the start (variance-choice.ts)
   * and again every `remeasureEvery` steps at the fit's parameters, the fit switching where a
   * choice changes; the plan's reasons and `diagnostics.estimatorChoice` carry the figures. The
   * choice is by counts, not timings, so the same options give the same fit.
   */
  private async fitByVariance(options: FitOptions, o: { particles: number; seed: number; steps: number; evalEvery: number }): Promise<Fit> {
    const { chooseByVariance, describeSite } = await import('./variance-choice.js');
    const measureOptions = { ...options, particles: o.particles, seed: o.seed };
    const log: VarianceChoice[] = [];
    // Measuring costs a few hundred steps' work per site and candidate: a handful of times a fit.
    const wanted = options.remeasureEvery ?? Math.round(o.steps / 5);
    const every = Math.max(1, Math.round(wanted / o.evalEvery)) * o.evalEvery;
    const remeasure: Remeasure = {
      every,
      choose: async (at) => {
        const c = await chooseByVariance(this, measureOptions, at);
        log.push(...c);
        return c;
      },
    };
    const fit = await this.fitWith({ ...options, remeasureEvery: undefined, estimator: undefined }, remeasure);
    for (const e of fit.plan.entries) {
      const said = describeSite(log, e.site);
      if (said) e.reason = `${e.reason}; ${said}`;
    }
    fit.diagnostics.estimatorChoice = log;
    return fit;
  }

  /** Validate data against the declarations (throws ModelError naming every problem). */
  bind(data: Record<string, unknown> = {}, dataFile?: string): BoundData {
    return bindData(this.program, data, dataFile);
  }

  async fit(options: FitOptions = {}): Promise<Fit> {
    return this.fitWith(options);
  }

  private async fitWith(options: FitOptions, remeasure?: Remeasure): Promise<Fit> {
    const unknown = Object.keys(options).filter((k) => !KNOWN_OPTIONS.has(k));
    if (unknown.length) throw new TypeError(`unknown fit option${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${[...KNOWN_OPTIONS].join(', ')})`);
    // A stochastic objective can move very little in relative terms while its gradient is still
    // informative (the RELAX toy changes by 1%), so optimisation mode runs every step unless asked.
    const modeDefaults = this.program.mode === 'optimisation' ? { tolRelObj: 0 } : {};
    const o = { ...FIT_DEFAULTS, ...modeDefaults, ...stripUndefined(options) };
    validateOptions(o);
    checkObjective(this.program, o);
    if (options.remeasureEvery !== undefined && options.estimator !== 'auto-variance') throw new RangeError("fit option remeasureEvery: only with estimator 'auto-variance' (it says how often the estimators are measured again)");
    if (options.estimator === 'auto-variance') return this.fitByVariance(options, o);
    let plan = options.estimator || o.guide !== 'meanfield' || o.objective !== 'elbo' ? planFor(this.program, { guide: o.guide, estimator: options.estimator, objective: o.objective }) : this.plan;
    const bound = this.bind(options.data ?? {}, options.dataFile);
    const sized = { program: this.program, sizes: bound.sizes };
    const plate: PlateInfo | undefined = options.batchSize === undefined ? plateInfo(sized) : checkBatchable(sized, options.batchSize);
    const B = options.batchSize;
    const tgt = options.batchSize === undefined ? undefined : firstTarget(this.program.ast.body);
    if (tgt) {
      throw new RangeError(
        `fit option batchSize: the target term at ${this.program.file}:${tgt.span.start.line}:${tgt.span.start.column} is not scaled by N/B (the engine cannot tell which part of it a minibatch sees); fit without batchSize`,
      );
    }
    // The step's tensors shrink by B/N under minibatches; choose the backend by what a step handles.
    // 'auto' picks the lowering by the step's work; a tfjs backend asked for by name gets the tfjs lowering.
    const engine = engineRequest(options.backend);
    const preferred = preferredBackend(bound, o.particles, B && plate ? B / plate.N : 1);
    // tfjs is loaded only for a step that runs on its kernels: asked for by name here, or chosen below.
    let tfjsBackend: BackendName | undefined = engine === 'tfjs' ? await useBackend(options.backend === 'js' ? undefined : options.backend, preferred) : undefined;
    const prepared = prepare(this.program, bound, { guide: o.guide, seed: o.seed, minibatch: B !== undefined ? plate : undefined, plan, particles: o.particles, estimators: estimatorOptions(options) });
    const { setup: s, layout, rng, random, mode } = prepared;
    if (layout.size === 0) {
      prepared.dispose();
      throw new RangeError(`${this.program.file} has nothing to fit: no latent variable and no param (every value is data or follows from data)`);
    }
    let est = prepared.est;
    try {
      const globalSums = plate ? est.globalMarginals(plate.plate) : [];
      let start: ReturnType<typeof chooseInit>;
      try {
        if (B !== undefined && globalSums.length) {
          const sym = this.program.symbols.get(globalSums[0]!)!;
          throw new RangeError(`fit option batchSize: '${globalSums[0]}' (${this.program.file}:${sym.span.start.line}:${sym.span.start.column}) is summed out over all of plate '${plate!.plate}', which a minibatch sees only part of; fit without batchSize`);
        }
        const summed = o.init === 'random' || B !== undefined ? undefined : summedOutStart(this.program, plan, o.guide, mode, rng.split('start'));
        try {
          // The Laplace search on the compiled density (float64), whatever lowering runs the step.
          start = chooseInit(o.init, s, layout, random, { minibatch: B !== undefined, marginal: (summed ?? est).marginalDensity() });
          if (summed && start.report.used === 'laplace') startAtConditionalPosterior(summed, s, layout, start, rng.split('start-draws'));
        } finally {
          summed?.dispose();
        }
      } catch (e) {
        est.dispose();
        throw e;
      }
      // After a Laplace start the guide trains in the start's whitened coordinates (init.ts).
      const pre = start.precondition && preconditionTensors(start.precondition);
      const jo = { setup: s, layout, S: o.particles, rng: rng.split('steps'), mode, precondition: pre } as const;
      // auto-variance: the estimators measured where the fit starts and, during the fit, where it
      // is then (variance-choice.ts); `current` is the choice per site, `measure` the new one when it changes.
      let current: Record<string, EstimatorKind> = Object.fromEntries(plan.entries.map((e) => [e.site, e.estimator]));
      const measure = async (step: number, flat: Float32Array) => {
        const choices = await remeasure!.choose({ step, flat: start.precondition ? toOriginal(layout, flat, start.precondition) : flat, current });
        const next: Record<string, EstimatorKind> = { ...current, ...Object.fromEntries(choices.map((c) => [c.site, c.chosen])) };
        if (Object.keys(next).every((k) => next[k] === current[k])) return undefined;
        const nextPlan = planFor(this.program, { guide: o.guide, estimator: next, objective: o.objective });
        // The stream of the estimators the fit starts with: a choice made at the start gives the fit that naming it would.
        const nextEst = new Estimators(this.program, nextPlan, mode, o.particles, rng.split(step ? `estimators@${step}` : 'estimators'), estimatorOptions({ ...options, estimator: next }));
        return { choices, next, nextPlan, nextEst };
      };
      const adopt = (m: NonNullable<Awaited<ReturnType<typeof measure>>>) => {
        est.dispose();
        est = m.nextEst;
        plan = m.nextPlan;
        current = m.next;
      };
      if (remeasure) {
        try {
          const m = await measure(0, start.flat);
          if (m) adopt(m);
        } catch (e) {
          est.dispose();
          pre?.dispose();
          throw e;
        }
      }
      let gradVar: Float32Array | undefined;
      let surrogates: Record<string, SurrogateReading> | undefined;
      const sampler = B !== undefined ? new IndexSampler(plate!.N, B, rng.split('batch')) : undefined;
      let trainer: Trainer | undefined;
      /** The compiled step's surrogate slots, when it runs the fit (RELAX's λ and η are read from there). */
      let slotValues: ((k: number) => ArrayLike<number>) | undefined;
      // Under minibatches the step is traced on the first B rows; each step is then given its batch's index arrays.
      const firstRows = sampler ? Int32Array.from({ length: B! }, (_, i) => i) : undefined;
      const onBatch = firstRows && {
        plate: plate!.plate,
        options: () => {
          const b = batchOf(s, layout, plate!, firstRows, plate!.N / B!);
          return { ...jo, setup: b.setup, layout: b.layout, batch: b.batch };
        },
      };
      const feed = sampler && (() => batchInputs(layout, plate!, sampler.next()));
      /** Which lowering of the compiled step runs the fit. */
      let lowering: 'js' | 'tfjs' | undefined;
      {
        // Measured work decides 'auto': matrix products beyond JS_MATMUL_MAX multiply–adds a step run
        // faster as tfjs kernels on wasm than as generated loops (the belief nets on MNIST: 5×), so the
        // same program runs there, and is not lowered to JavaScript at all; a tfjs backend asked for by
        // name runs it there too, and so does a step whose JavaScript lowering failed its check against
        // the trace. tfjs is loaded here only for those.
        const tfjsFirst = (products: number) => engine === 'tfjs' || (engine === 'auto' && products > JS_MATMUL_MAX);
        const c = compileFitStep(est, jo, start.flat, o.optimizer, o.lr, rng.split('steps-js'), onBatch, tfjsFirst);
        let js = c.ok ? c.step : undefined;
        if (c.ok && !js && engine !== 'js') {
          tfjsBackend ??= await useBackend(undefined, preferred);
          // Large products run faster on tfjs only where a backend faster than its cpu one loaded.
          if (engine === 'auto' && tfjsBackend === 'cpu' && !c.jsReason) {
            const j = c.onJs();
            if ('step' in j) js = j.step;
          }
        }
        if (js) {
          trainer = new JsTrainer(js, feed);
          lowering = 'js';
          slotValues = (k) => js.slot(k + 1);
        } else if (engine === 'js') {
          est.dispose();
          pre?.dispose();
          throw new RangeError(`backend 'js' cannot run this fit: ${c.ok ? c.jsReason : c.reason}; use backend 'auto' or a tfjs backend`);
        } else {
          const t = tfjsOrExplain(c, this.program.file);
          if ('error' in t) {
            est.dispose();
            pre?.dispose();
            throw t.error;
          }
          trainer = new TfjsTrainer(t.step, feed);
          lowering = 'tfjs';
          slotValues = (k) => t.step.slot(k + 1);
        }
      }
      const backend = lowering === 'js' ? 'js' : tfjsBackend!;
      // auto-variance during the fit: where a site's choice changes, the fit goes on from its
      // parameters then with a newly compiled step (its optimiser's moments start again).
      const switchAt = async (step: number, flat: Float32Array): Promise<Trainer | undefined> => {
        const m = await measure(step, flat);
        if (!m) return undefined;
        const { choices, nextEst } = m;
        // Compiled where the fit started (the trace's float32 check can fail spuriously at the extreme
        // logits a fit reaches), then run from where it is.
        const c = compileFitStep(nextEst, jo, start.flat, o.optimizer, o.lr, rng.split(`steps-js@${step}`), onBatch);
        const js = c.ok ? c.step : undefined;
        if (!js) {
          nextEst.dispose();
          const reason = c.ok ? c.jsReason : c.reason;
          for (const ch of choices) if (ch.chosen !== current[ch.site]) ch.kept = `kept ${ESTIMATOR_LABEL[current[ch.site]!]}: ${reason}`;
          return undefined;
        }
        js.params.set(flat);
        // A RELAX or LAX control variate starts untrained: the measurement's warm-up, θ held (rate 0).
        if (nextEst.hasSurrogates) {
          js.setLearningRate(0);
          for (let k = 0; k < SURROGATE_WARMUP; k++) js.step();
          js.setLearningRate(o.lr);
        }
        adopt(m);
        slotValues = (k) => js.slot(k + 1);
        return new JsTrainer(js, feed);
      };
      const loop = await runLoop(jo, trainer, {
        steps: o.steps,
        lr: o.lr,
        evalEvery: o.evalEvery,
        tolRelObj: o.tolRelObj,
        averageFraction: 0.5,
        onProgress: options.onProgress,
        readSurrogates: () => est.surrogateReadings(slotValues),
        signal: options.signal,
        ...(remeasure && trainer instanceof JsTrainer ? { remeasure: { every: remeasure.every, at: switchAt } } : {}),
      }).finally(() => {
        surrogates = est.surrogateReadings(slotValues);
        gradVar = trainer.gradientVariance();
        pre?.dispose();
      });
      let full: number | undefined;
      try {
        if (start.precondition) loop.flat = toOriginal(layout, loop.flat, start.precondition);
        const plain = { setup: s, layout, S: o.particles, rng: rng.split('marginals'), mode } as const;
        if (est.hasMarginals) setMarginalPosteriors(est, plain, layout, loop.flat);
        if (plate && mode === 'inference') {
          const flatT = tf.tensor1d(loop.flat);
          try {
            // A summed-out site's part is its exact marginal, as in the trace.
            const objective = est.hasMarginals ? (jo: JointOptions, f: tf.Tensor) => est.particleObjective(jo, f) : undefined;
            // A site summed out over the whole plate needs all of it at once: no chunks then.
            full = onStepKernels(lowering, () => fullElbo({ setup: s, layout, plate: globalSums.length ? undefined : plate, S: o.particles, rng: rng.split('full-elbo'), chunk: Math.max(B ?? 0, FULL_ELBO_CHUNK), objective, onTfjs: lowering === 'tfjs' }, flatT));
          } finally {
            flatT.dispose();
          }
        }
      } finally {
        est.dispose();
      }
      const lastWindow = loop.trace.slice(-o.evalEvery);
      const state: FitState = {
        source: this.program.source,
        file: this.program.file,
        data: options.data ?? {},
        options: { steps: o.steps, particles: o.particles, lr: o.lr, seed: o.seed, guide: o.guide, optimizer: o.optimizer, draws: o.draws, estimator: remeasure ? current : options.estimator, ...(o.objective !== 'elbo' ? { objective: o.objective } : {}) },
        flat: Array.from(loop.flat),
        trace: loop.trace,
        diagnostics: {
          backend,
          lowering,
          tfjsBackend,
          steps: loop.steps,
          seconds: loop.seconds,
          converged: loop.converged,
          stopped: loop.stopped,
          elbo: lastWindow.reduce((a, b) => a + b, 0) / Math.max(1, lastWindow.length),
          ...(full !== undefined && plate ? { fullElbo: full, elboPerDatum: full / plate.N, plate: { name: plate.plate, size: plate.N } } : {}),
          ...(B !== undefined ? { batchSize: B } : {}),
          khat: NaN,
          khatReading: 'unavailable',
          particles: o.particles,
          seed: o.seed,
          guide: o.guide,
          init: start.report,
          warnings: [...(plan.warnings ?? []), ...bound.warnings].map((w) => w.message),
          ...(surrogates ? { surrogates } : {}),
          gradientVariance: perNodeVariance(layout, gradVar),
        },
      };
      return Fit.create(this, s, layout, state, plan);
    } finally {
      prepared.dispose();
    }
  }
}

/**
 * A summed-out site's guide logits take its conditional posterior given draws of the fitted guide
 * (estimators/marginal.ts), so its summaries, queries and draws come from the guide as for any site.
 */
function setMarginalPosteriors(est: Estimators, jo: JointOptions, layout: Layout, flat: Float32Array, target: Float32Array = flat): void {
  const draws = Math.max(jo.S, MARGINAL_DRAWS);
  const flatT = tf.tensor1d(flat);
  try {
    for (const [site, logits] of est.posteriorOfMarginals({ ...jo, S: draws }, flatT)) {
      const b = layout.blocks.get(`q:logits:${site}`);
      if (!b || b.size !== logits.length) throw new Error(`internal: the guide block of '${site}' does not fit its posterior (${b?.size} vs ${logits.length} values)`);
      target.set(logits, b.offset);
    }
  } finally {
    flatT.dispose();
  }
}

/**
 * A model whose discrete latents all reach only observations (a mixture's assignments) starts
 * where EM would: the Laplace search finds the mode of the continuous latents with the discrete
 * ones summed out, and their guides start at their conditional posterior there; the fit then
 * trains with the plan's own estimators. From random inits a mixture's guide sits near the
 * label-symmetric point, which RELAX and REINFORCE leave slowly or not at all (bench/peers: the
 * 200-point mixture under RELAX stopped on that plateau at 16 sd from the posterior).
 * Undefined when some discrete site cannot be summed out (the reason is then the init report's).
 */
function summedOutStart(program: CheckedProgram, plan: Plan, guide: GuideKind, mode: FitMode, rng: Rng): Estimators | undefined {
  if (mode !== 'inference' || program.guide) return undefined;
  const discrete = plan.entries.filter((e) => e.autoGuide === 'discrete');
  if (!discrete.some((e) => e.estimator !== 'marginalize')) return undefined;
  try {
    const summedPlan = planFor(program, { guide, estimator: Object.fromEntries(discrete.map((e) => [e.site, 'marginalize' as const])) });
    return new Estimators(program, summedPlan, mode, MARGINAL_DRAWS, rng);
  } catch {
    // A site whose value decides another latent, or shares its observations with one: no such start.
    return undefined;
  }
}

/** Writes each summed-out site's conditional posterior under the Laplace guide into the start's guide logits. */
function startAtConditionalPosterior(summed: Estimators, s: Setup, layout: Layout, start: ReturnType<typeof chooseInit>, rng: Rng): void {
  // The guide is evaluated in its own coordinates; the logits blocks are the same in both.
  const original = start.precondition ? toOriginal(layout, start.flat, start.precondition) : start.flat;
  setMarginalPosteriors(summed, { setup: s, layout, S: MARGINAL_DRAWS, rng, mode: 'inference' }, layout, original, start.flat);
  if (start.report.used === 'laplace') {
    const sites = [...summed.marginalDensity()!.sites];
    const names = sites.join(', ');
    start.report.summedOut = sites;
    start.report.reason += ` with ${names} summed out; ${names} start${sites.length > 1 ? '' : 's'} at the conditional posterior there`;
  }
}

/** Guide draws averaged over for a summed-out site's posterior. */
const MARGINAL_DRAWS = 64;

/** Plate entries per chunk of the final full-data ELBO. */
const FULL_ELBO_CHUNK = 1024;
/** Importance weights PSIS k̂ is read from when the draws are compiled (fewer draws are topped up). */
export const KHAT_WEIGHTS = 4000;
/**
 * Values the kept posterior draws may hold in all (float32: 200 MB). A model whose one draw holds
 * millions of values (a belief net's latents and replicates over a data set) keeps fewer draws than
 * asked for; the fit says how many.
 */
export const DRAW_LIMITS = {
  values: 5e7,
  /** Values one batched pass of draws may produce (its intermediate tensors scale alike). */
  pass: 5e6,
};

/**
 * cpu when a step's tensors are small (per-op overhead dominates and cpu's is lower), wasm when
 * they are large (its kernels are many times faster on broadcasts and matmuls). Measured on the
 * bench/peers models (steady steps/s, 2026-12-03): cpu ahead up to ~160 elements (normal–normal at
 * 1 and 8 particles: 1.2× and 1.1×), level at 64–200 (eight schools, the mixture at 1 particle),
 * wasm ahead from 400 (the mixture at 2 particles 1.9×, at 8 2.0×; logistic regression's 2,500
 * at 1 particle 1.3×). `batchFraction` (B/N under minibatches) scales the data a step touches.
 */
/**
 * Multiply–adds of matrix products per step above which 'auto' runs the compiled step on tfjs
 * kernels (on wasm) rather than as generated JavaScript. Measured with tilde fit models/sbn.tilde (RELAX, 8 particles):
 * on 24 MNIST digits (315 M a step) wasm 8.5 steps/s, the generated loops 1.7; on its bars data
 * (2.2 M) wasm 43, the loops 86; the discrete VAE at batch 24, 1 particle (46 M): wasm 29.6, loops 16.
 * The compiled step on wasm kernels (2026-12-05): bars at 8 particles 104 steps/s against the loops'
 * 120, the discrete VAE 66 against 16: the crossing is still between the two.
 */
export const JS_MATMUL_MAX = 2e7;

export function preferredBackend(bound: BoundData, particles: number, batchFraction = 1): BackendName {
  let largest = 1;
  for (const a of bound.arrays.values()) largest = Math.max(largest, a.values.length);
  return largest * batchFraction * particles < 300 ? 'cpu' : 'wasm';
}

/**
 * What a posterior draw records, as tensors with S particles leading: each named value (`v:NAME`,
 * hard values of relaxed ones), each observation's replicate (`y:NAME`) and, in inference mode, the
 * importance weight log p(x, z) − log q(z) for PSIS (`logw`).
 */
function drawOutputs(s: Setup, layout: Layout, mode: FitMode, S: number, symbols: readonly string[], rng: Rng, flat: tf.Tensor): Record<string, tf.Tensor> {
  const replicated = new Map<string, tf.Tensor[]>();
  const j = evaluateJoint(
    {
      setup: s,
      layout,
      S,
      rng,
      mode,
      withLogq: true,
      replicate: (ev, d) => {
        const list = replicated.get(ev.site.name) ?? [];
        list.push(d);
        replicated.set(ev.site.name, list);
      },
    },
    flat,
  );
  const out: Record<string, tf.Tensor> = {};
  for (const name of symbols) {
    const v0 = j.env.get(name);
    if (v0 === undefined) continue;
    const v = hard(v0);
    const t = typeof v === 'number' ? tf.fill([1], v) : v;
    out[`v:${name}`] = t.shape[0] === S ? t : tf.broadcastTo(t, [S, ...t.shape.slice(1)]);
  }
  // Element sites replicate one element at a time; stack them back into the array.
  for (const [name, list] of replicated) out[`y:${name}`] = list.length === 1 ? list[0]! : tf.stack(list, 1);
  if (mode === 'inference') {
    out['logw'] = logWeights(j).reshape([S, 1]);
  }
  return out;
}

/**
 * Eager work around a step that runs on tfjs kernels (its draws, its full-data ELBO) has its large
 * products on those kernels too; around a JavaScript-lowered step it stays on the interpreter.
 */
function onStepKernels<R>(lowering: FitDiagnostics['lowering'], f: () => R): R {
  return lowering === 'tfjs' ? tf.withProducts(tfjsProducts(), f) : f();
}

/**
 * `n` draws on the eager tensors in batched passes: at most DRAW_LIMITS.values values' worth of
 * them, in passes of at most DRAW_LIMITS.pass values (one pass of all n when they are small). One
 * draw, made first from a stream of its own, sizes them.
 */
function eagerDraws(s: Setup, layout: Layout, mode: FitMode, n: number, symbols: readonly string[], rng: Rng, flatValues: number[]): Map<string, DrawArray> {
  let perDraw = 0;
  tf.tidy(() => {
    const one = drawOutputs(s, layout, mode, 1, symbols, rng.split('size'), tf.tensor1d(flatValues));
    for (const t of Object.values(one)) perDraw += t.size;
  });
  const kept = Math.min(n, Math.max(1, Math.floor(DRAW_LIMITS.values / Math.max(1, perDraw))));
  const pass = Math.max(1, Math.min(kept, Math.floor(DRAW_LIMITS.pass / Math.max(1, perDraw))));
  const result = new Map<string, DrawArray>();
  for (let done = 0, k = 0; done < kept; done += pass, k++) {
    const S = Math.min(pass, kept - done);
    tf.tidy(() => {
      // The first pass draws from the fit's stream itself: draws that fit in one pass are those of one batched pass, as before.
      const out = drawOutputs(s, layout, mode, S, symbols, k === 0 ? rng : rng.split(`pass ${k}`), tf.tensor1d(flatValues));
      for (const [key, t] of Object.entries(out)) {
        const shape = t.shape.slice(1);
        const size = sizeOf(shape);
        let d = result.get(key);
        if (!d) result.set(key, (d = { shape, values: new Float32Array(kept * size) }));
        d.values.set(t.dataSync() as Float32Array, done * size);
      }
    });
  }
  return result;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The importance-weighted bound needs particles to weigh, the whole data, and a posterior to bound. */
export function checkObjective(program: CheckedProgram, o: { objective?: FitOptions['objective']; particles?: number; batchSize?: number; baseline?: FitOptions['baseline'] }): void {
  if (o.objective !== 'iwae') return;
  if (o.baseline !== undefined && o.baseline !== 'auto') throw new RangeError(`fit option baseline '${o.baseline}' is for the ELBO's REINFORCE sites; under objective 'iwae' their baseline is VIMCO's leave-one-out bound (leave baseline at 'auto')`);
  if (program.mode === 'optimisation') throw new RangeError(`fit option objective 'iwae' bounds a posterior's evidence, but ${program.file} is a stochastic objective (minimize/maximize); use objective 'elbo'`);
  if ((o.particles ?? 1) < 2) throw new RangeError(`fit option objective 'iwae' needs particles ≥ 2 (the bound weighs K = particles samples, and VIMCO's baseline leaves one out), found ${o.particles}`);
  if (o.batchSize !== undefined) throw new RangeError("fit option objective 'iwae' needs the whole data: the log of a mean of weights does not scale from a minibatch (log Σ of a part is biased); fit without batchSize");
}

function validateOptions(o: Record<string, unknown>): void {
  for (const spec of optionsFor('api')) {
    const problem = optionProblem(spec, o[spec.name]);
    if (problem) throw new RangeError(`fit option ${problem}`);
  }
}

/** Everything needed to rebuild a fit: JSON-safe. */
export interface FitState {
  source: string;
  file: string;
  data: Record<string, unknown>;
  options: { steps: number; particles: number; lr: number; seed: number; guide: GuideKind; optimizer: OptimizerName; draws: number; estimator?: FitOptions['estimator']; objective?: FitOptions['objective'] };
  flat: number[];
  trace: number[];
  diagnostics: FitDiagnostics;
}

export class Fit {
  private constructor(
    readonly model: Model,
    readonly posterior: Posterior,
    private readonly state: FitState,
    private readonly predictive: Map<string, DrawArray>,
    /** The estimator used for each stochastic node, and why. */
    readonly plan: Plan,
  ) {}

  /** Draw the posterior from fitted parameters (deterministic in the seed). */
  static create(model: Model, s: Setup, layout: Layout, state: FitState, plan: Plan): Fit {
    const nDraws = state.options.draws;
    const mode = fitMode(model.program);
    const rng = new Rng(state.options.seed).split('draws');
    const symbols = [...model.program.symbols.values()].filter((sym) => sym.kind === 'latent' || sym.kind === 'deterministic' || sym.kind === 'param').map((sym) => sym.name);
    // A fit that ran compiled draws compiled (its saved state redraws the same way); one particle traced, run per draw.
    // k̂ from a thousand weights moves between draw sets by enough to flip its reading (eight schools:
    // 0.44–0.81; on Pareto weights of k = 0.7 its sd is 0.16 at 1,000 weights, 0.12 at 4,000), and
    // compiled weights cost microseconds: it is read from at least KHAT_WEIGHTS of them.
    const more = mode === 'inference' && nDraws < KHAT_WEIGHTS ? { name: 'logw', n: KHAT_WEIGHTS - nDraws, rng: new Rng(state.options.seed).split('khat') } : undefined;
    const one = (flat: tf.Tensor) => drawOutputs(s, layout, mode, 1, symbols, new Rng(0), flat);
    // A fit on tfjs kernels draws on them too, one particle traced and lowered alike.
    const compiled =
      state.diagnostics.backend === 'js'
        ? drawCompiled(Float32Array.from(state.flat), one, nDraws, rng, more, DRAW_LIMITS.values)
        : state.diagnostics.lowering === 'tfjs'
          ? onStepKernels('tfjs', () => drawOnTfjs(Float32Array.from(state.flat), one, nDraws, rng, DRAW_LIMITS.values))
          : undefined;
    const out = compiled instanceof Map ? compiled : onStepKernels(state.diagnostics.lowering, () => eagerDraws(s, layout, mode, nDraws, symbols, rng, state.flat));
    // Large draws are kept fewer (DRAW_LIMITS): every output holds the same number of them.
    const outputs = [...out.entries()].filter(([k]) => !k.endsWith('+')).map(([, d]) => d);
    const valuesPerDraw = outputs.reduce((a, d) => a + sizeOf(d.shape), 0);
    // Every output holds as many draws; one of no values (an empty array) cannot say how many.
    const sized = outputs.find((d) => sizeOf(d.shape) > 0);
    const kept = sized ? sized.values.length / sizeOf(sized.shape) : nDraws;
    if (kept < nDraws) state.diagnostics.drawsKept = { kept, asked: nDraws, valuesPerDraw };
    else delete state.diagnostics.drawsKept;
    const draws = new Map<string, DrawArray>();
    const predictive = new Map<string, DrawArray>();
    const order: string[] = [];
    for (const name of symbols) {
      const d = out.get(`v:${name}`);
      if (!d) continue;
      draws.set(name, d);
      order.push(name);
    }
    for (const [key, d] of out) if (key.startsWith('y:')) predictive.set(key.slice(2), d);
    let logw = out.get('logw')?.values ?? new Float32Array(0);
    const topUp = compiled instanceof Map ? compiled.get('logw+') : undefined;
    if (topUp && logw.length) {
      const all = new Float32Array(logw.length + topUp.values.length);
      all.set(logw);
      all.set(topUp.values, logw.length);
      logw = all;
    }
    const khat = logw.length ? paretoKhat(logw) : NaN;
    state.diagnostics.khatWeights = logw.length;
    state.diagnostics.khat = khat;
    state.diagnostics.khatReading = khatReading(khat);
    const posterior = new Posterior(draws, kept, order, parseQuery);
    return new Fit(model, posterior, state, predictive, plan);
  }

  get diagnostics(): FitDiagnostics {
    return this.state.diagnostics;
  }

  /** Per-step ELBO estimates (inference) or negative costs (optimisation). */
  get elboTrace(): readonly number[] {
    return this.state.trace;
  }

  summary(): Record<string, SummaryRow> {
    return this.posterior.summary();
  }

  samples(name: string, n?: number): unknown[] {
    return this.posterior.samples(name, n);
  }

  query(text: string): QueryResult {
    try {
      return this.posterior.query(text);
    } catch (e) {
      if (e instanceof EvalError) {
        throw new ModelError([{ severity: 'error', code: 'query', message: e.message, file: '<query>', span: e.span }], text);
      }
      throw e;
    }
  }

  /** The plan as JSON: { SITE: { estimator, reason } }. */
  planJSON(): Record<string, { estimator: string; reason: string }> {
    return planToJSON(this.plan);
  }

  /** Posterior predictive summary of an observed variable. */
  predict(name: string): Record<string, SummaryRow> {
    const d = this.predictive.get(name);
    if (!d) throw new Error(`'${name}' is not an observed variable (observed: ${[...this.predictive.keys()].join(', ') || 'none'})`);
    const n = this.posterior.nDraws;
    const size = d.values.length / n;
    const rows: Record<string, SummaryRow> = {};
    elementNames(name, d.shape).forEach((el, k) => {
      const col = new Float32Array(n);
      for (let i = 0; i < n; i++) col[i] = d.values[i * size + k]!;
      rows[el] = summarise(col);
    });
    return rows;
  }

  /** Fitted parameter values by name (params and automatic-guide parameters), unconstrained. */
  get parameters(): number[] {
    return this.state.flat;
  }

  toJSON(): FitState & { format: 'tilde-fit'; version: 1 } {
    return { format: 'tilde-fit', version: 1, ...this.state };
  }

  static async fromJSON(json: unknown): Promise<Fit> {
    const st = json as FitState & { format?: string };
    if (!st || typeof st !== 'object' || st.format !== 'tilde-fit') throw new TypeError('not a saved tilde fit (format "tilde-fit" expected)');
    // A fit that ran on the JavaScript lowering draws compiled: tfjs is not needed to restore it.
    if (st.diagnostics.backend !== 'js') await selectBackend(st.diagnostics.backend);
    const model = compile(st.source, { file: st.file });
    const b = bindLayout(model.program, model.bind(st.data), st.options.guide);
    try {
      if (b.layout.size !== st.flat.length) throw new TypeError(`saved fit has ${st.flat.length} parameters, the model needs ${b.layout.size}`);
      return Fit.create(model, b.setup, b.layout, { ...st, diagnostics: { ...st.diagnostics } }, planFor(model.program, { guide: st.options.guide, estimator: st.options.estimator, objective: st.options.objective }));
    } finally {
      b.dispose();
    }
  }
}

/** The first `target +=` / `factor` statement of the model, if any (loops included). */
function firstTarget(body: readonly Stmt[]): Extract<Stmt, { kind: 'target' }> | undefined {
  for (const s of body) {
    if (s.kind === 'target') return s;
    if (s.kind === 'for') {
      const t = firstTarget(s.body);
      if (t) return t;
    }
  }
  return undefined;
}
