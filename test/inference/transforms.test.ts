import { describe, expect, it } from 'vitest';
import { tf } from '../../inference/backend.js';
import { affineSigmoid, bijectorFor, bijectorForConstraint, exp, identity, ordered, positiveOrdered, sigmoid, stickBreaking, type Bijector } from '../../inference/transforms.js';
import { irGrad, irSecond } from './ir-grad.js';

type T = tf.Tensor;


const arr = (t: T): number[] => Array.from(t.dataSync());

const scalarBijectors: Array<[string, () => Bijector, number[]]> = [
  ['identity', () => identity, [-3, 0, 2]],
  ['exp', () => exp, [-3, 0, 2]],
  ['sigmoid', () => sigmoid, [-6, 0, 2.5]],
  ['affineSigmoid(-1, 4)', () => affineSigmoid(tf.scalar(-1), tf.scalar(4)), [-4, 0, 1.5]],
];

describe('scalar bijectors', () => {
  for (const [name, make, us] of scalarBijectors) {
    it(`${name}: round trip and log-Jacobian = log |dx/du|`, () => {
      tf.tidy(() => {
        const b = make();
        const u = tf.tensor1d(us);
        const back = arr(b.inverse(b.forward(u)));
        us.forEach((v, i) => expect(back[i]).toBeCloseTo(v, 3));
        // d forward / du by the compiled engine's reverse mode is exact here; FD cross-checks it.
        const dxdu = irGrad((t: T) => b.forward(t), us).grad;
        const ldj = arr(b.logDetJacobian(u));
        const h = 1e-3;
        us.forEach((v, i) => {
          const fd = (arr(b.forward(tf.scalar(v + h)))[0]! - arr(b.forward(tf.scalar(v - h)))[0]!) / (2 * h);
          expect(ldj[i]).toBeCloseTo(Math.log(Math.abs(dxdu[i]!)), 4);
          expect(Math.abs(fd - dxdu[i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
        });
      });
    });
  }

  it('sigmoid log-Jacobian stays finite far in the tails', () => {
    tf.tidy(() => {
      const ldj = arr(sigmoid.logDetJacobian(tf.tensor1d([-200, 200])));
      expect(ldj[0]).toBeCloseTo(-200, 3);
      expect(ldj[1]).toBeCloseTo(-200, 3);
    });
  });
});

/** Stick-breaking forward in float64, for the numerical Jacobian. */
function stick64(u: number[]): number[] {
  const k = u.length + 1;
  let left = 1;
  const x: number[] = [];
  u.forEach((v, i) => {
    const z = 1 / (1 + Math.exp(-(v - Math.log(k - 1 - i))));
    x.push(left * z);
    left -= left * z;
  });
  x.push(left);
  return x;
}

function logAbsDet(m: number[][]): number {
  const a = m.map((r) => [...r]);
  const n = a.length;
  let logDet = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    logDet += Math.log(Math.abs(a[c]![c]!));
    for (let r = c + 1; r < n; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let j = c; j < n; j++) a[r]![j]! -= f * a[c]![j]!;
    }
  }
  return logDet;
}

describe('stick-breaking', () => {
  it('maps u = 0 to the uniform simplex', () => {
    tf.tidy(() => {
      arr(stickBreaking.forward(tf.zeros([4]))).forEach((v) => expect(v).toBeCloseTo(0.2, 6));
    });
  });

  it('round-trips and stays on the simplex for a batch', () => {
    tf.tidy(() => {
      const u = tf.tensor2d([[0.3, -1, 2], [4, -3, 0.1]]);
      const x = stickBreaking.forward(u);
      expect(x.shape).toEqual([2, 4]);
      arr(tf.sum(x, -1)).forEach((s) => expect(s).toBeCloseTo(1, 5));
      const back = arr(stickBreaking.inverse(x));
      arr(u).forEach((v, i) => expect(back[i]).toBeCloseTo(v, 3));
      expect(stickBreaking.unconstrainedEventSize!(4)).toBe(3);
    });
  });

  it('log-Jacobian matches a float64 numerical Jacobian of the first K−1 coordinates', () => {
    const cases = [[0.3, -1, 2], [0, 0, 0], [-2.5, 1.5, 0.7], [3, 3, -3]];
    tf.tidy(() => {
      const ldj = arr(stickBreaking.logDetJacobian(tf.tensor2d(cases)));
      expect(ldj.length).toBe(cases.length);
      cases.forEach((u, c) => {
        const h = 1e-6;
        const jac = u.map((_, i) => {
          const up = [...u]; up[i]! += h;
          const down = [...u]; down[i]! -= h;
          const a = stick64(up), b = stick64(down);
          return a.slice(0, -1).map((v, r) => (v - b[r]!) / (2 * h));
        });
        // jac[i][r] = ∂x_r/∂u_i; the determinant of its transpose is the same.
        expect(ldj[c]).toBeCloseTo(logAbsDet(jac), 4);
      });
    });
  });
});

/** The ordered maps in float64: y₀ = u₀ (or e^(u₀)), yₖ = yₖ₋₁ + e^(uₖ). */
function ordered64(u: number[], positive: boolean): number[] {
  const y: number[] = [];
  u.forEach((v, i) => y.push(i === 0 ? (positive ? Math.exp(v) : v) : y[i - 1]! + Math.exp(v)));
  return y;
}

describe('ordered and positive_ordered', () => {
  const cases = [[0.3, -1, 2, 0], [0, 0, 0, 0], [-2.5, 1.5, 0.7, -3], [3, 3, -3, 1]];
  for (const [name, b, positive] of [['ordered', ordered, false], ['positive_ordered', positiveOrdered, true]] as const) {
    it(`${name}: strictly increasing${positive ? ' and positive' : ''}, and round-trips a batch`, () => {
      tf.tidy(() => {
        const u = tf.tensor2d(cases);
        const y = b.forward(u);
        expect(y.shape).toEqual([4, 4]);
        const rows = y.arraySync() as number[][];
        rows.forEach((r, c) => {
          r.slice(1).forEach((v, k) => expect(v).toBeGreaterThan(r[k]!));
          if (positive) expect(r[0]).toBeGreaterThan(0);
          const ref = ordered64(cases[c]!, positive);
          r.forEach((v, k) => expect(v).toBeCloseTo(ref[k]!, 4));
        });
        const back = arr(b.inverse(y));
        cases.flat().forEach((v, i) => expect(back[i]).toBeCloseTo(v, 3));
      });
    });

    it(`${name}: log-Jacobian matches a float64 numerical Jacobian determinant`, () => {
      tf.tidy(() => {
        const ldj = arr(b.logDetJacobian(tf.tensor2d(cases)));
        expect(ldj.length).toBe(cases.length);
        cases.forEach((u, c) => {
          const h = 1e-6;
          const jac = u.map((_, i) => {
            const up = [...u]; up[i]! += h;
            const down = [...u]; down[i]! -= h;
            const a = ordered64(up, positive), d = ordered64(down, positive);
            return a.map((v, r) => (v - d[r]!) / (2 * h));
          });
          expect(ldj[c]).toBeCloseTo(logAbsDet(jac), 4);
        });
      });
    });
  }

  it('a vector of one entry is the identity (ordered) or exp (positive_ordered)', () => {
    tf.tidy(() => {
      expect(arr(ordered.forward(tf.tensor1d([0.7])))[0]).toBeCloseTo(0.7, 6);
      expect(arr(ordered.logDetJacobian(tf.tensor1d([0.7])))[0]).toBe(0);
      expect(arr(positiveOrdered.forward(tf.tensor1d([0.7])))[0]).toBeCloseTo(Math.exp(0.7), 5);
      expect(arr(positiveOrdered.logDetJacobian(tf.tensor1d([0.7])))[0]).toBeCloseTo(0.7, 6);
    });
  });

  it('declared types choose them; other constraints leave the family its own', () => {
    expect(bijectorForConstraint('ordered')).toBe(ordered);
    expect(bijectorForConstraint('positive-ordered')).toBe(positiveOrdered);
    expect(bijectorForConstraint('positive')).toBeUndefined();
    expect(bijectorForConstraint('none')).toBeUndefined();
  });
});

describe('second-order safety of the forward maps', () => {
  // d²/du² of sin(u)·Σ forward(u), compiled, against FD of the compiled gradient.
  const maps: Array<[string, (u: T) => T]> = [
    ['exp', (u) => exp.forward(u)],
    ['sigmoid', (u) => sigmoid.forward(u)],
    ['affineSigmoid', (u) => affineSigmoid(tf.scalar(-1), tf.scalar(4)).forward(u)],
    ['stickBreaking', (u) => stickBreaking.forward(tf.stack([u, tf.mul(u, 0.5), tf.scalar(0.2)]))],
    ['stickBreaking logDetJacobian', (u) => stickBreaking.logDetJacobian(tf.stack([u, tf.mul(u, 0.5), tf.scalar(0.2)]))],
    ['sigmoid logDetJacobian', (u) => sigmoid.logDetJacobian(u)],
    ['ordered', (u) => ordered.forward(tf.stack([tf.scalar(0.2), u, tf.mul(u, 0.5)]))],
    ['positive_ordered', (u) => positiveOrdered.forward(tf.stack([u, tf.scalar(-0.3), tf.mul(u, 0.5)]))],
  ];
  for (const [name, f] of maps) {
    it(name, () => {
      const g = (u: T): T => tf.sum(tf.mul(tf.sin(u), f(u)));
      // First derivatives by reverse mode, the second by reverse mode over it (compiled).
      const g1 = (u0: number) => irGrad((v: T) => g(tf.reshape(v, [])), [u0]).grad[0]!;
      for (const u0 of [-1.2, 0.4, 1.5]) {
        const h = 1e-2;
        const fd = (g1(u0 + h) - g1(u0 - h)) / (2 * h);
        const d2 = irSecond(g, u0);
        expect(Math.abs(d2 - fd), `${d2} vs ${fd}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      }
    });
  }
});

describe('bijectorFor', () => {
  it('picks the bijector of each continuous support and refuses discrete ones', () => {
    expect(bijectorFor({ kind: 'real' }).name).toBe('identity');
    expect(bijectorFor({ kind: 'positive' }).name).toBe('exp');
    expect(bijectorFor({ kind: 'unit' }).name).toBe('sigmoid');
    expect(bijectorFor({ kind: 'simplex' }).name).toBe('stick-breaking');
    tf.tidy(() => {
      const circle = bijectorFor({ kind: 'circular' });
      expect(circle.name).toBe('affine-sigmoid');
      arr(circle.forward(tf.tensor1d([-30, 0, 30]))).forEach((v, i) => expect(v).toBeCloseTo([-Math.PI, 0, Math.PI][i]!, 4));
    });
    tf.tidy(() => {
      expect(bijectorFor({ kind: 'interval' }, { low: tf.scalar(0), high: tf.scalar(1) }).name).toBe('affine-sigmoid');
    });
    expect(() => bijectorFor({ kind: 'interval' })).toThrow(/needs low and high/);
    expect(() => bijectorFor({ kind: 'binary' })).toThrow(/discrete/);
  });
});
