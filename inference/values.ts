// How the engine represents a value while it runs a program.
//
// A value is either a JS number (a constant known before inference: literals,
// loop variables, scalar data; folding them keeps loop bounds and indices out of
// tfjs) or a tensor whose FIRST axis is the particle axis, of size S (it varies
// between Monte Carlo particles) or 1 (it does not: data, params). The remaining
// axes are the value's logical shape as the checker sees it. Broadcasting aligns
// logical shapes from the right, never mixing the particle axis into them.

import { tf } from './backend.js';

/**
 * A relaxed discrete value (RELAX's and concrete's σ(z/λ) or softmax(z/λ)): weights
 * over the K categories in a trailing axis (Bernoulli has K = 2). Used as an index it
 * gathers by a weighted sum, the one-hot product of DESIGN.md, so a relaxed index
 * stays differentiable; anywhere else it stands for its expected value Σₖ k·wₖ.
 */
export class Soft {
  /** A Bernoulli's relaxed value kept as its probability of 1: the two weights (1 − p, p) are built only when a gather needs them. */
  private p?: tf.Tensor;
  constructor(private readonly w?: tf.Tensor) {}
  static bernoulli(p: tf.Tensor): Soft {
    const s = new Soft();
    s.p = p;
    return s;
  }
  /** The weights, [P, ...shape, K] (for a Bernoulli kept as p, stacked anew on each call). */
  get weights(): tf.Tensor {
    return this.w ?? tf.stack([tf.sub(1, this.p!), this.p!], -1);
  }
  /** The weights' shape, without building them. */
  get shape(): number[] {
    return this.w ? this.w.shape : [...this.p!.shape, 2];
  }
  get k(): number {
    return this.w ? this.w.shape[this.w.rank - 1]! : 2;
  }
  /** Σₖ k·wₖ, shape [P, ...shape]. */
  expected(): tf.Tensor {
    if (this.p) return this.p;
    const w = this.w!;
    if (this.k === 2) return tf.squeeze(tf.slice(w, Array(w.rank).fill(0).map((_, i) => (i === w.rank - 1 ? 1 : 0)), [...w.shape.slice(0, -1), 1]), [w.rank - 1]);
    return tf.sum(tf.mul(w, tf.range(0, this.k, 1, 'float32')), -1);
  }
}

export type Val = number | tf.Tensor | Soft;

export function isConst(v: Val): v is number {
  return typeof v === 'number';
}

/** A number becomes a tensor of shape [1] (one particle, logical scalar); a relaxed value its expectation. */
export function toTensor(v: Val): tf.Tensor {
  if (typeof v === 'number') return tf.tensor1d([v], 'float32');
  return v instanceof Soft ? v.expected() : v;
}

/** Numbers stay constants (they fold); relaxed values become tensors. */
export function hard(v: Val): number | tf.Tensor {
  return v instanceof Soft ? v.expected() : v;
}

export function logicalShape(v: Val): number[] {
  if (typeof v === 'number') return [];
  return v instanceof Soft ? v.shape.slice(1, -1) : v.shape.slice(1);
}

export function logicalRank(v: Val): number {
  return logicalShape(v).length;
}


/** Insert unit axes after the particle axis so `t` has logical rank `rank`. */
export function padRank(t: tf.Tensor, rank: number): tf.Tensor {
  const have = t.rank - 1;
  if (have >= rank) return t;
  return t.reshape([t.shape[0]!, ...new Array<number>(rank - have).fill(1), ...t.shape.slice(1)]);
}

/** Both operands as tensors with equal logical rank, ready for tfjs broadcasting. */
export function aligned(a: Val, b: Val): [tf.Tensor, tf.Tensor] {
  const ta = toTensor(a);
  const tb = toTensor(b);
  const r = Math.max(ta.rank, tb.rank) - 1;
  return [padRank(ta, r), padRank(tb, r)];
}

/** Sum over every logical axis: one number per particle, shape [P]. */
export function sumLogical(t: tf.Tensor): tf.Tensor {
  return t.rank <= 1 ? t : t.sum(Array.from({ length: t.rank - 1 }, (_, i) => i + 1));
}
