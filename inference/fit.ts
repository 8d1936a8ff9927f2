// The fit loop: the compiled step (Adam, sgd or rmsprop on the flat parameter vector,
// compile/js-trainer.ts or compile/tfjs-trainer.ts), ELBO values read back only every `evalEvery` steps, convergence by the relative
// change of the windowed ELBO (Stan ADVI's tol_rel_obj rule), then a short phase
// of iterate averaging so the reported posterior is not one noisy Adam iterate.

import { FitError } from '../language/errors.js';
import { tf } from './backend.js';
import { DivergenceWatch, type Diverged } from './divergence.js';
import { evaluateJoint, type JointOptions } from './joint.js';
import { checkParams } from './distributions/index.js';
import type { Layout } from './layout.js';
import type { Rng } from './rng.js';
import { sumLogical } from './values.js';
import type { SurrogateReading } from './estimators/step.js';

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

export interface Progress {
  step: number;
  /** Mean of the per-step ELBO estimates since the previous event. */
  elbo: number;
  /** Exponentially smoothed ELBO across events. */
  smoothedElbo: number;
  stepsPerSecond: number;
  /** 'optimise' until convergence, then 'average' while iterates are averaged. */
  phase: 'optimise' | 'average';
  maxSteps: number;
  /** RELAX sites' learned temperature λ and scale η now, by site. */
  surrogates?: Record<string, SurrogateReading>;
}

export interface LoopOptions {
  steps: number;
  lr: number;
  evalEvery: number;
  tolRelObj: number;
  /** Steps of iterate averaging after convergence, as a fraction of the steps taken (at least evalEvery). */
  averageFraction: number;
  onProgress?: (p: Progress) => void;
  /** RELAX sites' λ and η for the progress events (read only when there is a listener). */
  readSurrogates?: () => Record<string, SurrogateReading> | undefined;
  signal?: AbortSignal;
  /**
   * Every `every` steps of the optimisation phase (a multiple of evalEvery), `at` is given the
   * parameters now and may return a trainer to go on with (estimator 'auto-variance' measuring
   * its candidates again and switching); the old trainer is then disposed.
   */
  remeasure?: { every: number; at(step: number, flat: Float32Array): Promise<Trainer | undefined> };
}

/** Steps between a trainer's updates of the gradient-variance diagnostic. */
export const TRACK_EVERY = 4;

/**
 * What the loop drives: the compiled step's parameters, optimiser and step, on one of its two
 * lowerings (compile/js-trainer.ts, compile/tfjs-trainer.ts).
 */
export interface Trainer {
  /** One optimisation step with the plan's estimators; its loss (−ELBO) is kept until `takeLosses`. */
  step(): void;
  /** The losses of the steps since the last call, in order (read back in one transfer). */
  takeLosses(): Promise<ArrayLike<number>>;
  /** A copy of the parameters now. */
  snapshot(): Float32Array;
  setLearningRate(lr: number): void;
  /** Start a running mean of the iterates at the current ones (Polyak–Ruppert averaging). */
  startAverage(): void;
  /** Add the current iterate to the running mean. */
  accumulate(): void;
  /** The running mean when one was accumulated, else the current parameters. */
  final(): Promise<Float32Array>;
  /** Per-element running gradient variance (updated every TRACK_EVERY steps, decay 0.99 a step), or undefined before the first update. */
  gradientVariance(): Float32Array | undefined;
  dispose(): void;
}

export interface LoopResult {
  /** Final parameter values (averaged over the last phase). */
  flat: Float32Array;
  trace: number[];
  steps: number;
  converged: boolean;
  stopped: 'converged' | 'max-steps' | 'aborted';
  seconds: number;
}

// Defined with the other errors (language/errors.ts); the engine's modules import it from here.
export { FitError };

/** Windows compared by the trend test: the ELBO must not have risen over this many windows. */
const TREND = 3;

/** Standard error of a window's mean (the per-step estimates are nearly independent draws). */
function standardError(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return Infinity;
  let m = 0;
  for (let i = 0; i < n; i++) m += xs[i]!;
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i]! - m) ** 2;
  return Math.sqrt(ss / (n - 1) / n);
}

const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));
/** How long a fit may hold the event loop between yields (so Ctrl-C, progress bars and aborts are served). */
const YIELD_EVERY_MS = 20;

