// Compiling a fit's step: trace the estimators' loss once, differentiate and
// lower it, and check the lowered program against the trace before trusting it.
// What cannot be compiled yet says why, and the fit keeps the tfjs engine.

import { tf } from '../backend.js';
import type { Estimators } from '../estimators/step.js';
import type { JointOptions } from '../joint.js';
import { Rng } from '../rng.js';
import { JsStep, type SlotUpdate, type UpdateRule } from './step-js.js';
import { TfjsStep } from './step-tfjs.js';
import { agreesWithTrace, NotCompilable, traceLoss, type Trace } from './trace.js';

export type CompiledFit = {
  ok: true;
  step: JsStep;
  trace: Trace;
  /** The same trace lowered to tfjs kernels instead (lower-tfjs.ts), checked against the trace alike; its step draws from the same stream. */
  onTfjs: () => CompiledTfjs;
} | { ok: false; reason: string };

export type CompiledTfjs = { ok: true; step: TfjsStep } | { ok: false; reason: string };

/**
 * The JavaScript step of a fit, or why there is none. State the estimators keep across steps
 * (moving-average baselines) becomes the step's carried state, RELAX's surrogate parameters a
 * second parameter slot trained by Adam at the surrogate's learning rate.
 */
export function compileFitStep(est: Estimators, jo: JointOptions, init: Float32Array, rule: UpdateRule, lr: number, rng: Rng, batch?: Minibatches): CompiledFit {
  const r = compile(est, batch ? batch.options : () => jo, init, rule, lr, rng);
  // The tfjs engine takes over: its NVIL networks learn after each step again, from clean state.
  if (!r.ok) est.uncompileNvil();
  return r;
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

function compile(est: Estimators, joAt: () => JointOptions, init: Float32Array, rule: UpdateRule, lr: number, rng: Rng): CompiledFit {
  let trace: Trace;
  try {
    // One evaluation on tfjs first: the estimators make their state (baselines, surrogates) on
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
    const step = new JsStep(trace, slots, rng);
    // The lowered program at the trace's own inputs must give the value tfjs computed.
    step.params.set(init);
    [...surrogates, ...nvil.map((n) => n.variable)].forEach((v, k) => step.slot(k + 1).set(v.dataSync()));
    step.useTracedNoise(trace);
    const value = step.evaluate();
    if (!agreesWithTrace(value, trace.lossValue)) {
      return { ok: false, reason: `internal: the compiled loss ${value} differs from the traced ${trace.lossValue}` };
    }
    step.params.set(init);
    const extras = [...surrogates, ...nvil.map((n) => n.variable)].map((v) => Float32Array.from(v.dataSync()));
    return { ok: true, step, trace, onTfjs: () => onTfjs(trace, slots, extras, init, rng) };
  } catch (e) {
    if (e instanceof NotCompilable) return { ok: false, reason: e.message };
    throw e;
  }
}

function onTfjs(trace: Trace, slots: readonly SlotUpdate[], extras: readonly Float32Array[], init: Float32Array, rng: Rng): CompiledTfjs {
  const step = new TfjsStep(trace, slots, rng);
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
