// The step of a fit on the tfjs lowering: step-js.ts's step — the traced loss
// and its reverse-mode gradient (grad.ts, simplified), fresh noise from the
// fit's seeded stream, Adam/sgd/rmsprop per parameter slot, carried state — with
// the program run as tfjs kernels (lower-tfjs.ts) in one tf.tidy per step. The
// parameters, the optimiser's moments and the state are float32 tensors kept
// between steps; nothing is read back unless asked for.
//
// The update is written in tfjs ops rather than with tf.train's optimisers: those
// want named Variables and run their own tidy per variable, while here the update
// is a few more ops in the step's tidy, with step-js.ts's formulas and constants,
// so the two lowerings take the same steps up to float32.

import type { Rng } from '../rng.js';
import type * as TF from '@tensorflow/tfjs';
import { tfjs as tf } from '../tfjs.js';
import { sizeOf, type Program } from './ir.js';
import { lowerTfjs, type LoweredTfjs } from './lower-tfjs.js';
import { ADAM, RMSPROP, type SlotUpdate, type UpdateRule } from './step-js.js';
import { stepOutputs, stepProgram, type StepProgram } from './step-program.js';
import type { Trace } from './trace.js';

type T = TF.Tensor;

/** The largest float32 below 1: a uniform draw rounded up to 1 in float32 would leave [0, 1). */
const BELOW_ONE = 1 - 2 ** -24;

interface Slot {
  id: number;
  p: T;
  m?: T;
  v?: T;
  rule: UpdateRule;
  lr: number;
  beta1t: number;
  beta2t: number;
}

export class TfjsStep {
  readonly lowered: LoweredTfjs;
  /** Node counts: after reverse mode, after simplification, and tfjs op calls per step. */
  readonly nodes: { before: number; after: number; live: number };
  private readonly slots: Slot[];
  /** Live noise nodes in the order the trace drew them, with their values for the next run. */
  private readonly noise: Float32Noise[];
  /** Where each of the trace's noise inputs lives in `noise` (−1 when the program does not read it). */
  private readonly noiseAt: number[];
  private readonly inputs: Map<string, { id: number; shape: number[]; values: Float32Array }>;
  private readonly state: { id: number; t: T; update?: number }[];
  /** Output positions of the lowered program: 0 loss, 1 value, then one gradient per slot, then state updates. */
  private readonly gradAt: number;
  /** The gradient of slot 0 at the last evaluation (kept; replaced each time). */
  private lastGrad?: T;
  /** The slots' values when the step was disposed (the fit reads RELAX's λ and η after its loop ends). */
  private final?: Float32Array[];

  constructor(
    trace: Trace,
    slots: readonly SlotUpdate[],
    private readonly rng: Rng,
    /** The differentiated program (computed here when not given: a caller choosing between lowerings has it). */
    s: StepProgram = stepProgram(trace),
  ) {
    if (slots.length !== trace.params.length) throw new Error(`internal: ${slots.length} update rules for ${trace.params.length} parameter slots`);
    const { id, program } = s;
    this.lowered = lowerTfjs(program, stepOutputs(s));
    this.nodes = { before: s.before, after: s.after, live: this.lowered.liveNodes };
    this.gradAt = 2;
    const live = new Set(this.lowered.leaves);
    this.slots = trace.params.map((p, k) => {
      const node = program.nodes[id(p)]!;
      return { id: id(p), p: tf.zeros(node.shape), rule: slots[k]!.rule, lr: slots[k]!.lr, beta1t: 1, beta2t: 1 };
    });
    // The same noise as the JavaScript step draws: the live noise nodes, in the trace's order.
    this.noise = liveNoise(trace.noise, program, (n) => live.has(n), id);
    this.noiseAt = trace.noise.map(({ id: n }) => this.noise.findIndex((z) => z.id === id(n)));
    this.inputs = new Map();
    for (const i of trace.inputs) {
      if (live.has(id(i.id))) this.inputs.set(i.key, { id: id(i.id), shape: program.nodes[id(i.id)]!.shape, values: Float32Array.from(i.values) });
    }
    let u = 0;
    this.state = trace.state.map((st) => {
      const changes = st.update !== st.id;
      return { id: id(st.id), t: tf.tensor(Float32Array.from(st.init), program.nodes[id(st.id)]!.shape), update: changes ? 2 + slots.length + u++ : undefined };
    });
  }

