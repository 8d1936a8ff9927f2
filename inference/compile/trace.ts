// Trace: run a step's loss once over tfjs with the engine's kernel calls
// recorded, and keep the kernels that depend on the parameters or on noise as
// an IR program (ir.ts). Everything computed from constants alone — data
// transforms, masks, index tables — is folded into constants here: only what
// changes from step to step is left. A value read back to JavaScript during
// the step (control flow on a sampled value), a random draw that bypasses
// noise.ts, or a kernel missing from the table ends the trace with the reason.

import { tf } from '../backend.js';
import { convertKernel, INPUT_NAMES, NotCompilable, type Arg, type Out } from './from-tfjs.js';
import { traceHooks } from './hooks.js';
import { Builder, type Program } from './ir.js';

export { NotCompilable };

export interface Trace {
  program: Program;
  /** IR ids of the parameter vectors by slot: 0 the traced `flat`, then the `extra` Variables. */
  params: number[];
  loss: number;
  /** IR id of the value the step reports (−ELBO or the expected cost); the loss itself unless given apart. */
  value: number;
  /**
   * State read from tfjs Variables during the step (a baseline's moving average): its IR input, its
   * value when traced, and the IR id of its value after the step (what the step assigned, or itself).
   */
  state: { id: number; name: string; init: Float64Array; update: number }[];
  /** Noise inputs in the order they were drawn, with the values the trace drew (for the self-check). */
  noise: { id: number; values: Float32Array }[];
  /** Inputs given anew at each run, by key, with the values the trace saw. */
  inputs: { id: number; key: string; values: Float64Array }[];
  /** The loss tfjs computed during the trace. */
  lossValue: number;
}

interface EngineHooks {
  runKernel(name: string, inputs: unknown, attrs: unknown): tf.Tensor | tf.Tensor[];
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
}

function inputList(name: string, inputs: unknown): tf.Tensor[] {
  if (Array.isArray(inputs)) return inputs as tf.Tensor[];
  const map = inputs as Record<string, tf.Tensor>;
  const names = INPUT_NAMES[name];
  if (names) return names.map((n) => map[n]!).filter((t) => t !== undefined);
  return Object.values(map).filter((t) => t instanceof tf.Tensor);
}

/**
 * Runs `loss(flat)` once with `flat` = `init` and returns its IR. `loss` must build the step's
 * scalar loss from `flat` (and the `extra` Variables, further parameters) with tfjs ops; its random
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

/** Relative agreement a lowered program's value must reach with tfjs's float32 one at the trace's own inputs. */
const SELF_CHECK = 1e-4;

/**
 * Whether a compiled value agrees with the one tfjs computed while tracing: within float32's
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
  /** The values tfjs computed for the scalar outputs during the trace. */
  scalars: Record<string, number>;
}

/**
 * Runs `fn(flat)` once with `flat` = `init` and returns its IR with one output per tensor `fn`
 * returns. Its random draws must come from noise.ts; Variables it reads become state (with
 * `o.state`) or, listed in `o.extra`, further parameter slots.
 */
