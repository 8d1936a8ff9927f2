import { describe, expect, it } from 'vitest';
import type { Expr, Stmt } from '../../language/ast.js';
import { parse, parseExpression, parseStatement } from '../../language/parse.js';
import { TildeParser } from '../../language/parser.js';
import { sexpr, stripSpans } from './helpers.js';

function expr(source: string): Expr {
  const r = parseExpression(source);
  expect(r.diagnostics).toEqual([]);
  return r.expr!;
}

function stmts(source: string): Stmt[] {
  const r = parse(source);
  expect(r.diagnostics.map((d) => d.message)).toEqual([]);
  return r.program.body;
}

const v = (name: string) => ({ kind: 'var', name });
const n = (value: number, isInt = true) => ({ kind: 'num', value, isInt });

describe('precedence and associativity', () => {
  const table: [string, string][] = [
    ['a - b - c', '((a - b) - c)'],
    ['a / b / c', '((a / b) / c)'],
    ['a ^ b ^ c', '(a ^ (b ^ c))'],
    ['-a ^ b', '(-(a ^ b))'],
    ['-x^2', '(-(x ^ 2))'],
    ['2^-1', '(2 ^ (-1))'],
    ['2^-x^2', '(2 ^ (-(x ^ 2)))'],
    ['a + b * c @ d', '(a + ((b * c) @ d))'],
    ['a @ b + c', '((a @ b) + c)'],
    ['a < b && c || d', '(((a < b) && c) || d)'],
    ['a || b && c', '(a || (b && c))'],
    ['!a && b', '((!a) && b)'],
    ['a == b + 1', '(a == (b + 1))'],
    ['if a then b else c + d', '(if a then b else (c + d))'],
    ['if a < b then x else if c then y else z', '(if (a < b) then x else (if c then y else z))'],
    ['-a * b', '((-a) * b)'],
    ['- -a', '(-(-a))'],
    ['+a', '(+a)'],
    ['x[i][j]', 'x[i][j]'],
    ['-x[i]', '(-x[i])'],
    ['x[i] ^ 2', '(x[i] ^ 2)'],
    ['X[:, j]', 'X[:, j]'],
    ['X[a:b]', 'X[a:b]'],
    ['X[a:, :b]', 'X[a:, :b]'],
    ['X[i, j + 1]', 'X[i, (j + 1)]'],
    ['f(x)[0]', 'f(x)[0]'],
    ['(a + b)[0]', '(a + b)[0]'],
    ['(a + b) * c', '((a + b) * c)'],
    ['sum(X, 1)', 'sum(X, 1)'],
    ['f(loc = 0, scale = a + 1)', 'f(loc=0, scale=(a + 1))'],
    ['f()', 'f()'],
    ['[[1, 2], [3, 4]]', '[[1, 2], [3, 4]]'],
    ['[]', '[]'],
    ['[1, 2,]', '[1, 2]'],
    ['.5 + 1e-3 * inf', '(0.5 + (0.001 * inf))'],
    ['true || false', '(true || false)'],
  ];
  it.each(table)('%s  =>  %s', (source, expected) => {
    expect(sexpr(expr(source))).toBe(expected);
  });

  it('marks integer literals', () => {
    expect(stripSpans(expr('3'))).toEqual(n(3));
    expect(stripSpans(expr('3.0'))).toEqual(n(3, false));
    expect(stripSpans(expr('1e3'))).toEqual(n(1000, false));
    expect(stripSpans(expr('inf'))).toEqual(n(Infinity, false));
  });
});

