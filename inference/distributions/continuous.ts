// Location-scale and other continuous families with closed-form samplers.
import { tf } from '../backend.js';
import { abs, constant, log, log1p, exp, softplus, square } from '../ops.js';
import { lgamma, logNormalCdf } from '../special.js';
import { expand, LOG_2PI, openUniform, param, restrict, standardGamma, subSeed } from './common.js';
import type { Distribution, Params } from './types.js';
import { normalNoise } from '../noise.js';

type T = tf.Tensor;

/** Wraps every method in tf.tidy so that only the result outlives the call. */
export function tidy<D extends Distribution>(d: D): D {
  const out: Record<string, unknown> = { family: d.family };
  for (const [key, value] of Object.entries(d)) {
    if (typeof value === 'function') out[key] = (...args: unknown[]) => tf.tidy(() => (value as (...a: unknown[]) => T)(...args));
  }
  return out as unknown as D;
}

function standardNormal(shape: number[], seed: number): T {
  return normalNoise(shape, seed);
}

/** Standard Cauchy by inversion of its CDF. */
function standardCauchy(shape: number[], seed: number): T {
  return tf.tan(tf.mul(Math.PI, tf.sub(openUniform(shape, seed), 0.5)));
}

export function normal(params: Params): Distribution {
  const f = 'Normal';
  const rsample = (shape: number[], seed: number): T =>
    tf.add(expand(param(params, 'loc', f), shape), tf.mul(param(params, 'scale', f), standardNormal(shape, seed)));
  return tidy({
    family: f,
    logProb(x) {
      const loc = param(params, 'loc', f);
      const scale = param(params, 'scale', f);
      const z = tf.div(tf.sub(x, loc), scale);
      return tf.sub(tf.mul(-0.5, square(z)), tf.add(log(scale), 0.5 * LOG_2PI));
    },
    sample: rsample,
    rsample,
    mean: () => tf.add(param(params, 'loc', f), tf.zerosLike(param(params, 'scale', f))),
  });
}

export function halfNormal(params: Params): Distribution {
  const f = 'HalfNormal';
  const rsample = (shape: number[], seed: number): T => tf.mul(param(params, 'scale', f), abs(expand(standardNormal(shape, seed), shape)));
  return tidy({
    family: f,
    logProb(x) {
      const scale = param(params, 'scale', f);
      const lp = tf.sub(tf.mul(-0.5, square(tf.div(x, scale))), tf.add(log(scale), 0.5 * LOG_2PI - Math.LN2));
      return restrict(constant(() => tf.greaterEqual(x, 0)), lp);
    },
    sample: rsample,
    rsample,
    mean: () => tf.mul(param(params, 'scale', f), Math.sqrt(2 / Math.PI)),
  });
}

export function cauchy(params: Params): Distribution {
  const f = 'Cauchy';
  const rsample = (shape: number[], seed: number): T =>
    tf.add(expand(param(params, 'loc', f), shape), tf.mul(param(params, 'scale', f), standardCauchy(shape, seed)));
  return tidy({
    family: f,
    logProb(x) {
      const scale = param(params, 'scale', f);
      const z = tf.div(tf.sub(x, param(params, 'loc', f)), scale);
      return tf.neg(tf.add(tf.add(log(scale), Math.log(Math.PI)), log1p(square(z))));
    },
    sample: rsample,
    rsample,
    mean: () => {
      throw new Error('Cauchy has no mean (the integral diverges); use its loc (the median) instead');
    },
  });
}

export function halfCauchy(params: Params): Distribution {
  const f = 'HalfCauchy';
  const rsample = (shape: number[], seed: number): T => tf.mul(param(params, 'scale', f), abs(standardCauchy(shape, seed)));
  return tidy({
    family: f,
    logProb(x) {
      const scale = param(params, 'scale', f);
      const lp = tf.neg(tf.add(tf.add(log(scale), Math.log(Math.PI / 2)), log1p(square(tf.div(x, scale)))));
      return restrict(constant(() => tf.greaterEqual(x, 0)), lp);
    },
    sample: rsample,
    rsample,
    mean: () => {
      throw new Error('HalfCauchy has no mean (the integral diverges); use its scale (the median) instead');
    },
  });
}

