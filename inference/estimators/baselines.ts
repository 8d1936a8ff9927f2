// Baselines for score-function signals, kept per site and per plate entry.
// Leave-one-out over particles when S ≥ 2 (RLOO); otherwise an exponential moving
// average, warm-started at the first observed signal (DESIGN.md: starting from 0
// leaves the RELAX toy far from its optimum).

import { tf } from '../backend.js';
import { BATCH_ROWS } from '../batch.js';
import { traceHooks } from '../compile/hooks.js';
import type { Rng } from '../rng.js';

/** 'nvil': a learned input-dependent baseline per plate entry (NvilBaseline), then leave-one-out or EMA on the residual. */
export type BaselineKind = 'loo' | 'ema' | 'none' | 'nvil';

/** Each particle's baseline is the mean of the other particles' signals, per entry. */
export function leaveOneOut(f: tf.Tensor): tf.Tensor {
  const S = f.shape[0]!;
  if (S < 2) return tf.zerosLike(f);
  return tf.div(tf.sub(tf.sum(f, 0, true), f), S - 1);
}

/** Plate indices of a minibatch, for baselines kept per true plate entry. */
export interface EntryIndex {
  N: number;
  indices: Int32Array;
}

/**
 * A moving average of a site's signal (mean over particles), one entry per plate index.
 * Under a minibatch it is indexed by the true plate index n, not the batch position
 * (DESIGN.md: a per-position EMA ends 18 nats/digit worse on the belief net), and each
 * entry warm-starts at its own first observed signal. An entry not seen yet gets the moving
 * average over all entries: its own current signal would centre it to exactly zero, and on a
 * large data set most entries of the first epoch are unseen.
 */
export class EmaBaseline {
  private state?: tf.Variable;
  /** Under minibatches: which plate entries have been seen (1) or not (0), [1, N]. */
  private seen?: tf.Variable;
  /** Under minibatches: the moving average of the batch-mean signal, for unseen entries. */
  private overall?: tf.Variable;

  constructor(readonly decay = 0.9) {}

  /** The baseline for this step (before the update), shaped like one particle's signal. */
  value(f: tf.Tensor, at?: EntryIndex): tf.Tensor {
    if (at && f.rank === 2) {
      if (!this.state) return tf.mean(f, 0, true);
      const idx = entries(at);
      const fallback = tf.broadcastTo(this.overall!, [1, at.indices.length]);
      return tf.where(tf.greater(tf.gather(this.seen!, idx, 1), 0.5), tf.gather(this.state, idx, 1), fallback);
    }
    return this.state ? this.state : tf.mean(f, 0, true);
  }

  /** Called inside the step's tidy with the step's signal; keeps its own variable. */
  update(f: tf.Tensor, at?: EntryIndex): void {
    const m = tf.mean(f, 0, true);
    if (at && f.rank === 2) {
      const N = at.N;
      if (!this.state) {
        this.state = tf.variable(tf.zeros([1, N]), false);
        this.seen = tf.variable(tf.zeros([1, N]), false);
        this.overall = tf.variable(tf.mean(m).reshape([1, 1]), false);
      } else this.overall!.assign(tf.add(tf.mul(this.overall!, this.decay), tf.mul(tf.mean(m).reshape([1, 1]), 1 - this.decay)));
      // Everything in tensors, the batch's rows an input of a compiled step: a trace keeps no JavaScript copy.
      const idx = entries(at);
      const old = tf.gather(this.state, idx, 1);
      const seen = tf.gather(this.seen!, idx, 1);
      const next = tf.where(tf.greater(seen, 0.5), tf.add(tf.mul(old, this.decay), tf.mul(m, 1 - this.decay)), m);
      // A batch's rows are distinct, so adding the change at them sets them.
      const at1 = idx.expandDims(1);
      this.state.assign(tf.add(this.state, tf.scatterND(at1, tf.sub(next, old).reshape([-1]), [N]).reshape([1, N])));
      this.seen!.assign(tf.add(this.seen!, tf.scatterND(at1, tf.sub(1, seen).reshape([-1]), [N]).reshape([1, N])));
      return;
    }
    if (!this.state) {
      this.state = tf.variable(m, false);
      return;
    }
    this.state.assign(tf.add(tf.mul(this.state, this.decay), tf.mul(m, 1 - this.decay)));
  }

  dispose(): void {
    this.state?.dispose();
    this.seen?.dispose();
    this.overall?.dispose();
  }
}

/** A batch's plate indices as a tensor that a compiled step is given anew at each run. */
function entries(at: EntryIndex): tf.Tensor1D {
  const idx = tf.tensor1d(at.indices, 'int32');
  traceHooks.input?.(idx, BATCH_ROWS);
  return idx;
}

/**
 * NVIL's learned baseline (Mnih & Gregor 2014, §3.3): b_ψ(x_n), a one-hidden-layer tanh network
 * of a plate entry's data rows, fitted by its own Adam to the entry's learning signal by
 * least squares. It is computed before ψ moves, from data alone, so subtracting it leaves the
 * score-function estimator unbiased; what it removes is the part of the signal that the
 * input predicts (a well-explained digit has a much higher log-likelihood than a messy one).
 */
export class NvilBaseline {
  /** ψ = w1 [D, H], b1 [H], w2 [H, 1], b2 [1] in one Variable (an optimiser step costs a dozen kernels per Variable). */
  private readonly psi: tf.Variable;
  private readonly sizes: number[];
  private warm = false;

  constructor(
    readonly inputDim: number,
    rng: Rng,
    readonly hidden = 32,
    /** ψ's Adam learning rate (a compiled step trains ψ as a parameter slot at this rate). */
    readonly lr = 0.01,
  ) {
    const H = hidden;
    this.sizes = [inputDim * H, H, H, 1];
    const init = new Float32Array(inputDim * H + 2 * H + 1);
    const a = Math.sqrt(6 / (inputDim + H));
    for (let i = 0; i < inputDim * H; i++) init[i] = (2 * rng.uniform() - 1) * a;
    // Output weights start at zero and the bias at the first signal's mean: the baseline starts as a warm constant.
    this.psi = tf.variable(tf.tensor1d(init), true);
  }

  /** b_ψ(x) for inputs [n, D], as [1, n]; the first call sets the output bias from the signal f [S, n]. */
  predict(x: tf.Tensor, f: tf.Tensor): tf.Tensor {
    if (!this.warm) {
      this.warm = true;
      tf.tidy(() => this.psi.assign(tf.concat([tf.slice(this.psi, 0, this.psi.size - 1), tf.mean(f).reshape([1])])));
    }
    const [w1, b1, w2, b2] = tf.split(this.psi, this.sizes);
    const h = tf.tanh(tf.add(tf.matMul(x, w1!.reshape([this.inputDim, this.hidden])), b1!));
    return tf.add(tf.matMul(h, w2!.reshape([this.hidden, 1])), b2!).reshape([1, -1]);
  }

  /** ψ, for a compiled step that trains it as a parameter slot of its own. */
  get variable(): tf.Variable {
    return this.psi;
  }

  /** mean (f − b_ψ(x))² with f held constant: what ψ is fitted to. */
  loss(x: tf.Tensor, f: tf.Tensor): tf.Tensor {
    return tf.mean(tf.square(tf.sub(f, this.predict(x, f))));
  }

  dispose(): void {
    this.psi.dispose();
  }
}
