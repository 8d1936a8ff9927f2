// The interpreter without fits: building the model, loading files and data, the
// command table and every error path that must leave the session as it was.

import { describe, expect, test } from 'vitest';
import { Session } from '../../repl/session/session.js';
import { feed, kinds, newSession, text, TINY, TINY_DATA } from './helpers.js';

describe('typed statements', () => {
  test('statements build the model; :model prints it from the AST', async () => {
    const { s } = newSession();
    const rs = await feed(s, ['data y: real[3]', 'mu ~ Normal(0,1)', 'y ~ Normal(mu, 1)']);
    expect(rs.every((r) => !r.blocks.some((b) => b.kind === 'error'))).toBe(true);
    // Whole-program warnings (no observations yet) are not shown while typing.
    expect(kinds(rs[0]!)).toEqual([]);
    const m = text(await s.submit(':model'));
    expect(m).toContain('data y: real[3]\nmu ~ Normal(0, 1)\ny ~ Normal(mu, 1)');
    expect(s.state.checked?.mode).toBe('inference');
  });

  test('a function typed in the session is used by later statements; :model prints it as written', async () => {
    const { s } = newSession();
    const rs = await feed(s, ['fun sq(x: real): real { return x * x }', 'data y: real', 'mu ~ Normal(0, 1)', 'y ~ Normal(sq(mu), 1)']);
    expect(rs.every((r) => !r.blocks.some((b) => b.kind === 'error'))).toBe(true);
    const m = text(await s.submit(':model'));
    expect(m).toContain('fun sq(x: real): real {\n  return x * x\n}\ndata y: real\nmu ~ Normal(0, 1)\ny ~ Normal(sq(mu), 1)');
  });

  test('a bad statement is rejected with its caret and the model is unchanged', async () => {
    const { s } = newSession();
    await s.submit('mu ~ Normal(0, 1)');
    const r = await s.submit('tau ~ Normall(0, 1)');
    expect(text(r)).toContain("<repl>:1:7: unknown distribution 'Normall' (did you mean 'Normal'?)\n  tau ~ Normall(0, 1)\n        ^^^^^^^");
    expect(text(r)).toContain('the model is unchanged');
    expect(s.state.source).toBe('mu ~ Normal(0, 1)');
  });

  test('an unknown name in a statement', async () => {
    const { s } = newSession();
    const r = await s.submit('x = mux + 1');
    expect(text(r)).toContain("<repl>:1:5: unknown name 'mux'");
    expect(text(r)).toContain('      ^^^');
    expect(s.state.chunks).toEqual([]);
  });

  test('a syntax error in a statement', async () => {
    const { s } = newSession();
    const r = await s.submit('mu ~ ~ Normal');
    expect(r.blocks[0]!.kind).toBe('error');
    expect(text(r)).toMatch(/<repl>:1:\d+: /);
    expect(text(r)).toContain('^');
  });

  test('a redefinition is refused', async () => {
    const { s } = newSession();
    await s.submit('mu ~ Normal(0, 1)');
    const r = await s.submit('mu ~ Normal(0, 2)');
    expect(kinds(r)).toContain('error');
    expect(s.state.source).toBe('mu ~ Normal(0, 1)');
  });

  test('several statements on one line separated by ;', async () => {
    const { s } = newSession();
    await s.submit('mu ~ Normal(0, 1); sd ~ HalfNormal(1)');
    expect(s.state.checked?.sites.map((x) => x.name)).toEqual(['mu', 'sd']);
  });

  test('multi-line blocks continue while incomplete', async () => {
    const { s } = newSession();
    await feed(s, ['data N: int', 'data x: real[N]', 'mu ~ Normal(0, 1)']);
    const r1 = await s.submit('for i in 0..N {');
    expect(r1.more).toBe(true);
    expect(s.continuing).toBe(true);
    const r2 = await s.submit('  x[i] ~ Normal(mu, 1)');
    expect(r2.more).toBe(true);
    const r3 = await s.submit('}');
    expect(r3.more).toBeFalsy();
    expect(kinds(r3)).not.toContain('error');
    expect(s.state.checked?.mode).toBe('inference');
    expect(text(await s.submit(':model'))).toContain('for i in 0..N {');
  });

  test('a line ending in an operator continues', async () => {
    const { s } = newSession();
    await s.submit('mu ~ Normal(0, 1)');
    expect((await s.submit('m2 = mu +')).more).toBe(true);
    await s.submit('  1');
    expect(s.state.checked?.symbols.has('m2')).toBe(true);
  });

  test('Ctrl-C at a continuation drops the half-typed block', async () => {
    const { s } = newSession();
    await s.submit('for i in 0..3 {');
    expect(s.cancelPending()).toBe(true);
    expect(s.continuing).toBe(false);
    expect(s.cancelPending()).toBe(false);
  });

  test('an unclosed block at end of input is reported by flush', async () => {
    const { s } = newSession();
    await s.submit('for i in 0..3 {');
    const r = await s.flush();
    expect(text(r)).toContain("'{' opened at 1:15 is never closed");
    expect((await s.flush()).blocks).toEqual([]);
  });

  test('blank lines and comments do nothing', async () => {
    const { s } = newSession();
    for (const l of ['', '   ', '# a comment', '// another']) expect((await s.submit(l)).blocks).toEqual([]);
  });
});