export async function runLoop(joint: Omit<JointOptions, 'rng'> & { rng: Rng }, first: Trainer, o: LoopOptions): Promise<LoopResult> {
  let trainer = first;
  // Parameters at the last window whose ELBO was finite, to say what went wrong if one is not.
  let lastGood = trainer.snapshot();
  const watch = new DivergenceWatch();
  const trace: number[] = [];
  const relChanges: number[] = [];
  const cbSize = Math.max(2, Math.round((0.1 * o.steps) / o.evalEvery));
  let prevWindow: number | undefined;
  let smoothed: number | undefined;
  let phase = 'optimise' as 'optimise' | 'average';
  let averageUntil = Infinity;
  let averageFrom = Infinity;
  let stopped: LoopResult['stopped'] = 'max-steps';
  const windows: { mean: number; se: number }[] = [];
  const finalLength = Math.max(o.evalEvery, Math.round(0.2 * o.steps));
  /** The final phase runs at a tenth of the step size; its first half lets the iterates settle at the
   * smaller step, its second half is averaged (Polyak–Ruppert). */
  const startFinalPhase = (until: number) => {
    phase = 'average';
    averageUntil = until;
    averageFrom = Math.min(until - 1, step + Math.floor((until - step) / 2));
    trainer.startAverage();
    trainer.setLearningRate(o.lr * 0.1);
  };
  const t0 = performance.now();
  let tLast = t0;
  let tYield = t0;
  let step = 0;

  try {
    while (step < o.steps) {
      step++;
      trainer.step();
      if (phase === 'average' && step > averageFrom) trainer.accumulate();
      if (step % o.evalEvery !== 0 && step !== o.steps && step < averageUntil) continue;

      // Read back the window's ELBO estimates in one transfer.
      const values = await trainer.takeLosses();
      let sum = 0;
      for (let i = 0; i < values.length; i++) {
        const elbo = -values[i]!;
        trace.push(elbo);
        sum += elbo;
      }
      const window = sum / values.length;
      const now = trainer.snapshot();
      if (!Number.isFinite(window)) {
        throw new FitError(describeNonFinite(joint, lastGood, now, step));
      }
      lastGood = now;
      watch.observe(step, window, standardError(values), now);
      smoothed = smoothed === undefined ? window : 0.7 * smoothed + 0.3 * window;
      const tNow = performance.now();
      if (o.onProgress) {
        const surrogates = o.readSurrogates?.();
        o.onProgress({ step, elbo: window, smoothedElbo: smoothed, stepsPerSecond: (values.length * 1000) / Math.max(1e-9, tNow - tLast), phase, maxSteps: o.steps, ...(surrogates ? { surrogates } : {}) });
      }
      tLast = tNow;
      if (o.signal?.aborted) {
        stopped = 'aborted';
        break;
      }
      if (step >= averageUntil) break;
      windows.push({ mean: window, se: standardError(values) });
      if (phase === 'optimise' && prevWindow !== undefined) {
        relChanges.push(Math.abs((window - prevWindow) / Math.max(Math.abs(window), 1e-8)));
        if (relChanges.length > cbSize) relChanges.shift();
        const mean = relChanges.reduce((a, b) => a + b, 0) / relChanges.length;
        const median = [...relChanges].sort((a, b) => a - b)[Math.floor(relChanges.length / 2)]!;
        // Stan's rule (relative change below tol_rel_obj) alone stops large-|ELBO| models while they
        // still climb by many nats; also require that the ELBO has stopped rising: its gain over the
        // last TREND windows is within two standard errors of zero.
        const k = windows.length - 1;
        const flat = k >= TREND && windows[k]!.mean - windows[k - TREND]!.mean <= 2 * Math.hypot(windows[k]!.se, windows[k - TREND]!.se);
        if (relChanges.length >= 2 && (mean < o.tolRelObj || median < o.tolRelObj) && flat) {
          stopped = 'converged';
          startFinalPhase(Math.min(o.steps, step + Math.max(5 * o.evalEvery, Math.round(step * o.averageFraction))));
        } else if (o.steps - step <= finalLength) {
          // Not converged, but the budget is nearly spent: still end with the averaged phase.
          startFinalPhase(o.steps);
        }
      }
      prevWindow = window;
      // Not in the last stretch: a new trainer's optimiser restarts, and the final phase is for settling.
      if (o.remeasure && phase === 'optimise' && step % o.remeasure.every === 0 && o.steps - step > finalLength) {
        const next = await o.remeasure.at(step, now);
        if (next) {
          trainer.dispose();
          trainer = next;
        }
      }
      // A timer yield costs ~1 ms: at a compiled step's few µs, yielding every window would be most of the fit.
      if (tNow - tYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        tYield = performance.now();
      }
    }
    const final = await trainer.final();
    const diverged = joint.mode === 'inference' && stopped !== 'aborted' ? watch.verdict(final) : null;
    if (diverged) throw new FitError(describeDivergence(diverged, joint.layout));
    return {
      flat: final,
      trace,
      steps: step,
      converged: stopped === 'converged',
      stopped,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    trainer.dispose();
  }
}

/** Which term or parameter went non-finite, for the error message. */
function describeNonFinite(joint: Omit<JointOptions, 'rng'> & { rng: Rng }, lastGood: Float32Array, params: Float32Array, step: number): string {
  const file = joint.setup.program.file;
  const where = tf.tidy(() => {
    // A term that is already non-finite at the last good parameters is the model's or the data's fault, not the optimiser's.
    const j = evaluateJoint({ ...joint, S: 1 }, tf.tensor1d(lastGood));
    for (const t of j.terms) {
      const v = sumLogical(t.value).dataSync();
      const bad = v.find((x) => !Number.isFinite(x));
      if (bad === undefined) continue;
      const at = `'${t.name}' (${file}:${t.span.start.line}:${t.span.start.column})`;
      if (t.name.startsWith('cost:target@')) return { text: `the target term at ${file}:${t.span.start.line}:${t.span.start.column} is ${bad}`, optimiser: false };
      // An argument outside its family's domain (a negative scale, cutpoints out of order) is the likeliest cause: name it.
      const domain = checkParams(t.family, t.params);
      if (domain !== null) return { text: `the log-density of ${t.observed ? 'the observed ' : ''}${at} is ${bad}: ${domain}`, optimiser: false };
      if (t.observed) return { text: `the log-density of the observed ${at} is ${bad}${offSupport(joint, t.name, t.value)}`, optimiser: false };
      return { text: `the log-density of ${at} is ${bad}`, optimiser: false };
    }
    for (const b of joint.layout.blocks.values()) {
      const i = params.subarray(b.offset, b.offset + b.size).findIndex((x) => !Number.isFinite(x));
      if (i >= 0) return { text: `the parameters of ${describeBlock(b.key, i, joint.layout)} became non-finite`, optimiser: true };
    }
    return { text: 'the objective is not finite', optimiser: true };
  });
  const hint = where.optimiser ? "Try a smaller learning rate (--lr) or check the priors' scales." : 'Check the data and the priors there.';
  return `the ELBO became non-finite at step ${step}: ${where.text}. ${hint}`;
}

/**
 * For an observed data array whose log-density is non-finite: the first offending element and
 * its value (a value outside the family's support is the usual cause, e.g. 2 under a Bernoulli).
 */
function offSupport(joint: Omit<JointOptions, 'rng'>, name: string, value: tf.Tensor): string {
  const data = joint.setup.dataEnv.get(name);
  const lp = value.dataSync();
  const i = lp.findIndex((x) => !Number.isFinite(x));
  if (!(data instanceof tf.Tensor) || i < 0 || data.size !== lp.length) return '';
  const shape = value.shape.slice(1);
  const index: number[] = [];
  let rest = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    index.unshift(rest % shape[d]!);
    rest = Math.floor(rest / shape[d]!);
  }
  const family = joint.setup.program.sites.find((s) => s.name === name)?.family.name ?? 'its distribution';
  const x = data.dataSync()[i];
  return ` at ${name}${index.length ? `[${index.join(', ')}]` : ''} = ${x}: the value is outside the support of ${family}, or the parameters there put no mass on it`;
}

