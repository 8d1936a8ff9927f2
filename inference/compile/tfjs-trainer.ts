// The fit loop's trainer (fit.ts's Trainer) on the tfjs lowering of the compiled
// step: js-trainer.ts's bookkeeping — iterate averaging, the gradient-variance
// diagnostic, a minibatch's inputs each step — over tensors, so a step reads
// nothing back; the losses of a window come back in one transfer.

import type * as TF from '@tensorflow/tfjs';
import { tfjs as tf } from '../tfjs.js';
import { TRACK_EVERY, type Trainer } from '../fit.js';
import type { TfjsStep } from './step-tfjs.js';

export class TfjsTrainer implements Trainer {
  private pending: TF.Tensor[] = [];
  private avg?: TF.Tensor;
  private avgCount = 0;
  private moments?: { m1: TF.Tensor; m2: TF.Tensor };
  private steps = 0;
  /** The gradient variance read when the trainer was disposed (the fit reports it after its loop). */
  private variance?: Float32Array;

  constructor(
    private readonly step_: TfjsStep,
    private readonly feed?: () => Map<string, ArrayLike<number>>,
  ) {}

  step(): void {
    if (this.feed) for (const [key, values] of this.feed()) this.step_.setInput(key, values);
    this.pending.push(this.step_.step());
    if (++this.steps % TRACK_EVERY === 0) this.track();
  }

  async takeLosses(): Promise<ArrayLike<number>> {
    if (!this.pending.length) return [];
    const stacked = tf.stack(this.pending);
    const values = await stacked.data();
    stacked.dispose();
    this.pending.forEach((t) => t.dispose());
    this.pending = [];
    return values;
  }

  snapshot(): Float32Array {
    return Float32Array.from(this.step_.slot(0));
  }

  setLearningRate(lr: number): void {
    this.step_.setLearningRate(lr);
  }

  startAverage(): void {
    this.avg?.dispose();
    this.avg = tf.clone(this.step_.slotTensor(0));
    this.avgCount = 0;
  }

  accumulate(): void {
    const a = this.avg!;
    this.avgCount++;
    const k = this.avgCount;
    this.avg = tf.tidy(() => tf.add(a, tf.div(tf.sub(this.step_.slotTensor(0), a), tf.scalar(k))));
    a.dispose();
  }

  async final(): Promise<Float32Array> {
    const t = this.avg && this.avgCount > 0 ? this.avg : this.step_.slotTensor(0);
    return Float32Array.from(await t.data());
  }

  /** Running moments of the gradient, decay 0.99 per step, kept as tensors (read only at the end). */
  private track(): void {
    const g = this.step_.gradTensor();
    if (!g) return;
    const beta = 0.99 ** TRACK_EVERY;
    if (!this.moments) {
      this.moments = { m1: tf.clone(g), m2: tf.square(g) };
      return;
    }
    const { m1, m2 } = this.moments;
    this.moments = tf.tidy(() => ({
      m1: tf.add(tf.mul(m1, tf.scalar(beta)), tf.mul(g, tf.scalar(1 - beta))),
      m2: tf.add(tf.mul(m2, tf.scalar(beta)), tf.mul(tf.square(g), tf.scalar(1 - beta))),
    }));
    m1.dispose();
    m2.dispose();
  }

  /** Per-element running gradient variance E[g²] − E[g]², or undefined before the first tracked step. */
  gradientVariance(): Float32Array | undefined {
    if (this.variance) return this.variance;
    if (!this.moments) return undefined;
    const { m1, m2 } = this.moments;
    // Read outside the tidy: tidy walks a returned typed array index by index.
    const v = tf.tidy(() => tf.relu(tf.sub(m2, tf.square(m1))));
    const values = v.dataSync() as Float32Array;
    v.dispose();
    return values;
  }

  dispose(): void {
    this.variance = this.gradientVariance();
    this.pending.forEach((t) => t.dispose());
    this.pending = [];
    this.avg?.dispose();
    this.avg = undefined;
    this.moments?.m1.dispose();
    this.moments?.m2.dispose();
    this.moments = undefined;
    this.step_.dispose();
  }
}
