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

export class JsStep {
  /** The parameters being optimised (the program's param buffer). */
  readonly params: Float64Array;
  /** The gradient of the loss at the last evaluation. */
  readonly grad: Float64Array;
  readonly lowered: LoweredJs;
  private readonly loss: Float64Array;
  private readonly noise: { buffer: Float64Array; kind: 'normal' | 'uniform' }[];
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  private lr: number;

  constructor(
    trace: Trace,
    private readonly rule: UpdateRule,
    lr: number,
    private readonly rng: Rng,
  ) {
    this.lr = lr;
    const { program, grads } = grad(trace.program, trace.loss, [trace.param]);
    this.lowered = lowerJs(program, [trace.loss, grads[0]!]);
    const buf = (id: number) => {
      const b = this.lowered.buffers[id];
      if (!b) throw new Error(`internal: node ${id} has no buffer`);
      return b;
    };
    this.params = buf(trace.param);
    this.grad = buf(grads[0]!);
    this.loss = buf(trace.loss);
    // Noise the loss does not use has no buffer and is not drawn.
    this.noise = trace.noise.flatMap(({ id }) => {
      const n = program.nodes[id]!;
      const b = this.lowered.buffers[id];
      return b && n.op === 'noise' ? [{ buffer: b, kind: n.kind }] : [];
    });
    const P = sizeOf(program.nodes[trace.param]!.shape);
    this.m = new Float64Array(P);
    this.v = new Float64Array(P);
  }

  setLearningRate(lr: number): void {
    this.lr = lr;
  }

  /** Fills the noise inputs with a fresh draw. */
  draw(): void {
    for (const { buffer, kind } of this.noise) {
      if (kind === 'normal') for (let i = 0; i < buffer.length; i++) buffer[i] = this.rng.normal();
      else for (let i = 0; i < buffer.length; i++) buffer[i] = this.rng.uniform();
    }
  }

  /** The loss and its gradient (in `grad`) at the current parameters and noise. */
  evaluate(): number {
    this.lowered.run();
    return this.loss[0]!;
  }

  /** One step: fresh noise, loss and gradient, update. Returns the loss before the update. */
  step(): number {
    this.draw();
    const value = this.evaluate();
    this.update();
    return value;
  }

  private update(): void {
    const { params: p, grad: g, m, v, lr } = this;
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
