// Trace: run a step's loss once over the eager tensors (tensor/) with a
// Recording open, and keep the ops that depend on the parameters or on noise as
// an IR program (ir.ts). Everything computed from constants alone — data
// transforms, masks, index tables — is folded into constants here: only what
// changes from step to step is left. A value read back to JavaScript during
// the step (control flow on a sampled value), a random draw that bypasses
// noise.ts, or a kernel missing from the table ends the trace with the reason.

import { tf } from '../backend.js';
import { Recording, withRecording } from '../tensor/run.js';
import { variableHooks } from '../tensor/tensor.js';
import { NotCompilable } from './from-tfjs.js';
import { traceHooks } from './hooks.js';
import { type Program } from './ir.js';

export { NotCompilable };

export interface Trace {
  program: Program;
  /** IR ids of the parameter vectors by slot: 0 the traced `flat`, then the `extra` Variables. */
  params: number[];
  loss: number;
  /** IR id of the value the step reports (−ELBO or the expected cost); the loss itself unless given apart. */
  value: number;
  /**
   * State read from Variables during the step (a baseline's moving average): its IR input, its
   * value when traced, and the IR id of its value after the step (what the step assigned, or itself).
   */
  state: { id: number; name: string; init: Float64Array; update: number }[];
  /** Noise inputs in the order they were drawn, with the values the trace drew (for the self-check). */
  noise: { id: number; values: Float32Array }[];
  /** Inputs given anew at each run, by key, with the values the trace saw. */
  inputs: { id: number; key: string; values: Float64Array }[];
  /** The loss the trace computed (float64, the eager tensors' values). */
  lossValue: number;
}

/**
 * Runs `loss(flat)` once with `flat` = `init` and returns its IR. `loss` must build the step's
 * scalar loss from `flat` (and the `extra` Variables, further parameters) with the tensor ops; its random
 * draws must come from noise.ts. Other Variables it reads, and assigns, become the step's state.
 */
export function traceLoss(init: Float32Array, loss: (flat: tf.Tensor) => tf.Tensor | { loss: tf.Tensor; value: tf.Tensor }, o: { extra?: readonly tf.Variable[]; state?: boolean } = {}): Trace {
  const t = traceOutputs(
    init,
    (flat) => {
      const result = loss(flat);
      const out = result instanceof tf.Tensor ? result : result.loss;
      const reported = result instanceof tf.Tensor ? result : result.value;
      if (out.size !== 1 || reported.size !== 1) throw new Error(`internal: the traced loss has shape [${out.shape}]`);
      return { loss: out, value: reported };
    },
    o,
  );
  if (!t.traced.has('loss')) throw new NotCompilable('a loss that does not depend on the parameters');
  const { loss: lossId, value: valueId } = t.program.outputs as { loss: number; value: number };
  return { program: t.program, params: t.params, loss: lossId, value: valueId, state: t.state, noise: t.noise, inputs: t.inputs, lossValue: t.scalars['loss']! };
}

/**
 * Relative agreement a lowered program's value must reach with the trace's at the trace's own inputs:
 * float32's error, which the tfjs lowering (float32 kernels) must meet too.
 */
const SELF_CHECK = 1e-4;

/**
 * Whether a compiled value agrees with the one computed while tracing: within float32's
 * error, or non-finite alike (a start where the loss is already NaN: the fit loop then names the term).
 */
export function agreesWithTrace(compiled: number, traced: number): boolean {
  return Object.is(compiled, traced) || Math.abs(compiled - traced) <= SELF_CHECK * (1 + Math.abs(traced));
}

/** A traced program with named outputs (a Trace without the loss). */
export interface Outputs {
  program: Program;
  params: number[];
  state: Trace['state'];
  noise: Trace['noise'];
  inputs: Trace['inputs'];
  /** Outputs that depend on a parameter, noise, state or input (the others are constants). */
  traced: Set<string>;
  /** The values computed for the scalar outputs during the trace. */
  scalars: Record<string, number>;
}

/**
 * A program traced to be run as it is, with no state carried from run to run: its outputs, or why
 * it cannot be (it does not trace, reads state, or reads inputs where `inputs` is false).
 */
export function traceStateless(init: Float32Array, fn: (flat: tf.Tensor) => Record<string, tf.Tensor>, o: { inputs: boolean }): Outputs | { reason: string } {
  let t: Outputs;
  try {
    t = traceOutputs(init, fn);
  } catch (e) {
    if (e instanceof NotCompilable) return { reason: e.message };
    throw e;
  }
  if (t.state.length) return { reason: 'a program that reads state' };
  if (!o.inputs && t.inputs.length) return { reason: 'a program that reads inputs' };
  return t;
}

