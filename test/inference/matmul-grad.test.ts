// The flagless matMul gradient (inference/matmul-grad.ts) against tfjs's own on the cpu
// backend: first and second derivatives, every transpose combination, on wasm. The
// oracle is the flagged form evaluated on cpu (where the flagless one is not used).
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../inference/backend.js';
import { flaglessMatMul } from '../../inference/matmul-grad.js';
import '../../inference/ops.js';
import { Rng } from '../../inference/rng.js';

afterAll(async () => {
  await selectBackend('cpu');
});

const rng = new Rng('matmul-grad');
const values = (n: number) => Array.from({ length: n }, () => rng.normal());

// f(a, b) = Σ sin(op(a) @ op(b)); g = ∂f/∂a; h = ∂/∂b Σ g² (a second-order quantity).
function derivatives(A: number[], B: number[], sa: [number, number], sb: [number, number], ta: boolean, tb: boolean) {
  return tf.tidy(() => {
    const a = tf.tensor2d(A, sa);
    const b = tf.tensor2d(B, sb);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x, y, ta, tb)));
    const [ga, gb] = tf.grads(f)([a, b]);
    const h = tf.grad((y: tf.Tensor) => tf.sum(tf.square(tf.grads(f)([a, y])[0]!)))(b);
    return { ga: Array.from(ga!.dataSync()), gb: Array.from(gb!.dataSync()), h: Array.from(h.dataSync()) };
  });
}

describe('matMul gradient without transposed kernels', () => {
  // Shapes where the cheaper identity differs: a batch-sized operand against a wide one.
  const cases: { ta: boolean; tb: boolean; sa: [number, number]; sb: [number, number] }[] = [
    { ta: false, tb: false, sa: [3, 7], sb: [7, 5] },
    { ta: false, tb: true, sa: [3, 7], sb: [5, 7] },
    { ta: true, tb: false, sa: [7, 3], sb: [7, 5] },
    { ta: true, tb: true, sa: [7, 3], sb: [5, 7] },
    { ta: false, tb: false, sa: [2, 30], sb: [30, 40] },
  ];
  for (const c of cases) {
    it(`transposeA ${c.ta}, transposeB ${c.tb}, ${c.sa} × ${c.sb}: wasm equals cpu at first and second order`, async () => {
      const A = values(c.sa[0] * c.sa[1]);
      const B = values(c.sb[0] * c.sb[1]);
      await selectBackend('cpu');
      const want = derivatives(A, B, c.sa, c.sb, c.ta, c.tb);
      await selectBackend('wasm');
      const got = derivatives(A, B, c.sa, c.sb, c.ta, c.tb);
      for (const k of ['ga', 'gb', 'h'] as const) {
        expect(got[k].length).toBe(want[k].length);
        got[k].forEach((g, i) => expect(Math.abs(g - want[k][i]!), `${k}[${i}]`).toBeLessThan(1e-4 * (1 + Math.abs(want[k][i]!))));
      }
    });
  }

  it('flaglessMatMul equals the flagged product for every combination', async () => {
    await selectBackend('wasm');
    const A = values(12);
    const B = values(20);
    for (const [ta, tb, sa, sb] of [
      [false, true, [3, 4], [5, 4]],
      [true, false, [4, 3], [4, 5]],
      [true, true, [4, 3], [5, 4]],
    ] as const) {
      const [x, y] = tf.tidy(() => {
        const a = tf.tensor2d(A, [...sa]);
        const b = tf.tensor2d(B.slice(0, sb[0] * sb[1]), [...sb]);
        return [Array.from(flaglessMatMul(a, b, ta, tb).dataSync()), Array.from(tf.matMul(a, b, ta, tb).dataSync())];
      });
      x.forEach((v, i) => expect(v).toBeCloseTo(y[i]!, 5));
    }
  });
});
