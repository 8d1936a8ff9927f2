// A model whose one posterior draw holds many values (a belief net's latents and replicates over
// a data set) keeps fewer draws than asked for, and says so: draws compiled to JavaScript (backend
// js), compiled to tfjs kernels (a fit on them, backend cpu), or made eagerly in bounded passes
// where the draw does not trace (truncated replicates, drawn by rejection). The limits are lowered
// here so that a small model reaches them.
import { afterEach, describe, expect, it } from 'vitest';
import { compile, DRAW_LIMITS } from '../../inference/model.js';

const SOURCE = `data N: int
data y: real[N]
mu ~ Normal(0, 5)
y ~ Normal(mu, 1)
`;
// The same model with its data truncated to [0, 10]: its replicates are drawn by rejection, which reads values back.
const TRUNCATED = SOURCE.replace('y ~ Normal(mu, 1)', 'y ~ Normal(mu, 1) T[0, 10]');
const data = { N: 30, y: Array.from({ length: 30 }, (_, i) => 1 + Math.sin(i)) };
// One draw: mu (1), the replicate of y (30) and the importance weight (1).
const PER_DRAW = 32;
const saved = { ...DRAW_LIMITS };

afterEach(() => Object.assign(DRAW_LIMITS, saved));

describe('posterior draws of a large model', () => {
  const cases = [
    { backend: 'js', source: SOURCE, how: 'compiled to JavaScript' },
    { backend: 'cpu', source: SOURCE, how: 'compiled to tfjs kernels' },
    { backend: 'js', source: TRUNCATED, how: 'eager, in passes' },
  ] as const;
  for (const { backend, source, how } of cases) {
    it(`keep at most the values allowed (${how}), say how many were kept, and repeat with the seed`, async () => {
      const m = compile(source, { file: 'limits.tilde' });
      const full = await m.fit({ data, steps: 300, backend, seed: 4 });
      expect(full.diagnostics.drawsKept).toBeUndefined();
      expect(full.posterior.nDraws).toBe(1000);

      DRAW_LIMITS.values = 100 * PER_DRAW + 5;
      // Eagerly, passes of 7 draws: the last pass holds the remaining 2.
      DRAW_LIMITS.pass = 7 * PER_DRAW;
      const fit = await m.fit({ data, steps: 300, backend, seed: 4 });
      expect(fit.diagnostics.drawsKept).toEqual({ kept: 100, asked: 1000, valuesPerDraw: PER_DRAW });
      expect(fit.posterior.nDraws).toBe(100);
      // The kept draws are draws of the same posterior: mu's mean within 4 standard errors of the full set's.
      const a = fit.summary()['mu']!;
      const b = full.summary()['mu']!;
      expect(Math.abs(a.mean - b.mean)).toBeLessThan(4 * b.sd / Math.sqrt(100));
      expect(a.sd).toBeGreaterThan(0.5 * b.sd);
      expect(a.sd).toBeLessThan(1.5 * b.sd);
      const again = await m.fit({ data, steps: 300, backend, seed: 4 });
      expect(again.summary()).toEqual(fit.summary());
    }, 60_000);
  }
});
