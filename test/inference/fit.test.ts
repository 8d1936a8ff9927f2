import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile, FIT_DEFAULTS, type Fit } from '../../inference/model.js';
import { selectBackend, tf } from '../../inference/backend.js';

const model = (name: string) => readFileSync(new URL(`../../models/${name}.tilde`, import.meta.url), 'utf8');
const data = (name: string) => JSON.parse(readFileSync(new URL(`../../models/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

beforeAll(async () => {
  await selectBackend('cpu');
});

/** Monte Carlo standard error of a posterior mean estimated from `n` independent draws. */
const mcse = (sd: number, n: number) => sd / Math.sqrt(n);

describe('conjugate posteriors', () => {
  it('normal–normal: mean and sd match the closed form', async () => {
    const fit = await compile(model('normal_normal'), { file: 'normal_normal.tilde' }).fit({ data: data('normal_normal'), seed: 3, draws: 4000 });
    const s = fit.summary()['mu']!;
    // Closed form (models/normal_normal.tilde): Normal(2.93332, 0.445435). A Gaussian guide is exact here,
    // so what remains is Monte Carlo error of the draws (4 standard errors) plus the optimiser's
    // residual noise, which iterate averaging keeps below 2% of the posterior sd.
    const sd = 0.445435;
    expect(Math.abs(s.mean - 2.93332)).toBeLessThan(4 * mcse(sd, 4000) + 0.02 * sd);
    // The sample sd of n normal draws has standard error sd/√(2(n−1)).
    expect(Math.abs(s.sd - sd)).toBeLessThan(4 * sd / Math.sqrt(2 * 3999) + 0.03 * sd);
    expect(fit.diagnostics.converged).toBe(true);
  });

  it('gamma–Poisson: the LogNormal-shaped guide is close to Gamma(89, 25.5)', async () => {
    const fit = await compile(model('gamma_poisson'), { file: 'gamma_poisson.tilde' }).fit({ data: data('gamma_poisson'), seed: 5, draws: 4000 });
    const s = fit.summary()['rate']!;
    // A Normal guide on log(rate) is a LogNormal; the Gamma(89, 25.5) posterior has skewness
    // 2/√89 = 0.21, and the best LogNormal in KL(q‖p) matches its mean to within ~0.5% of the
    // mean (computed numerically for this shape), so allow that plus 4 MC standard errors.
    const mean = 89 / 25.5;
    const sd = Math.sqrt(89) / 25.5;
    expect(Math.abs(s.mean - mean)).toBeLessThan(4 * mcse(sd, 4000) + 0.005 * mean);
    expect(Math.abs(s.sd - sd) / sd).toBeLessThan(0.1);
  });
});

describe('fit behaviour', () => {
  const src = 'data y: real[3]\nmu ~ Normal(0, 1)\ntau ~ HalfNormal(1)\ny ~ Normal(mu, tau)\n';
  const d = { y: [0.5, 1.2, -0.3] };

  it('same seed gives identical summaries; another seed differs', async () => {
    const m = compile(src);
    const a = await m.fit({ data: d, seed: 7, steps: 400 });
    const b = await m.fit({ data: d, seed: 7, steps: 400 });
    const c = await m.fit({ data: d, seed: 8, steps: 400 });
    expect(b.summary()).toEqual(a.summary());
    expect(c.summary()['mu']!.mean).not.toBe(a.summary()['mu']!.mean);
  });

  it('keeps the tensor count flat over 5,000 steps', async () => {
    const m = compile(src);
    await m.fit({ data: d, steps: 50, seed: 1 });
    const before = tf.memory().numTensors;
    await m.fit({ data: d, steps: 5000, seed: 1, tolRelObj: 1e-12 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an aborted fit resolves with the result so far', async () => {
    const ctl = new AbortController();
    let events = 0;
    const fit = await compile(src).fit({
      data: d,
      steps: 100_000,
      tolRelObj: 1e-12,
      signal: ctl.signal,
      onProgress: () => {
        if (++events === 3) ctl.abort();
      },
    });
    expect(fit.diagnostics.stopped).toBe('aborted');
    // Progress events come every evalEvery steps; the third one aborts.
    expect(fit.diagnostics.steps).toBe(3 * FIT_DEFAULTS.evalEvery);
  });

  it('a NaN ELBO stops with the site named', async () => {
    // A data value outside Poisson's support gives log p = -inf at every step.
    const bad = compile('data y: real[2]\nrate ~ Exponential(1)\ny ~ Normal(rate, 1 / (rate - rate))\n', { file: 'bad.tilde' });
    await expect(bad.fit({ data: { y: [1, 2] }, steps: 200 })).rejects.toThrow(/non-finite.*'y' \(bad\.tilde:3:1\)/);
  });

  it('an observed value outside its family\'s support is named with its index and value, not blamed on the step size', async () => {
    const m = compile('data N: int\ndata x: int[N]\np ~ Beta(1, 1)\nx ~ Bernoulli(p)\n', { file: 'b.tilde' });
    const err = (await m.fit({ data: { N: 3, x: [0, 1, 2] }, steps: 100 }).then(() => undefined, (e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/observed 'x' \(b\.tilde:4:1\) is -Infinity at x\[2\] = 2: the value is outside the support of Bernoulli/);
    expect(err.message).not.toMatch(/learning rate/);
  });

  it('rejects unknown options and bad values with what was expected', async () => {
    const m = compile(src);
    await expect(m.fit({ data: d, stepz: 3 } as never)).rejects.toThrow(/unknown fit option: stepz/);
    await expect(m.fit({ data: d, particles: 0 })).rejects.toThrow(/particles must be a positive integer, found 0/);
  });

  it('answers queries with Monte Carlo standard errors', async () => {
    const fit: Fit = await compile(src).fit({ data: d, seed: 2, steps: 2000 });
    const p = fit.query('P(mu > 0)');
    expect(p.kind).toBe('probability');
    if (p.kind === 'probability') {
      expect(p.value).toBeGreaterThan(0.5);
      expect(p.se).toBeCloseTo(Math.sqrt((p.value * (1 - p.value)) / p.draws), 12);
    }
    const e = fit.query('E(tau ^ 2)');
    expect(e.kind).toBe('expectation');
    const diff = fit.query('mu - mu');
    expect(diff.kind === 'summary' && diff.rows['mu - mu']!.sd).toBe(0);
  });

  it('round-trips through toJSON/fromJSON to identical answers', async () => {
    const fit = await compile(src).fit({ data: d, seed: 4, steps: 500 });
    const { Fit } = await import('../../inference/model.js');
    const back = await Fit.fromJSON(JSON.parse(JSON.stringify(fit.toJSON())));
    expect(back.summary()).toEqual(fit.summary());
    expect(back.query('P(mu > 0.3)')).toEqual(fit.query('P(mu > 0.3)'));
  });

  it("loads a fit saved by the tape engine (lowering 'tape', notCompiled) and answers as before", async () => {
    const fit = await compile(src).fit({ data: d, seed: 4, steps: 200 });
    const json = JSON.parse(JSON.stringify(fit.toJSON())) as { diagnostics: Record<string, unknown> };
    expect(fit.diagnostics.lowering).toBe('js');
    json.diagnostics = { ...json.diagnostics, backend: 'cpu', lowering: 'tape', notCompiled: 'the tfjs kernel Log' };
    delete json.diagnostics['tfjsBackend'];
    const { Fit } = await import('../../inference/model.js');
    const back = await Fit.fromJSON(json);
    expect(back.diagnostics.lowering).toBe('tape');
    expect(back.diagnostics.notCompiled).toBe('the tfjs kernel Log');
    // Its draws are remade on its tfjs backend, as that fit's were: the same answers each load, and
    // the compiled draws' means within 4 standard errors of the difference of two sets of 1,000.
    expect((await Fit.fromJSON(json)).summary()).toEqual(back.summary());
    for (const name of ['mu', 'tau']) {
      const a = back.summary()[name]!;
      const b = fit.summary()[name]!;
      expect(Math.abs(a.mean - b.mean), name).toBeLessThan((4 * Math.SQRT2 * b.sd) / Math.sqrt(1000));
    }
  });
});

describe('a model with nothing to fit', () => {
  it('is refused with the reason, not an internal error, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const m = compile('data y: real = 1\ny ~ Normal(0, 1)', { file: 'fixed.tilde' });
    await expect(m.fit({ steps: 10 })).rejects.toThrow(/fixed\.tilde has nothing to fit: no latent variable and no param/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