/**
 * Runs `fn(flat)` once with `flat` = `init` and returns its IR with one output per tensor `fn`
 * returns. Its random draws must come from noise.ts; Variables it reads become state (with
 * `o.state`) or, listed in `o.extra`, further parameter slots.
 */
export function traceOutputs(init: Float32Array, fn: (flat: tf.Tensor) => Record<string, tf.Tensor>, o: { extra?: readonly tf.Variable[]; state?: boolean } = {}): Outputs {
  const extra = o.extra ?? [];
  const trackState = o.state ?? false;
  const noise: Trace['noise'] = [];
  const inputs: Trace['inputs'] = [];
  const state: Trace['state'] = [];
  const slots = new Map<tf.Variable, Trace['state'][number]>();
  // Every seed a step's random stream hands out must feed a draw the trace sees (noise.ts).
  let seedPending = false;
  let unseenDraws = 0;

  /** A Variable read (or written) during the step: state carried from step to step. */
  const stateOf = (v: tf.Variable): number => {
    const known = rec.vars.get(v);
    if (known !== undefined) return known;
    if (!trackState) throw new NotCompilable(`state kept across steps in the Variable '${v.name}'`);
    const init = Float64Array.from(v.values);
    const id = rec.leaf({ op: 'state', shape: v.shape.slice(), slot: state.length }, init);
    const slot = { id, name: v.name, init, update: id };
    state.push(slot);
    slots.set(v, slot);
    rec.vars.set(v, id);
    return id;
  };
  const rec = new Recording(stateOf, trackState);
  const extraVars = new Set<tf.Variable>(extra);

  variableHooks.assign = (v, value) => {
    if (extraVars.has(v)) throw new NotCompilable(`the parameter '${v.name}' is assigned during the step`);
    // After an assignment the Variable reads as its new value; its slot is the one made on first use.
    stateOf(v);
    const slot = slots.get(v)!;
    const next = rec.arg(value).id;
    slot.update = next;
    rec.vars.set(v, next);
  };
  traceHooks.noise = (t, kind) => {
    seedPending = false;
    const tensor = t as tf.Tensor;
    const id = rec.leaf({ op: 'noise', shape: tensor.shape.slice(), kind }, tensor.values);
    noise.push({ id, values: Float32Array.from(tensor.values) });
    rec.mark(tensor, id);
  };
  traceHooks.input = (t, key) => {
    const tensor = t as tf.Tensor;
    const values = Float64Array.from(tensor.values);
    // The same input made twice (two gathers by one index array) is one input.
    const known = inputs.find((i) => i.key === key);
    if (known && (known.values.length !== values.length || known.values.some((v, k) => v !== values[k]))) throw new Error(`internal: the input '${key}' is given two different values`);
    const id = known?.id ?? rec.leaf({ op: 'input', shape: tensor.shape.slice(), key }, values);
    if (!known) inputs.push({ id, key, values });
    rec.mark(tensor, id);
  };
  traceHooks.seed = () => {
    if (seedPending) unseenDraws++;
    seedPending = true;
  };

  try {
    // The result leaves the tidy through a variable, not as its return value: tidy walks what it
    // returns for tensors, key by key.
    let out: Outputs | undefined;
    withRecording(rec, () =>
      tf.tidy(() => {
        const flat = tf.tensor1d(init);
        const params = [flat, ...extra].map((t, slot) => {
          const id = rec.leaf({ op: 'param', shape: t.shape.slice(), slot }, Float64Array.from(t.values));
          if (t instanceof tf.Variable) rec.vars.set(t, id);
          else rec.mark(t, id);
          return id;
        });
        const result = fn(flat);
        if (seedPending) unseenDraws++;
        if (unseenDraws > 0) throw new NotCompilable(`${unseenDraws} random draw(s) made outside the engine's noise inputs`);
        const outputs: Record<string, number> = {};
        const tracedNames = new Set<string>();
        const scalars: Record<string, number> = {};
        for (const [name, t] of Object.entries(result)) {
          const id = rec.idOf(t);
          if (id !== undefined) tracedNames.add(name);
          outputs[name] = id ?? rec.arg(t).id;
          if (t.size === 1) scalars[name] = t.values[0]!;
        }
        out = { program: rec.b.program(outputs), params, state, noise, inputs, traced: tracedNames, scalars };
      }),
    );
    return out!;
  } finally {
    variableHooks.assign = undefined;
    traceHooks.noise = traceHooks.seed = traceHooks.input = undefined;
  }
}