export function studentT(params: Params): Distribution {
  const f = 'StudentT';
  // z / √(χ²_ν / ν) with χ²_ν = 2·Gamma(ν/2). Pathwise in loc and scale only:
  // the gamma draw carries no gradient to df.
  const rsample = (shape: number[], seed: number): T => {
    const df = expand(param(params, 'df', f), shape);
    const chi2 = tf.mul(2, standardGamma(tf.div(df, 2), subSeed(seed, 10)));
    const t = tf.div(standardNormal(shape, seed), tf.sqrt(tf.div(chi2, df)));
    return tf.add(expand(param(params, 'loc', f), shape), tf.mul(param(params, 'scale', f), t));
  };
  return tidy({
    family: f,
    logProb(x) {
      const df = param(params, 'df', f);
      const scale = param(params, 'scale', f);
      const z = tf.div(tf.sub(x, param(params, 'loc', f)), scale);
      const half = tf.div(tf.add(df, 1), 2);
      const norm = tf.sub(tf.sub(lgamma(half), lgamma(tf.div(df, 2))), tf.add(tf.mul(0.5, log(tf.mul(df, Math.PI))), log(scale)));
      return tf.sub(norm, tf.mul(half, log1p(tf.div(square(z), df))));
    },
    sample: rsample,
    rsample,
    mean: () => {
      const df = param(params, 'df', f);
      const loc = tf.add(param(params, 'loc', f), tf.zerosLike(df));
      // Undefined (NaN) for df ≤ 1, where the tails are too heavy.
      return tf.where(tf.greater(df, 1), loc, tf.fill(loc.shape, NaN));
    },
  });
}

export function laplace(params: Params): Distribution {
  const f = 'Laplace';
  const rsample = (shape: number[], seed: number): T => {
    // Inverse CDF with u uniform on (−½, ½).
    const u = tf.sub(openUniform(shape, seed), 0.5);
    const e = tf.mul(tf.neg(tf.sign(u)), tf.log1p(tf.mul(-2, tf.abs(u))));
    return tf.add(expand(param(params, 'loc', f), shape), tf.mul(param(params, 'scale', f), e));
  };
  return tidy({
    family: f,
    logProb(x) {
      const scale = param(params, 'scale', f);
      return tf.neg(tf.add(tf.add(log(scale), Math.LN2), tf.div(abs(tf.sub(x, param(params, 'loc', f))), scale)));
    },
    sample: rsample,
    rsample,
    mean: () => tf.add(param(params, 'loc', f), tf.zerosLike(param(params, 'scale', f))),
  });
}

export function logNormal(params: Params): Distribution {
  const f = 'LogNormal';
  const rsample = (shape: number[], seed: number): T =>
    exp(tf.add(expand(param(params, 'loc', f), shape), tf.mul(param(params, 'scale', f), standardNormal(shape, seed))));
  return tidy({
    family: f,
    logProb(x) {
      const scale = param(params, 'scale', f);
      const positive = constant(() => tf.greater(x, 0));
      const logX = log(tf.where(positive, x, tf.onesLike(x)));
      const z = tf.div(tf.sub(logX, param(params, 'loc', f)), scale);
      const lp = tf.sub(tf.mul(-0.5, square(z)), tf.add(tf.add(log(scale), logX), 0.5 * LOG_2PI));
      return restrict(positive, lp);
    },
    sample: rsample,
    rsample,
    mean: () => exp(tf.add(param(params, 'loc', f), tf.mul(0.5, square(param(params, 'scale', f))))),
  });
}

export function exponential(params: Params): Distribution {
  const f = 'Exponential';
  const rsample = (shape: number[], seed: number): T =>
    tf.div(expand(tf.neg(tf.log(openUniform(shape, seed))), shape), param(params, 'rate', f));
  return tidy({
    family: f,
    logProb(x) {
      const rate = param(params, 'rate', f);
      return restrict(constant(() => tf.greaterEqual(x, 0)), tf.sub(log(rate), tf.mul(rate, x)));
    },
    sample: rsample,
    rsample,
    mean: () => tf.reciprocal(param(params, 'rate', f)),
  });
}

