// The step of a fit on the JavaScript lowering: the traced loss and its
// reverse-mode gradient lowered to one generated function over buffers made
// once, fresh noise from the fit's seeded stream, and the optimiser's update,
// all in float64. A step allocates nothing.

import { Rng } from '../rng.js';
import type { Program } from './ir.js';
import { lowerJs, type LoweredJs } from './lower-js.js';
import { stepOutputs, stepProgram, type StepProgram } from './step-program.js';
import type { Trace } from './trace.js';

export type UpdateRule = 'adam' | 'sgd' | 'rmsprop';

/** tfjs's defaults for its optimisers (tf.train.adam / rmsprop), kept: both lowerings take these steps. */
export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-7 };
export const RMSPROP = { decay: 0.9, eps: 1e-7 };

/** How one parameter slot is updated: the fit's parameters (slot 0) and e.g. RELAX's surrogate. */
export interface SlotUpdate {
  rule: UpdateRule;
  lr: number;
}

class Optimiser {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private beta1t = 1;
  private beta2t = 1;

  constructor(
    readonly p: Float64Array,
    readonly g: Float64Array,
    private readonly rule: UpdateRule,
    public lr: number,
  ) {
    this.m = new Float64Array(p.length);
    this.v = new Float64Array(p.length);
  }

  update(): void {
    const { p, g, m, v, lr } = this;
    if (this.rule === 'sgd') {
      for (let i = 0; i < p.length; i++) p[i]! -= lr * g[i]!;
    } else if (this.rule === 'rmsprop') {
      const { decay, eps } = RMSPROP;
      for (let i = 0; i < p.length; i++) {
        v[i] = decay * v[i]! + (1 - decay) * g[i]! * g[i]!;
        p[i]! -= (lr * g[i]!) / Math.sqrt(v[i]! + eps);
      }
    } else {
      const { beta1, beta2, eps } = ADAM;
      // βᵗ as running products, as tfjs's Adam keeps them (a power per slot per step is measurable at µs a step).
      this.beta1t *= beta1;
      this.beta2t *= beta2;
      const c1 = 1 - this.beta1t;
      const c2 = 1 - this.beta2t;
      for (let i = 0; i < p.length; i++) {
        m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
        v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
        p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
      }
    }
  }
}

/** A noise input's buffer and its law. */
export interface NoiseBuffer {
  buffer: Float64Array;
  kind: 'normal' | 'uniform';
}

/** The buffers of a trace's noise inputs that the lowered program reads (`id`: trace id → program id). */
export function noiseBuffers(noise: readonly { id: number }[], program: Program, buffers: readonly (Float64Array | undefined)[], id: (traced: number) => number): NoiseBuffer[] {
  return noise.flatMap(({ id: n }) => {
    const node = program.nodes[id(n)]!;
    const b = buffers[id(n)];
    return b && node.op === 'noise' ? [{ buffer: b, kind: node.kind }] : [];
  });
}

/** Fresh noise in every buffer from the fit's stream, in order (the same seed, the same draws). */
export function fillNoise(noise: readonly NoiseBuffer[], rng: Rng): void {
  for (const { buffer, kind } of noise) {
    if (kind === 'normal') for (let i = 0; i < buffer.length; i++) buffer[i] = rng.normal();
    else for (let i = 0; i < buffer.length; i++) buffer[i] = rng.uniform();
  }
}

export class JsStep {
  /** The fit's parameters (slot 0's buffer). */
  readonly params: Float64Array;
  /** The gradient of the loss w.r.t. `params` at the last evaluation. */
  readonly grad: Float64Array;
  readonly lowered: LoweredJs;
  private readonly loss: Float64Array;
  private readonly value: Float64Array;
  private readonly noise: NoiseBuffer[];
  /** The buffer of each of the trace's noise inputs, in the order drawn (undefined where unused). */
  private readonly noiseAt: (Float64Array | undefined)[];
  /** Buffers of the inputs given at each run, by key. */
  private readonly inputs: Map<string, Float64Array>;
  /** Node counts: after reverse mode, after simplification, and computed per step. */
  readonly nodes: { before: number; after: number; live: number };
  private readonly optimisers: Optimiser[];
  /** Per state slot: its buffer and the buffer of its value after a step. */
  private readonly carry: { to: Float64Array; from: Float64Array }[];

