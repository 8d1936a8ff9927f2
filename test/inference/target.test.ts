// target += / factor, the Stan-style log-density functions and the log-scale helpers, and
// truncation: values against scipy, gradients against closed forms, and the log joint of a
// program written with them against the same program written with `~`.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../inference/backend.js';
import { callDensity } from '../../inference/density-calls.js';
import { Interpreter } from '../../inference/evaluate.js';
import { buildGraph } from '../../inference/graph.js';
import { evaluateJoint } from '../../inference/joint.js';
import { compile } from '../../inference/model.js';
import { prepareStart } from '../../inference/prepare.js';
import { Rng } from '../../inference/rng.js';
import { planSignals } from '../../inference/estimators/signals.js';
import { analyseSmoothness } from '../../inference/smoothness.js';
import { DENSITY_FUNCTION_NAMES, densityFunction } from '../../language/density-functions.js';
import { FAMILIES, familyStem, snakeCase } from '../../language/distributions.js';
import { parseExpression } from '../../language/parse.js';
import { front } from './front.js';
import { irGrad } from './ir-grad.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** A constant expression's value, by the engine's interpreter. */
function value(text: string): number {
  const { expr, diagnostics } = parseExpression(text);
  if (!expr || diagnostics.length) throw new Error(`${text}: ${diagnostics.map((d) => d.message).join('; ')}`);
  const fail = (): never => {
    throw new Error('constant expressions only');
  };
  return tf.tidy(() => {
    const v = new Interpreter({ sizes: new Map(), siteOf: new Map(), elementShapes: new Map() }, { sample: fail, observe: fail, param: fail }, new Map()).eval(expr);
    return typeof v === 'number' ? v : (v as tf.Tensor).dataSync()[0]!;
  });
}

// scipy 1.17, float64 (weibull is weibull_min with scale): stats.<family>.logpdf / logpmf / logcdf / logsf (summed over the values; for
// _cdf the product of cdf), special.log_softmax, numpy logaddexp / log1p / expm1 / logsumexp.
const SCIPY: [string, number][] = [
  ['normal_lpdf([0.5, -1.2, 2.0] | 0.3, 1.7)', -5.244894124426827],
  ['student_t_lpdf(1.3 | 4, 0.5, 2)', -1.7720282164548746],
  ['poisson_lpmf([0, 3, 7] | 2.5)', -8.65401351155192],
  ['bernoulli_logit_lpmf([1, 0, 1] | 0.4)', -1.939045757199858],
  ['binomial_logit_lpmf(3 | 10, -0.2)', -1.7938969510338723],
  ['categorical_logit_lpmf(2 | [0.1, -0.5, 1.2])', -0.4157814496945411],
  ['categorical_lpmf([0, 2] | [0.2, 0.3, 0.5])', -2.3025850929940455],
  ['normal_lcdf(-12 | 0, 1)', -75.41067300156881],
  ['normal_lccdf(12 | 0, 1)', -75.41067300156881],
  ['normal_lcdf(1.5 | 0.5, 2)', -0.36894641528865635],
  ['normal_lccdf(-0.7 | 0.5, 2)', -0.3205539719875189],
  ['normal_cdf([0.3, -1] | 0, 1)', 0.09803489359453604],
  ['lognormal_lcdf(2 | 0.1, 0.8)', -0.26034603023050706],
  ['lognormal_lccdf(9 | 0.1, 0.8)', -5.431438873318706],
  ['exponential_lcdf(0.0001 | 2)', -8.517293189749571],
  ['exponential_lccdf(3 | 2)', -6.0],
  ['cauchy_lcdf(-50 | 0, 1)', -5.056886201505433],
  ['cauchy_lccdf(2 | 1, 0.5)', -1.9133603645040103],
  ['laplace_lcdf(-3 | 0, 1)', -3.6931471805599454],
  ['laplace_lccdf(0.5 | 0, 2)', -0.9431471805599453],
  ['uniform_lcdf(0.25 | -1, 1)', -0.4700036292457356],
  ['uniform_lccdf(0.25 | -1, 1)', -0.9808292530117262],
  ['half_normal_lcdf(0.3 | 2)', -2.126655716552974],
  ['half_normal_lccdf(5 | 1)', -14.371851213428783],
  ['logistic_lcdf(-3 | 0.5, 2)', -1.9102241504380872],
  ['logistic_lccdf(4 | 0.5, 2)', -1.9102241504380872],
  ['weibull_lcdf(0.5 | 1.5, 2)', -2.141290584763201],
  ['weibull_lccdf(3 | 1.5, 2)', -1.8371173070873836],
  ['half_cauchy_lcdf(1 | 2)', -1.220213183944065],
  ['half_cauchy_lccdf(100 | 1)', -5.056786223166523],
  // Families that other work added to the table get their functions with no change here:
  // scipy nbinom(n = phi, p = phi / (mu + phi)); ordered logistic by differences of expit(c − eta), 0-based.
  ['neg_binomial_2_lpmf(3 | 2.0, 5.0)', -1.8853020271027543],
  ['ordered_logistic_lpmf(1 | 0.3, [-1, 1])', -0.78960796],
  ['multi_normal_lpdf([0.5, -0.2] | [0, 0], [[1, 0.3], [0.3, 2]])', -2.3184967502658393], // scipy multivariate_normal.logpdf
  ['log_mix(0.3, -1, -2.5)', -1.7848434517769158],
  ['log_mix([0.2, 0.8], [-1000, -1001])', -1000.7046054708796],
  ['log1m_exp(-0.00001)', -11.512930464966061],
  ['log1m_exp(-20)', -2.061153624562735e-9],
  ['log_diff_exp(1000, 999)', 999.5413248546129],
  ['log1p_exp(50)', 50.0],
  ['log1m(0.3)', -0.35667494393873234],
  ['log_sum_exp([1000, 1000])', 1000.6931471805599],
];

