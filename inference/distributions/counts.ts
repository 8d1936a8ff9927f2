// Exact samplers for Poisson and Binomial counts, in float64 JavaScript.
// They read the parameters back (dataSync), which is acceptable because these
// families are sampled for REINFORCE sites and data simulation, not inside a
// differentiated graph. Large rates and counts use Knuth's recursions (TAOCP
// vol. 2, 3.4.1): each step replaces the problem by one of about half the
// size using a single gamma or beta draw, so the cost is O(log n) draws and
// the result is exact, unlike a normal approximation.
import { Rng } from '../rng.js';

/** Gamma(a, 1) by Marsaglia–Tsang, with the U^(1/a) boost below 1. */
export function gammaDraw(rng: Rng, a: number): number {
  if (a < 1) return gammaDraw(rng, a + 1) * Math.pow(1 - rng.uniform(), 1 / a);
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = 1 - rng.uniform();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function betaDraw(rng: Rng, a: number, b: number): number {
  const x = gammaDraw(rng, a);
  return x / (x + gammaDraw(rng, b));
}

/** Below this rate the CDF is searched directly; e^(−rate) stays far from underflow. */
const POISSON_INVERSION_BELOW = 16;
/** Below this count the trials are simulated one by one. */
const BINOMIAL_DIRECT_BELOW = 32;

export function poissonDraw(rng: Rng, rate: number): number {
  let offset = 0;
  let lambda = rate;
  while (lambda >= POISSON_INVERSION_BELOW) {
    // The m-th arrival of a unit-rate Poisson process comes at Gamma(m).
    const m = Math.floor((7 / 8) * lambda);
    const arrival = gammaDraw(rng, m);
    if (arrival >= lambda) {
      // Given that arrival, the earlier m − 1 arrivals are uniform on [0, arrival).
      return offset + binomialDraw(rng, m - 1, lambda / arrival);
    }
    offset += m;
    lambda -= arrival;
  }
  let k = 0;
  let term = Math.exp(-lambda);
  let cdf = term;
  const u = rng.uniform();
  while (u > cdf && term > 0) {
    k += 1;
    term *= lambda / k;
    cdf += term;
  }
  return offset + k;
}

export function binomialDraw(rng: Rng, n: number, p: number): number {
  let offset = 0;
  let trials = n;
  let prob = p;
  while (trials >= BINOMIAL_DIRECT_BELOW) {
    // The a-th smallest of `trials` uniforms is Beta(a, trials + 1 − a).
    const a = 1 + Math.floor(trials / 2);
    const b = trials + 1 - a;
    const x = betaDraw(rng, a, b);
    if (x >= prob) {
      trials = a - 1;
      prob = prob / x;
    } else {
      offset += a;
      trials = b - 1;
      prob = (prob - x) / (1 - x);
    }
  }
  let k = 0;
  for (let i = 0; i < trials; i++) if (rng.uniform() < prob) k += 1;
  return offset + k;
}
