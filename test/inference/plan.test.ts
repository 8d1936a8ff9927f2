import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { front, model, modelsDir } from './front.js';
import type { CheckedProgram } from '../../language/checked.js';
import { formatPlan, makePlan, planToJSON, type Plan, type PlanOptions } from '../../inference/plan.js';

function planOf(p: CheckedProgram, opts?: PlanOptions): Plan {
  const { plan, diagnostics } = makePlan(p, opts);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return plan!;
}

function estimators(plan: Plan): Record<string, string> {
  return Object.fromEntries(plan.entries.map((e) => [e.site, e.estimator]));
}

describe('makePlan on the example models', () => {
  it('eight schools: reparam for every latent through automatic ADVI guides', () => {
    const plan = planOf(model('eight_schools'));
    expect(estimators(plan)).toEqual({ mu: 'reparam', tau: 'reparam', theta_raw: 'reparam' });
    expect(plan.bySite.get('tau')).toMatchObject({ scope: 'model', family: 'HalfCauchy', autoGuide: 'advi' });
    expect(plan.bySite.get('tau')!.reason).toBe('HalfCauchy; automatic Normal guide in unconstrained space (ADVI) (eight_schools.tilde:19)');
  });

  it('relax toy: b gets RELAX (optimisation mode, depends on the param phi)', () => {
    const plan = planOf(model('relax_toy'));
    expect(estimators(plan)).toEqual({ b: 'relax' });
    expect(formatPlan(plan)).toBe('b: RELAX — Bernoulli; reaches the cost only through `t - b` (relax_toy.tilde:17)');
  });

  it('gmm: z gets RELAX because it only gathers locs', () => {
    const plan = planOf(model('gmm'));
    expect(estimators(plan)).toEqual({ locs: 'reparam', scale: 'reparam', z: 'relax' });
    expect(plan.bySite.get('z')!.reason).toContain('reaches the likelihood only through `locs[z]` (gmm.tilde:24)');
    expect(plan.bySite.get('z')).toMatchObject({ autoGuide: 'discrete', smooth: true });
  });

  it('sbn: the explicit Bernoulli guide site gets RELAX', () => {
    const plan = planOf(model('sbn'));
    expect(plan.bySite.get('z')).toMatchObject({ scope: 'guide', family: 'Bernoulli', estimator: 'relax' });
    expect(formatPlan(plan)).toBe('z: RELAX — Bernoulli guide site (sbn.tilde:33); reaches the likelihood only through `z @ W` (sbn.tilde:28)');
  });

  it('hmm: element-defined states get RELAX', () => {
    expect(planOf(model('hmm')).bySite.get('z')?.estimator).toBe('relax');
  });

  it('every model plans without errors, and every reason names a file:line', () => {
    for (const f of readdirSync(modelsDir).filter((x) => x.endsWith('.tilde'))) {
      const plan = planOf(model(f.replace(/\.tilde$/, '')));
      expect(plan.entries.length, f).toBeGreaterThan(0);
      for (const e of plan.entries) expect(e.reason, `${f} ${e.site}`).toMatch(new RegExp(`${f.replace('.', '\\.')}:\\d+`));
      const json = planToJSON(plan);
      expect(Object.keys(json)).toEqual(plan.entries.map((e) => e.site));
    }
  });
});

