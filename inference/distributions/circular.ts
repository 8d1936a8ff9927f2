// The von Mises distribution on the circle, its values taken in [−π, π].
//
// The support is fixed rather than centred on loc: the automatic guide's bijector
// (an affine sigmoid onto (−π, π)) then does not move with a latent loc, and data
// need no re-wrapping per draw. The density is periodic, so nothing is lost: a
// value x and x ± 2π have the same density, and data outside [−π, π] score −∞.
import { tf } from '../backend.js';
import { constant } from '../ops.js';
import { logBesselI0e } from '../bessel.js';
import { Rng } from '../rng.js';
import { broadcastShapes, expand, param, restrict } from './common.js';
import { tidy } from './continuous.js';
import type { Distribution, Params } from './types.js';

type T = tf.Tensor;

/** Below this concentration a draw is uniform on the circle (the density is flat to 1e-8). */
const FLAT_BELOW = 1e-8;

/**
 * An angle θ in [−π, π] of VonMises(0, κ): Best and Fisher's (1979) wrapped-Cauchy
 * envelope with its squeeze and rejection tests, in float64.
 */
export function vonMisesDraw(rng: Rng, kappa: number): number {
  if (kappa < FLAT_BELOW) return Math.PI * (2 * rng.uniform() - 1);
  const tau = 1 + Math.sqrt(1 + 4 * kappa * kappa);
  const rho = (tau - Math.sqrt(2 * tau)) / (2 * kappa);
  const r = (1 + rho * rho) / (2 * rho);
  for (;;) {
    const z = Math.cos(Math.PI * rng.uniform());
    const f = (1 + r * z) / (r + z);
    const c = kappa * (r - f);
    const u = 1 - rng.uniform(); // (0, 1]
    if (c * (2 - c) - u > 0 || Math.log(c / u) + 1 - c >= 0) {
      const theta = Math.acos(Math.min(1, Math.max(-1, f)));
      return rng.uniform() < 0.5 ? -theta : theta;
    }
  }
}

/** x moved by a multiple of 2π into [−π, π]. */
function wrap(x: number): number {
  return x - 2 * Math.PI * Math.round(x / (2 * Math.PI));
}

export function vonMises(params: Params): Distribution {
  const f = 'VonMises';
  return tidy({
    family: f,
    logProb(x) {
      const kappa = param(params, 'kappa', f);
      const inside = constant(() => tf.logicalAnd(tf.greaterEqual(x, -Math.PI), tf.lessEqual(x, Math.PI)));
      // κ cos d − log I₀(κ) = κ(cos d − 1) − log(e^(−κ) I₀(κ)), and cos d − 1 = −2 sin²(d/2):
      // no cancellation of two numbers near κ when κ is large.
      const half = tf.sin(tf.mul(tf.sub(x, param(params, 'loc', f)), 0.5));
      const lp = tf.sub(tf.mul(tf.mul(kappa, -2), tf.square(half)), tf.add(logBesselI0e(kappa), Math.log(2 * Math.PI)));
      return restrict(inside, lp);
    },
    // Read back and drawn in JavaScript (as the count families are): a rejection sampler,
    // used for data simulation and score-function guide sites, never inside a gradient.
    sample(shape, seed) {
      const loc = param(params, 'loc', f);
      const kappa = param(params, 'kappa', f);
      const out = broadcastShapes(shape, loc.shape, kappa.shape);
      const locs = expand(loc, out).dataSync();
      const kappas = expand(kappa, out).dataSync();
      const rng = new Rng(seed);
      const values = new Float32Array(locs.length);
      for (let i = 0; i < values.length; i++) values[i] = wrap(locs[i]! + vonMisesDraw(rng, kappas[i]!));
      return tf.tensor(values, out, 'float32');
    },
    /** The circular mean: loc, wrapped into [−π, π]. */
    mean: () => {
      const loc = tf.add(param(params, 'loc', f), tf.zerosLike(param(params, 'kappa', f)));
      return tf.sub(loc, tf.mul(2 * Math.PI, tf.round(tf.div(loc, 2 * Math.PI))));
    },
  });
}

