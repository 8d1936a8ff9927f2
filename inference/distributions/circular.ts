// The von Mises distribution on the circle, its values taken in [−π, π].
//
// The support is fixed rather than centred on loc: the automatic guide's bijector
// (an affine sigmoid onto (−π, π)) then does not move with a latent loc, and data
// need no re-wrapping per draw. The density is periodic, so nothing is lost: a
// value x and x ± 2π have the same density, and data outside [−π, π] score −∞.
import { tf } from '../backend.js';
import { constant } from '../ops.js';
import { logBesselI0e } from '../bessel.js';
import { uniformNoise } from '../noise.js';
import { broadcastShapes, expand, openUniform, param, restrict, subSeed } from './common.js';
import { tidy } from './continuous.js';
import type { Distribution, Params } from './types.js';

type T = tf.Tensor;

/** Below this concentration a draw is uniform on the circle (the density is flat to 1e-8). */
const FLAT_BELOW = 1e-8;

/**
 * Rounds of Best and Fisher's proposals drawn at once. Each is accepted with probability at least
 * 0.656 (their envelope's worst case, near κ = 1), so all 32 fail with probability below
 * 0.344^32 ≈ 1.5·10⁻¹⁵ per draw; the last proposal is then kept.
 */
const ROUNDS = 32;

/**
 * Angles θ in [−π, π] of VonMises(0, κ) for a tensor κ: Best and Fisher's (1979) wrapped-Cauchy
 * envelope with its squeeze and rejection tests, every round drawn at once through noise.ts and
 * the first accepted kept, so that a compiled step can draw them (no value is read back).
 */
function vonMisesAngles(kappa: T, seed: number): T {
  const shape = kappa.shape;
  const flat = tf.less(kappa, FLAT_BELOW);
  const k = tf.where(flat, tf.onesLike(kappa), kappa);
  // ρ = (τ − √(2τ))/(2κ) with τ = 1 + √(1 + 4κ²), written without the cancellation at small κ:
  // τ − √(2τ) = τ(τ − 2)/(τ + √(2τ)) and τ − 2 = 4κ²/(√(1 + 4κ²) + 1).
  const root = tf.sqrt(tf.add(1, tf.mul(4, tf.square(k))));
  const tau = tf.add(1, root);
  const rho = tf.div(tf.mul(tf.mul(2, k), tau), tf.mul(tf.add(root, 1), tf.add(tau, tf.sqrt(tf.mul(2, tau)))));
  const r = tf.div(tf.add(1, tf.square(rho)), tf.mul(2, rho));
  const z = tf.cos(tf.mul(Math.PI, openUniform([ROUNDS, ...shape], subSeed(seed, 1))));
  const f = tf.div(tf.add(1, tf.mul(r, z)), tf.add(r, z));
  const c = tf.mul(k, tf.sub(r, f));
  const u = openUniform([ROUNDS, ...shape], subSeed(seed, 2));
  const squeeze = tf.greater(tf.sub(tf.mul(c, tf.sub(2, c)), u), 0);
  const accepted = tf.logicalOr(squeeze, tf.greaterEqual(tf.add(tf.sub(tf.log(tf.div(c, u)), c), 1), 0));
  let w: T = tf.gather(f, ROUNDS - 1);
  for (let round = ROUNDS - 1; round >= 0; round--) w = tf.where(tf.gather(accepted, round), tf.gather(f, round), w);
  // acos(w) = 2·atan(√((1 − w)/(1 + w))), π at w = −1 (atan of +∞).
  const clipped = tf.clipByValue(w, -1, 1);
  const theta = tf.mul(2, tf.atan(tf.sqrt(tf.div(tf.sub(1, clipped), tf.add(1, clipped)))));
  const signed = tf.where(tf.less(uniformNoise(shape, subSeed(seed, 3)), 0.5), tf.neg(theta), theta);
  return tf.where(flat, tf.mul(Math.PI, tf.sub(tf.mul(2, uniformNoise(shape, subSeed(seed, 4))), 1)), signed);
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
    // A draw has no gradient (score-function guide sites hold it constant): off the tape.
    sample(shape, seed) {
      return constant(() => {
        const loc = param(params, 'loc', f);
        const kappa = param(params, 'kappa', f);
        const out = broadcastShapes(shape, loc.shape, kappa.shape);
        const x = tf.add(expand(loc, out), vonMisesAngles(expand(kappa, out), seed));
        return tf.sub(x, tf.mul(2 * Math.PI, tf.round(tf.div(x, 2 * Math.PI))));
      });
    },
    /** The circular mean: loc, wrapped into [−π, π]. */
    mean: () => {
      const loc = tf.add(param(params, 'loc', f), tf.zerosLike(param(params, 'kappa', f)));
      return tf.sub(loc, tf.mul(2 * Math.PI, tf.round(tf.div(loc, 2 * Math.PI))));
    },
  });
}