export function traceOutputs(init: Float32Array, fn: (flat: tf.Tensor) => Record<string, tf.Tensor>, o: { extra?: readonly tf.Variable[]; state?: boolean } = {}): Outputs {
  const extra = o.extra ?? [];
  const trackState = o.state ?? false;
  const b = new Builder();
  /** IR ids of traced (non-constant) tensors, by tensor id. */
  const traced = new Map<number, number>();
  /** IR ids of Variables (parameters, state), by object: tfjs counts Variables' ids apart from tensors', so they collide. */
  const tracedVars = new Map<tf.Variable, number>();
  const idOf = (t: tf.Tensor): number | undefined => (t instanceof tf.Variable ? tracedVars.get(t) : traced.get(t.id));
  /** Buffers of traced tensors: reading one back during the step is value-dependent control flow. */
  const tracedData = new Set<object>();
  /** IR ids of constants already materialised, by tensor id. */
  const consts = new Map<number, number>();
  const noise: Trace['noise'] = [];
  const inputs: Trace['inputs'] = [];
  let untaped = 0;
  let inKernel = 0;
  // Every seed a step's random stream hands out must feed a draw the trace sees (noise.ts).
  let seedPending = false;
  let unseenDraws = 0;
  const e = tf.engine() as unknown as EngineHooks;
  const own = { runKernel: e.runKernel, readSync: e.readSync, read: e.read };
  const ownProps = (['runKernel', 'readSync', 'read'] as const).filter((k) => Object.prototype.hasOwnProperty.call(e, k));

  const mark = (t: tf.Tensor, id: number) => {
    const v = untaped > 0 ? b.push({ op: 'stop', shape: b.shape(id).slice(), args: [id] }) : id;
    traced.set(t.id, v);
    tracedData.add(t.dataId);
  };
  const arg = (t: tf.Tensor): Arg => {
    const id = idOf(t);
    if (id !== undefined) return { id, shape: t.shape.slice() };
    if (tracedData.has(t.dataId)) throw new NotCompilable('a second handle on a traced value made outside the engine');
    if (t instanceof tf.Variable) return { id: stateOf(t), shape: t.shape.slice() };
    const values = Float64Array.from(own.readSync.call(e, t.dataId) as ArrayLike<number>);
    let c = consts.get(t.id);
    if (c === undefined) consts.set(t.id, (c = b.constant(values, t.shape.slice())));
    return { id: c, shape: t.shape.slice(), value: values };
  };

  /** A Variable read (or written) during the step: state carried from step to step. */
  const stateOf = (v: tf.Variable): number => {
    const known = tracedVars.get(v);
    if (known !== undefined) return known;
    if (!trackState) throw new NotCompilable(`state kept across steps in the tfjs Variable '${v.name}'`);
    const init = Float64Array.from(own.readSync.call(e, v.dataId) as ArrayLike<number>);
    const id = b.push({ op: 'state', shape: v.shape.slice(), slot: state.length });
    const slot = { id, name: v.name, init, update: id };
    state.push(slot);
    slots.set(v, slot);
    tracedVars.set(v, id);
    tracedData.add(v.dataId);
    return id;
  };
  const state: Trace['state'] = [];
  const slots = new Map<tf.Variable, Trace['state'][number]>();
  const ownAssign = tf.Variable.prototype.assign;
  const extraVars = new Set<tf.Variable>(extra);
  tf.Variable.prototype.assign = function (this: tf.Variable, value: tf.Tensor) {
    if (extraVars.has(this)) throw new NotCompilable(`the parameter '${this.name}' is assigned during the step`);
    // After an assignment the Variable reads as its new value; its slot is the one made on first use.
    stateOf(this);
    const slot = slots.get(this)!;
    const next = arg(value).id;
    ownAssign.call(this, value);
    slot.update = next;
    tracedVars.set(this, next);
    tracedData.add(this.dataId);
  };

  traceHooks.noise = (t, kind) => {
    seedPending = false;
    const tensor = t as tf.Tensor;
    noise.push({ id: b.push({ op: 'noise', shape: tensor.shape.slice(), kind }), values: Float32Array.from(tensor.dataSync() as Float32Array) });
    mark(tensor, noise[noise.length - 1]!.id);
  };
  traceHooks.input = (t, key) => {
    const tensor = t as tf.Tensor;
    const values = Float64Array.from(own.readSync.call(e, tensor.dataId) as ArrayLike<number>);
    // The same input made twice (two gathers by one index array) is one input.
    const known = inputs.find((i) => i.key === key);
    if (known && (known.values.length !== values.length || known.values.some((v, k) => v !== values[k]))) throw new Error(`internal: the input '${key}' is given two different values`);
    const id = known?.id ?? b.push({ op: 'input', shape: tensor.shape.slice(), key });
    if (!known) inputs.push({ id, key, values });
    mark(tensor, id);
  };
  traceHooks.alias = (from, to) => {
    const id = idOf(from as tf.Tensor);
    if (id !== undefined) mark(to as tf.Tensor, id);
  };
  traceHooks.untaped = (d) => {
    untaped += d;
  };
  traceHooks.seed = () => {
    if (seedPending) unseenDraws++;
    seedPending = true;
  };
  e.runKernel = function (this: EngineHooks, name: string, inputs: unknown, attrs: unknown) {
    if (inKernel > 0) return own.runKernel.call(this, name, inputs, attrs);
    inKernel++;
    let out: tf.Tensor | tf.Tensor[];
    try {
      out = own.runKernel.call(this, name, inputs, attrs);
    } finally {
      inKernel--;
    }
    const ins = inputList(name, inputs);
    // A state Variable read alone (a baseline's value broadcast) is traced too, not folded into a constant.
    if (!ins.some((t) => idOf(t) !== undefined || (trackState && t instanceof tf.Variable))) return out;
    const list = Array.isArray(out) ? out : [out];
    const outs: Out[] = list.map((t) => ({ shape: t.shape.slice(), dtype: t.dtype, values: () => Float64Array.from(own.readSync.call(e, t.dataId) as ArrayLike<number>) }));
    const ids = convertKernel(b, name, ins.map(arg), (attrs ?? {}) as Record<string, unknown>, outs);
    list.forEach((t, k) => mark(t, ids[k]!));
    return out;
  };
  e.readSync = function (this: EngineHooks, dataId: object) {
    if (inKernel === 0 && tracedData.has(dataId)) throw new NotCompilable('a value read back to JavaScript during the step (a choice made on a sampled value)');
    return own.readSync.call(this, dataId);
  };
  e.read = function (this: EngineHooks, dataId: object) {
    if (inKernel === 0 && tracedData.has(dataId)) throw new NotCompilable('a value read back to JavaScript during the step');
    return own.read.call(this, dataId);
  };

  try {
    // The result leaves the tidy through a variable, not as its return value: tidy walks what it
    // returns for tensors, key by key, and the program's constants can hold millions of values.
    let out: Outputs | undefined;
    tf.tidy(() => {
      const flat = tf.tensor1d(init);
      const params = [flat, ...extra].map((t, slot) => {
        const id = b.push({ op: 'param', shape: t.shape.slice(), slot });
        if (t instanceof tf.Variable) tracedVars.set(t, id);
        else traced.set(t.id, id);
        tracedData.add(t.dataId);
        return id;
      });
      const result = fn(flat);
      if (seedPending) unseenDraws++;
      if (unseenDraws > 0) throw new NotCompilable(`${unseenDraws} random draw(s) made outside the engine's noise inputs`);
      const outputs: Record<string, number> = {};
      const tracedNames = new Set<string>();
      const scalars: Record<string, number> = {};
      for (const [name, t] of Object.entries(result)) {
        const id = idOf(t);
        if (id !== undefined) tracedNames.add(name);
        outputs[name] = id ?? arg(t).id;
        if (t.size === 1) scalars[name] = (own.readSync.call(e, t.dataId) as Float32Array)[0]!;
      }
      out = { program: b.program(outputs), params, state, noise, inputs, traced: tracedNames, scalars };
    });
    return out!;
  } finally {
    tf.Variable.prototype.assign = ownAssign;
    for (const k of ['runKernel', 'readSync', 'read'] as const) {
      if (ownProps.includes(k)) (e as unknown as Record<string, unknown>)[k] = own[k];
      else delete (e as unknown as Record<string, unknown>)[k];
    }
    traceHooks.noise = traceHooks.alias = traceHooks.untaped = traceHooks.seed = traceHooks.input = undefined;
  }
}