  /** Puts the values the trace drew and was given into the noise and other inputs (to check the lowering against the trace). */
  useTracedNoise(trace: Trace): void {
    trace.noise.forEach((n, k) => {
      const at = this.noiseAt[k]!;
      if (at >= 0) this.noise[at]!.values.set(n.values);
    });
    for (const i of trace.inputs) this.inputs.get(i.key)?.values.set(i.values);
  }

  /** Gives the input `key` its values for the next runs; unknown or unused keys are ignored. */
  setInput(key: string, values: ArrayLike<number>): void {
    this.inputs.get(key)?.values.set(values);
  }

  /** Sets parameter slot k's values (0 the fit's parameters). */
  setSlot(k: number, values: ArrayLike<number>): void {
    const s = this.slots[k]!;
    const next = tf.tensor(Float32Array.from(values), s.p.shape);
    s.p.dispose();
    s.p = next;
  }

  /** Parameter slot k now (0 the fit's parameters; the tensor stays the step's). */
  slotTensor(k: number): T {
    return this.slots[k]!.p;
  }

  /** Parameter slot k's values, read back. */
  slot(k: number): Float32Array {
    return this.final?.[k] ?? (this.slots[k]!.p.dataSync() as Float32Array);
  }

  setLearningRate(lr: number): void {
    this.slots[0]!.lr = lr;
  }

  /** Fills the noise with a fresh draw from the fit's stream, in step-js.ts's order (fillNoise). */
  draw(): void {
    fillFloat32Noise(this.noise, this.rng);
  }

  /** The program's outputs at the current parameters, noise, state and inputs (inside the caller's tidy). */
  private outputs(): T[] {
    const given = new Map<number, T>();
    for (const s of this.slots) given.set(s.id, s.p);
    for (const s of this.state) given.set(s.id, s.t);
    for (const n of this.noise) given.set(n.id, tf.tensor(n.values, n.shape));
    for (const i of this.inputs.values()) given.set(i.id, tf.tensor(i.values, i.shape));
    return this.lowered.run(given);
  }

  /** The loss at the current parameters, noise and state, read back (the self-check against the trace). */
  evaluate(): number {
    return tf.tidy(() => this.outputs()[0]!.dataSync()[0]!);
  }

  /** The gradient at the current parameters, noise and state, kept for `gradient()` (the state is not advanced). */
  evaluateGradient(): void {
    this.setGrad(tf.tidy(() => tf.clone(this.outputs()[this.gradAt]!)));
  }

  /** A gradient estimate without an update: fresh noise, loss and gradients, the state carried on. Returns the value (−ELBO). */
  estimate(): number {
    this.draw();
    const r = tf.tidy(() => {
      const out = this.outputs();
      return { value: tf.clone(out[1]!), grad: tf.clone(out[this.gradAt]!), state: this.carried(out) };
    });
    this.carry(r.state);
    this.setGrad(r.grad);
    const v = r.value.dataSync()[0]!;
    r.value.dispose();
    return v;
  }

  /** The gradient of slot 0 at the last estimate or step, read back. */
  gradient(): Float32Array {
    if (!this.lastGrad) throw new Error('internal: no gradient evaluated yet');
    return this.lastGrad.dataSync() as Float32Array;
  }

  /** The gradient of slot 0 at the last step, as a tensor the step keeps (replaced at the next). */
  gradTensor(): T | undefined {
    return this.lastGrad;
  }

  /**
   * One step: fresh noise, loss and gradients, every slot's update, the state carried on. Returns
   * the reported value (−ELBO) before the update as a scalar tensor the caller disposes.
   */
  step(): T {
    this.draw();
    for (const s of this.slots) {
      if (s.rule === 'adam') {
        s.beta1t *= ADAM.beta1;
        s.beta2t *= ADAM.beta2;
      }
    }
    const r = tf.tidy(() => {
      const out = this.outputs();
      const next = this.slots.map((s, k) => update(s, out[this.gradAt + k]!));
      return { value: tf.clone(out[1]!), grad: tf.clone(out[this.gradAt]!), next, state: this.carried(out) };
    });
    this.slots.forEach((s, k) => {
      const n = r.next[k]!;
      s.p.dispose();
      s.p = n.p;
      if (n.m) {
        s.m?.dispose();
        s.m = n.m;
      }
      if (n.v) {
        s.v?.dispose();
        s.v = n.v;
      }
    });
    this.carry(r.state);
    this.setGrad(r.grad);
    return r.value;
  }

