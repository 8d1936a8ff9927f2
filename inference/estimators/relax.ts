// RELAX (Grathwohl et al. 2018) for Bernoulli and Categorical sites, with the
// REBAR surrogate as its special case and concrete as a biased relative. The
// maths is DESIGN.md's and shared/RELAX.md's: relaxed sample z from noise u, the
// hard value b = H(z), the conditional sample z̃ ~ p(z | b) from noise v, and the
// surrogate c_φ(z) = η·f(σ(z/λ)) + r_ρ(z) whose parameters φ = (log λ, η, ρ) are
// trained on the gradient of the estimator's square (second-order autodiff).
// Only ops of the second-order-safe table (ops.ts) appear here.

import { tf } from '../backend.js';
import * as ops from '../ops.js';
import type { Rng } from '../rng.js';
import { logAddExp } from '../special.js';
import { Soft } from '../values.js';
import { uniformNoise as uniformNoiseRaw } from '../noise.js';

const EPS = 1e-6;

/** Uniform noise kept away from 0 and 1 (float32: 1 − 1e-8 == 1). */
export function uniformNoise(shape: number[], seed: number): tf.Tensor {
  return tf.clipByValue(uniformNoiseRaw(shape, seed), EPS, 1 - EPS);
}

export type RelaxFamily = 'Bernoulli' | 'Categorical';

/** RELAX, concrete and enumeration have the maths of these two families only; the plan never sends them another. */
export function relaxFamily(name: string): RelaxFamily {
  if (name === 'Bernoulli' || name === 'Categorical') return name;
  throw new Error(`RELAX needs a Bernoulli or Categorical site, not ${name}`);
}

/** The shape of one event's noise: per particle and element, and per category for a Categorical. */
export function noiseShape(family: RelaxFamily, S: number, shape: number[], logits: tf.Tensor): number[] {
  return [S, ...shape, ...(family === 'Categorical' ? [logits.shape[logits.rank - 1]!] : [])];
}

/** z = ℓ + log u − log(1 − u) (Bernoulli) or log softmax(ℓ) − log(−log u) (Gumbel, Categorical). */
export function relaxedSample(family: RelaxFamily, logits: tf.Tensor, u: tf.Tensor): tf.Tensor {
  if (family === 'Bernoulli') return tf.add(logits, tf.sub(tf.log(u), tf.log1p(tf.neg(u))));
  return tf.sub(ops.logSoftmax(logits, -1), tf.log(tf.neg(tf.log(u))));
}

/** b = H(z): 1[z > 0], or argmax z as an index. No gradient. */
export function hardValue(family: RelaxFamily, z: tf.Tensor): tf.Tensor {
  if (family === 'Bernoulli') return tf.cast(tf.greater(ops.detach(z), 0), 'float32');
  return tf.cast(tf.argMax(ops.detach(z), -1), 'float32');
}

/**
 * z̃ ~ p(z | b, ℓ) from noise v, in the float32-stable forms of RELAX.md §1.2 and §2:
 * b = 1: softplus(ℓ + log v) − log(1 − v); b = 0: log v − softplus(log(1 − v) − ℓ).
 * Categorical: z̃_b = −log(−log v_b), z̃_k = −logaddexp(log(−log v_k) − log θ_k, log(−log v_b)).
 */
export function conditionalSample(family: RelaxFamily, logits: tf.Tensor, b: tf.Tensor, v: tf.Tensor): tf.Tensor {
  if (family === 'Bernoulli') {
    const logV = tf.log(v);
    const log1mV = tf.log1p(tf.neg(v));
    const one = tf.sub(ops.softplus(tf.add(logits, logV)), log1mV);
    const zero = tf.sub(logV, ops.softplus(tf.sub(log1mV, logits)));
    return tf.add(tf.mul(b, one), tf.mul(tf.sub(1, b), zero));
  }
  const K = v.shape[v.rank - 1]!;
  const onehot = tf.oneHot(tf.cast(b, 'int32'), K).toFloat();
  const logNegLogV = tf.log(tf.neg(tf.log(v)));
  // −log v_b broadcast along the categories.
  const logNegLogVb = tf.sum(tf.mul(onehot, logNegLogV), -1, true);
  const a = tf.sub(logNegLogV, ops.logSoftmax(logits, -1));
  // tfjs's Maximum gradient does not reduce over broadcast axes: give both sides one shape.
  const others = tf.neg(logAddExp(a, tf.broadcastTo(logNegLogVb, a.shape)));
  const top = tf.neg(logNegLogVb);
  return tf.add(tf.mul(onehot, top), tf.mul(tf.sub(1, onehot), others));
}