describe('statements', () => {
  it('parses declarations', () => {
    expect(stripSpans(stmts('data N: int\ndata y: real[N, 3] = 0\nparam w: positive[K]\nparam b: real = 1\nplate P'))).toEqual([
      { kind: 'data', name: 'N', type: { kind: 'type', base: 'int', dims: [] } },
      { kind: 'data', name: 'y', type: { kind: 'type', base: 'real', dims: [{ kind: 'dimName', name: 'N' }, { kind: 'dimLit', value: 3 }] }, default: n(0) },
      { kind: 'param', name: 'w', type: { kind: 'type', base: 'positive', dims: [{ kind: 'dimName', name: 'K' }] } },
      { kind: 'param', name: 'b', type: { kind: 'type', base: 'real', dims: [] }, init: n(1) },
      { kind: 'plate', name: 'P' },
    ]);
  });

  it('parses every base type', () => {
    for (const t of ['real', 'int', 'bool', 'positive', 'unit', 'simplex']) {
      expect((stmts(`data x: ${t}`)[0] as { type: { base: string } }).type.base).toBe(t);
    }
  });

  it('parses definitions and samples', () => {
    expect(stripSpans(stmts('theta = mu + tau\nx[i, j] = 1\nmu ~ Normal(0, 5)\nz: int[N] ~ Categorical(probs = p) @enumerate\nx[i] ~ Bernoulli(0.5)'))).toEqual([
      { kind: 'assign', target: { name: 'theta', indices: [] }, value: { kind: 'binary', op: '+', left: v('mu'), right: v('tau') } },
      { kind: 'assign', target: { name: 'x', indices: [v('i'), v('j')] }, value: n(1) },
      { kind: 'sample', target: { name: 'mu', indices: [] }, dist: { kind: 'dist', family: 'Normal', args: [{ value: n(0) }, { value: n(5) }] } },
      {
        kind: 'sample',
        target: { name: 'z', indices: [] },
        type: { kind: 'type', base: 'int', dims: [{ kind: 'dimName', name: 'N' }] },
        dist: { kind: 'dist', family: 'Categorical', args: [{ name: 'probs', value: v('p') }], annotation: { name: 'enumerate' } },
      },
      { kind: 'sample', target: { name: 'x', indices: [v('i')] }, dist: { kind: 'dist', family: 'Bernoulli', args: [{ value: n(0.5, false) }] } },
    ]);
  });

  it('parses for loops, objectives and guides', () => {
    expect(stripSpans(stmts('for t in 1..T {\n  z[t] ~ Categorical(A[z[t - 1]])\n}\nminimize (t - b) ^ 2\nmaximize r\nguide {\n  param V: real[D, H]\n  z ~ Bernoulli(logits = x @ V)\n}'))).toMatchObject([
      { kind: 'for', variable: 'T'.toLowerCase(), from: n(1), to: v('T'), body: [{ kind: 'sample', target: { name: 'z' } }] },
      { kind: 'objective', direction: 'minimize', expr: { kind: 'binary', op: '^' } },
      { kind: 'objective', direction: 'maximize', expr: v('r') },
      { kind: 'guide', body: [{ kind: 'param', name: 'V' }, { kind: 'sample', target: { name: 'z' } }] },
    ]);
    expect(stripSpans(stmts('for i in 0..N {}'))).toEqual([{ kind: 'for', variable: 'i', from: n(0), to: v('N'), body: [] }]);
    expect(stmts('for i in 0..N { x[i] = i; y[i] = 2 * i }')[0]).toMatchObject({ body: [{ kind: 'assign' }, { kind: 'assign' }] });
    expect(stmts('for i in 0..N {\n  for j in i + 1..N {\n    a[i, j] = 0\n  }\n}')[0]).toMatchObject({ body: [{ kind: 'for', from: { kind: 'binary' } }] });
  });

  it('separates statements by new lines and semicolons, and continues lines', () => {
    expect(stmts('a = 1; b = 2;\n\n c = 3 # comment\n')).toHaveLength(3);
    expect(stmts('x = f(a,\n      b)\ny = a +\n  b\nz = [\n  1,\n  2,\n]\nw ~ Normal(0,\n  1)')).toHaveLength(4);
    expect(stmts('y = if c then a\n    else b')).toHaveLength(1);
    expect(stmts('')).toEqual([]);
    expect(stmts('# nothing but a comment\n\n')).toEqual([]);
  });

  it('parses the examples of the language reference', () => {
    const relax = stmts('data t: real = 0.499\nparam phi: real = 0\nb ~ Bernoulli(logits = phi)\nminimize (t - b) ^ 2');
    expect(relax.map((s) => s.kind)).toEqual(['data', 'param', 'sample', 'objective']);
  });

  it('parses one REPL statement', () => {
    expect(parseStatement('x = 1').stmt).toMatchObject({ kind: 'assign' });
    expect(parseStatement('x = 1; y = 2').statements).toHaveLength(2);
    expect(parseStatement('x = 1; y = 2').stmt).toBeUndefined();
    expect(parseStatement('x +').diagnostics).toHaveLength(1);
  });

  it('rejects what is not one expression', () => {
    expect(parseExpression('a b').diagnostics).toHaveLength(1);
    expect(parseExpression('a +').expr).toBeUndefined();
    expect(parseExpression('a + 1\n').expr).toBeDefined();
  });
});