describe('density functions and log-scale helpers against scipy', () => {
  it.each(SCIPY)('%s', (text, expected) => {
    // float32: a relative 2e-6 of the magnitude (1e-6 absolute near 0), and tighter than any real mistake.
    expect(Math.abs(value(text) - expected)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(expected)) + 1e-9);
  });

  it('the tensor path (not constant folding) agrees: log_mix and log1m_exp on a particle batch', () => {
    tf.tidy(() => {
      const got = value('log_mix(0.3, [-1, -1], [-2.5, -2.5])[0]');
      expect(got).toBeCloseTo(-1.7848434517769158, 5);
    });
  });
});

describe('the function names come from the family table', () => {
  it('stems are snake_case names unless the table says otherwise', () => {
    expect(snakeCase('HalfNormal')).toBe('half_normal');
    expect(snakeCase('StudentT')).toBe('student_t');
    expect(snakeCase('NegBinomial2')).toBe('neg_binomial_2');
    expect(FAMILIES.map(familyStem)).toContain('lognormal');
  });

  it('every family has its _lpdf or _lpmf, and _lcdf/_lccdf/_cdf exactly when it has a CDF', () => {
    for (const f of FAMILIES) {
      const s = familyStem(f);
      expect(DENSITY_FUNCTION_NAMES).toContain(`${s}_${f.discrete ? 'lpmf' : 'lpdf'}`);
      expect(DENSITY_FUNCTION_NAMES.includes(`${s}_lcdf`)).toBe(!!f.cdf);
    }
    expect(DENSITY_FUNCTION_NAMES).toEqual(expect.arrayContaining(['bernoulli_logit_lpmf', 'categorical_logit_lpmf', 'binomial_logit_lpmf']));
    expect(densityFunction('normal_lpmf')).toMatchObject({ ok: false });
    expect(densityFunction('exp')).toBeUndefined();
  });
});