describe('makePlan rules', () => {
  it('a Poisson latent: REINFORCE, infinite support', () => {
    const plan = planOf(
      front(`data y: int
n ~ Poisson(3)
y ~ Poisson(n + 1)`),
    );
    expect(plan.bySite.get('n')).toMatchObject({ estimator: 'reinforce', family: 'Poisson' });
    expect(plan.bySite.get('n')!.reason).toBe('Poisson; automatic Poisson guide with free parameters; Poisson has infinite support (test.tilde:2)');
  });

  it('a Binomial latent: REINFORCE, no continuous relaxation', () => {
    const plan = planOf(
      front(`data y: real
n ~ Binomial(5, 0.5)
y ~ Normal(n, 1)`),
    );
    expect(plan.bySite.get('n')).toMatchObject({ estimator: 'reinforce' });
    expect(plan.bySite.get('n')!.reason).toContain('Binomial has no continuous relaxation (test.tilde:2)');
  });

  it('a non-smooth Bernoulli: REINFORCE with the comparison and its place', () => {
    const plan = planOf(
      front(`data x: real
z ~ Bernoulli(0.5)
x ~ Normal(if z > 0 then 1 else 0, 1)`),
    );
    expect(plan.bySite.get('z')).toMatchObject({ estimator: 'reinforce', smooth: false });
    expect(plan.bySite.get('z')!.reason).toBe("Bernoulli; automatic Bernoulli guide with free logits; compared with '>' at test.tilde:3");
  });

  it('an explicit Gamma guide site: REINFORCE, no reparameterised sampler', () => {
    const plan = planOf(
      front(`data y: real
r ~ Gamma(2, 2)
y ~ Normal(r, 1)
guide {
  param a: positive = 1
  r ~ Gamma(a, 1)
}`),
    );
    expect(plan.bySite.get('r')).toMatchObject({ scope: 'guide', family: 'Gamma', estimator: 'reinforce' });
    expect(plan.bySite.get('r')!.reason).toBe('Gamma guide site (test.tilde:6); Gamma has no reparameterised sampler here (test.tilde:6)');
  });

  it('an explicit Normal guide site: reparam', () => {
    const plan = planOf(
      front(`data y: real
m ~ Normal(0, 1)
y ~ Normal(m, 1)
guide {
  param a: real
  m ~ Normal(a, 1)
}`),
    );
    expect(plan.bySite.get('m')).toMatchObject({ scope: 'guide', estimator: 'reparam' });
  });

  it('optimisation mode plans only latents that depend on a param, transitively', () => {
    const plan = planOf(
      front(`param phi: real
b ~ Bernoulli(logits = phi)
c ~ Normal(b, 1)
e ~ Normal(0, 1)
minimize (b - 0.3) ^ 2 + c + e`),
    );
    expect(estimators(plan)).toEqual({ b: 'reinforce', c: 'reparam' });
    expect(plan.bySite.get('b')!.reason).toBe("Bernoulli; its value decides how 'c' is drawn at test.tilde:3");
    expect(plan.bySite.get('c')!.reason).toBe('Normal; continuous, with a reparameterised sampler (test.tilde:3)');
  });

  it('fullrank guides say so', () => {
    const plan = planOf(model('eight_schools'), { guide: 'fullrank' });
    expect(plan.bySite.get('mu')).toMatchObject({ estimator: 'reparam', autoGuide: 'fullrank' });
    expect(plan.bySite.get('mu')!.reason).toContain('full-rank');
  });
});