  /** The state after a run (inside its tidy). Outputs are cloned: one may be a constant the lowering owns. */
  private carried(out: T[]): T[] {
    return this.state.map((s) => (s.update === undefined ? s.t : tf.clone(out[s.update]!)));
  }

  private setGrad(g: T): void {
    this.lastGrad?.dispose();
    this.lastGrad = g;
  }

  private carry(next: T[]): void {
    this.state.forEach((s, k) => {
      const n = next[k]!;
      if (n === s.t) return;
      s.t.dispose();
      s.t = n;
    });
  }

  dispose(): void {
    if (this.final) return;
    this.final = this.slots.map((s) => s.p.dataSync() as Float32Array);
    for (const s of this.slots) {
      s.p.dispose();
      s.m?.dispose();
      s.v?.dispose();
    }
    for (const s of this.state) s.t.dispose();
    this.lastGrad?.dispose();
    this.lowered.dispose();
  }
}

/** One slot's update in tfjs ops (inside the step's tidy): step-js.ts's Optimiser.update. */
function update(s: Slot, g: T): { p: T; m?: T; v?: T } {
  const gg = g.shape.length === s.p.shape.length ? g : tf.reshape(g, s.p.shape);
  if (s.rule === 'sgd') return { p: tf.sub(s.p, tf.mul(tf.scalar(s.lr), gg)) };
  if (s.rule === 'rmsprop') {
    const { decay, eps } = RMSPROP;
    const v = tf.add(tf.mul(tf.scalar(decay), s.v ?? tf.zerosLike(s.p)), tf.mul(tf.scalar(1 - decay), tf.square(gg)));
    return { p: tf.sub(s.p, tf.div(tf.mul(tf.scalar(s.lr), gg), tf.sqrt(tf.add(v, tf.scalar(eps))))), v };
  }
  const { beta1, beta2, eps } = ADAM;
  const m = tf.add(tf.mul(tf.scalar(beta1), s.m ?? tf.zerosLike(s.p)), tf.mul(tf.scalar(1 - beta1), gg));
  const v = tf.add(tf.mul(tf.scalar(beta2), s.v ?? tf.zerosLike(s.p)), tf.mul(tf.scalar(1 - beta2), tf.square(gg)));
  const c1 = 1 - s.beta1t;
  const c2 = 1 - s.beta2t;
  const stepSize = tf.div(tf.mul(tf.scalar(s.lr / c1), m), tf.add(tf.sqrt(tf.mul(v, tf.scalar(1 / c2))), tf.scalar(eps)));
  return { p: tf.sub(s.p, stepSize), m, v };
}

/** A noise leaf of a program lowered to tfjs, with the float32 values of its next run. */
export interface Float32Noise {
  id: number;
  shape: number[];
  kind: 'normal' | 'uniform';
  values: Float32Array;
}

/** The noise leaves of `program` that `live` keeps, in the trace's order (the order fillNoise draws them). */
export function liveNoise(noise: readonly { id: number }[], program: Program, live: (id: number) => boolean, id: (traced: number) => number): Float32Noise[] {
  return noise.flatMap(({ id: n }) => {
    const node = program.nodes[id(n)]!;
    return live(id(n)) && node.op === 'noise' ? [{ id: id(n), shape: node.shape, kind: node.kind, values: new Float32Array(sizeOf(node.shape)) }] : [];
  });
}

/** Fresh noise from `rng` in step-js.ts's order (fillNoise), in float32: a uniform that rounds up to 1 is kept below it. */
export function fillFloat32Noise(noise: readonly Float32Noise[], rng: Rng): void {
  for (const { kind, values } of noise) {
    if (kind === 'normal') for (let i = 0; i < values.length; i++) values[i] = rng.normal();
    else
      for (let i = 0; i < values.length; i++) {
        values[i] = rng.uniform();
        if (values[i] === 1) values[i] = BELOW_ONE;
      }
  }
}
