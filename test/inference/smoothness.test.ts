import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { front, modelsDir } from './front.js';
import type { Expr, Stmt } from '../../language/ast.js';
import type { CheckedProgram, SiteInfo, SymbolInfo } from '../../language/checked.js';
import { family } from '../../language/distributions.js';
import { parse } from '../../language/parse.js';
import { analyseSmoothness, describeNonSmooth, type SmoothnessResult } from '../../inference/smoothness.js';

/**
 * A CheckedProgram built from the AST alone, for programs the checker rightly rejects (a latent
 * loop bound, a latent shape) but whose smoothness verdict we still want to pin down: the
 * analysis must not rely on the checker to catch them.
 */
function loose(source: string, file = 'loose.tilde'): CheckedProgram {
  const parsed = parse(source, file);
  expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const symbols = new Map<string, SymbolInfo>();
  const sites: SiteInfo[] = [];
  const objectives: CheckedProgram['objectives'] = [];
  const sym = (name: string, kind: SymbolInfo['kind'], span: SymbolInfo['span']): void => {
    if (!symbols.has(name)) symbols.set(name, { name, kind, type: { elem: 'real', shape: [] }, constraint: 'none', span, scope: 'model' });
  };
  const walk = (body: Stmt[], loopVars: string[]): void => {
    for (const s of body) {
      if (s.kind === 'data' || s.kind === 'param') sym(s.name, s.kind, s.nameSpan);
      else if (s.kind === 'plate') sym(s.name, 'plate', s.nameSpan);
      else if (s.kind === 'assign') sym(s.target.name, 'deterministic', s.target.nameSpan);
      else if (s.kind === 'objective') objectives.push(s);
      else if (s.kind === 'for') walk(s.body, [...loopVars, s.variable]);
      else if (s.kind === 'sample') {
        const fam = family(s.dist.family)!;
        const observed = symbols.get(s.target.name)?.kind === 'data';
        if (observed) symbols.get(s.target.name)!.observed = true;
        else sym(s.target.name, 'latent', s.target.nameSpan);
        const positional = fam.params.filter((p) => !fam.oneOf?.some((g) => g.indexOf(p.name) > 0));
        const args: Record<string, Expr> = {};
        s.dist.args.forEach((a, i) => (args[a.name ?? positional[i]!.name] = a.value));
        sites.push({ name: s.target.name, stmt: s, scope: 'model', observed, family: fam, args, type: { elem: fam.discrete ? 'int' : 'real', shape: [] }, loopVars });
      }
    }
  };
  walk(parsed.program.body, []);
  const mode = sites.some((s) => s.observed) ? 'inference' : objectives.length ? 'optimisation' : 'prior';
  return { file, source, ast: parsed.program, mode, symbols, sites, objectives, exprTypes: new Map(), warnings: [] };
}

function verdict(p: CheckedProgram, name: string): SmoothnessResult {
  const r = analyseSmoothness(p).get(name);
  if (!r) throw new Error(`no smoothness entry for ${name}`);
  return r;
}

/** The source text under a span. */
function under(p: CheckedProgram, span: { start: { offset: number }; end: { offset: number } }): string {
  return p.source.slice(span.start.offset, span.end.offset);
}

const head = `data x: real
z ~ Bernoulli(0.5)
`;

