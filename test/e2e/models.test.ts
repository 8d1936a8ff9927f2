// Every bundled model compiles, fits for a few steps with its planned estimators, and gives
// finite summaries without leaking tensors: the smoke test behind the README's promise
// that each model in models/ runs.
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../inference/backend.js';
import { compile } from '../../inference/model.js';

const dir = new URL('../../models/', import.meta.url);
const names = readdirSync(dir).filter((f) => f.endsWith('.tilde')).map((f) => f.replace(/\.tilde$/, ''));

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('bundled models', () => {
  it('there are models to test', () => {
    expect(names.length).toBeGreaterThanOrEqual(10);
  });

  for (const name of names) {
    it(`${name}: fits a few steps with finite summaries and no leaked tensors`, async () => {
      const source = readFileSync(new URL(`${name}.tilde`, dir), 'utf8');
      const data = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Record<string, unknown>;
      const model = compile(source, { file: `${name}.tilde` });
      const before = tf.memory().numTensors;
      // hmm unrolls 30 RELAX sites with a second-order backward pass: a few steps say enough.
      const steps = name === 'hmm' ? 4 : 20;
      const fit = await model.fit({ data, steps, particles: 2, draws: 20, evalEvery: steps / 2, seed: 1 });
      expect(tf.memory().numTensors).toBe(before);
      const rows = Object.entries(fit.summary());
      expect(rows.length).toBeGreaterThan(0);
      for (const [el, r] of rows) {
        expect(Number.isFinite(r.mean), `${el} mean ${r.mean}`).toBe(true);
        expect(Number.isFinite(r.sd), `${el} sd ${r.sd}`).toBe(true);
      }
      expect(Number.isFinite(fit.diagnostics.elbo)).toBe(true);
      expect(Object.keys(fit.planJSON()).sort()).toEqual(model.plan.entries.map((e) => e.site).sort());
    }, 180_000);
  }
});
