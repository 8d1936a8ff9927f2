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

const EPS = 1e-6;

/** Uniform noise kept away from 0 and 1 (float32: 1 − 1e-8 == 1). */
export function uniformNoise(shape: number[], seed: number): tf.Tensor {
  return tf.clipByValue(tf.randomUniform(shape, 0, 1, 'float32', seed), EPS, 1 - EPS);
}

export type RelaxFamily = 'Bernoulli' | 'Categorical';

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

/** The surrogate's parameters for one site: temperature, scale and a small tanh MLP. */
export class Surrogate {
  readonly logLambda: tf.Variable;
  readonly eta: tf.Variable;
  private net?: { w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable };

  constructor(
    readonly name: string,
    /** REBAR: c = η·f(σ_λ(z)) only, no learned network. */
    readonly withNet: boolean,
    private readonly rng: Rng,
    readonly hidden = 16,
  ) {
    this.logLambda = tf.variable(tf.scalar(Math.log(0.5)), true, `tilde/relax/${name}/loglambda`);
    this.eta = tf.variable(tf.scalar(1), true, `tilde/relax/${name}/eta`);
  }

  lambda(): tf.Tensor {
    return ops.exp(this.logLambda);
  }

  variables(): tf.Variable[] {
    const n = this.net;
    return [this.logLambda, this.eta, ...(n ? [n.w1, n.b1, n.w2, n.b2] : [])];
  }

  /**
   * r_ρ over the raw relaxed sample, one output per particle (and plate entry when
   * `plated`): input [S, (n,) R]. Output weights start at zero so RELAX starts as REBAR.
   */
  r(z: tf.Tensor, plated: boolean): tf.Tensor {
    if (!this.withNet) return tf.zeros(plated ? z.shape.slice(0, 2) : [z.shape[0]!]);
    const lead = plated ? z.shape.slice(0, 2) : [z.shape[0]!];
    const x = z.reshape([lead.reduce((a, b) => a * b, 1), -1]);
    const R = x.shape[1]!;
    if (!this.net) {
      const a = Math.sqrt(6 / (R + this.hidden));
      const w1 = Float32Array.from({ length: R * this.hidden }, () => (2 * this.rng.uniform() - 1) * a);
      this.net = {
        w1: tf.variable(tf.tensor2d(w1, [R, this.hidden]), true, `tilde/relax/${this.name}/w1`),
        b1: tf.variable(tf.zeros([this.hidden]), true, `tilde/relax/${this.name}/b1`),
        w2: tf.variable(tf.zeros([this.hidden, 1]), true, `tilde/relax/${this.name}/w2`),
        b2: tf.variable(tf.zeros([1]), true, `tilde/relax/${this.name}/b2`),
      };
    }
    const n = this.net;
    // z is scaled into tanh's responsive range: logistic samples are O(|ℓ| + 10).
    const h = ops.tanh(tf.add(tf.matMul(tf.div(x, 4), n.w1), n.b1));
    return tf.add(tf.matMul(h, n.w2), n.b2).reshape(lead);
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}
