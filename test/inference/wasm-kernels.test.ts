// wasm's Slice and SplitV with the in-heap path for contiguous pieces (inference/wasm-kernels.ts)
// give exactly what the cpu backend gives, contiguous or not, and leak nothing.
import { afterAll, describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { selectBackend } from '../../inference/backend.js';
import { tfjs as tf } from '../../inference/tfjs.js';

afterAll(async () => {
  await selectBackend('cpu');
});

const values = (n: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) * 10);

type Case = { shape: number[]; begin: number[]; size: number[] };
const SLICES: Case[] = [
  { shape: [12], begin: [3], size: [5] }, // contiguous vector range
  { shape: [4, 5], begin: [1, 0], size: [2, 5] }, // whole rows: contiguous
  { shape: [4, 5], begin: [1, 2], size: [2, 3] }, // a block: strided, the backend's own kernel
  { shape: [1, 4, 5, 2], begin: [0, 1, 0, 1], size: [1, 3, 5, 1] }, // strided rank 4
  { shape: [2, 3, 4], begin: [1, 2, 0], size: [1, 1, 4] }, // one contiguous row of a rank-3
  { shape: [3, 1, 6], begin: [0, 0, 2], size: [3, 1, -1] }, // size -1 = to the end, strided
];
const SPLITS: { shape: number[]; sizes: number[] | number; axis: number }[] = [
  { shape: [314], sizes: [200, 100, 14], axis: 0 },
  { shape: [6, 4], sizes: 3, axis: 0 },
  { shape: [1, 6, 4], sizes: [1, 5], axis: 1 }, // leading unit axes: still contiguous
  { shape: [3, 6], sizes: [2, 4], axis: 1 }, // strided: the backend's own kernel
];

async function run(backend: 'cpu' | 'wasm') {
  await selectBackend(backend);
  return tf.tidy(() => {
    const slices = SLICES.map((c) => {
      const x = tf.tensor(values(c.shape.reduce((a, b) => a * b, 1)), c.shape);
      const s = tf.slice(x, c.begin, c.size);
      return [s.shape, Array.from(s.dataSync())];
    });
    const splits = SPLITS.map((c) => {
      const x = tf.tensor(values(c.shape.reduce((a, b) => a * b, 1)), c.shape);
      return tf.split(x, c.sizes, c.axis).map((p) => [p.shape, Array.from(p.dataSync())]);
    });
    const ints = Array.from(tf.slice(tf.tensor1d([1, 2, 3, 4, 5], 'int32'), [1], [3]).dataSync());
    return { slices, splits, ints };
  });
}

describe('contiguous slices and splits on wasm', () => {
  it('equal the cpu backend on contiguous and strided cases, int32 included', async () => {
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(wasm).toEqual(cpu);
    expect(wasm.ints).toEqual([2, 3, 4]);
  });

  it('gradients through a split are unchanged, and no tensor or wasm memory is leaked', async () => {
    await selectBackend('wasm');
    const x = tf.variable(tf.tensor1d(values(40)));
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const [a, b, c] = tf.split(x, [10, 25, 5]);
          return tf.add(tf.sum(tf.square(a!)), tf.add(tf.sum(tf.mul(b!, 3)), tf.sum(tf.slice(c!, [1], [2])))) as TF.Scalar;
        }, [x]);
        return Array.from(grads[x.name]!.dataSync());
      });
    const g = step();
    const expected = values(40).map((v, i) => (i < 10 ? 2 * v : i < 35 ? 3 : i === 36 || i === 37 ? 1 : 0));
    g.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytes);
    x.dispose();
  });
});
