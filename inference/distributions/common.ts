// Small helpers shared by the families. Every tensor-returning function here is
// called inside a family method's tf.tidy, so intermediate tensors are freed.
import { tf } from '../backend.js';
import type { Params } from './types.js';
import { normalNoise, uniformNoise } from '../noise.js';

type T = tf.Tensor;

export const LOG_2PI = Math.log(2 * Math.PI);

export function param(params: Params, name: string, family: string): T {
  const value = params[name];
  if (value === undefined) throw new Error(`${family} needs the parameter '${name}'`);
  return value.dtype === 'float32' ? value : tf.cast(value, 'float32');
}

/** The one of two alternative parameters that was given (probs | logits). */
export function oneOf(params: Params, a: string, b: string, family: string): { name: string; value: T } {
  const hasA = params[a] !== undefined;
  const hasB = params[b] !== undefined;
  if (hasA === hasB) throw new Error(`${family} needs exactly one of '${a}' and '${b}'`);
  const name = hasA ? a : b;
  return { name, value: param(params, name, family) };
}

export function broadcastShapes(...shapes: number[][]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const e = s[s.length - rank + i] ?? 1;
      if (e !== 1 && d !== 1 && e !== d) throw new Error(`shapes [${shapes.map((x) => x.join(',')).join('] and [')}] do not broadcast`);
      if (e !== 1) d = e;
    }
    out.push(d);
  }
  return out;
}

export function expand(x: T, shape: number[]): T {
  const target = broadcastShapes(x.shape, shape);
  return target.length === x.rank && target.every((d, i) => d === x.shape[i]) ? x : tf.broadcastTo(x, target);
}

/** −∞ where `inside` is false; the density is computed from clamped inputs so that it has no NaN to leak through where's gradient. */
export function restrict(inside: T, logDensity: T): T {
  return tf.where(inside, logDensity, tf.fill(logDensity.shape, -Infinity));
}

/** Uniform on (0, 1) with both ends excluded, so that log u and log(1 − u) are finite in float32. */
export function openUniform(shape: number[], seed: number): T {
  return tf.clipByValue(uniformNoise(shape, seed), 1e-7, 1 - 6e-8);
}

/** Sub-seeds for the several random ops of one draw; tfjs seeds distinct integers independently. */
export function subSeed(seed: number, k: number): number {
  return (seed + k * 1_000_003) % 0x80000000;
}

export function isInteger(x: T): T {
  return tf.equal(x, tf.round(x));
}

/** Rounds of Marsaglia–Tsang proposals drawn at once; all fail with probability < 0.05^12 per element. */
const GAMMA_ROUNDS = 12;

/**
 * Gamma(α, 1) draws for a tensor of shapes α (tfjs's randomGamma takes one
 * scalar α). Marsaglia–Tsang's rejection sampler with all rounds drawn in one
 * batch and the first accepted proposal kept; α < 1 uses the boost
 * G(α) = G(α + 1)·U^(1/α). Not differentiable in α.
 */
export function standardGamma(alpha: T, seed: number): T {
  const shape = alpha.shape;
  const boosted = tf.less(alpha, 1);
  const a = tf.where(boosted, tf.add(alpha, 1), alpha);
  const d = tf.sub(a, 1 / 3);
  const c = tf.div(1, tf.sqrt(tf.mul(9, d)));
  const z = normalNoise([GAMMA_ROUNDS, ...shape], subSeed(seed, 1));
  const u = openUniform([GAMMA_ROUNDS, ...shape], subSeed(seed, 2));
  const v = tf.pow(tf.add(1, tf.mul(c, z)), 3);
  const positive = tf.greater(v, 0);
  const safeV = tf.where(positive, v, tf.onesLike(v));
  const bound = tf.add(tf.add(tf.mul(0.5, tf.square(z)), d), tf.mul(d, tf.sub(tf.log(safeV), safeV)));
  const accepted = tf.logicalAnd(positive, tf.less(tf.log(u), bound));
  const proposals = tf.mul(d, safeV);
  // Walking the rounds from last to first leaves the first accepted proposal.
  let draw: T = tf.broadcastTo(d, shape);
  for (let r = GAMMA_ROUNDS - 1; r >= 0; r--) {
    draw = tf.where(tf.gather(accepted, r), tf.gather(proposals, r), draw);
  }
  const boost = tf.pow(openUniform(shape, subSeed(seed, 3)), tf.div(1, alpha));
  return tf.where(boosted, tf.mul(draw, boost), draw);
}
