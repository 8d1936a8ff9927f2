// models/ordinal_regression.tilde (OrderedLogistic with cutpoints c: ordered[C]) against a
// reference posterior computed independently of tilde: a long random-walk Metropolis run in numpy
// (scripts/reference/ordinal_regression.py, result and command in
// test/reference/own/ordinal_regression.json; R-hat < 1.01 and ESS > 4,000 per parameter, Monte
// Carlo error of each mean < 0.01 sd). A full-rank fit on the compiled engine must put every
// posterior mean within 0.3 reference sd, and its sds within 25 % of the reference's.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { compile } from '../../inference/model.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(`${ROOT}/${path}`, 'utf8');

interface Reference {
  command: string;
  parameters: Record<string, { mean: number; sd: number; mcse: number; rhat: number; ess: number }>;
}

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('ordinal regression against its reference posterior', () => {
  it('a full-rank fit puts every mean within 0.3 reference sd', { timeout: 60_000 }, async () => {
    const reference = JSON.parse(read('test/reference/own/ordinal_regression.json')) as Reference;
    const fit = await compile(read('models/ordinal_regression.tilde'), { file: 'ordinal_regression.tilde' }).fit({
      data: JSON.parse(read('models/ordinal_regression.json')) as Record<string, unknown>,
      guide: 'fullrank',
      backend: 'js',
      seed: 1,
      draws: 4000,
    });
    expect(fit.diagnostics.backend).toBe('js');
    const summary = fit.summary();
    const names = Object.keys(reference.parameters);
    expect(names).toEqual(['beta[0]', 'beta[1]', 'c[0]', 'c[1]', 'c[2]']);
    for (const name of names) {
      const ref = reference.parameters[name]!;
      // The reference's own error is negligible next to the bound.
      expect(ref.rhat).toBeLessThan(1.01);
      expect(ref.mcse / ref.sd).toBeLessThan(0.02);
      const ours = summary[name]!;
      const z = Math.abs(ours.mean - ref.mean) / ref.sd;
      const line = `${name}: ${ours.mean.toFixed(4)} (sd ${ours.sd.toFixed(4)}) vs ${ref.mean.toFixed(4)} (sd ${ref.sd.toFixed(4)}), ${z.toFixed(3)} sd`;
      expect(z, line).toBeLessThan(0.3);
      expect(Math.abs(ours.sd / ref.sd - 1), line).toBeLessThan(0.25);
    }
    // Every draw of the cutpoints is in order.
    const c = fit.samples('c', 500) as number[][];
    expect(c.every((row) => row[0]! < row[1]! && row[1]! < row[2]!)).toBe(true);
  });
});