describe('overrides', () => {
  const gmmLike = `data x: real[5]
locs: real[2] ~ Normal(0, 10)
z: int[5] ~ Categorical(ones(2) / 2) ANN
x ~ Normal(locs[z], 1)`;

  it('an annotation overrides the automatic choice and says what it would have been', () => {
    const plan = planOf(front(gmmLike.replace('ANN', '@reinforce')));
    const z = plan.bySite.get('z')!;
    expect(z).toMatchObject({ estimator: 'reinforce', overridden: 'annotation' });
    expect(z.reason).toBe('Categorical; @reinforce annotation (test.tilde:3), where RELAX would be chosen: automatic Categorical guide with free logits; reaches the likelihood only through `locs[z]` (test.tilde:4)');
    expect(planOf(front(gmmLike.replace('ANN', '@enumerate'))).bySite.get('z')?.estimator).toBe('enumerate');
    expect(planOf(front(gmmLike.replace('ANN', '@concrete'))).bySite.get('z')?.estimator).toBe('concrete');
  });

  it('an annotation on the guide site overrides', () => {
    const plan = planOf(
      front(`data y: real
z ~ Bernoulli(0.5)
y ~ Normal(z, 1)
guide {
  param a: real
  z ~ Bernoulli(logits = a) @reinforce
}`),
    );
    expect(plan.bySite.get('z')).toMatchObject({ scope: 'guide', estimator: 'reinforce', overridden: 'annotation' });
  });

  it('a blanket option applies to every discrete site and leaves continuous ones alone', () => {
    const plan = planOf(model('gmm'), { estimator: 'reinforce' });
    expect(estimators(plan)).toEqual({ locs: 'reparam', scale: 'reparam', z: 'reinforce' });
    expect(plan.bySite.get('z')).toMatchObject({ overridden: 'option' });
    expect(plan.bySite.get('z')!.reason).toContain('set by the estimator option, where RELAX would be chosen');
  });

  it('a per-site option wins over an annotation', () => {
    const plan = planOf(front(gmmLike.replace('ANN', '@reinforce')), { estimator: { z: 'enumerate', locs: 'reparam' } });
    expect(estimators(plan)).toEqual({ locs: 'reparam', z: 'enumerate' });
    expect(plan.bySite.get('z')?.overridden).toBe('option');
  });

  it('RELAX forced on a non-smooth site is allowed with a warning', () => {
    const p = front(`data x: real
z ~ Bernoulli(0.5) @relax
x ~ Normal(if z > 0 then 1 else 0, 1)`);
    const { plan, diagnostics } = makePlan(p);
    expect(plan?.bySite.get('z')?.estimator).toBe('relax');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ severity: 'warning', code: 'estimator-override', file: 'test.tilde' });
    expect(diagnostics[0]!.message).toContain('RELAX is unbiased anyway, but its control variate sees a non-smooth function');
    expect(diagnostics[0]!.message).toContain("compared with '>' at test.tilde:3");
    expect(diagnostics[0]!.span?.start.line).toBe(2);
  });

  it.each<[string, PlanOptions, string]>([
    ['reparam on a discrete site', { estimator: { z: 'reparam' } }, "the estimator option 'reparam' cannot apply to 'z': Categorical is discrete, and reparam needs a continuous family with a reparameterised sampler"],
    ['a blanket reparam', { estimator: 'reparam' }, "the estimator option 'reparam' cannot apply to 'z': Categorical is discrete"],
    ['relax on a continuous latent', { estimator: { locs: 'relax' } }, "the estimator option 'relax' cannot apply to 'locs': its automatic guide is a Normal in unconstrained space (Normal is continuous), and relax needs a discrete family"],
    // The automatic guide draws every continuous latent pathwise in one Normal: a score-function
    // estimator would have been a plan the engine did not follow.
    ['reinforce on an automatic continuous guide', { estimator: { locs: 'reinforce' } }, "the estimator option 'reinforce' cannot apply to 'locs': its automatic guide is a Normal in unconstrained space shared with the other continuous latents and drawn pathwise"],
    ['a name that is not a site', { estimator: { zz: 'reinforce' } }, "the estimator option names 'zz', but the model has no sample site 'zz'"],
    ['observed data', { estimator: { x: 'reinforce' } }, "the estimator option names 'x', but 'x' is observed data, not a latent"],
  ])('rejected: %s', (_what, opts, message) => {
    const { plan, diagnostics } = makePlan(front(gmmLike.replace('ANN', '')), opts);
    expect(plan).toBeUndefined();
    const errors = diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain(message);
    expect(errors[0]!.span).toBeDefined();
  });

  it('rejected: enumerate on infinite support, relax on Binomial', () => {
    const p = front(`data y: real
n ~ Poisson(3)
m ~ Binomial(4, 0.5)
y ~ Normal(n + m, 1)`);
    const a = makePlan(p, { estimator: { n: 'enumerate' } });
    expect(a.plan).toBeUndefined();
    expect(a.diagnostics[0]!.message).toBe("the estimator option 'enumerate' cannot apply to 'n': Poisson has infinite support, and enumerate needs a finite one");
    expect(a.diagnostics[0]!.span?.start.line).toBe(2);
    const b = makePlan(p, { estimator: { m: 'relax' } });
    expect(b.diagnostics[0]!.message).toBe("the estimator option 'relax' cannot apply to 'm': Binomial has no continuous relaxation (only Bernoulli and Categorical do)");
    expect(makePlan(p, { estimator: { m: 'enumerate' } }).plan?.bySite.get('m')?.estimator).toBe('enumerate');
  });

  it('rejected: an annotation that cannot apply to the explicit guide site', () => {
    const p = front(`data y: real
r ~ Normal(0, 1) @reparam
y ~ Normal(r, 1)
guide {
  r ~ Cauchy(0, 1)
}`);
    // Cauchy has a reparameterised sampler, so this is fine ...
    expect(planOf(p).bySite.get('r')).toMatchObject({ scope: 'guide', estimator: 'reparam', overridden: 'annotation' });
    const q = front(`data y: real
r ~ Exponential(1) @reparam
y ~ Normal(r, 1)
guide {
  param a: positive = 1
  r ~ Gamma(a, 1)
}`);
    // ... but the Gamma guide site has none.
    const { plan, diagnostics } = makePlan(q);
    expect(plan).toBeUndefined();
    expect(diagnostics[0]!.message).toBe("@reparam cannot apply to 'r': Gamma has no reparameterised sampler here");
    expect(diagnostics[0]!.span?.start.line).toBe(2);
  });

  it('an optimisation-mode latent that depends on no param cannot be given an estimator', () => {
    const p = front(`param phi: real
b ~ Bernoulli(logits = phi)
e ~ Normal(0, 1)
minimize (b - 0.3) ^ 2 + e`);
    const { plan, diagnostics } = makePlan(p, { estimator: { e: 'reinforce' } });
    expect(plan).toBeUndefined();
    expect(diagnostics[0]!.message).toBe("the estimator option names 'e', but 'e' does not depend on any param, so nothing optimises its distribution");
    expect(diagnostics[0]!.hint).toBe('optimised sites: b');
  });
});
