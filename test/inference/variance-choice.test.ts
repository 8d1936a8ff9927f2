// estimator 'auto-variance' (inference/variance-choice.ts): each site with several unbiased
// estimators gets the one with the least measured gradient variance × work per step.

import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { compile } from '../../inference/model.js';
import { candidates } from '../../inference/variance-choice.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

// The only latent is z: under enumeration its ELBO gradient is exact, so the variance is 0 and
// enumeration must win whatever the other candidates measure.
const ENUMERABLE = `data x: real[3]
data mu: real[2] = [-1, 2]
z ~ Categorical([0.3, 0.7])
x ~ Normal(mu[z], 1)`;

describe("estimator 'auto-variance'", () => {
  it('lists the unbiased candidates per site, the plan’s choice first', () => {
    const m = compile(ENUMERABLE, { file: 'e.tilde' });
    expect([...candidates(m.program, m.plan)]).toEqual([['z', ['relax', 'reinforce', 'enumerate']]]);
    const step = compile('param mu: real = 0\nx ~ Normal(mu, 1)\nminimize x > 0.3', { file: 's.tilde' });
    expect([...candidates(step.program, step.plan)]).toEqual([['x', ['lax', 'reinforce']]]);
    // reparam-only models have nothing to choose.
    const smooth = compile('data y: real\nm ~ Normal(0, 1)\ny ~ Normal(m, 1)', { file: 'n.tilde' });
    expect(candidates(smooth.program, smooth.plan).size).toBe(0);
  });

  it('measures every candidate, keeps the least variance × work, says so in the plan, and is deterministic', { timeout: 120_000 }, async () => {
    const m = compile(ENUMERABLE, { file: 'e.tilde' });
    const data = { x: [1.5, 2.2, -0.3] };
    const fit = await m.fit({ data, estimator: 'auto-variance', steps: 200, particles: 4, seed: 2 });
    const choice = fit.diagnostics.estimatorChoice!;
    expect(choice.map((c) => c.site)).toEqual(['z']);
    const c = choice[0]!;
    expect(c.measured.map((x) => x.estimator)).toEqual(['relax', 'reinforce', 'enumerate']);
    const en = c.measured.find((x) => x.estimator === 'enumerate')!;
    expect(en.variance).toBeLessThan(1e-12); // exact up to float rounding
    for (const x of c.measured) expect(x.work).toBeGreaterThan(0);
    for (const x of c.measured.filter((y) => y.estimator !== 'enumerate')) expect(x.variance).toBeGreaterThan(0);
    expect(c.chosen).toBe('enumerate');
    expect(fit.plan.bySite.get('z')!.estimator).toBe('enumerate');
    expect(fit.plan.bySite.get('z')!.reason).toContain('chosen by measured gradient variance × work per step: RELAX');
    // The choice is made on counts, not timings: the same options give the same fit.
    const again = await m.fit({ data, estimator: 'auto-variance', steps: 200, particles: 4, seed: 2 });
    expect(again.diagnostics.estimatorChoice).toEqual(choice);
    expect(again.diagnostics.elbo).toBe(fit.diagnostics.elbo);
  });

  it('picks the smaller product where both candidates have variance (the step objective)', { timeout: 120_000 }, async () => {
    const m = compile('param mu: real = 0\nx ~ Normal(mu, 1)\nminimize x > 0.3', { file: 's.tilde' });
    const fit = await m.fit({ estimator: 'auto-variance', steps: 50, particles: 1, seed: 1 });
    const c = fit.diagnostics.estimatorChoice![0]!;
    const best = c.measured.reduce((a, b) => (b.variance * b.work < a.variance * a.work ? b : a));
    expect(c.chosen).toBe(best.estimator);
    expect(fit.plan.bySite.get('x')!.estimator).toBe(best.estimator);
  });
});