/** The relaxation σ(z/λ) (as weights [1 − s, s]) or softmax(z/λ), as a relaxed value. */
export function relax(family: RelaxFamily, z: tf.Tensor, lambda: tf.Tensor): Soft {
  const scaled = tf.div(z, lambda);
  if (family === 'Bernoulli') {
    const s = ops.sigmoid(scaled);
    return Soft.bernoulli(s);
  }
  return new Soft(ops.softmax(scaled, -1));
}

/** ∂/∂ℓ log p(b | ℓ): b − σ(ℓ), or onehot(b) − softmax(ℓ). */
export function score(family: RelaxFamily, logits: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (family === 'Bernoulli') return tf.sub(b, ops.sigmoid(logits));
  const K = logits.shape[logits.rank - 1]!;
  return tf.sub(tf.oneHot(tf.cast(b, 'int32'), K).toFloat(), ops.softmax(logits, -1));
}

/** One step's reading of a surrogate's parameters: the temperature λ, the scale η and the network r_ρ. */
export interface SurrogateView {
  lambda: tf.Tensor;
  eta: tf.Tensor;
  /** r_ρ over the raw relaxed sample, one output per particle (and plate entry when `plated`): input [S, (n,) R]. */
  r(z: tf.Tensor, plated: boolean): tf.Tensor;
}

/**
 * The surrogate's parameters for one site — log λ, η and a small tanh MLP — in one Variable.
 * tfjs's optimisers run a dozen kernels per Variable per step whatever its size, so six
 * Variables cost a RELAX step ~90 kernels where one costs ~18; Adam is elementwise, so the
 * updates are the same numbers.
 */
export class Surrogate {
  readonly phi: tf.Variable;
  /** Sizes of log λ, η, w1 [R, H], b1 [H], w2 [H, 1], b2 [1] in `phi` (the last four without the network). */
  private readonly sizes: number[];

  constructor(
    readonly name: string,
    /** Width of the network's input: raw relaxed components per particle (and plate entry). */
    readonly inputs: number,
    /** REBAR: c = η·f(σ_λ(z)) only, no learned network. */
    readonly withNet: boolean,
    rng: Rng,
    readonly hidden = 16,
  ) {
    const H = hidden;
    const R = inputs;
    this.sizes = withNet ? [1, 1, R * H, H, H, 1] : [1, 1];
    const init = new Float32Array(this.sizes.reduce((a, b) => a + b, 0));
    init[0] = Math.log(0.5);
    init[1] = 1;
    if (withNet) {
      // Glorot-uniform input weights; output weights start at zero so RELAX starts as REBAR.
      const a = Math.sqrt(6 / (R + H));
      for (let i = 0; i < R * H; i++) init[2 + i] = (2 * rng.uniform() - 1) * a;
    }
    this.phi = tf.variable(tf.tensor1d(init), true, `tilde/relax/${name}/phi`);
  }

  /** Where each part of φ lies in the Variable: [offset, size]. */
  get parts(): Record<string, [number, number]> {
    const names = ['loglambda', 'eta', 'w1', 'b1', 'w2', 'b2'];
    let at = 0;
    return Object.fromEntries(this.sizes.map((n, i) => [names[i]!, [(at += n) - n, n]]));
  }

  /** This step's views of φ: one split, shared by both relaxed passes. */
  view(): SurrogateView {
    const parts = tf.split(this.phi, this.sizes);
    const lambda = ops.exp(tf.reshape(parts[0]!, []));
    const eta = tf.reshape(parts[1]!, []);
    const H = this.hidden;
    const net = this.withNet ? { w1: tf.reshape(parts[2]!, [this.inputs, H]), b1: parts[3]!, w2: tf.reshape(parts[4]!, [H, 1]), b2: parts[5]! } : undefined;
    return {
      lambda,
      eta,
      r: (z, plated) => {
        const lead = plated ? z.shape.slice(0, 2) : [z.shape[0]!];
        if (!net) return tf.zeros(lead);
        const x = z.reshape([lead.reduce((a, b) => a * b, 1), -1]);
        // z is scaled into tanh's responsive range: logistic samples are O(|ℓ| + 10).
        const h = ops.tanh(tf.add(tf.matMul(tf.div(x, 4), net.w1), net.b1));
        return tf.add(tf.matMul(h, net.w2), net.b2).reshape(lead);
      },
    };
  }

  dispose(): void {
    this.phi.dispose();
  }
}