describe('spans', () => {
  const src = 'data y: real[J]\ntheta = mu + tau * (a - b)\nz ~ Normal(0, 1) @reparam;\nfor i in 0..N {\n  x[i] = 1\n}';
  const body = parse(src).program.body;
  const text = (s: { start: { offset: number }; end: { offset: number } }) => src.slice(s.start.offset, s.end.offset);

  it('cover each statement without its terminator', () => {
    expect(body.map((s) => text(s.span))).toEqual(['data y: real[J]', 'theta = mu + tau * (a - b)', 'z ~ Normal(0, 1) @reparam', 'for i in 0..N {\n  x[i] = 1\n}']);
  });

  it('cover both operands of a binary expression, and parentheses', () => {
    const assign = body[1] as Extract<Stmt, { kind: 'assign' }>;
    const sum = assign.value as Extract<Expr, { kind: 'binary' }>;
    expect(text(sum.span)).toBe('mu + tau * (a - b)');
    expect(text(sum.right.span)).toBe('tau * (a - b)');
    expect(text((sum.right as Extract<Expr, { kind: 'binary' }>).right.span)).toBe('(a - b)');
    expect(assign.target.nameSpan.start).toEqual({ offset: 16, line: 2, column: 1 });
    expect(sum.span.end).toEqual({ offset: 42, line: 2, column: 27 });
  });

  it('mark names, families, annotations and types', () => {
    const data = body[0] as Extract<Stmt, { kind: 'data' }>;
    expect(text(data.nameSpan)).toBe('y');
    expect(text(data.type.span)).toBe('real[J]');
    expect(text(data.type.dims[0]!.span)).toBe('J');
    const sample = body[2] as Extract<Stmt, { kind: 'sample' }>;
    expect(text(sample.dist.familySpan)).toBe('Normal');
    expect(text(sample.dist.annotation!.span)).toBe('@reparam');
    expect(text(sample.dist.args[1]!.span)).toBe('1');
    const loop = body[3] as Extract<Stmt, { kind: 'for' }>;
    expect(text(loop.variableSpan)).toBe('i');
    expect(loop.body[0]!.span.start).toMatchObject({ line: 5, column: 3 });
  });

  it('cover the whole program', () => {
    const p = parse(src).program;
    expect(p.span.end.offset).toBe(src.length);
    expect(p.file).toBe('<input>');
    expect(parse(src, 'm.tilde').program.file).toBe('m.tilde');
  });
});

describe('the grammar', () => {
  // The shared parser skips Chevrotain's grammar validations to start faster; they are run here.
  it("passes Chevrotain's validations (no ambiguous alternatives, no left recursion)", () => {
    // With validations on, Chevrotain throws here on a grammar error; the errors are also kept.
    const p = new TildeParser({ validate: true }) as unknown as { definitionErrors: unknown[] };
    expect(p.definitionErrors).toEqual([]);
  });
});
