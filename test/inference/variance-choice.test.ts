// estimator 'auto-variance' (inference/variance-choice.ts): each site with several unbiased
// estimators gets the one with the least measured gradient variance × work per step.

import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { compile } from '../../inference/model.js';
import { candidates, type MeasureAt, type VarianceChoice } from '../../inference/variance-choice.js';

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
    // remeasureEvery beyond the steps: measured at the start only.
    const fit = await m.fit({ data, estimator: 'auto-variance', remeasureEvery: 1000, steps: 200, particles: 4, seed: 2 });
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
    const again = await m.fit({ data, estimator: 'auto-variance', remeasureEvery: 1000, steps: 200, particles: 4, seed: 2 });
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

  it('measures again every remeasureEvery steps, at the fit’s parameters, until the final phase', { timeout: 120_000 }, async () => {
    const m = compile(ENUMERABLE, { file: 'e.tilde' });
    const fit = await m.fit({ data: { x: [1.5, 2.2, -0.3] }, estimator: 'auto-variance', remeasureEvery: 50, steps: 200, tolRelObj: 0, particles: 2, seed: 3 });
    const log = fit.diagnostics.estimatorChoice!;
    // The last fifth (the averaged phase) is not measured: a new step's optimiser restarts there.
    expect(log.map((c) => c.step)).toEqual([0, 50, 100]);
    for (const c of log) expect(c.chosen).toBe(c.measured.reduce((a, b) => (b.variance * b.work < a.variance * a.work ? b : a)).estimator);
    // Measured where the guide is then: the guide moves, so the REINFORCE figures differ between measurements.
    const reinforce = log.map((c) => c.measured.find((x) => x.estimator === 'reinforce')!.variance);
    expect(new Set(reinforce).size).toBe(3);
    expect(fit.plan.bySite.get('z')!.reason).toContain('at step 100, chosen by measured gradient variance');
  });

  it('refuses remeasureEvery without auto-variance', async () => {
    const m = compile(ENUMERABLE, { file: 'e.tilde' });
    await expect(m.fit({ data: { x: [1, 2, 3] }, remeasureEvery: 50, steps: 10 })).rejects.toThrow("fit option remeasureEvery: only with estimator 'auto-variance'");
  });

  // The switch itself, with the measurements scripted: REINFORCE, then enumeration from step 100,
  // then RELAX from step 200. The fit must go on from its parameters with each new step and end at
  // the exact posterior of z (its guide is a free Categorical, so the optimum is the posterior).
  it('goes on from its parameters with a new step when a choice changes', { timeout: 120_000 }, async () => {
    const m = compile(ENUMERABLE, { file: 'e.tilde' });
    const x = [0.6, 0.8, 0.4];
    const ll = (mu: number) => x.reduce((a, v) => a - 0.5 * (v - mu) ** 2, 0);
    const exact = 1 / (1 + Math.exp(Math.log(0.3) + ll(-1) - Math.log(0.7) - ll(2)));
    const script: Record<number, VarianceChoice['chosen']> = { 100: 'enumerate', 200: 'relax' };
    const seen: MeasureAt[] = [];
    const run = () => {
      seen.length = 0;
      const choose = async (at: MeasureAt): Promise<VarianceChoice[]> => {
        seen.push({ ...at, flat: Float32Array.from(at.flat), current: { ...at.current } });
        const chosen = script[at.step] ?? at.current.z!;
        return [{ site: 'z', step: at.step, chosen, measured: [] }];
      };
      // fitWith is the fit behind estimator 'auto-variance' (private: reached here to script its measurements).
      const fitWith = (m as unknown as { fitWith: (o: object, r: object) => Promise<Awaited<ReturnType<typeof m.fit>>> }).fitWith.bind(m);
      return fitWith({ data: { x }, estimator: { z: 'reinforce' }, init: 'random', steps: 1500, tolRelObj: 0, particles: 4, seed: 5, lr: 0.05 }, { every: 100, choose });
    };
    const fit = await run();
    // Measured where the fit starts, then every 100 steps until the final phase.
    expect(seen.map((a) => a.step)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100]);
    expect(seen.map((a) => a.current.z)).toEqual(['reinforce', 'reinforce', 'enumerate', ...Array(9).fill('relax')]);
    // The parameters handed over are the running fit's: they move between measurements.
    expect(seen[1]!.flat).not.toEqual(seen[2]!.flat);
    expect(fit.plan.bySite.get('z')!.estimator).toBe('relax');
    expect(fit.diagnostics.surrogates?.z).toBeDefined();
    const logits = fit.toJSON().flat;
    expect(logits).toHaveLength(2);
    const p1 = 1 / (1 + Math.exp(logits[0]! - logits[1]!));
    // The error is the optimiser's noise: its sd over seeds 1–7 is 0.0065 in logit scale; 0.03 is 4.6 sd.
    expect(Math.abs(Math.log(p1 / (1 - p1)) - Math.log(exact / (1 - exact)))).toBeLessThan(0.03);
    const again = await run();
    expect(again.toJSON().flat).toEqual(logits);
  });

  // A choice that changes as the guide moves: z picks the noise scale of 30 observations. At the
  // start q(z = 1) = ½ and REINFORCE's signal spreads over tens of nats, so enumeration (no variance
  // from z, twice the work) wins; once q(z) has settled on z = 1, z adds almost no variance and
  // REINFORCE, the cheapest, wins. The fit switches and ends at the closed-form posterior of m.
  it('switches when the measured choice changes during the fit (enumeration, then REINFORCE)', { timeout: 120_000 }, async () => {
    const src = `data y: real[30]
m ~ Normal(0, 10)
z ~ Bernoulli(0.5)
y ~ Normal(m, if z == 1 then 1 else 3)`;
    let state = 7;
    const uniform = () => (state = (state * 16807) % 2147483647) / 2147483647;
    const y = Array.from({ length: 30 }, () => 2 + Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
    const m = compile(src, { file: 'switch.tilde' });
    // A random start: the Laplace start would sum z out and begin at its posterior, where REINFORCE already wins.
    const fit = await m.fit({ data: { y }, estimator: 'auto-variance', remeasureEvery: 100, init: 'random', steps: 2000, particles: 4, seed: 1, draws: 4000 });
    const log = fit.diagnostics.estimatorChoice!;
    expect(log[0]!.chosen).toBe('enumerate');
    expect(log.at(-1)!.chosen).toBe('reinforce');
    expect(fit.plan.bySite.get('z')!.estimator).toBe('reinforce');
    expect(fit.plan.bySite.get('z')!.reason).toMatch(/enumerate at the start, then REINFORCE from step \d+/);
    // Given z = 1 (posterior odds above e^40 here), m | y is Normal with precision 1/100 + 30.
    const precision = 1 / 100 + 30;
    const mean = y.reduce((a, b) => a + b, 0) / precision;
    const row = fit.summary().m!;
    // 0.3 posterior sd, the reference tests' bound.
    expect(Math.abs(row.mean - mean)).toBeLessThan(0.3 / Math.sqrt(precision));
    expect(row.sd).toBeGreaterThan(0.8 / Math.sqrt(precision));
    expect(row.sd).toBeLessThan(1.2 / Math.sqrt(precision));
  });
});

