import { describe, expect, it } from 'vitest';
import { tf } from '../../inference/backend.js';
import { digamma, lgamma, logAddExp, logBeta, logit } from '../../inference/special.js';
import { irGrad, irGrads, irSecond } from './ir-grad.js';


const at = (f: (x: tf.Tensor) => tf.Tensor, xs: number[]): number[] => tf.tidy(() => Array.from(f(tf.tensor1d(xs)).dataSync()));

// Reference values in float64: Γ(½) = √π, Γ(n) = (n−1)!, Γ(3/2) = √π/2,
// and lgamma(0.1), lgamma(7.3), lgamma(1234.5) from the float64 Stirling
// series shifted up to 30 (error < 1e-14).
const LGAMMA: Array<[number, number]> = [
  [0.5, Math.log(Math.sqrt(Math.PI))],
  [1.5, Math.log(Math.sqrt(Math.PI) / 2)],
  [3, Math.log(2)],
  [5, Math.log(24)],
  [10, Math.log(362880)],
  [0.1, 2.252712651734206],
  [7.3, 7.147892523022249],
  [1234.5, 7550.550901077894],
  [1e-4, 9.210282658633966],
];

describe('lgamma', () => {
  it('matches known values to 1e-5 relative (1e-6 absolute near 0)', () => {
    const got = at(lgamma, LGAMMA.map(([x]) => x));
    LGAMMA.forEach(([x, v], i) => expect(Math.abs(got[i]! - v), `lgamma(${x})`).toBeLessThanOrEqual(1e-5 * Math.abs(v) + 1e-6));
  });

  it('is 0 at its roots 1 and 2 to 1e-6 absolute (relative error is meaningless there)', () => {
    for (const v of at(lgamma, [1, 2])) expect(Math.abs(v)).toBeLessThan(1e-6);
  });

  it('has derivative digamma', () => {
    const xs = [0.05, 0.5, 1, 2.9, 3.1, 7, 50];
    // Differentiated the way a fit does: traced and run through our reverse mode.
    const grad = irGrad(lgamma, xs).grad;
    const psi = at(digamma, xs);
    xs.forEach((x, i) => expect(Math.abs(grad[i]! - psi[i]!), `at ${x}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(psi[i]!))));
  });
});

describe('digamma', () => {
  it('matches known values', () => {
    const euler = 0.5772156649015329;
    // ψ(1) = −γ, ψ(½) = −γ − 2 log 2, ψ(n) = −γ + Σ_{k<n} 1/k, ψ(0.1) from its series.
    const refs: Array<[number, number]> = [
      [1, -euler],
      [0.5, -euler - 2 * Math.LN2],
      [4, -euler + 1 + 1 / 2 + 1 / 3],
      [10, -euler + [1, 2, 3, 4, 5, 6, 7, 8, 9].reduce((a, k) => a + 1 / k, 0)],
      [0.1, -10.423754940411076],
      [100, 4.600161852738087],
    ];
    const got = at(digamma, refs.map(([x]) => x));
    refs.forEach(([x, v], i) => expect(Math.abs(got[i]! - v), `digamma(${x})`).toBeLessThanOrEqual(1e-5 * Math.abs(v) + 1e-6));
  });

  it('is differentiable twice (trigamma and its derivative) without NaN', () => {
    const d2 = irSecond(digamma, 2);
    // ψ''(2) = −2ζ(3) + 2 = −0.4041138063
    expect(d2).toBeCloseTo(-0.4041138063, 4);
  });
});

describe('logBeta, logit, logAddExp', () => {
  it('logBeta(a, b) = log Γ(a)Γ(b)/Γ(a+b)', () => {
    const got = tf.tidy(() => Array.from(logBeta(tf.tensor1d([1, 2, 0.5]), tf.tensor1d([1, 3, 0.5])).dataSync()));
    [0, Math.log(1 / 12), Math.log(Math.PI)].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
  });

  it('logit inverts the sigmoid', () => {
    const got = at(logit, [0.5, 0.1, 1e-6]);
    [0, Math.log(0.1 / 0.9), Math.log(1e-6 / (1 - 1e-6))].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 4));
  });

  it('logAddExp is stable and handles infinities', () => {
    const got = tf.tidy(() => Array.from(logAddExp(tf.tensor1d([0, 1000, -Infinity, -1e10, 2]), tf.tensor1d([0, 1000, -Infinity, 1, -Infinity])).dataSync()));
    expect(got[0]).toBeCloseTo(Math.LN2, 6);
    expect(got[1]).toBeCloseTo(1000 + Math.LN2, 3);
    expect(got[2]).toBe(-Infinity);
    expect(got[3]).toBe(1);
    expect(got[4]).toBe(2);
    const g = irGrads((a, b) => logAddExp(a!, b!), [0.3, -0.2]);
    const sa = 1 / (1 + Math.exp(-0.5));
    expect(g[0]).toBeCloseTo(sa, 6);
    expect(g[1]).toBeCloseTo(1 - sa, 6);
  });
});