describe('gradients', () => {
  it("d/dmu normal_lcdf(x | mu, 1) = −φ(z)/Φ(z) in the far tail and the middle", () => {
    // scipy: -exp(norm.logpdf(z) - norm.logcdf(z)) at z = x − mu = −8, 0, 3.
    const expected: [number, number][] = [[-8, -8.12136811223618], [0, -0.7978845608028654], [3, -0.004437839042125666]];
    const fn = densityFunction('normal_lcdf');
    if (!fn?.ok) throw new Error('no normal_lcdf');
    for (const [z, g] of expected) {
      const got = irGrad((mu: tf.Tensor) => callDensity(fn.fn, [tf.tensor1d([z]), mu, 1]), [0]).grad[0]!;
      expect(Math.abs(got - g)).toBeLessThan(1e-5 * Math.max(1, Math.abs(g)));
    }
  });
});

/** Log joint and its gradient at a few random points of the flat vector. */
function joint(source: string, data: Record<string, unknown>): { logp: number[]; grad: number[] } {
  const model = compile(source, { file: 'target.tilde' });
  const start = prepareStart(model.program, model.bind(data), { seed: 3, initScale: 0.7 });
  try {
    // The same draws (a fresh stream of the same seed) for the value and the compiled gradient.
    const logp = (flat: tf.Tensor) => evaluateJoint({ setup: start.setup, layout: start.layout, S: 3, rng: new Rng(11).split('steps'), mode: 'inference' }, flat).logp;
    const value = tf.tidy(() => Array.from(logp(tf.tensor1d(start.random)).dataSync()));
    return { logp: value, grad: irGrad(logp, start.random).grad };
  } finally {
    start.dispose();
  }
}

function expectClose(a: number[], b: number[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(x))));
}