describe(':undo', () => {
  test('drops the last typed statement', async () => {
    const { s } = newSession();
    await feed(s, ['mu ~ Normal(0, 1)', 'sd ~ HalfNormal(1)']);
    const r = await s.submit(':undo');
    expect(text(r)).toContain('dropped: sd ~ HalfNormal(1)');
    expect(s.state.source).toBe('mu ~ Normal(0, 1)');
    await s.submit(':undo');
    expect(s.state.checked).toBeUndefined();
    expect(text(await s.submit(':undo'))).toContain('nothing to undo');
  });

  test('after :load drops the last statement of the file', async () => {
    const { s } = newSession({ 'm.tilde': TINY });
    await s.submit(':load m.tilde');
    const r = await s.submit(':undo');
    expect(text(r)).toContain('dropped: y ~ Normal(mu, 1)');
    expect(s.state.checked?.sites.map((x) => x.name)).toEqual(['mu']);
  });
});

describe(':load and :data', () => {
  test(':load reads the model and the data beside it', async () => {
    const { s } = newSession({ 'm.tilde': TINY, 'm.json': TINY_DATA });
    const r = await s.submit(':load m.tilde');
    expect(text(r)).toContain('loaded m.tilde (3 statements, inference mode)');
    expect(text(r)).toContain('data: m.json (y)');
    expect(s.state.data).toEqual({ y: [1, 2, 3] });
  });

  test(':load of a missing file keeps the session', async () => {
    const { s } = newSession();
    await s.submit('mu ~ Normal(0, 1)');
    const r = await s.submit(':load nope.tilde');
    expect(text(r)).toBe('nope.tilde: model file not found');
    expect(s.state.source).toBe('mu ~ Normal(0, 1)');
  });

  test(':load of a file with errors shows file:line:col and keeps the model', async () => {
    const { s } = newSession({ 'bad.tilde': 'mu ~ Normal(0, 1)\ny ~ Normall(mu, 1)\n' });
    await s.submit('a ~ Normal(0, 1)');
    const r = await s.submit(':load bad.tilde');
    expect(text(r)).toContain("bad.tilde:2:5: unknown distribution 'Normall'");
    expect(text(r)).toContain('the model is unchanged');
    expect(s.state.source).toBe('a ~ Normal(0, 1)');
  });

  test(':load and :data without a file put the caret after the command', async () => {
    const { s } = newSession();
    const r = await s.submit(':load');
    expect(text(r)).toContain(':load needs one FILE argument');
    expect(text(await s.submit(':data a b'))).toContain(':data needs one FILE argument');
  });

  test(':data loads a file and warns when it does not fit the model yet', async () => {
    const { s } = newSession({ 'd.json': '{ "y": [1, 2] }' });
    await feed(s, ['data y: real[3]', 'mu ~ Normal(0, 1)', 'y ~ Normal(mu, 1)']);
    const r = await s.submit(':data d.json');
    expect(text(r)).toContain('data: d.json (y)');
    expect(kinds(r)).toContain('warning');
    expect(text(r)).toContain('do not fit the current model');
    expect(s.state.dataFile).toBe('d.json');
  });

  test(':data of a missing file', async () => {
    const { s } = newSession();
    expect(text(await s.submit(':data none.json'))).toBe('none.json: data file not found');
  });

  test(':data with a quoted name', async () => {
    const { s } = newSession({ 'my data.json': TINY_DATA });
    expect(text(await s.submit(':data "my data.json"'))).toContain('data: my data.json (y)');
  });
});

