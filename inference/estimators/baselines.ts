// Baselines for score-function signals, kept per site and per plate entry.
// Leave-one-out over particles when S ≥ 2 (RLOO); otherwise an exponential moving
// average, warm-started at the first observed signal (DESIGN.md: starting from 0
// leaves the RELAX toy far from its optimum).

import { tf } from '../backend.js';

export type BaselineKind = 'loo' | 'ema' | 'none';

/** Each particle's baseline is the mean of the other particles' signals, per entry. */
export function leaveOneOut(f: tf.Tensor): tf.Tensor {
  const S = f.shape[0]!;
  if (S < 2) return tf.zerosLike(f);
  return tf.div(tf.sub(tf.sum(f, 0, true), f), S - 1);
}

/** A moving average of a site's signal (mean over particles), one entry per plate index. */
export class EmaBaseline {
  private state?: tf.Variable;

  constructor(readonly decay = 0.9) {}

  /** The baseline for this step (before the update), shaped like one particle's signal. */
  value(f: tf.Tensor): tf.Tensor {
    return this.state ? this.state : tf.mean(f, 0, true);
  }

  /** Called inside the step's tidy with the step's signal; keeps its own variable. */
  update(f: tf.Tensor): void {
    const m = tf.mean(f, 0, true);
    if (!this.state) {
      this.state = tf.variable(m, false);
      return;
    }
    this.state.assign(tf.add(tf.mul(this.state, this.decay), tf.mul(m, 1 - this.decay)));
  }

  dispose(): void {
    this.state?.dispose();
  }
}
