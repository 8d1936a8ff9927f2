// Compiling a fit's step: trace the estimators' loss once, differentiate and
// lower it, and check the lowered program against the value the trace computed
// before trusting it. Where the JavaScript lowering's value disagrees, the tfjs
// lowering of the same program is tried; what cannot be compiled at all says why,
// and the caller reports it (there is no other engine).

import { tf } from '../backend.js';
import type { Estimators } from '../estimators/step.js';
import type { JointOptions } from '../joint.js';
import { Rng } from '../rng.js';
import { productWork } from './ir.js';
import { JsStep, type SlotUpdate, type UpdateRule } from './step-js.js';
import { stepOutputs, stepProgram, type StepProgram } from './step-program.js';
import { TfjsStep } from './step-tfjs.js';
import { agreesWithTrace, NotCompilable, traceLoss, type Trace } from './trace.js';

export type CompiledFit = {
  ok: true;
  /**
   * The JavaScript lowering, checked against the trace; undefined where that check failed
   * (`jsReason` says how) or where the caller wanted the tfjs lowering (`tfjsFirst`).
   */
  step: JsStep | undefined;
  jsReason?: string;
  trace: Trace;
  /** Multiply–adds per step in matrix products that change from step to step (ir.ts, productWork). */
  products: number;
  /** The same trace lowered to tfjs kernels instead (lower-tfjs.ts), checked against the trace alike; its step draws from the same stream. Load tfjs first (loadTfjs). */
  onTfjs: () => CompiledTfjs;
  /** The JavaScript lowering after all, where `tfjsFirst` declined it (tfjs then loaded only onto its cpu backend). */
  onJs: () => { step: JsStep } | { reason: string };
} | { ok: false; reason: string };

export type CompiledTfjs = { ok: true; step: TfjsStep } | { ok: false; reason: string };

/**
 * The JavaScript step of a fit, or why there is none. State the estimators keep across steps
 * (moving-average baselines) becomes the step's carried state, RELAX's surrogate parameters a
 * second parameter slot trained by Adam at the surrogate's learning rate.
 */
export function compileFitStep(
  est: Estimators,
  jo: JointOptions,
  init: Float32Array,
  rule: UpdateRule,
  lr: number,
  rng: Rng,
  batch?: Minibatches,
  /** Given the step's matrix work, whether the tfjs lowering is wanted: the JavaScript one is then not built (a large network's buffers). */
  tfjsFirst?: (products: number) => boolean,
): CompiledFit {
  return compile(est, batch ? batch.options : () => jo, init, rule, lr, rng, tfjsFirst);
}

/**
 * The step's tfjs lowering, tried when its JavaScript one is not wanted or failed the self-check;
 * when it fails too (or nothing traced), the error a fit throws: it names the model's file and the
 * reason, since every model the language accepts is meant to compile.
 */
export function tfjsOrExplain(c: CompiledFit, file: string | undefined): { step: TfjsStep } | { error: Error } {
  if (!c.ok) return { error: notCompiledError(file, c.reason) };
  const t = c.onTfjs();
  if (t.ok) return { step: t.step };
  return { error: notCompiledError(file, c.jsReason ? `${c.jsReason}; ${t.reason}` : t.reason) };
}

/** "internal: …; please report", naming the model's file. */
export function notCompiledError(file: string | undefined, reason: string): Error {
  const why = reason.startsWith('internal: ') ? reason.slice('internal: '.length) : reason;
  return new Error(`internal: ${file ?? 'the model'}: its step could not be compiled (${why}); please report this with the model and its data`);
}

/**
 * A fit on minibatches of `plate`: `options` gives the step's joint options on one batch (its
 * setup's data gathered at the batch's rows: call it inside the traced function), whose index
 * arrays become the compiled step's inputs, given anew at every step (batch.ts, batchInputs).
 */
export interface Minibatches {
  plate: string;
  options: () => JointOptions;
}

function compile(est: Estimators, joAt: () => JointOptions, init: Float32Array, rule: UpdateRule, lr: number, rng: Rng, tfjsFirst?: (products: number) => boolean): CompiledFit {
  let trace: Trace;
  try {
    // One evaluation first, untraced: the estimators make their state (baselines, surrogates) on
    // first use, and the step to compile is the one that reads it. No update is applied.
    tf.tidy(() => {
      const flat = tf.tensor1d(init);
      est.loss({ ...joAt(), rng: new Rng(0) }, flat, 0).keep.forEach((t) => t.dispose());
    });
    const surrogates = est.phiVariables();
    const nvil = est.compileNvil();
    // The loss carries terms for other parameters than θ (RELAX's Σ ĝ², NVIL's least squares): the
    // reported value is then −ELBO itself, not the loss.
    const apart = surrogates.length > 0 || nvil.length > 0;
    trace = traceLoss(
      init,
      (flat) => {
        const r = est.loss({ ...joAt(), rng: new Rng(0) }, flat, 0);
        r.keep.forEach((t) => t.dispose());
        return { loss: r.loss, value: apart ? tf.neg(r.value) : r.loss };
      },
      { extra: [...surrogates, ...nvil.map((n) => n.variable)], state: true },
    );
    const slots = [{ rule, lr }, ...surrogates.map(() => ({ rule: 'adam' as const, lr: est.surrogateLr })), ...nvil.map((n) => ({ rule: 'adam' as const, lr: n.lr }))];
    const extras = [...surrogates, ...nvil.map((n) => n.variable)].map((v) => Float32Array.from(v.dataSync()));
    // Differentiated and simplified once, whichever lowering runs it.
    const sp = stepProgram(trace);
    const products = productWork(sp.program, stepOutputs(sp));
    const tfjs = () => onTfjs(trace, slots, extras, init, rng, sp);
    const js = (): { step: JsStep } | { reason: string } => {
      const step = new JsStep(trace, slots, rng, sp);
      // The lowered program at the trace's own inputs must give the value the trace computed.
      step.params.set(init);
      extras.forEach((v, k) => step.slot(k + 1).set(v));
      step.useTracedNoise(trace);
      const value = step.evaluate();
      if (!agreesWithTrace(value, trace.lossValue)) return { reason: `internal: the compiled loss ${value} differs from the traced ${trace.lossValue}` };
      step.params.set(init);
      return { step };
    };
    if (tfjsFirst?.(products)) return { ok: true, step: undefined, trace, products, onTfjs: tfjs, onJs: js };
    const j = js();
    if ('reason' in j) return { ok: true, step: undefined, jsReason: j.reason, trace, products, onTfjs: tfjs, onJs: js };
    return { ok: true, step: j.step, trace, products, onTfjs: tfjs, onJs: js };
  } catch (e) {
    if (e instanceof NotCompilable) return { ok: false, reason: e.message };
    throw e;
  }
}

function onTfjs(trace: Trace, slots: readonly SlotUpdate[], extras: readonly Float32Array[], init: Float32Array, rng: Rng, sp: StepProgram): CompiledTfjs {
  const step = new TfjsStep(trace, slots, rng, sp);
  step.setSlot(0, init);
  extras.forEach((v, k) => step.setSlot(k + 1, v));
  step.useTracedNoise(trace);
  const value = step.evaluate();
  if (!agreesWithTrace(value, trace.lossValue)) {
    step.dispose();
    return { ok: false, reason: `internal: the tfjs-lowered loss ${value} differs from the traced ${trace.lossValue}` };
  }
  return { ok: true, step };
}