export function logistic(params: Params): Distribution {
  const f = 'Logistic';
  // Inverse CDF: loc + scale·logit(u).
  const rsample = (shape: number[], seed: number): T => {
    const u = openUniform(shape, seed);
    return tf.add(expand(param(params, 'loc', f), shape), tf.mul(param(params, 'scale', f), tf.sub(tf.log(u), tf.log1p(tf.neg(u)))));
  };
  return tidy({
    family: f,
    logProb(x) {
      const scale = param(params, 'scale', f);
      const z = tf.div(tf.sub(x, param(params, 'loc', f)), scale);
      // log σ(z) + log σ(−z) − log scale, with both softplus terms stable in the tails.
      return tf.neg(tf.add(tf.add(softplus(z), softplus(tf.neg(z))), log(scale)));
    },
    sample: rsample,
    rsample,
    mean: () => tf.add(param(params, 'loc', f), tf.zerosLike(param(params, 'scale', f))),
  });
}

/** δ = α/√(1 + α²), the skew normal's correlation with its half-normal part. */
function skewDelta(alpha: T): T {
  return tf.div(alpha, tf.sqrt(tf.add(1, tf.square(alpha))));
}

export function skewNormal(params: Params): Distribution {
  const f = 'SkewNormal';
  // Azzalini's representation: δ|u| + √(1 − δ²) v for independent standard normals u, v;
  // pathwise in all three parameters.
  const rsample = (shape: number[], seed: number): T => {
    const delta = skewDelta(param(params, 'alpha', f));
    const u = abs(standardNormal(shape, seed));
    const v = standardNormal(shape, subSeed(seed, 30));
    const z = tf.add(tf.mul(delta, u), tf.mul(tf.sqrt(tf.sub(1, tf.square(delta))), v));
    return tf.add(expand(param(params, 'loc', f), shape), tf.mul(param(params, 'scale', f), z));
  };
  return tidy({
    family: f,
    logProb(x) {
      const scale = param(params, 'scale', f);
      const z = tf.div(tf.sub(x, param(params, 'loc', f)), scale);
      const normalPart = tf.sub(tf.mul(-0.5, square(z)), tf.add(log(scale), 0.5 * LOG_2PI - Math.LN2));
      return tf.add(normalPart, logNormalCdf(tf.mul(param(params, 'alpha', f), z)));
    },
    sample: rsample,
    rsample,
    mean: () => {
      const shift = tf.mul(tf.mul(param(params, 'scale', f), skewDelta(param(params, 'alpha', f))), Math.sqrt(2 / Math.PI));
      return tf.add(param(params, 'loc', f), shift);
    },
  });
}

export function weibull(params: Params): Distribution {
  const f = 'Weibull';
  // Inverse survival function: scale·(−log u)^(1/shape).
  const rsample = (shape: number[], seed: number): T => {
    const e = expand(tf.neg(tf.log(openUniform(shape, seed))), shape);
    return tf.mul(param(params, 'scale', f), exp(tf.div(log(e), param(params, 'shape', f))));
  };
  return tidy({
    family: f,
    logProb(x) {
      const k = param(params, 'shape', f);
      const scale = param(params, 'scale', f);
      const positive = constant(() => tf.greater(x, 0));
      const logRatio = tf.sub(log(tf.where(positive, x, tf.onesLike(x))), log(scale));
      const lp = tf.sub(tf.add(tf.sub(log(k), log(scale)), tf.mul(tf.sub(k, 1), logRatio)), exp(tf.mul(k, logRatio)));
      return restrict(positive, lp);
    },
    sample: rsample,
    rsample,
    mean: () => tf.mul(param(params, 'scale', f), exp(lgamma(tf.add(1, tf.reciprocal(param(params, 'shape', f)))))),
  });
}

export function uniform(params: Params): Distribution {
  const f = 'Uniform';
  const rsample = (shape: number[], seed: number): T => {
    const low = param(params, 'low', f);
    const high = param(params, 'high', f);
    return tf.add(expand(low, shape), tf.mul(tf.sub(high, low), openUniform(shape, seed)));
  };
  return tidy({
    family: f,
    logProb(x) {
      const low = param(params, 'low', f);
      const high = param(params, 'high', f);
      const inside = constant(() => tf.logicalAnd(tf.greaterEqual(x, low), tf.lessEqual(x, high)));
      const lp = tf.add(tf.neg(log(tf.sub(high, low))), tf.zerosLike(x));
      return restrict(inside, lp);
    },
    sample: rsample,
    rsample,
    mean: () => tf.div(tf.add(param(params, 'low', f), param(params, 'high', f)), 2),
  });
}