describe('commands', () => {
  test(':help lists every command; :help NAME gives details', async () => {
    const { s } = newSession();
    const all = text(await s.submit(':help'));
    for (const c of ['model', 'undo', 'load', 'data', 'set', 'seed', 'fit', 'save', 'open', 'summary', 'hist', 'elbo', 'predict', 'diag', 'plan', 'graph', 'help', 'quit']) expect(all).toContain(`:${c}`);
    expect(text(await s.submit(':help fit'))).toContain('Ctrl-C stops the fit early');
    expect(text(await s.submit(':help :set'))).toContain('guide=fullrank');
    expect(text(await s.submit(':help fti'))).toContain("no command ':fti' (did you mean ':fit'?)");
  });

  test('an unknown command gets a caret and a suggestion', async () => {
    const { s } = newSession();
    const r = await s.submit(':fti');
    expect(text(r)).toBe("<repl>:1:1: unknown command ':fti' (did you mean ':fit'?)\n  :fti\n  ^^^^\n  hint: :help lists the commands");
    expect(text(await s.submit(':'))).toContain('a command name must follow');
  });

  test(':quit, :q and :exit quit', async () => {
    const { s } = newSession();
    for (const q of [':quit', ':q', ':exit']) expect((await s.submit(q)).quit).toBe(true);
  });

  test('commands that need a model or a fit say so', async () => {
    const { s } = newSession();
    expect(text(await s.submit(':model'))).toContain('the model is empty');
    expect(text(await s.submit(':fit'))).toContain('the model is empty');
    expect(text(await s.submit(':plan'))).toContain('the model is empty');
    expect(text(await s.submit(':graph'))).toContain('the model is empty');
    for (const c of [':summary', ':elbo', ':diag', ':hist mu', ':predict y', ':save f.json']) expect(text(await s.submit(c))).toBe('error: no fit yet: run :fit first');
  });

  test('queries before a fit', async () => {
    const { s } = newSession();
    await s.submit('mu ~ Normal(0, 1)');
    expect(text(await s.submit('P(mu > 0)'))).toBe('error: no fit yet: run :fit first');
    expect(text(await s.submit('mu'))).toBe('error: no fit yet: run :fit first');
    // Syntax errors come first, with their caret.
    const r = await s.submit('P(mu > )');
    expect(text(r)).toMatch(/^<repl>:1:\d+: /);
  });

  test(':set validates every value with a caret and applies all or nothing', async () => {
    const { s } = newSession();
    expect(text(await s.submit(':set steps=500 particles=4 seed=3 lr=0.01 guide=fullrank backend=cpu draws=100'))).toBe('steps=500 particles=4 seed=3 lr=0.01 guide=fullrank backend=cpu draws=100');
    expect(s.state.settings).toEqual({ steps: 500, particles: 4, seed: 3, lr: 0.01, guide: 'fullrank', backend: 'cpu', draws: 100 });
    const bad = await s.submit(':set steps=100 particles=abc');
    expect(text(bad)).toBe("<repl>:1:26: particles must be a positive integer, found 'abc'\n  :set steps=100 particles=abc\n                           ^^^");
    expect(s.state.settings.steps).toBe(500);
    expect(text(await s.submit(':set stpes=3'))).toContain("unknown setting 'stpes' (did you mean 'steps'?)");
    expect(text(await s.submit(':set guide=full'))).toContain('guide must be one of meanfield, fullrank');
    expect(text(await s.submit(':set lr=-1'))).toContain('lr must be a number > 0');
    expect(text(await s.submit(':set seed=1.5'))).toContain('seed must be an integer');
    expect(text(await s.submit(':set steps'))).toContain('write steps=VALUE');
  });

  test(':set alone lists settings with defaults', async () => {
    const { s } = newSession();
    await s.submit(':set steps=300');
    const t = text(await s.submit(':set'));
    expect(t).toMatch(/steps\s+300\s+set/);
    expect(t).toMatch(/particles\s+\d+\s+default/);
  });

  test(':seed N', async () => {
    const { s } = newSession();
    expect(text(await s.submit(':seed 7'))).toBe('seed=7');
    expect(s.state.settings.seed).toBe(7);
    expect(text(await s.submit(':seed x'))).toContain(':seed needs one integer');
  });

  test(':plan and :graph use the inspectors, or say they are not available', async () => {
    const withThem = newSession({}, { plan: () => ({ text: 'mu: reparam — Normal', diagnostics: [] }), graph: () => 'model:\n  mu (latent, Normal)' });
    await withThem.s.submit('mu ~ Normal(0, 1)');
    expect(text(await withThem.s.submit(':plan'))).toBe('mu: reparam — Normal');
    expect(text(await withThem.s.submit(':graph'))).toBe('model:\n  mu (latent, Normal)');
    const without = new Session({ ...withThem.s.ctx, inspectors: async () => ({}) });
    await without.submit('mu ~ Normal(0, 1)');
    expect(text(await without.submit(':plan'))).toContain('not available');
    expect(text(await without.submit(':graph'))).toContain('not available');
  });

  test(':plan with the real planner', async () => {
    const { s } = newSession({ 'm.tilde': TINY });
    await s.submit(':load m.tilde');
    expect(text(await s.submit(':plan'))).toMatch(/^mu: reparam — Normal/);
  });

  test(':graph with the real graph builder', async () => {
    const { s } = newSession({ 'm.tilde': TINY });
    await s.submit(':load m.tilde');
    const t = text(await s.submit(':graph'));
    expect(t).toContain('model:');
    expect(t).toContain('mu');
  });

  test('an exception inside a command is reported and the session goes on', async () => {
    const { s, fake } = newSession({ 'm.tilde': TINY });
    fake.ctx.readText = () => {
      throw new TypeError('boom');
    };
    expect(text(await s.submit(':load m.tilde'))).toBe('error: boom');
    fake.ctx.readText = () => {
      throw Object.assign(new Error('x'), { name: 'WeirdError' });
    };
    expect(text(await s.submit(':load m.tilde'))).toContain('internal error (a bug in tilde');
    expect((await s.submit('mu ~ Normal(0, 1)')).blocks).toEqual([]);
  });
});
