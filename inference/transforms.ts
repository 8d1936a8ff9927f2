// Bijectors from unconstrained ℝ^d onto each continuous support, for guides
// that live in unconstrained space. Forward maps and log-Jacobians sit inside
// the ELBO, which RELAX differentiates twice, so they use the op table only.
import type { Support } from '../language/distributions.js';
import type { Constraint } from '../language/types.js';
import { tf } from './backend.js';
import { exp as expOp, log, logSigmoid, sigmoid as sigmoidOp } from './ops.js';
import { logit } from './special.js';
import { MATRIX_BIJECTORS } from './matrix-transforms.js';

type T = tf.Tensor;

export interface Bijector {
  readonly name: string;
  forward(u: T): T;
  inverse(x: T): T;
  /** log |det J| of forward at u, reduced over the event dims (simplex, matrices); shape = batch shape */
  logDetJacobian(u: T): T;
  /** unconstrained size of the last dim for a constrained last dim (simplex: K → K−1; others identity) */
  unconstrainedEventSize?(k: number): number;
}

export const identity: Bijector = {
  name: 'identity',
  forward: (u) => tf.clone(u),
  inverse: (x) => tf.clone(x),
  logDetJacobian: (u) => tf.zerosLike(u),
};

export const exp: Bijector = {
  name: 'exp',
  forward: (u) => expOp(u),
  inverse: (x) => log(x),
  logDetJacobian: (u) => tf.clone(u),
};

/** log σ'(u) = log σ(u) + log σ(−u), finite for any u although σ' underflows. */
function logSigmoidDerivative(u: T): T {
  return tf.add(logSigmoid(u), logSigmoid(tf.neg(u)));
}

export const sigmoid: Bijector = {
  name: 'sigmoid',
  forward: (u) => sigmoidOp(u),
  inverse: (x) => logit(x),
  logDetJacobian: logSigmoidDerivative,
};

export function affineSigmoid(low: T, high: T): Bijector {
  return {
    name: 'affine-sigmoid',
    forward: (u) => tf.add(low, tf.mul(tf.sub(high, low), sigmoidOp(u))),
    inverse: (x) => logit(tf.div(tf.sub(x, low), tf.sub(high, low))),
    logDetJacobian: (u) => tf.add(log(tf.sub(high, low)), logSigmoidDerivative(u)),
  };
}

/** log(K − k) for k = 1 … K−1: centres each break so that u = 0 gives the uniform simplex. */
function stickOffsets(kMinus1: number): T {
  return tf.tensor1d(Array.from({ length: kMinus1 }, (_, i) => Math.log(kMinus1 - i)));
}

/**
 * Stan's stick-breaking: break k takes the fraction zₖ = σ(uₖ − log(K − k))
 * of what is left. Computed in log space, so tiny pieces stay positive.
 */
export const stickBreaking: Bijector = {
  name: 'stick-breaking',
  forward(u) {
    const v = tf.sub(u, stickOffsets(u.shape[u.rank - 1]!));
    const logTaken = logSigmoid(v);
    const logKept = logSigmoid(tf.neg(v));
    // tfjs's cumsum mishandles negative axes, hence rank − 1.
    const logLeft = tf.cumsum(logKept, u.rank - 1, true);
    const last = tf.sum(logKept, -1, true);
    return expOp(tf.concat([tf.add(logTaken, logLeft), last], -1));
  },
  inverse(x) {
    const k = x.shape[x.rank - 1]!;
    const head = tf.slice(x, Array(x.rank).fill(0), [...x.shape.slice(0, -1), k - 1]);
    const left = tf.sub(1, tf.cumsum(head, x.rank - 1, true));
    return tf.add(logit(tf.div(head, left)), stickOffsets(k - 1));
  },
  logDetJacobian(u) {
    // The map onto the first K−1 coordinates is triangular with diagonal
    // zₖ(1 − zₖ)·leftₖ.
    const v = tf.sub(u, stickOffsets(u.shape[u.rank - 1]!));
    const logKept = logSigmoid(tf.neg(v));
    const logLeft = tf.cumsum(logKept, u.rank - 1, true);
    return tf.sum(tf.add(tf.add(logSigmoid(v), logKept), logLeft), -1);
  },
  unconstrainedEventSize: (k) => k - 1,
};

/** Entries start … start + size − 1 of the last dimension. */
function lastSlice(x: T, start: number, size: number): T {
  return tf.slice(x, [...x.shape.slice(0, -1).map(() => 0), start], [...x.shape.slice(0, -1), size]);
}

/**
 * Strictly increasing vectors along the last dimension (Stan's ordered): y₀ = u₀,
 * yₖ = yₖ₋₁ + exp(uₖ). The Jacobian is lower triangular with diagonal 1, e^(u₁), …,
 * so log |det J| = Σₖ₌₁ uₖ. With `positive` the first step is exponentiated too
 * (positive_ordered: y₀ = e^(u₀), log |det J| = Σₖ uₖ).
 */
function orderedBijector(positive: boolean): Bijector {
  const steps = (u: T): T => {
    if (positive) return expOp(u);
    const k = u.shape[u.rank - 1]!;
    return k === 1 ? tf.clone(u) : tf.concat([lastSlice(u, 0, 1), expOp(lastSlice(u, 1, k - 1))], -1);
  };
  return {
    name: positive ? 'positive-ordered' : 'ordered',
    // tfjs's cumsum mishandles negative axes, hence rank − 1.
    forward: (u) => tf.cumsum(steps(u), u.rank - 1),
    inverse(x) {
      const k = x.shape[x.rank - 1]!;
      const head = lastSlice(x, 0, 1);
      const first = positive ? log(head) : head;
      if (k === 1) return first;
      return tf.concat([first, log(tf.sub(lastSlice(x, 1, k - 1), lastSlice(x, 0, k - 1)))], -1);
    },
    logDetJacobian(u) {
      const k = u.shape[u.rank - 1]!;
      if (positive) return tf.sum(u, -1);
      return k === 1 ? tf.sum(tf.zerosLike(u), -1) : tf.sum(lastSlice(u, 1, k - 1), -1);
    },
  };
}

export const ordered: Bijector = orderedBijector(false);
export const positiveOrdered: Bijector = orderedBijector(true);

/** The bijector a declared type imposes when it is narrower than its family's support (ordered within real, positive_ordered within positive). */
export function bijectorForConstraint(c: Constraint): Bijector | undefined {
  if (c === 'ordered') return ordered;
  if (c === 'positive-ordered') return positiveOrdered;
  return undefined;
}

export function bijectorFor(support: Support, args: { low?: T; high?: T } = {}): Bijector {
  switch (support.kind) {
    case 'real':
      return identity;
    case 'positive':
      return exp;
    case 'unit':
      return sigmoid;
    case 'interval':
      if (args.low === undefined || args.high === undefined) {
        throw new Error('an interval support needs low and high to build its bijector');
      }
      return affineSigmoid(args.low, args.high);
    case 'simplex':
      return stickBreaking;
    case 'cholesky_factor_corr':
    case 'cholesky_factor_cov':
    case 'corr_matrix':
    case 'cov_matrix':
      return MATRIX_BIJECTORS[support.kind];
    case 'circular':
      return affineSigmoid(tf.scalar(-Math.PI), tf.scalar(Math.PI));
    default:
      throw new Error(`no bijector for the discrete support '${support.kind}': discrete sites are not transformed`);
  }
}
