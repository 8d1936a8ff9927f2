// The fit loop's trainer (fit.ts's Trainer) on the compiled JavaScript step: the
// parameters, the iterate average and the gradient moments are Float64Arrays,
// and a step touches no tfjs tensor.

import { TRACK_EVERY, type Trainer } from '../fit.js';
import type { JsStep } from './step-js.js';

export class JsTrainer implements Trainer {
  private losses: number[] = [];
  private avg?: Float64Array;
  private avgCount = 0;
  private moments?: { m1: Float64Array; m2: Float64Array };
  private steps = 0;

  /** `feed`: the inputs of the next step by key (a new minibatch's index arrays), when the step takes any. */
  constructor(
    private readonly js: JsStep,
    private readonly feed?: () => Map<string, ArrayLike<number>>,
  ) {}

  step(): void {
    if (this.feed) for (const [key, values] of this.feed()) this.js.setInput(key, values);
    this.losses.push(this.js.step());
    if (++this.steps % TRACK_EVERY === 0) this.track();
  }

  async takeLosses(): Promise<ArrayLike<number>> {
    const out = this.losses;
    this.losses = [];
    return out;
  }

  snapshot(): Float32Array {
    return Float32Array.from(this.js.params);
  }

  setLearningRate(lr: number): void {
    this.js.setLearningRate(lr);
  }

  startAverage(): void {
    this.avg = Float64Array.from(this.js.params);
    this.avgCount = 0;
  }

  accumulate(): void {
    const a = this.avg!;
    const p = this.js.params;
    this.avgCount++;
    for (let i = 0; i < a.length; i++) a[i]! += (p[i]! - a[i]!) / this.avgCount;
  }

  async final(): Promise<Float32Array> {
    return Float32Array.from(this.avg && this.avgCount > 0 ? this.avg : this.js.params);
  }

  /** Running moments of the gradient (the fit's gradient-variance diagnostic), decay 0.99 per step. */
  private track(): void {
    const g = this.js.grad;
    const beta = 0.99 ** TRACK_EVERY;
    if (!this.moments) {
      this.moments = { m1: Float64Array.from(g), m2: Float64Array.from(g, (x) => x * x) };
      return;
    }
    const { m1, m2 } = this.moments;
    for (let i = 0; i < g.length; i++) {
      m1[i] = m1[i]! * beta + g[i]! * (1 - beta);
      m2[i] = m2[i]! * beta + g[i]! * g[i]! * (1 - beta);
    }
  }

  /** Per-element running gradient variance E[g²] − E[g]², or undefined before the first tracked step. */
  gradientVariance(): Float32Array | undefined {
    if (!this.moments) return undefined;
    const { m1, m2 } = this.moments;
    return Float32Array.from(m1, (m, i) => Math.max(0, m2[i]! - m * m));
  }

  dispose(): void {
    this.losses = [];
  }
}
