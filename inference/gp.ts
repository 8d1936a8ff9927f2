// Gaussian-process covariance functions with Stan's definitions. Inputs are
// particle-batched (values.ts): points x [P, N] (1-D inputs) or [P, N, D] (rows are
// points), hyperparameters scalars [P] or numbers. Results are [P, N1, N2].
import { tf } from './backend.js';
import { padRank, toTensor } from './values.js';

type T = tf.Tensor;
type Val = number | tf.Tensor;

export type Kernel = 'exp_quad' | 'matern32' | 'matern52' | 'exponential' | 'periodic';

/** Squared Euclidean distances between the points of x1 [P, N1(, D)] and x2 [P, N2(, D)] → [P, N1, N2]. */
function squaredDistances(x1: T, x2: T): T {
  const lift = (x: T): T => (x.rank === 2 ? tf.expandDims(x, -1) : x); // 1-D inputs as D = 1
  const a = tf.expandDims(lift(x1), 2); // [P, N1, 1, D]
  const b = tf.expandDims(lift(x2), 1); // [P, 1, N2, D]
  return tf.sum(tf.square(tf.sub(a, b)), -1);
}

/**
 * |x − x'| with a derivative that stays finite where the distance is 0 (the diagonal of
 * K(x, x)): √ is taken of 1 there and the result masked, so no ∞·0 reaches a gradient.
 */
function distances(d2: T): T {
  const positive = tf.greater(d2, 0);
  return tf.where(positive, tf.sqrt(tf.where(positive, d2, tf.onesLike(d2))), tf.zerosLike(d2));
}

/** A scalar hyperparameter as [P, 1, 1], broadcasting against [P, N1, N2]. */
function scalar(v: Val): T {
  return padRank(toTensor(v), 2);
}

/** k(x1, x2) for the named kernel; `extra` holds the periodic kernel's period. */
export function covariance(kernel: Kernel, x1: Val, x2: Val, alpha: Val, rho: Val, period?: Val): T {
  const d2 = squaredDistances(toTensor(x1), toTensor(x2));
  const a2 = tf.square(scalar(alpha));
  const r = scalar(rho);
  switch (kernel) {
    case 'exp_quad':
      return tf.mul(a2, tf.exp(tf.div(d2, tf.mul(-2, tf.square(r)))));
    case 'exponential':
      return tf.mul(a2, tf.exp(tf.neg(tf.div(distances(d2), r))));
    case 'matern32': {
      const s = tf.div(tf.mul(Math.sqrt(3), distances(d2)), r);
      return tf.mul(a2, tf.mul(tf.add(1, s), tf.exp(tf.neg(s))));
    }
    case 'matern52': {
      const s = tf.div(tf.mul(Math.sqrt(5), distances(d2)), r);
      const poly = tf.add(tf.add(1, s), tf.div(tf.square(s), 3));
      return tf.mul(a2, tf.mul(poly, tf.exp(tf.neg(s))));
    }
    case 'periodic': {
      const sine = tf.sin(tf.div(tf.mul(Math.PI, distances(d2)), scalar(period!)));
      return tf.mul(a2, tf.exp(tf.div(tf.mul(-2, tf.square(sine)), tf.square(r))));
    }
  }
}