describe('analyseSmoothness', () => {
  it('one entry per discrete model latent, none for continuous ones', () => {
    const p = front(`data x: real
mu ~ Normal(0, 1)
z ~ Bernoulli(0.5)
k ~ Poisson(2)
x ~ Normal(mu + z + k, 1)`);
    expect([...analyseSmoothness(p).keys()]).toEqual(['z', 'k']);
  });

  it.each([
    ['arithmetic', 'x ~ Normal(z * 2, 1)', 'z * 2'],
    ['smooth functions', 'x ~ Normal(exp(sigmoid(z) + log1p(z)), 1)', 'sigmoid(z)'],
    ['if branches', 'x ~ Normal(if x > 0 then z else 1 - z, 1)', 'if x > 0 then z else 1 - z'],
    ['abs, min and max (smooth almost everywhere)', 'x ~ Normal(abs(z - 0.5) + max(z), 1)', 'z - 0.5'],
    ['a bare distribution argument', 'x ~ Normal(z, 1)', 'Normal(z, 1)'],
  ])('smooth: %s', (_what, line, path) => {
    const p = front(head + line);
    const r = verdict(p, 'z');
    expect(r.smooth).toBe(true);
    expect(r.firstNonSmooth).toBeUndefined();
    expect(r.smoothPath?.text).toBe(path);
  });

  it('length reads the shape, not the value', () => {
    const p = front(`data x: real
z: int[3] ~ Bernoulli(0.5)
x ~ Normal(length(z), 1)`);
    expect(verdict(p, 'z')).toMatchObject({ smooth: true, smoothPath: { text: 'length(z)' } });
  });

  it('gather by the discrete value is smooth: locs[z]', () => {
    const p = front(`data x: real[5]
locs: real[3] ~ Normal(0, 1)
z: int[5] ~ Categorical(ones(3) / 3)
x ~ Normal(locs[z], 1)`);
    expect(verdict(p, 'z')).toMatchObject({ smooth: true, smoothPath: { text: 'locs[z]' } });
  });

  it("an if condition on a comparison is non-smooth at the '>'", () => {
    const p = front(head + 'x ~ Normal(if z > 0 then 1 else 0, 1)');
    const r = verdict(p, 'z');
    expect(r.smooth).toBe(false);
    expect(r.firstNonSmooth).toMatchObject({ site: 'z', why: "compared with '>'" });
    const span = r.firstNonSmooth!.span;
    expect(under(p, span)).toBe('>');
    expect(span.start).toMatchObject({ line: 3, column: 17 });
    expect(describeNonSmooth(r.firstNonSmooth!, p.file)).toBe("compared with '>' at test.tilde:3");
  });

  it.each([
    ['an if condition', 'x ~ Normal(if z then 1 else 0, 1)', 'used in an if condition', 'z'],
    ['rounding', 'x ~ Normal(floor(z * 0.5), 1)', 'rounded by floor', 'floor(z * 0.5)'],
    ['equality', 'x ~ Normal(z == 1, 1)', "compared with '=='", '=='],
    ['logic', 'x ~ Normal(x > 0 && z, 1)', "combined by '&&'", '&&'],
    ['negation', 'x ~ Normal(!z, 1)', "negated by '!'", '!z'],
  ])('non-smooth: %s', (_what, line, why, text) => {
    const p = front(head + line);
    const r = verdict(p, 'z');
    expect(r.smooth).toBe(false);
    expect(r.firstNonSmooth?.why).toBe(why);
    expect(under(p, r.firstNonSmooth!.span)).toBe(text);
  });

  it('used as a loop bound is non-smooth (the checker rejects it too; the analysis does not rely on that)', () => {
    const p = loose(`data x: real
k ~ Categorical(ones(3) / 3)
for i in 0..k {
  w[i] ~ Normal(0, 1)
}
x ~ Normal(0, 1)`);
    const r = verdict(p, 'k');
    expect(r.smooth).toBe(false);
    expect(r.firstNonSmooth).toMatchObject({ why: 'used as a loop bound' });
    expect(under(p, r.firstNonSmooth!.span)).toBe('k');
    expect(r.firstNonSmooth!.span.start.line).toBe(3);
  });

  it('deciding a shape is non-smooth', () => {
    const p = loose(`data x: real
k ~ Categorical(ones(3) / 3)
v = ones(k)
x ~ Normal(sum(v), 1)`);
    expect(verdict(p, 'k').firstNonSmooth).toMatchObject({ why: 'decides a shape (ones)' });
  });

  it('follows value flow transitively through deterministic definitions', () => {
    const p = front(`data x: real
z ~ Bernoulli(0.5)
d = z + 1
e = d * 2
x ~ Normal(if e > 2 then 1 else 0, 1)`);
    const r = verdict(p, 'z');
    expect(r.smooth).toBe(false);
    expect(r.firstNonSmooth).toMatchObject({ why: "compared with '>'", via: 'e' });
    expect(r.firstNonSmooth!.span.start.line).toBe(5);
    expect(r.smoothPath?.text).toBe('z + 1');
    expect(describeNonSmooth(r.firstNonSmooth!, 'test.tilde')).toBe("compared with '>' (through 'e') at test.tilde:5");
  });

  it('a non-smooth definition that reaches no cost does not count', () => {
    const p = front(`data x: real
z ~ Bernoulli(0.5)
big = z > 0
x ~ Normal(z, 1)`);
    expect(verdict(p, 'z').smooth).toBe(true);
  });

  it('reports the first non-smooth use in source order', () => {
    const p = front(`data x: real
data y: real
z ~ Bernoulli(0.5)
x ~ Normal(round(z), 1)
y ~ Normal(z < 1, 1)`);
    expect(verdict(p, 'z').firstNonSmooth).toMatchObject({ why: 'rounded by round' });
  });

  it('a Binomial total_count is non-smooth', () => {
    const p = front(`data y: int
n ~ Categorical(ones(4) / 4)
y ~ Binomial(n, 0.5)`);
    const r = verdict(p, 'n');
    expect(r.firstNonSmooth).toMatchObject({ why: 'used as a Binomial total_count' });
    expect(under(p, r.firstNonSmooth!.span)).toBe('n');
  });

  it('inference mode: setting the parameters of another latent is smooth (its value comes from the guide)', () => {
    const p = front(`data x: real
z ~ Bernoulli(0.5)
c ~ Normal(z * 3, 1)
x ~ Normal(c, 1)`);
    expect(verdict(p, 'z')).toMatchObject({ smooth: true, smoothPath: { text: 'z * 3' } });
  });

  it("inference mode: moving another latent's support (Uniform bounds) is non-smooth", () => {
    const p = front(`data x: real
z ~ Bernoulli(0.5)
c ~ Uniform(z, 2)
x ~ Normal(c, 1)`);
    expect(verdict(p, 'z').firstNonSmooth).toMatchObject({ why: "sets the support of 'c' (Uniform low)" });
  });

  it('optimisation mode: setting the parameters of another sampled site is non-smooth, unless that site is relaxed with it', () => {
    const p = front(`param phi: real
b ~ Bernoulli(logits = phi)
c ~ Poisson(exp(b))
minimize (c - 0.3) ^ 2`);
    expect(p.mode).toBe('optimisation');
    const b = verdict(p, 'b');
    expect(b.smooth).toBe(false);
    expect(b.firstNonSmooth).toMatchObject({ why: "its value decides how 'c' is drawn" });
    expect(under(p, b.firstNonSmooth!.span)).toBe('exp(b)');
    // A Bernoulli drawn from b is relaxed with b in b's control variate: b goes on through c.
    const q = front(`param phi: real
b ~ Bernoulli(logits = phi)
c ~ Bernoulli(logits = 2 * b - 1)
minimize (c - 0.3) ^ 2`);
    expect(verdict(q, 'b').smooth).toBe(true);
    expect(verdict(q, 'c')).toMatchObject({ smooth: true, smoothPath: { text: 'c - 0.3' } });
    // … and c's own non-smooth use is then b's too, through c.
    const r = front(`param phi: real
b ~ Bernoulli(logits = phi)
c ~ Bernoulli(logits = 2 * b - 1)
minimize c > 0.5`);
    expect(verdict(r, 'b').firstNonSmooth).toMatchObject({ why: "compared with '>'", via: 'c' });
  });

  it('optimisation mode: a chain of draws from earlier elements is non-smooth', () => {
    const p = front(`param phi: real
z[0] ~ Bernoulli(logits = phi)
for t in 1..4 {
  z[t] ~ Bernoulli(logits = 2 * z[t - 1] - 1)
}
minimize sum(z)`);
    expect(verdict(p, 'z').firstNonSmooth).toMatchObject({ why: "its value decides how other elements of 'z' are drawn" });
  });

  it('optimisation mode: a downstream draw that reaches no cost does not count', () => {
    const p = front(`param phi: real
b ~ Bernoulli(logits = phi)
c ~ Normal(b, 1)
minimize (b - 0.3) ^ 2`);
    expect(verdict(p, 'b').smooth).toBe(true);
  });

  it('the guide: a guide site drawn from the discrete value is non-smooth', () => {
    const p = front(`data x: real
z ~ Bernoulli(0.5)
c ~ Normal(0, 1)
x ~ Normal(z + c, 1)
guide {
  param a: real
  z ~ Bernoulli(logits = a)
  c ~ Normal(z, 1)
}`);
    const r = verdict(p, 'z');
    expect(r.firstNonSmooth).toMatchObject({ why: "its value decides how 'c' is drawn in the guide", scope: 'guide' });
    expect(r.firstNonSmooth!.span.start.line).toBe(8);
  });

  it('example models: gmm, hmm, sbn and the RELAX toy are smooth', () => {
    const load = (n: string): CheckedProgram => front(readFileSync(`${modelsDir}${n}.tilde`, 'utf8'), `${n}.tilde`);
    expect(verdict(load('gmm'), 'z')).toMatchObject({ smooth: true, smoothPath: { text: 'locs[z]' } });
    expect(verdict(load('sbn'), 'z')).toMatchObject({ smooth: true, smoothPath: { text: 'z @ W' }, uses: 1 });
    expect(verdict(load('relax_toy'), 'b')).toMatchObject({ smooth: true, smoothPath: { text: 't - b' } });
    // hmm: z[t] ~ Categorical(A[z[t - 1]]) gathers by the previous state: smooth in inference mode.
    expect(verdict(load('hmm'), 'z')).toMatchObject({ smooth: true, smoothPath: { text: 'A[z[t - 1]]' } });
    for (const n of ['eight_schools', 'coin', 'linear_regression']) expect(analyseSmoothness(load(n)).size).toBe(0);
  });
});
