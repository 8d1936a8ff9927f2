// The interpreter with fits of a three-point normal model (a few hundred steps,
// well under a second each): :fit, abort, queries, plots, :save/:open.

import { beforeAll, describe, expect, test } from 'vitest';
import type { Session } from '../../repl/session/session.js';
import { feed, kinds, newSession, text, tinySession, TINY, TINY_DATA } from './helpers.js';

describe('with a fit', () => {
  let s: Session;
  let fitText: string;
  const progress: number[] = [];
  let started: number | undefined;

  beforeAll(async () => {
    ({ s } = await tinySession());
    const r = await s.submit(':fit', { onProgress: (p) => progress.push(p.step), onFitStart: (i) => (started = i.maxSteps) });
    fitText = text(r);
  });

  test(':fit prints the summary and a diagnostics line, reporting progress', () => {
    expect(fitText).toMatch(/^name\s+mean\s+sd\s+5%\s+50%\s+95%\nmu\s+1\.\d+/);
    expect(fitText).toMatch(/ELBO -?\d.*k-hat .*200 steps \(max steps reached\)\s+backend \w+/);
    expect(progress.length).toBeGreaterThan(0);
    expect(started).toBe(200);
  });

  test('a bare name prints its summary', async () => {
    expect(text(await s.submit('mu'))).toMatch(/^name\s+mean.*\nmu\s+1\.\d+/);
  });

  test('an expression prints its summary', async () => {
    expect(text(await s.submit('mu * 2 - 1'))).toMatch(/mu \* 2 - 1\s+[12]\.\d+/);
  });

  test('P(cond) with its standard error', async () => {
    const t = text(await s.submit('P(mu > 0)'));
    expect(t).toMatch(/^P\(mu > 0\) = (0\.9\d*|1\.000) ± [\d.e-]+\n\(± one Monte Carlo standard error over 400 draws\)$/);
  });

  test('E(expr) with its standard error', async () => {
    expect(text(await s.submit('E(mu ^ 2)'))).toMatch(/^E\(mu \^ 2\) = [\d.]+ ± [\d.]+/);
  });

  test('quantile(expr, q)', async () => {
    expect(text(await s.submit('quantile(mu, 0.9)'))).toMatch(/^quantile\(mu, 0\.9\) = [\d.]+\n\(400 draws\)$/);
    expect(text(await s.submit('quantile(mu, 2)'))).toContain('quantile(expr, q) needs a number q between 0 and 1');
  });

  test('a typo in a query names the closest name with a caret', async () => {
    expect(text(await s.submit('P(mux > 0)'))).toBe("<repl>:1:3: unknown name 'mux' (did you mean 'mu'?)\n  P(mux > 0)\n    ^^^");
  });

  test('data in a query is explained', async () => {
    const t = text(await s.submit('y'));
    expect(t).toContain("'y' is data, not a quantity of the posterior");
    expect(t).toContain('hint: :predict y');
  });

  test('a query of a vector inside P() is refused with the reason', async () => {
    const { s: s2 } = newSession({ 'v.tilde': 'data y: real[3]\nm: real[3] ~ Normal(0, 1)\ny ~ Normal(m, 1)\n', 'v.json': TINY_DATA });
    await feed(s2, [':load v.tilde', ':set steps=100 draws=100 backend=cpu']);
    await s2.submit(':fit');
    expect(text(await s2.submit('P(m > 0)'))).toContain('needs a scalar expression');
    expect(text(await s2.submit(':hist m'))).toContain(":hist needs a scalar; 'm' has shape [3]");
    expect(text(await s2.submit(':hist m[1]'))).toContain('m[1]  (100 draws)');
    expect(text(await s2.submit('m'))).toMatch(/m\[0\].*\nm\[1\].*\nm\[2\]/);
  });

  test(':summary', async () => {
    expect(text(await s.submit(':summary'))).toMatch(/^name\s+mean.*\nmu\s/);
  });

  test(':hist EXPR draws a histogram', async () => {
    const r = await s.submit(':hist mu');
    expect(kinds(r)).toEqual(['histogram']);
    const b = r.blocks[0]!;
    if (b.kind !== 'histogram') throw new Error();
    expect(b.bins.reduce((a, x) => a + x.count, 0)).toBe(400);
    expect(text(r)).toContain('│█');
    expect(text(await s.submit(':hist exp(mu)'))).toContain('exp(mu)  (400 draws)');
  });

  test(':hist errors: no expression, bad syntax, unknown name', async () => {
    expect(text(await s.submit(':hist'))).toContain(':hist needs an expression');
    expect(text(await s.submit(':hist mu +'))).toMatch(/^<repl>:1:\d+: expected an expression/);
    expect(text(await s.submit(':hist  zzz'))).toBe("<repl>:1:8: unknown name 'zzz'\n  :hist  zzz\n         ^^^");
  });

  test(':elbo draws the trace', async () => {
    const r = await s.submit(':elbo');
    expect(kinds(r)).toEqual(['chart']);
    const t = text(r);
    expect(t).toContain('ELBO by step');
    expect(t).toContain('•');
    expect(t).toContain('200  step');
  });

  test(':predict NAME', async () => {
    expect(text(await s.submit(':predict y'))).toMatch(/y\[0\].*\ny\[1\].*\ny\[2\]/);
    expect(text(await s.submit(':predict mu'))).toContain("'mu' is not an observed variable");
    expect(text(await s.submit(':predict'))).toContain(':predict needs the name');
  });

  test(':diag shows k-hat with its reading, steps and convergence', async () => {
    const t = text(await s.submit(':diag'));
    expect(t).toMatch(/k-hat\s+-?[\d.]+ \((good|ok|unreliable)\)\s+\w/);
    expect(t).toMatch(/steps\s+200\s+reached the step limit/);
    expect(t).toContain('backend');
    // Per-node running gradient variance: a non-negative number for the latent mu.
    expect(t).toMatch(/gradient variance/);
    expect(t).toMatch(/\bmu\s+\d[\d.e+-]*\s+running estimate/);
  });

  test('the fit survives errors and model changes, and says when it is stale', async () => {
    await s.submit('mu ~ Normal(0, 2)'); // refused: mu is defined
    await s.submit('xtra ~ Normal(0, 1)');
    const t = text(await s.submit('P(mu > 0)'));
    expect(t).toContain('the model has changed since');
    expect(text(await s.submit('xtra'))).toContain("'xtra' is not in the last fit");
    await s.submit(':undo');
    expect(text(await s.submit('P(mu > 0)'))).not.toContain('changed since');
  });
});

