// Multivariate normals: the last dimension of a value is the event (K), leading ones
// batch, as for Dirichlet. Both go through the lower Cholesky factor L of the covariance:
// log p(x) = −½|L⁻¹(x − μ)|² − Σ log Lᵢᵢ − (K/2) log 2π, and x = μ + L ε with ε ~ N(0, I)
// is the reparameterised draw.
import { tf } from '../backend.js';
import { cholesky, diagonal, matVec, solveLowerVector } from '../linalg.js';
import { normalNoise } from '../noise.js';
import { expand, LOG_2PI, param } from './common.js';
import { tidy } from './continuous.js';
import type { Distribution, Params } from './types.js';

type T = tf.Tensor;

/** Keeps the lower triangle of [..., K, K] (what a Cholesky factor is read as). */
function lowerTriangle(l: T): T {
  const k = l.shape[l.rank - 1]!;
  const mask = Array.from({ length: k * k }, (_, i) => (i % k <= Math.floor(i / k) ? 1 : 0));
  return tf.mul(l, tf.tensor2d(mask, [k, k], 'float32'));
}

function gaussian(family: string, loc: () => T, factor: () => T): Distribution {
  const rsample = (shape: number[], seed: number): T => {
    const eps = normalNoise(shape, seed);
    return tf.add(expand(loc(), shape), matVec(factor(), eps));
  };
  return tidy({
    family,
    logProb(x) {
      const l = factor();
      const k = l.shape[l.rank - 1]!;
      const z = solveLowerVector(l, tf.sub(x, loc()));
      const half = tf.mul(-0.5, tf.sum(tf.square(z), -1));
      return tf.sub(half, tf.add(tf.sum(tf.log(diagonal(l)), -1), 0.5 * k * LOG_2PI));
    },
    sample: rsample,
    rsample,
    mean: () => {
      const l = factor();
      return tf.add(loc(), tf.zeros(l.shape.slice(0, -1)));
    },
  });
}

export function multiNormal(params: Params): Distribution {
  const f = 'MultiNormal';
  return gaussian(f, () => param(params, 'loc', f), () => cholesky(param(params, 'cov', f)));
}

export function multiNormalCholesky(params: Params): Distribution {
  const f = 'MultiNormalCholesky';
  return gaussian(f, () => param(params, 'loc', f), () => lowerTriangle(param(params, 'scale_tril', f)));
}
