import { afterAll, describe, expect, it } from 'vitest';
import { activeBackend, selectBackend, tf } from '../../inference/backend.js';

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process!.env;

function matMulResult(): number[] {
  return tf.tidy(() => Array.from(tf.matMul(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), tf.tensor2d([[1, 0.5], [-1, 2], [0.25, 3]])).dataSync()));
}

describe('backend selection', () => {
  afterAll(async () => {
    delete env.TILDE_BACKEND;
    await selectBackend('cpu');
  });

  it('cpu and wasm both initialise here and agree on a matMul', async () => {
    expect(await selectBackend('cpu')).toBe('cpu');
    expect(activeBackend()).toBe('cpu');
    const onCpu = matMulResult();
    expect(await selectBackend('wasm')).toBe('wasm');
    expect(activeBackend()).toBe('wasm');
    expect(matMulResult()).toEqual(onCpu);
    expect(onCpu).toEqual([-0.25, 13.5, 0.5, 30]);
  });

  it('auto prefers tensorflow, then wasm (tfjs-node is absent here)', async () => {
    await selectBackend('cpu');
    expect(await selectBackend('auto')).toBe('wasm');
    expect(await selectBackend()).toBe('wasm'); // idempotent
  });

  it('TILDE_BACKEND overrides auto but not an explicit request', async () => {
    env.TILDE_BACKEND = 'cpu';
    expect(await selectBackend('auto')).toBe('cpu');
    expect(await selectBackend('wasm')).toBe('wasm');
    env.TILDE_BACKEND = 'gpu-please';
    await expect(selectBackend()).rejects.toThrow(/unknown backend 'gpu-please' in TILDE_BACKEND/);
    delete env.TILDE_BACKEND;
  });

  it('an explicit tensorflow request fails and names the available backends', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(/backend 'tensorflow' is not available here.*available: wasm, cpu/s);
  });
});
