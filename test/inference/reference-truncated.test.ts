// Truncation (`~ … T[lo, hi]`) against a posterior computed without tilde: models/
// truncated_regression.tilde's exact posterior means and sds by quadrature on a grid
// (scripts/reference/truncated_regression_posterior.py → test/reference/own/truncated_regression.json;
// the quadrature error, the change from a 60³ to a 120³ grid, is below 1e-4, negligible next to
// 0.3 sd). With the full-rank guide every posterior mean must lie within 0.3 reference sd, the
// bound of the posteriordb reference tests.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { compile } from '../../inference/model.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('truncated regression against its quadrature posterior', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('full-rank fit: every posterior mean within 0.3 reference sd', { timeout: 120_000 }, async () => {
    const reference = JSON.parse(read('test/reference/own/truncated_regression.json')) as { parameters: Record<string, { mean: number; sd: number }>; quadrature_change_60_to_120: Record<string, number> };
    const data = JSON.parse(read('models/truncated_regression.json')) as Record<string, unknown>;
    const fit = await compile(read('models/truncated_regression.tilde'), { file: 'truncated_regression.tilde' }).fit({
      data,
      guide: 'fullrank',
      steps: 3000,
      particles: 8,
      lr: 0.05,
      tolRelObj: 0.01,
      seed: 1,
    });
    // The compiled engine runs it: the truncation's CDFs trace to its primitives.
    expect(fit.diagnostics.backend).toBe('js');
    const summary = fit.summary();
    for (const [name, ref] of Object.entries(reference.parameters)) {
      expect(reference.quadrature_change_60_to_120[name]!).toBeLessThan(0.01 * ref.sd);
      const z = Math.abs(summary[name]!.mean - ref.mean) / ref.sd;
      expect(z, `${name}: ${summary[name]!.mean} vs ${ref.mean} (sd ${ref.sd})`).toBeLessThan(0.3);
    }
  });

  it('ignoring the truncation misses the slope by more than 0.3 sd (the test can fail)', { timeout: 120_000 }, async () => {
    const reference = JSON.parse(read('test/reference/own/truncated_regression.json')) as { parameters: Record<string, { mean: number; sd: number }> };
    const data = JSON.parse(read('models/truncated_regression.json')) as Record<string, unknown>;
    const plain = read('models/truncated_regression.tilde').replace(/\) T\[lo, hi\]$/m, ')').replace('data lo: real\ndata hi: real\n', '');
    const { lo: _lo, hi: _hi, ...rest } = data;
    const fit = await compile(plain, { file: 'untruncated.tilde' }).fit({ data: rest, guide: 'fullrank', steps: 3000, particles: 8, lr: 0.05, tolRelObj: 0.01, seed: 1 });
    const ref = reference.parameters['beta']!;
    expect(Math.abs(fit.summary()['beta']!.mean - ref.mean) / ref.sd).toBeGreaterThan(0.3);
  });
});
