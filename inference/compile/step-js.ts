// The step of a fit on the JavaScript lowering: the traced loss and its
// reverse-mode gradient lowered to one generated function over buffers made
// once, fresh noise from the fit's seeded stream, and the optimiser's update,
// all in float64. A step allocates nothing.

import { Rng } from '../rng.js';
import { grad } from './grad.js';
import { sizeOf } from './ir.js';
import { lowerJs, type LoweredJs } from './lower-js.js';
import type { Trace } from './trace.js';

export type UpdateRule = 'adam' | 'sgd' | 'rmsprop';

/** tfjs's defaults for its optimisers (tf.train.adam / rmsprop), so both engines take the same steps. */
const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-7 };
const RMSPROP = { decay: 0.9, eps: 1e-7 };

/** How one parameter slot is updated: the fit's parameters (slot 0) and e.g. RELAX's surrogate. */
export interface SlotUpdate {
  rule: UpdateRule;
  lr: number;
}

class Optimiser {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

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
    this.t++;
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
      const c1 = 1 - beta1 ** this.t;
      const c2 = 1 - beta2 ** this.t;
      for (let i = 0; i < p.length; i++) {
        m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
        v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
        p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
      }
    }
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
  private readonly noise: { buffer: Float64Array; kind: 'normal' | 'uniform' }[];
  private readonly optimisers: Optimiser[];
  /** Per state slot: its buffer and the buffer of its value after a step. */
  private readonly carry: { to: Float64Array; from: Float64Array }[];

  constructor(
    trace: Trace,
    slots: readonly SlotUpdate[],
    private readonly rng: Rng,
  ) {
    if (slots.length !== trace.params.length) throw new Error(`internal: ${slots.length} update rules for ${trace.params.length} parameter slots`);
    const { program, grads } = grad(trace.program, trace.loss, trace.params);
    const updates = trace.state.filter((st) => st.update !== st.id).map((st) => st.update);
    this.lowered = lowerJs(program, [trace.loss, trace.value, ...grads, ...updates]);
    const buf = (id: number) => {
      const b = this.lowered.buffers[id];
      if (!b) throw new Error(`internal: node ${id} has no buffer`);
      return b;
    };
    this.optimisers = trace.params.map((id, k) => new Optimiser(buf(id), buf(grads[k]!), slots[k]!.rule, slots[k]!.lr));
    this.params = this.optimisers[0]!.p;
    this.grad = this.optimisers[0]!.g;
    this.loss = buf(trace.loss);
    this.value = buf(trace.value);
    // Noise the loss does not use has no buffer and is not drawn.
    this.noise = trace.noise.flatMap(({ id }) => {
      const n = program.nodes[id]!;
      const b = this.lowered.buffers[id];
      return b && n.op === 'noise' ? [{ buffer: b, kind: n.kind }] : [];
    });
    this.carry = [];
    for (const st of trace.state) {
      const to = this.lowered.buffers[st.id];
      if (!to) continue;
      to.set(st.init);
      if (st.update !== st.id) this.carry.push({ to, from: buf(st.update) });
    }
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
    for (const { buffer, kind } of this.noise) {
      if (kind === 'normal') for (let i = 0; i < buffer.length; i++) buffer[i] = this.rng.normal();
      else for (let i = 0; i < buffer.length; i++) buffer[i] = this.rng.uniform();
    }
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
