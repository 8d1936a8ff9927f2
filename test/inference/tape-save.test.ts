// Second handles on a buffer (inference/tape-save.ts): what `detach` is made of and what
// the tape's saves become while RELAX's ĝ is traced. No kernel, the same values, freed
// with the last handle, on cpu and wasm.
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../inference/backend.js';
import { alias } from '../../inference/tape-save.js';
import '../../inference/ops.js';

afterAll(async () => {
  await selectBackend('cpu');
});

describe.each(['cpu', 'wasm'] as const)('aliases on %s', (backend) => {
  it('an alias shares the buffer, outlives its source and is freed with it', async () => {
    await selectBackend(backend);
    const before = tf.memory().numTensors;
    const t = tf.tensor1d([1, 2, 3]);
    const a = alias(t);
    t.dispose();
    expect(Array.from(a.dataSync())).toEqual([1, 2, 3]);
    a.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(tf.tidy(() => tf.memory().numBytes));
  });

  it("the tape's saves are aliases: a gradient runs no Identity kernel and leaks no tensors", async () => {
    await selectBackend(backend);
    const x = tf.tensor1d([0.3, 1.2, 2.5]);
    const f = (v: tf.Tensor) => tf.sum(tf.mul(tf.exp(v), tf.square(v)));
    const once = () => tf.tidy(() => tf.grad(f)(x).dataSync());
    const got = once();
    const before = tf.memory().numTensors;
    const prof = await tf.profile(() => once());
    expect(prof.kernels.map((k) => k.name).filter((n) => n === 'Identity')).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    // d/dv eᵛv² = eᵛ(v² + 2v)
    [0.3, 1.2, 2.5].forEach((v, i) => expect(got[i]!).toBeCloseTo(Math.exp(v) * (v * v + 2 * v), 4));
    x.dispose();
  });
});
