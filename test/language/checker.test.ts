// Every example model checks cleanly and binds its own JSON data.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from '../../language/parse.js';
import { check } from '../../language/checker.js';
import { parseCsv } from '../../language/csv.js';
import { bindData } from '../../language/data.js';
import { renderDiagnostics } from '../../language/diagnostics.js';
import type { Expr } from '../../language/ast.js';

const dir = join(import.meta.dirname, '..', '..', 'models');
const models = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.tilde')) : [];

describe('example models', () => {
  it.each(models)('%s checks cleanly and binds its data', (f) => {
    const source = readFileSync(join(dir, f), 'utf8');
    const parsed = parse(source, f);
    expect(renderDiagnostics(parsed.diagnostics, source)).toBe('');
    const { checked, diagnostics } = check(parsed.program, source);
    expect(renderDiagnostics(diagnostics.filter((d) => d.severity === 'error'), source)).toBe('');
    expect(checked).toBeDefined();
    const dataFile = join(dir, f.replace(/\.tilde$/, '.json'));
    if (existsSync(dataFile)) {
      const bound = bindData(checked!, JSON.parse(readFileSync(dataFile, 'utf8')), f.replace(/\.tilde$/, '.json'));
      for (const sym of checked!.symbols.values()) if (sym.kind === 'data') expect(bound.arrays.has(sym.name)).toBe(true);
    }
    const csvFile = join(dir, f.replace(/\.tilde$/, '.csv'));
    if (existsSync(csvFile)) {
      const bound = bindData(checked!, parseCsv(readFileSync(csvFile, 'utf8'), 'data.csv'), 'data.csv');
      expect(bound.warnings).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------- rule by rule

function run(src: string) {
  const p = parse(src, 'm.tilde');
  expect(p.diagnostics.map((d) => d.message)).toEqual([]);
  const r = check(p.program, src);
  return {
    checked: r.checked,
    errors: r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    warnings: r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message),
    diagnostics: r.diagnostics,
  };
}
const clean = (src: string) => {
  const r = run(src);
  expect(r.errors).toEqual([]);
  return r.checked!;
};
const errorsOf = (src: string) => run(src).errors;

describe('names and scopes', () => {
  it('requires definition before use, naming the later line', () => {
    expect(errorsOf('data y: real\ny ~ Normal(m, 1)\nm ~ Normal(0, 1)\n')).toEqual(["'m' is used before it is defined (line 3)"]);
  });
  it('allows each name to be defined once, naming the first definition', () => {
    expect(errorsOf('data y: real\nm ~ Normal(0, 1)\nm ~ Normal(0, 2)\ny ~ Normal(m, 1)\n')).toEqual(["'m' is already defined (line 2)"]);
    expect(errorsOf('data y: real\ndata y: real\ny ~ Normal(0, 1)\n')).toEqual(["'y' is already defined (line 1)"]);
  });
  it('reports an unknown name once, and its uses stay quiet', () => {
    const r = run('data y: real\na = q + 1\nb = q * a\ny ~ Normal(b, 1)\n');
    expect(r.errors).toEqual(["unknown name 'q'"]);
  });
  it('suggests names in scope, built-in functions and families', () => {
    expect(errorsOf('data y: real\nsigma ~ HalfNormal(1)\ny ~ Normal(0, sigam)\n')).toEqual(["unknown name 'sigam' (did you mean 'sigma'?)"]);
    expect(errorsOf('data y: real\ny ~ Normal(sigmoidd(0), 1)\n')).toEqual(["unknown function 'sigmoidd' (did you mean 'sigmoid'?)"]);
    expect(errorsOf('data y: real\ny ~ normal(0, 1)\n')).toEqual(["unknown distribution 'normal' (did you mean 'Normal'?)"]);
    expect(errorsOf('data y: real\ny ~ HalfCauch(1)\n')).toEqual(["unknown distribution 'HalfCauch' (did you mean 'HalfCauchy'?)"]);
  });
  it('scopes loop variables to their body, as ints', () => {
    const c = clean('data N: int\ndata y: real[N]\nfor i in 0..N {\n  m[i] = i * 2\n}\ny ~ Normal(m, 1)\n');
    expect(c.symbols.get('m')!.type).toEqual({ elem: 'int', shape: ['N'] });
    expect(errorsOf('data N: int\ndata y: real[N]\nfor i in 0..N {\n  m[i] = 1.0\n}\nq = i\ny ~ Normal(m, 1)\n')).toEqual(["unknown name 'i'"]);
    expect(errorsOf('data N: int\ndata y: real[N]\nfor N in 0..3 {\n  m[N] = 1.0\n}\ny ~ Normal(0, 1)\n')[0]).toMatch(/'N' is already defined \(line 1\)/);
  });
  it('gives the guide its own scope: data, its params, and latents it sampled earlier', () => {
    const c = clean(`data y: real
param w: real
mu ~ Normal(w, 1)
s ~ HalfNormal(1)
y ~ Normal(mu, s)
guide {
  param m: real
  param ls: real
  mu ~ Normal(m + y, exp(ls))
  s ~ LogNormal(mu, 1)
}
`);
    expect(c.guide!.sites.map((s) => s.name)).toEqual(['mu', 's']);
    expect([...c.guide!.symbols.keys()]).toEqual(['m', 'ls', 'mu', 's']);
    expect(errorsOf('data y: real\nparam w: real\nmu ~ Normal(w, 1)\ny ~ Normal(mu, 1)\nguide {\n  mu ~ Normal(w, 1)\n}\n')).toEqual([
      "the guide cannot use 'w': it is a model param; the guide sees only data, plates and its own names",
    ]);
    expect(errorsOf('data y: real\nmu ~ Normal(0, 1)\nd = mu * 2\ny ~ Normal(d, 1)\nguide {\n  param m: real\n  mu ~ Normal(d, 1)\n}\n')).toEqual([
      "the guide cannot use 'd': it is a model deterministic; the guide sees only data, plates and its own names",
    ]);
    expect(errorsOf('data y: real\na ~ Normal(0, 1)\nb ~ Normal(a, 1)\ny ~ Normal(b, 1)\nguide {\n  b ~ Normal(a, 1)\n  a ~ Normal(0, 1)\n}\n')).toEqual([
      "the guide cannot use 'a': it is a model latent, and the guide samples it only further down",
    ]);
  });
});

describe('element definitions', () => {
  const hmm = `data T: int
data K: int
data y: real[T]
A: simplex[K, K] ~ Dirichlet(ones(K))
z[0] ~ Categorical(ones(K) / K)
for t in 1..T {
  z[t] ~ Categorical(A[z[t - 1]])
}
y ~ Normal(z, 1)
`;
  it('gets an array shape from the index ranges and records the coverage check for the data', () => {
    const c = clean(hmm);
    expect(c.symbols.get('z')).toMatchObject({ kind: 'latent', elementwise: true, type: { elem: 'int', shape: ['T'] } });
    expect(c.sites.filter((s) => s.name === 'z').map((s) => s.loopVars)).toEqual([[], ['t']]);
    expect(c.deferred!.some((d) => d.kind === 'coverage' && d.name === 'z')).toBe(true);
    expect(c.sites.find((s) => s.name === 'A')!.type).toEqual({ elem: 'real', shape: ['K', 'K'] });
  });
  it('checks coverage and overlap statically', () => {
    expect(errorsOf(hmm.replace('z[0] ~ Categorical(ones(K) / K)\n', ''))).toContain('z[0] is never defined');
    expect(errorsOf(hmm.replace('1..T', '0..T'))).toContain('z[0] is defined twice (lines 5 and 7)');
    expect(errorsOf(hmm.replace('1..T', '2..T'))).toContain('z[1] is never defined');
  });
  it('infers 2-D shapes from nested loops', () => {
    const c = clean('data N: int\ndata K: int\ndata y: real[N, K]\nfor i in 0..N {\n  for j in 0..K {\n    m[i, j] ~ Normal(0, 1)\n  }\n}\ny ~ Normal(m, 1)\n');
    expect(c.symbols.get('m')!.type.shape).toEqual(['N', 'K']);
  });
  it('requires every enclosing loop variable in the indices, and the simple index forms', () => {
    expect(errorsOf('data N: int\ndata y: real[N]\nfor i in 0..N {\n  for j in 0..3 {\n    m[i] ~ Normal(0, 1)\n  }\n}\ny ~ Normal(m, 1)\n')).toEqual([
      "'m' is defined again in every iteration of the loop over 'j'; index it by 'j'",
    ]);
    expect(errorsOf('data N: int\ndata y: real[N]\nfor i in 0..N {\n  m[i * 2] ~ Normal(0, 1)\n}\ny ~ Normal(0, 1)\n')).toEqual([
      'indices of an element definition must be loop variables plus or minus int literals, or int literals',
    ]);
  });
  it('lets data be observed element by element, also partly (an AR model conditions on y[0])', () => {
    const c = clean('data T: int\ndata y: real[T]\nb ~ Normal(0, 1)\nfor t in 1..T {\n  y[t] ~ Normal(b * y[t - 1], 1)\n}\n');
    expect(c.symbols.get('y')).toMatchObject({ observed: true, elementwise: true });
    expect(c.mode).toBe('inference');
    expect(errorsOf('data T: int\ndata y: real[T]\nfor t in 0..T {\n  y[t] ~ Normal(0, 1)\n}\ny[0] ~ Normal(0, 1)\n')).toEqual(['y[0] is defined twice (lines 4 and 6)']);
  });
  it('rejects loop bounds that depend on latents or params', () => {
    expect(errorsOf('data y: real\nk ~ Poisson(3)\nfor i in 0..k {\n  x[i] ~ Normal(0, 1)\n}\ny ~ Normal(0, 1)\n')).toEqual([
      "loop bounds must be known before inference; 'k' is a random variable",
    ]);
    expect(errorsOf('data y: real\nk ~ Poisson(3)\nm = k + 1\nfor i in 0..m {\n  x[i] ~ Normal(0, 1)\n}\ny ~ Normal(0, 1)\n')).toEqual([
      "loop bounds must be known before inference; 'm' depends on the random variable 'k'",
    ]);
    expect(errorsOf('data y: real\nfor i in 0..2.5 {\n  x[i] ~ Normal(0, 1)\n}\ny ~ Normal(0, 1)\n')).toEqual(['loop bounds must be int scalars, but this is real']);
  });
});

describe('types and shapes', () => {
  it('records the type of every expression node', () => {
    const c = clean('data N: int\ndata y: real[N]\nmu ~ Normal(0, 1)\ny ~ Normal(mu + 2 * ones(N), exp(0.5))\n');
    const walk = (e: Expr): Expr[] => {
      switch (e.kind) {
        case 'binary':
          return [e, ...walk(e.left), ...walk(e.right)];
        case 'call':
          return [e, ...e.args.flatMap((a) => walk(a.value))];
        default:
          return [e];
      }
    };
    for (const site of c.sites) for (const arg of Object.values(site.args)) for (const e of walk(arg)) expect(c.exprTypes.has(e)).toBe(true);
  });
  it('defers checks between different dimension names', () => {
    const c = clean('data N: int\ndata K: int\ndata x: real[N]\nmu: real[K] ~ Normal(0, 1)\nx ~ Normal(mu + x, 1)\n');
    expect(c.deferred!.filter((d) => d.kind === 'dims').map((d) => d.kind === 'dims' && [d.pair.a, d.pair.b])).toContainEqual(['K', 'N']);
  });
  it('records gathers by int data for an index range check', () => {
    const c = clean('data N: int\ndata K: int\ndata z: int[N]\ndata x: real[N]\nlocs: real[K] ~ Normal(0, 1)\nx ~ Normal(locs[z], 1)\n');
    expect(c.deferred).toContainEqual(expect.objectContaining({ kind: 'gather', index: 'z', target: 'locs', bound: 'K' }));
  });
});

describe('distributions', () => {
  const site = (src: string, name: string) => clean(src).sites.find((s) => s.name === name)!;
  it('fills positional slots, counting a oneOf group as one', () => {
    expect(Object.keys(site('data y: int\ny ~ Bernoulli(0.5)\n', 'y').args)).toEqual(['probs']);
    expect(Object.keys(site('data y: int\ny ~ Binomial(10, 0.3)\n', 'y').args)).toEqual(['total_count', 'probs']);
    expect(Object.keys(site('data y: int\nparam x: real\ny ~ Bernoulli(logits = x)\n', 'y').args)).toEqual(['logits']);
    expect(Object.keys(site('data y: int\ny ~ Binomial(logits = 0, total_count = 4)\n', 'y').args).sort()).toEqual(['logits', 'total_count']);
    expect(Object.keys(site('data y: real\ny ~ StudentT(3, scale = 2, loc = 0)\n', 'y').args).sort()).toEqual(['df', 'loc', 'scale']);
  });
  it('reports argument errors', () => {
    expect(errorsOf('data y: int\ny ~ Bernoulli()\n')).toEqual(["Bernoulli is missing 'probs' or 'logits'"]);
    expect(errorsOf('data y: int\ny ~ Bernoulli(0.5, logits = 1)\n')).toEqual(['Bernoulli takes either probs or logits, not both']);
    expect(errorsOf('data y: int\ny ~ Bernoulli(0.5, 0.2)\n')).toEqual(['Bernoulli takes 1 argument (probs | logits), got 2']);
    expect(errorsOf('data y: real\ny ~ Normal(0, sd = 1)\n')).toEqual(["Normal has no parameter 'sd'; its parameters are loc, scale", "Normal is missing 'scale'"]);
    expect(errorsOf('data y: int\ny ~ Bernoulli(1.5)\n')).toEqual(['probs of Bernoulli must be between 0 and 1, got 1.5']);
  });
  it('checks the domain of constant arguments with the evaluator data defaults use (constants.ts)', () => {
    expect(errorsOf('data y: real\ny ~ Normal(0, 1 - 2)\n')).toEqual(['scale of Normal must be positive, got -1']);
    expect(errorsOf('data y: int\ny ~ Categorical([0.2, 0.1 * 3])\n')).toEqual(['probs of Categorical must be a simplex (summing to one), but it sums to 0.5']);
    // A name has no value before the data are bound: nothing to say yet.
    expect(errorsOf('data s: real\ndata y: real\ny ~ Normal(0, s - 2)\n')).toEqual([]);
  });
  it('gives discrete families int values and continuous ones their support constraint', () => {
    const c = clean('data y: real\np ~ Beta(1, 1)\ns ~ HalfCauchy(1)\nb ~ Bernoulli(p)\ny ~ Normal(b, s)\n');
    expect(c.symbols.get('p')).toMatchObject({ type: { elem: 'real', shape: [] }, constraint: 'unit' });
    expect(c.symbols.get('s')).toMatchObject({ constraint: 'positive' });
    expect(c.symbols.get('b')).toMatchObject({ type: { elem: 'int', shape: [] }, constraint: 'none' });
  });
  it('broadcasts argument shapes; Categorical drops K and Dirichlet keeps it', () => {
    const src = 'data N: int\ndata K: int\ndata y: real[N]\nparam L: real[N, K]\nparam a: positive[K]\nz ~ Categorical(logits = L)\np ~ Dirichlet(a)\nm ~ Normal(zeros(N), ones(1))\ny ~ Normal(m + z, sum(p))\n';
    const c = clean(src);
    expect(c.symbols.get('z')!.type).toEqual({ elem: 'int', shape: ['N'] });
    expect(c.symbols.get('p')!.type).toEqual({ elem: 'real', shape: ['K'] });
    expect(c.symbols.get('p')!.constraint).toBe('simplex');
    expect(c.symbols.get('m')!.type).toEqual({ elem: 'real', shape: ['N'] });
  });
  it('fills a declared shape with iid copies and rejects shapes that do not fit', () => {
    const c = clean('plate N\ndata x: int[N, 200]\nz: int[N, 200] ~ Bernoulli(0.5)\nx ~ Bernoulli(z * 0.5 + 0.25)\n');
    expect(c.symbols.get('z')!.type).toEqual({ elem: 'int', shape: ['N', 200] });
    expect(errorsOf('data y: real\nparam m: real[5]\nz: real[3] ~ Normal(m, 1)\ny ~ Normal(sum(z), 1)\n')).toEqual([
      "z is declared real[3], but Normal's arguments have shape [5]",
    ]);
    expect(errorsOf('data y: real\nz: positive ~ Normal(0, 1)\ny ~ Normal(z, 1)\n')).toEqual(['z is declared positive, but Normal gives real values']);
    expect(errorsOf('data y: real\nz: int ~ Normal(0, 1)\ny ~ Normal(z, 1)\n')).toEqual(['z is declared int, but Normal gives real values']);
    expect(errorsOf('data y: real\nz: real ~ Poisson(1)\ny ~ Normal(z, 1)\n')).toEqual(['z is declared real, but Poisson gives int values']);
  });
  it('checks observed data against the family', () => {
    expect(errorsOf('data y: real\ny ~ Bernoulli(0.5)\n')).toEqual(['y is declared real, but Bernoulli gives int values']);
    expect(errorsOf('data y: real[3]\nparam m: real[4]\ny ~ Normal(m, 1)\n')).toEqual(["y is declared real[3], but Normal's arguments have shape [4]"]);
    clean('data y: int[3]\ny ~ Normal(0, 1)\n');
  });
});

describe('estimator annotations', () => {
  const ann = (fam: string, a: string) => errorsOf(`data y: real\nk ~ ${fam} @${a}\ny ~ Normal(k, 1)\n`);
  it('accepts annotations that can apply and records them', () => {
    for (const [f, a] of [
      ['Normal(0, 1)', 'reparam'],
      ['Bernoulli(0.5)', 'relax'],
      ['Bernoulli(0.5)', 'concrete'],
      ['Categorical(ones(3) / 3)', 'enumerate'],
      ['Poisson(2)', 'reinforce'],
      ['Gamma(2, 2)', 'reinforce'],
      ['Binomial(3, 0.5)', 'enumerate'],
    ]) {
      expect(ann(f!, a!)).toEqual([]);
    }
    expect(clean('data y: real\nk ~ Bernoulli(0.5) @relax\ny ~ Normal(k, 1)\n').sites[0]!.annotation).toBe('relax');
  });
  it('rejects the ones that never apply, saying why', () => {
    expect(ann('Poisson(2)', 'reparam')).toEqual(["@reparam cannot apply to 'k': Poisson is discrete, and @reparam needs a continuous family"]);
    expect(ann('Gamma(2, 2)', 'reparam')).toEqual(["@reparam cannot apply to 'k': Gamma has no reparameterised sampler"]);
    expect(ann('Poisson(2)', 'concrete')).toEqual(["@concrete cannot apply to 'k': Poisson has no continuous relaxation (only Bernoulli and Categorical do)"]);
    expect(ann('Binomial(3, 0.5)', 'relax')).toEqual(["@relax cannot apply to 'k': Binomial has no continuous relaxation (only Bernoulli and Categorical do)"]);
    expect(ann('Geometric(0.5)', 'enumerate')).toEqual(["@enumerate cannot apply to 'k': Geometric has infinite support, and @enumerate needs a finite one"]);
    expect(ann('Normal(0, 1)', 'enumerate')).toEqual(["@enumerate cannot apply to 'k': Normal is continuous, and @enumerate needs a finite discrete family"]);
    expect(errorsOf('data y: int\ny ~ Bernoulli(0.5) @reinforce\n')).toEqual(['y is observed; estimators apply to latent sites']);
  });
});

describe('modes', () => {
  it('is inference with observations, optimisation with objectives, prior with neither', () => {
    expect(clean('data y: real\ny ~ Normal(0, 1)\n').mode).toBe('inference');
    expect(clean('data t: real = 0.499\nparam phi: real = 0\nb ~ Bernoulli(logits = phi)\nminimize (t - b) ^ 2\n').mode).toBe('optimisation');
    const r = run('mu ~ Normal(0, 1)\n');
    expect(r.checked!.mode).toBe('prior');
    expect(r.warnings).toEqual(['the program has no observations and no objective; fitting it gives back the prior']);
  });
  it('sums an objective of any shape', () => {
    const c = clean('param phi: real[3]\nb: int[3] ~ Bernoulli(logits = phi)\nmaximize b * 2.0\n');
    expect(c.objectives).toHaveLength(1);
  });
  it('rejects observations together with objectives', () => {
    expect(errorsOf('data y: real\nm ~ Normal(0, 1)\ny ~ Normal(m, 1)\nminimize m ^ 2\n')).toEqual([
      "a program cannot both observe data and minimize/maximize: 'y' is observed on line 3, and line 4 is an objective",
    ]);
  });
});

describe('guides', () => {
  const model = 'data J: int\ndata y: real[J]\ntau ~ HalfCauchy(5)\nth: real[J] ~ Normal(0, tau)\nk ~ Poisson(3)\nb ~ Bernoulli(0.5)\ny ~ Normal(th + k + b, 1)\n';
  it('accepts guides with matching support and shape, leaving other latents automatic', () => {
    const c = clean(model + 'guide {\n  param m: real[J]\n  th ~ Normal(m, 1)\n  tau ~ LogNormal(0, 1)\n}\n');
    expect(c.guide!.sites.map((s) => [s.name, s.scope])).toEqual([
      ['th', 'guide'],
      ['tau', 'guide'],
    ]);
  });
  it('rejects wrong support, wrong shape, non-latents, twice-sampled latents and a second guide', () => {
    expect(errorsOf(model + 'guide {\n  tau ~ Normal(0, 1)\n}\n')).toEqual(["guide for 'tau' must have positive support like HalfCauchy; Normal has real support"]);
    expect(errorsOf(model + 'guide {\n  k ~ Bernoulli(0.5)\n}\n')).toEqual([
      "guide for 'k' must have count {0, 1, 2, …} support like Poisson; Bernoulli has binary {0, 1} support",
    ]);
    expect(errorsOf(model + 'guide {\n  b ~ Normal(0, 1)\n}\n')).toEqual(["guide for 'b' must have binary {0, 1} support like Bernoulli; Normal has real support"]);
    expect(errorsOf(model + 'guide {\n  th ~ Normal(0, 1)\n}\n')).toEqual(["guide for 'th' has type real, but the model's 'th' is real[J]"]);
    expect(errorsOf(model + 'guide {\n  y ~ Normal(0, 1)\n}\n')).toEqual(["the guide samples 'y', but 'y' is data (line 2)"]);
    expect(errorsOf(model + 'guide {\n  tua ~ LogNormal(0, 1)\n}\n')).toEqual(["the guide samples 'tua', but the model has no latent 'tua' (did you mean 'tau'?)"]);
    expect(errorsOf(model + 'guide {\n  tau ~ LogNormal(0, 1)\n  tau ~ LogNormal(0, 2)\n}\n')).toEqual([
      "'tau' is already defined (line 9) in the guide; a guide samples each latent once",
    ]);
    expect(errorsOf(model + 'guide {\n}\nguide {\n}\n')).toEqual(['a program has at most one guide block (the first is on line 8)']);
    expect(errorsOf(model + 'guide {\n  minimize 1\n}\n')).toEqual(["'minimize' belongs in the model, not in the guide"]);
  });
});

describe('params and data declarations', () => {
  it('accepts constrained params and constant initial values', () => {
    const c = clean('data y: real\ndata K: int\nparam s: positive = 1\nparam p: simplex[K]\nparam w: real[K] = ones(K) * 2\ny ~ Normal(sum(w * p), s)\n');
    expect(c.symbols.get('s')).toMatchObject({ kind: 'param', constraint: 'positive' });
    expect(c.symbols.get('p')!.type.shape).toEqual(['K']);
  });
  it('rejects initial values that are not constant', () => {
    expect(errorsOf('data y: real\nparam a: real\nparam b: real = a\ny ~ Normal(a + b, 1)\n')).toEqual([
      "the initial value of a param must be computed from data and literals, but 'a' is a param",
    ]);
  });
  it('lets a plate imply its int data, or join an explicit declaration', () => {
    expect(clean('plate N\ndata y: real[N]\ny ~ Normal(0, 1)\n').symbols.get('N')).toMatchObject({ kind: 'plate', type: { elem: 'int', shape: [] } });
    expect(clean('data N: int\nplate N\ndata y: real[N]\ny ~ Normal(0, 1)\n').symbols.get('N')!.kind).toBe('plate');
  });
  it('requires dims to be int literals or int scalar data declared before', () => {
    expect(errorsOf('data y: real[N]\ndata N: int\ny ~ Normal(0, 1)\n')).toEqual(["'N' is used before it is defined (line 2)"]);
    expect(errorsOf('data s: real\ndata y: real[s]\ny ~ Normal(s, 1)\n')).toEqual(["dimension 's' is real; dimensions must be int scalars"]);
  });
  it('warns about unused data and latents that reach no observation', () => {
    const r = run('data N: int\ndata y: real\nm ~ Normal(0, 1)\nu ~ Normal(m, 1)\nv ~ Normal(0, 1)\nw ~ Normal(v, 1)\ny ~ Normal(w, 1)\n');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual(["data 'N' is declared but never used", "latent 'm' does not affect any observation; its posterior is its prior", "latent 'u' does not affect any observation; its posterior is its prior"]);
  });
});

describe('element sites in guides, and reads by loop variables', () => {
  it('lets a guide define a model latent element by element', () => {
    const c = clean(`data N: int
data y: real[N]
z: int[N] ~ Bernoulli(0.5)
y ~ Normal(z, 1)
guide {
  param q: real[N]
  for n in 0..N {
    z[n] ~ Bernoulli(logits = q[n])
  }
}
`);
    expect(c.guide!.sites[0]).toMatchObject({ name: 'z', loopVars: ['n'], type: { elem: 'int', shape: ['N'] } });
  });
  it('rejects a guide element array of the wrong shape', () => {
    expect(
      errorsOf(`data N: int
data y: real[N]
z: int[N] ~ Bernoulli(0.5)
y ~ Normal(z, 1)
guide {
  for n in 0..3 {
    z[n] ~ Bernoulli(0.5)
  }
}
`),
    ).toEqual(["guide for 'z' has type int[3], but the model's 'z' is int[N]"]);
  });
  it('checks the indices that loop variables read', () => {
    expect(errorsOf('data T: int\ndata y: real[T]\nfor t in 0..T {\n  y[t] ~ Normal(y[t - 1], 1)\n}\n')).toEqual(['y[t - 1] reads index -1 when t = 0, outside the axis [T]']);
    expect(errorsOf('data T: int\ndata y: real[T]\nfor t in 1..T {\n  y[t] ~ Normal(y[t - 1], 1)\n}\n')).toEqual([]);
    const c = clean('data T: int\ndata S: int\ndata y: real[T]\ndata w: real[S]\nfor t in 0..T {\n  y[t] ~ Normal(w[t], 1)\n}\n');
    expect(c.deferred).toContainEqual(expect.objectContaining({ kind: 'index-range', target: 'w', index: 't' }));
  });
});

describe('smaller rules', () => {
  it('says an observation above its data declaration is used before it is defined', () => {
    expect(errorsOf('y ~ Normal(0, 1)\ndata y: real\n')).toEqual(["'y' is used before it is defined (line 2)"]);
  });
  it('names the declared base type of observed data', () => {
    expect(errorsOf('data y: positive\ny ~ Poisson(2)\n')).toEqual(['y is declared positive, but Poisson gives int values']);
  });
  it('checks literal simplex arguments', () => {
    expect(errorsOf('data y: int\ny ~ Categorical([0.2, 0.3])\n')).toEqual(['probs of Categorical must be a simplex (summing to one), but it sums to 0.5']);
    expect(errorsOf('data y: int\ny ~ Categorical([0.2, 0.8])\n')).toEqual([]);
  });
});

describe('vectors, matrices and Gaussian processes', () => {
  const typeOf = (src: string, name: string) => clean(src).symbols.get(name)!.type;
  it('reads vector, row_vector and matrix as real arrays of rank 1, 1 and 2; matrix stays a usable name', () => {
    const c = clean('data N: int\ndata K: int\ndata a: vector[N]\ndata b: row_vector[K]\ndata M: matrix[N, K]\nmatrix = M @ b\na ~ Normal(matrix, 1)\n');
    expect(c.symbols.get('a')!.type).toEqual({ elem: 'real', shape: ['N'] });
    expect(c.symbols.get('b')!.type).toEqual({ elem: 'real', shape: ['K'] });
    expect(c.symbols.get('M')!.type).toEqual({ elem: 'real', shape: ['N', 'K'] });
    const p = parse('data x: matrix[3]\n', 'm.tilde');
    expect(p.diagnostics.map((d) => d.message)).toEqual(['matrix takes two dimensions (matrix[N, K]), found 1']);
    expect(parse('data x: vector\n', 'm.tilde').diagnostics.map((d) => d.message)).toEqual(['vector takes one dimension (vector[N]), found none']);
    expect(parse('data x: vectr[3]\n', 'm.tilde').diagnostics[0]!.message).toMatch(/did you mean 'vector'\?/);
  });

  it('gives each function its result shape', () => {
    const pre = 'data N: int\ndata D: int\ndata x: real[N]\ndata X: matrix[N, D]\ndata v: vector[N]\ndata y: real\n';
    const shape = (e: string) => typeOf(`${pre}r = ${e}\ny ~ Normal(sum(r), 1)\n`, 'r')!.shape;
    expect(shape('cholesky_decompose(tcrossprod(X))')).toEqual(['N', 'N']);
    expect(shape('crossprod(X)')).toEqual(['D', 'D']);
    expect(shape('identity_matrix(D)')).toEqual(['D', 'D']);
    expect(shape('diag_matrix(v)')).toEqual(['N', 'N']);
    expect(shape('diagonal(tcrossprod(X))')).toEqual(['N']);
    expect(shape('log_determinant(crossprod(X))')).toEqual([]);
    expect(shape('mdivide_left_tri_low(tcrossprod(X), X)')).toEqual(['N', 'D']);
    expect(shape('mdivide_right_tri_low(v, tcrossprod(X))')).toEqual(['N']);
    expect(shape('quad_form(tcrossprod(X), v)')).toEqual([]);
    expect(shape('quad_form(tcrossprod(X), X)')).toEqual(['D', 'D']);
    expect(shape('segment(v, 1, N - 1)')).toEqual(['N-1']);
    expect(shape('rep_matrix(0, N, D)')).toEqual(['N', 'D']);
    expect(shape('gp_exp_quad_cov(x, 1, 2)')).toEqual(['N', 'N']);
    expect(shape('gp_matern52_cov(X, 1, 2)')).toEqual(['N', 'N']);
    expect(shape('gp_exp_quad_cov(x, segment(x, 0, 3), 1, 2)')).toEqual(['N', 3]);
    expect(shape('gp_periodic_cov(x, 1, 2, 3)')).toEqual(['N', 'N']);
  });

  it('names the argument and the expected shape when a call is wrong', () => {
    const pre = 'data X: matrix[3, 2]\ndata v: vector[3]\ndata y: real\n';
    const err = (e: string) => errorsOf(`${pre}y ~ Normal(sum(${e}), 1)\n`);
    expect(err('cholesky_decompose(X)')).toEqual(['cholesky_decompose: the first argument must be a square matrix, but X is real[3, 2]']);
    expect(err('diag_post_multiply(X, v)')).toEqual(["diag_post_multiply: the vector's length must equal the matrix's columns (2), but v is real[3] and X is real[3, 2]"]);
    expect(err('add_diag(tcrossprod(X), [1, 2])')).toEqual(['add_diag: the diagonal must have length 3, but [1, 2] is int[2]']);
    expect(err('mdivide_right_tri_low(X, tcrossprod(X))')).toEqual(['mdivide_right_tri_low: the left-hand side must have 3 columns, as the triangular matrix, but X is real[3, 2]']);
    expect(err('gp_exp_quad_cov(X, v, 1, 2)')).toEqual(['gp_exp_quad_cov: both sets of points must have one form (real[N] or real[N, D]), but X is real[3, 2] and v is real[3]']);
    expect(err('gp_periodic_cov(v, 1, 2)')).toEqual(['gp_periodic_cov takes 4 or 5 arguments (x, alpha, rho, period or x1, x2, alpha, rho, period), got 3']);
  });

  it('types MultiNormal values by the event and batches over leading axes', () => {
    const c = clean('data M: int\ndata K: int\ndata S: matrix[K, K]\nmu: real[M, K] ~ Normal(0, 1)\nx ~ MultiNormal(mu, S)\ndata y: real[M, K]\ny ~ Normal(x, 1)\n');
    expect(c.symbols.get('x')!.type).toEqual({ elem: 'real', shape: ['M', 'K'] });
    expect(errorsOf('data S: matrix[3, 2]\ndata y: vector[3]\ny ~ MultiNormalCholesky(rep_vector(0, 3), S)\n')).toEqual([
      'scale_tril of MultiNormalCholesky must be a square matrix [K, K] (batches in front), but this is real[3, 2]',
    ]);
  });
});