  constructor(
    trace: Trace,
    slots: readonly SlotUpdate[],
    private readonly rng: Rng,
    /** The differentiated program (computed here when not given: a caller choosing between lowerings has it). */
    s: StepProgram = stepProgram(trace),
  ) {
    if (slots.length !== trace.params.length) throw new Error(`internal: ${slots.length} update rules for ${trace.params.length} parameter slots`);
    const { id, program, grads } = s;
    this.lowered = lowerJs(program, stepOutputs(s));
    this.nodes = { before: s.before, after: s.after, live: this.lowered.liveNodes };
    const buf = (k: number) => {
      const b = this.lowered.buffers[k];
      if (!b) throw new Error(`internal: node ${k} has no buffer`);
      return b;
    };
    this.optimisers = trace.params.map((p, k) => new Optimiser(buf(id(p)), buf(grads[k]!), slots[k]!.rule, slots[k]!.lr));
    this.params = this.optimisers[0]!.p;
    this.grad = this.optimisers[0]!.g;
    this.loss = buf(id(trace.loss));
    this.value = buf(id(trace.value));
    // Noise the loss does not use has no buffer and is not drawn; the trace's draws stay listed (for tracedNoise).
    this.noiseAt = trace.noise.map(({ id: n }) => this.lowered.buffers[id(n)]);
    this.noise = noiseBuffers(trace.noise, program, this.lowered.buffers, id);
    this.inputs = new Map();
    for (const i of trace.inputs) {
      const b = this.lowered.buffers[id(i.id)];
      if (b) this.inputs.set(i.key, b);
    }
    this.carry = [];
    for (const st of trace.state) {
      const to = this.lowered.buffers[id(st.id)];
      if (!to) continue;
      to.set(st.init);
      if (st.update !== st.id) this.carry.push({ to, from: buf(id(st.update)) });
    }
  }

  /** Puts the values the trace drew and was given into the noise and other inputs (to check the lowering against the trace). */
  useTracedNoise(trace: Trace): void {
    trace.noise.forEach((n, k) => this.noiseAt[k]?.set(n.values));
    for (const i of trace.inputs) this.inputs.get(i.key)?.set(i.values);
  }

  /** Gives the input `key` its values for the next runs (a minibatch's indices); unknown or unused keys are ignored. */
  setInput(key: string, values: ArrayLike<number>): void {
    this.inputs.get(key)?.set(values);
  }

  /** The buffer of parameter slot k (1, 2, …: the extra Variables the trace was given). */
  slot(k: number): Float64Array {
    return this.optimisers[k]!.p;
  }

  /** The learning rate of the fit's parameters (slot 0). */
  setLearningRate(lr: number): void {
    this.optimisers[0]!.lr = lr;
  }

  /** Fills the noise inputs with a fresh draw. */
  draw(): void {
    fillNoise(this.noise, this.rng);
  }

  /** The loss and its gradients at the current parameters, noise and state (the state is not advanced). */
  evaluate(): number {
    this.lowered.run();
    return this.loss[0]!;
  }

  /** A gradient estimate without an update: fresh noise, loss and gradients, the state carried on (baselines learn as in a step). */
  estimate(): number {
    this.draw();
    this.evaluate();
    for (const c of this.carry) c.to.set(c.from);
    return this.value[0]!;
  }

  /** One step: fresh noise, loss and gradients, every slot's update, the state carried on. Returns the reported value (−ELBO) before the update. */
  step(): number {
    this.draw();
    this.evaluate();
    const value = this.value[0]!;
    for (const o of this.optimisers) o.update();
    for (const c of this.carry) c.to.set(c.from);
    return value;
  }
}