describe('target += terms in the log joint', () => {
  const y = [0.5, 1.2, -0.3, 2.0];
  const tilde = 'data y: real[4]\nmu ~ Normal(0, 1)\nsigma ~ HalfNormal(1)\ny ~ Normal(mu, sigma)\n';
  const target = 'data y: real[4]\nmu ~ Normal(0, 1)\nsigma ~ HalfNormal(1)\ntarget += normal_lpdf(y | mu, sigma)\n';
  const looped = 'data y: real[4]\nmu ~ Normal(0, 1)\nsigma ~ HalfNormal(1)\nfor i in 0..4 {\n  factor(normal_lpdf(y[i] | mu, sigma))\n}\n';

  it('target += normal_lpdf(y | …) and factor(…) in a loop give the log joint and gradient of y ~ Normal(…)', () => {
    const a = joint(tilde, { y });
    expectClose(joint(target, { y }).logp, a.logp);
    expectClose(joint(target, { y }).grad, a.grad);
    expectClose(joint(looped, { y }).logp, a.logp);
    expectClose(joint(looped, { y }).grad, a.grad);
  });

  it('a conjugate model by target += fits its closed-form posterior, on the compiled engine', async () => {
    const fit = await compile('data y: real[4]\nmu ~ Normal(0, 1)\ntarget += normal_lpdf(y | mu, 1)\n').fit({ data: { y }, seed: 3, draws: 4000 });
    expect(fit.diagnostics.backend).toBe('js');
    // Closed form: precision 1 + 4, mean Σy / 5 = 0.68, sd 1/√5. The Gaussian guide is exact, so
    // 4 Monte Carlo standard errors of 4,000 draws plus 2% of the sd for the optimiser's noise.
    const sd = 1 / Math.sqrt(5);
    const s = fit.summary()['mu']!;
    expect(Math.abs(s.mean - 0.68)).toBeLessThan(4 * sd / Math.sqrt(4000) + 0.02 * sd);
    expect(Math.abs(s.sd - sd) / sd).toBeLessThan(0.05);
  });

  it('a truncated observation is its density over the mass of [lo, hi], as written by hand', () => {
    const data = { y: [0.5, 1.2, 0.3, 2.0] };
    const truncated = 'data y: real[4]\nmu ~ Normal(0, 1)\nsigma ~ HalfNormal(1)\ny ~ Normal(mu, sigma) T[0, 3]\n';
    const byHand = 'data y: real[4]\nmu ~ Normal(0, 1)\nsigma ~ HalfNormal(1)\ny ~ Normal(mu, sigma)\ntarget += -4 * log_diff_exp(normal_lcdf(3 | mu, sigma), normal_lcdf(0 | mu, sigma))\n';
    const a = joint(truncated, data);
    const b = joint(byHand, data);
    expectClose(a.logp, b.logp);
    expectClose(a.grad, b.grad);
    // One-sided: T[0, ] is the lccdf at 0.
    const lower = joint('data y: real[4]\nmu ~ Normal(0, 1)\nsigma ~ HalfNormal(1)\ny ~ Normal(mu, sigma) T[0, ]\n', data);
    const lowerByHand = joint('data y: real[4]\nmu ~ Normal(0, 1)\nsigma ~ HalfNormal(1)\ny ~ Normal(mu, sigma)\ntarget += -4 * normal_lccdf(0 | mu, sigma)\n', data);
    expectClose(lower.logp, lowerByHand.logp);
  });

  it('posterior predictive draws of a truncated observation stay inside its bounds', async () => {
    const data = { y: [0.5, 1.2, 0.3, 2.0] };
    const src = 'data y: real[4]\nmu ~ Normal(0, 1)\nsigma ~ HalfNormal(1)\ny ~ Normal(mu, sigma)';
    const truncated = await compile(`${src} T[0, 3]\n`).fit({ data, seed: 2, draws: 2000 });
    for (const row of Object.values(truncated.predict('y'))) {
      expect(row.q5).toBeGreaterThanOrEqual(0);
      expect(row.q95).toBeLessThanOrEqual(3);
    }
    // Power: without T[…] the same data's predictive reaches below 0.
    const plain = await compile(`${src}\n`).fit({ data, seed: 2, draws: 2000 });
    expect(plain.predict('y')['y[0]']!.q5).toBeLessThan(0);
  });

  it('a minibatch is refused: a target term cannot be scaled by N/B', async () => {
    const m = compile('plate N\ndata y: real[N]\nmu ~ Normal(0, 1)\nfor i in 0..N {\n  target += normal_lpdf(y[i] | mu, 1)\n}\n', { file: 'mb.tilde' });
    await expect(m.fit({ data: { N: 4, y }, batchSize: 2, steps: 5 })).rejects.toThrow(/the target term at mb\.tilde:5:3 is not scaled by N\/B/);
  });

  it('data outside the truncation is refused, naming the value and the bound', async () => {
    const m = compile('data y: real[3]\nmu ~ Normal(0, 1)\ny ~ Normal(mu, 1) T[0, 2]\n', { file: 'trunc.tilde' });
    await expect(m.fit({ data: { y: [0.5, 2.5, 1] }, steps: 5 })).rejects.toThrow(/y\[1\] = 2\.5 is above the truncation's upper bound 2 = 2/);
  });
});

describe('planning sees target terms as log-likelihood terms', () => {
  const src = 'data y: real\nmu: real[2] ~ Normal(0, 3)\nz ~ Bernoulli(0.5)\ntarget += normal_lpdf(y | mu[z], 1)\n';

  it('the graph has a cost node reading z, and z\'s signal includes the term', () => {
    const p = front(src);
    const g = buildGraph(p);
    const cost = g.nodes.find((n) => n.kind === 'cost' && n.target)!;
    expect(cost.id).toBe('cost:target@4:1');
    expect(cost.parents).toEqual(['y', 'mu', 'z']);
    expect(planSignals(p, ['z'], g).get('z')!.dependents.has(cost.id)).toBe(true);
  });

  it('a gather by z in the term is smooth; a comparison is not, located', () => {
    expect(analyseSmoothness(front(src)).get('z')!.smooth).toBe(true);
    const rough = analyseSmoothness(front('data y: real\nz ~ Bernoulli(0.5)\ntarget += if z > 0 then -y ^ 2 else 0\n')).get('z')!;
    expect(rough.smooth).toBe(false);
    expect(rough.firstNonSmooth!.why).toBe("compared with '>'");
    expect(rough.firstNonSmooth!.span.start.line).toBe(3);
  });
});
