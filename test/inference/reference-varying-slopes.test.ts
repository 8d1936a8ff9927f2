// models/varying_slopes.tilde against its own reference posterior (test/reference/own/
// varying_slopes.json): a numpy random-walk Metropolis sampler, independent of tilde, written in
// scripts/reference/varying_slopes.py (640,000 draws; split R-hat < 1.01 and ESS > 10,000 for every
// reported quantity, so its Monte Carlo error is below 0.01 sd). A full-rank fit must put every
// mean of mu, tau, sigma and the correlation Omega[0, 1] within 0.3 reference sd, on the compiled
// engine (backend 'js', no fallback).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../../inference/model.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Ref {
  command: string;
  posterior: Record<string, { mean: number; sd: number; mcse: number; rhat: number; ess: number }>;
}

describe('varying slopes (correlated intercepts and slopes, LKJ prior)', () => {
  it('full-rank fit: every mean within 0.3 reference sd', { timeout: 90_000 }, async () => {
    const ref = JSON.parse(readFileSync(`${ROOT}/test/reference/own/varying_slopes.json`, 'utf8')) as Ref;
    const source = readFileSync(`${ROOT}/models/varying_slopes.tilde`, 'utf8');
    const data = JSON.parse(readFileSync(`${ROOT}/models/varying_slopes.json`, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(ref.posterior).sort()).toEqual(['Omega[0, 1]', 'mu[0]', 'mu[1]', 'sigma', 'tau[0]', 'tau[1]']);
    for (const r of Object.values(ref.posterior)) {
      expect(r.rhat).toBeLessThan(1.01);
      expect(r.ess).toBeGreaterThan(1000);
    }
    const fit = await compile(source, { file: 'varying_slopes.tilde' }).fit({ data, guide: 'fullrank', seed: 1, draws: 4000, backend: 'js' });
    expect(fit.diagnostics.backend).toBe('js');
    const summary = fit.summary();
    const rows = Object.entries(ref.posterior).map(([name, r]) => ({ name, mean: summary[name]!.mean, ref: r, z: Math.abs(summary[name]!.mean - r.mean) / r.sd }));
    const table = rows.map((r) => `${r.name.padEnd(12)} ${r.mean.toFixed(4)} vs ${r.ref.mean.toFixed(4)} (sd ${r.ref.sd.toFixed(4)}): ${r.z.toFixed(3)} sd`).join('\n');
    const d = fit.diagnostics;
    for (const r of rows) expect(r.z, `${r.name}\n${d.steps} steps, ${d.seconds.toFixed(1)} s, khat ${d.khat.toFixed(2)}\n${table}`).toBeLessThan(0.3);
    // The factor is a correlation's: unit rows, and Omega = L Lᵀ has a unit diagonal.
    expect(summary['L[0, 1]']!.mean).toBe(0);
    expect(summary['Omega[1, 1]']!.mean).toBeCloseTo(1, 5);
    expect(summary['Omega[1, 0]']!.mean).toBeCloseTo(summary['L[1, 0]']!.mean, 5);
  });
});
