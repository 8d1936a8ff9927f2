import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { activeBackend, selectBackend } from '../../inference/backend.js';
import { tfjs as tf } from '../../inference/tfjs.js';

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process!.env;

/** A product on tfjs's kernels of the active backend. */
function matMulResult(): number[] {
  return tf.tidy(() => Array.from(tf.matMul(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), tf.tensor2d([[1, 0.5], [-1, 2], [0.25, 3]])).dataSync()));
}

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('tfjs is imported only for its kernels', () => {
  it('a fit on the JavaScript lowering loads no tfjs module; one on tfjs kernels does', () => {
    // A fresh process on the built package: this test's own process has tfjs loaded already.
    const script = `
      import { createRequire } from 'node:module';
      import { readFileSync } from 'node:fs';
      const require = createRequire(import.meta.url);
      const api = await import('./dist/index.js');
      const tfjsModules = () => Object.keys(require.cache).filter((k) => k.includes('@tensorflow')).length;
      const m = api.compile(readFileSync('models/eight_schools.tilde', 'utf8'), { file: 'eight_schools.tilde' });
      const data = JSON.parse(readFileSync('models/eight_schools.json', 'utf8'));
      const js = await m.fit({ data, seed: 1, steps: 200 });
      const before = { lowering: js.diagnostics.lowering, tfjsBackend: js.diagnostics.tfjsBackend ?? null, modules: tfjsModules(), active: api.activeBackend() ?? null };
      const cpu = await m.fit({ data, seed: 1, steps: 200, backend: 'cpu' });
      const after = { lowering: cpu.diagnostics.lowering, tfjsBackend: cpu.diagnostics.tfjsBackend ?? null, loaded: tfjsModules() > 0, active: api.activeBackend() ?? null };
      console.log(JSON.stringify({ before, after }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      before: { lowering: 'js', tfjsBackend: null, modules: 0, active: null },
      after: { lowering: 'tfjs', tfjsBackend: 'cpu', loaded: true, active: 'cpu' },
    });
  }, 60_000);
});

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