function describeDivergence(d: Diverged, layout: Layout): string {
  const b = [...layout.blocks.values()].find((bl) => d.movedMost >= bl.offset && d.movedMost < bl.offset + bl.size);
  const what = b ? `; ${describeBlock(b.key, d.movedMost - b.offset, layout)} moved most` : '';
  return `the fit diverged: the ELBO fell from ${d.bestElbo.toFixed(1)} (step ${d.bestStep}) to ${d.finalElbo.toFixed(1)} (step ${d.finalStep})${what}. Try a smaller learning rate (--lr), init 'laplace', or the mean-field guide.`;
}

function describeBlock(key: string, index: number, layout: Layout): string {
  const [kind, a, b] = key.split(':');
  if (kind === 'param') return `param '${b}'${a === 'guide' ? ' (guide)' : ''}`;
  if (kind === 'q' && a === 'logits') return `the guide of '${b}'`;
  // loc/logscale are indexed like u; the packed Cholesky factor by rows, so name the row's latent.
  const row = a === 'tril' ? Math.floor((Math.sqrt(8 * index + 1) - 1) / 2) : index;
  const slot = [...layout.slots.values()].find((sl) => row >= sl.offset && row < sl.offset + sl.size);
  return slot ? `the automatic guide of '${slot.name}'` : 'the automatic guide';
}
