// User functions in a fit: a call is its body written inline, so a model that uses one fits to
// the very numbers of the model with the body written out (same seed, bit for bit, on the tfjs
// engine and on the compiled one), compiles on the JS engine, and the example dose-response
// model recovers the values it was simulated with.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../inference/backend.js';
import { compile } from '../../inference/model.js';
import { modelsDir } from './front.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const DATA = JSON.parse(readFileSync(`${modelsDir}dose_response.json`, 'utf8')) as { N: number; dose: number[]; response: number[] };
const WITH_FUNCTION = readFileSync(`${modelsDir}dose_response.tilde`, 'utf8');

// The same model, the body of `hill` written in place of its call by hand (the local `r` twice).
const WRITTEN_OUT = `data N: int
data dose: real[N]
data response: real[N]
e0 ~ Normal(0, 5)
emax ~ Normal(0, 5)
ec50 ~ LogNormal(1, 1.5)
h ~ LogNormal(0, 1)
sigma ~ HalfNormal(1)
response ~ Normal(e0 + emax * ((dose / ec50) ^ h / (1 + (dose / ec50) ^ h)), sigma)
`;

/** The values scripts/reference/dose-response.mjs simulated the data with. */
const TRUE = { e0: 1.0, emax: 4.0, ec50: 5.0, h: 1.5, sigma: 0.3 };

describe('a model with a user function', () => {
  it.each(['js', 'cpu'] as const)('fits to the same numbers as the body written inline (backend %s)', async (backend) => {
    const opts = { data: DATA, seed: 11, steps: 200, tolRelObj: 0, draws: 100, backend };
    const a = await compile(WITH_FUNCTION, { file: 'dose_response.tilde' }).fit(opts);
    const b = await compile(WRITTEN_OUT).fit(opts);
    expect(a.diagnostics.backend).toBe(backend === 'js' ? 'js' : 'cpu');
    expect(a.elboTrace.length).toBeGreaterThan(3);
    expect(a.elboTrace).toEqual(b.elboTrace);
    expect(a.toJSON().flat).toEqual(b.toJSON().flat);
  });

  it('calls in a loop and in a guide fit like the bodies written inline too', async () => {
    const withFunctions = `fun line(a: real, b: real, x: real): real { return a + b * x }
data N: int
data x: real[N]
data y: real[N]
a ~ Normal(0, 5)
b ~ Normal(0, 5)
for i in 0..N {
  y[i] ~ Normal(line(a, b, x[i]), 1)
}
guide {
  param ma: real
  param mb: real
  a ~ Normal(line(ma, 0, 0), 0.1)
  b ~ Normal(mb, 0.1)
}
`;
    const writtenOut = withFunctions
      .replace(/^fun .*\n/, '')
      .replace('line(a, b, x[i])', 'a + b * x[i]')
      .replace('line(ma, 0, 0)', 'ma + 0 * 0');
    const opts = { data: { N: 4, x: [0, 1, 2, 3], y: [1, 3, 5, 7] }, seed: 3, steps: 100, tolRelObj: 0, draws: 50, backend: 'js' as const };
    const a = await compile(withFunctions).fit(opts);
    const b = await compile(writtenOut).fit(opts);
    expect(a.diagnostics.backend).toBe('js');
    expect(a.elboTrace).toEqual(b.elboTrace);
    expect(a.toJSON().flat).toEqual(b.toJSON().flat);
  });

  it('returning a log density (normal_lpdf) for target += fits like the term written inline', async () => {
    const withFunction = `fun loglik(y: real[K], mu: real, s: positive): real {
  return normal_lpdf(y | mu, s)
}
data N: int
data y: real[N]
mu ~ Normal(0, 5)
target += loglik(y, mu, 2)
`;
    const writtenOut = withFunction.replace(/^fun [^]*?\n}\n/, '').replace('loglik(y, mu, 2)', 'normal_lpdf(y | mu, 2)');
    expect(writtenOut).not.toContain('loglik');
    const opts = { data: { N: 5, y: [3.1, 1.2, 4.4, 2.9, 3.8] }, seed: 4, steps: 100, tolRelObj: 0, draws: 50, backend: 'js' as const };
    const a = await compile(withFunction).fit(opts);
    const b = await compile(writtenOut).fit(opts);
    expect(a.diagnostics.backend).toBe('js');
    expect(a.elboTrace).toEqual(b.elboTrace);
    expect(a.toJSON().flat).toEqual(b.toJSON().flat);
  });

  it('compiles on the JS engine (no fall back to tfjs)', async () => {
    const fit = await compile(WITH_FUNCTION).fit({ data: DATA, seed: 1, steps: 50, tolRelObj: 0, draws: 10, backend: 'auto' });
    expect(fit.diagnostics.backend).toBe('js');
    expect(fit.diagnostics.notCompiled).toBeUndefined();
  });

  it('names the line in the function and the call site in a run-time error raised inside a body', async () => {
    const src = `fun pick(v: real[K], i: int): real { return v[i] }
data N: int
data x: real[N]
data y: real[N]
data j: int
a ~ Normal(0, 1)
y ~ Normal(a + pick(x, j), 1)
`;
    const run = compile(src).fit({ data: { N: 3, x: [1, 2, 3], y: [1, 2, 3], j: 5 }, seed: 1, steps: 5, draws: 5 });
    const err = await run.then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toBe("index 5 is out of bounds for a dimension of size 3 (at line 1:47 in function 'pick' called at line 7:16)");
  });

  it('recovers the simulating values of the dose-response example within 3 posterior sds', async () => {
    const fit = await compile(WITH_FUNCTION).fit({ data: DATA, seed: 7, draws: 4000 });
    const s = fit.summary();
    for (const [name, value] of Object.entries(TRUE)) {
      const row = s[name]!;
      expect(Math.abs(row.mean - value), `${name}: mean ${row.mean}, sd ${row.sd}, true ${value}`).toBeLessThan(3 * row.sd);
    }
  });
});