describe('fits that go wrong or stop', () => {
  test('Ctrl-C (abort) keeps the result so far and the session', async () => {
    const { s } = await tinySession();
    await s.submit(':set steps=100000');
    const ac = new AbortController();
    const r = await s.submit(':fit', { signal: ac.signal, onProgress: (p) => ac.abort() });
    const t = text(r);
    expect(t).toMatch(/fit stopped at step \d+ \(Ctrl-C\): keeping the result so far/);
    expect(t).toContain('stopped by Ctrl-C');
    expect(s.state.fit?.diagnostics.stopped).toBe('aborted');
    expect(text(await s.submit('P(mu > 0)'))).toMatch(/^P\(mu > 0\) = /);
  });

  test('a fit with missing data reports it and keeps the earlier fit', async () => {
    const { s } = await tinySession();
    await s.submit(':fit');
    const before = s.state.fit;
    s.state.data = {};
    const r = await s.submit(':fit');
    expect(r.blocks[0]!.kind).toBe('error');
    expect(text(r)).toContain('y');
    expect(s.state.fit).toBe(before);
  });

  test(':fit with one-off settings, and bad ones', async () => {
    const { s } = await tinySession();
    expect(text(await s.submit(':fit steps=zz'))).toContain("steps must be a positive integer, found 'zz'");
    expect(s.state.fit).toBeUndefined();
    const t = text(await s.submit(':fit steps=100'));
    expect(t).toContain('100 steps');
  });

  test(':set backend=nonsense cannot reach the engine; an engine RangeError is shown', async () => {
    const { s } = await tinySession();
    s.state.settings.particles = 0; // bypasses :set's check to reach the engine's
    expect(text(await s.submit(':fit'))).toBe('error: fit option particles must be a positive integer, found 0');
  });
});

describe(':save and :open', () => {
  test('round trip: the opened fit answers the same queries and brings its model', async () => {
    const { s, fake } = await tinySession();
    await s.submit(':fit');
    const q = text(await s.submit('E(mu)'));
    expect(text(await s.submit(':save out.json'))).toBe('saved the fit to out.json');
    expect(JSON.parse(fake.files.get('out.json')!).format).toBe('tilde-fit');
    const { s: s2 } = newSession({ 'out.json': fake.files.get('out.json')! });
    const r = await s2.submit(':open out.json');
    expect(text(r)).toContain('opened out.json: a fit of tiny.tilde');
    expect(text(await s2.submit('E(mu)'))).toBe(q);
    expect(text(await s2.submit(':model'))).toContain('y ~ Normal(mu, 1)');
  });

  test('errors: no fit, no file, not JSON, not a fit', async () => {
    const { s } = newSession({ 'junk.txt': 'nope', 'other.json': '{"a": 1}', 'm.tilde': TINY });
    expect(text(await s.submit(':save x.json'))).toBe('error: no fit yet: run :fit first');
    expect(text(await s.submit(':open missing.json'))).toBe('missing.json: fit file not found');
    expect(text(await s.submit(':open junk.txt'))).toMatch(/^error: junk.txt: not JSON/);
    expect(text(await s.submit(':open other.json'))).toContain('not a saved tilde fit');
    expect(text(await s.submit(':open'))).toContain(':open needs one FILE argument');
  });
});

test('typed model from scratch: data, fit and a query', async () => {
  const { s } = newSession({ 'd.json': TINY_DATA });
  const rs = await feed(s, TINY.trim().split('\n').concat([':data d.json', ':set steps=150 draws=200', ':fit', 'P(mu > 0)']));
  expect(rs.flatMap((r) => r.blocks).filter((b) => b.kind === 'error')).toEqual([]);
  expect(text(rs[rs.length - 1]!)).toMatch(/^P\(mu > 0\) = /);
});
