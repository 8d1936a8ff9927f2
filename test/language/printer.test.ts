import { describe, expect, it } from 'vitest';
import { parse, parseExpression } from '../../language/parse.js';
import { printExpr, printProgram, printStmt } from '../../language/printer.js';
import { stripSpans } from './helpers.js';
import { MODELS } from './models.js';

function roundTrip(source: string): void {
  const first = parse(source);
  expect(first.diagnostics).toEqual([]);
  const printed = printProgram(first.program);
  const second = parse(printed);
  expect(second.diagnostics).toEqual([]);
  expect(stripSpans(second.program)).toEqual(stripSpans(first.program));
  // canonical: printing is a fixed point
  expect(printProgram(second.program)).toBe(printed);
}

const reprint = (source: string) => printExpr(parseExpression(source).expr!);

describe('printer', () => {
  it('uses the fewest parentheses that keep the tree', () => {
    const same = [
      'a - b - c', 'a - (b - c)', 'a ^ b ^ c', '(a ^ b) ^ c', '-a ^ b', '(-a) ^ b', '2 ^ -1', 'a + b * c @ d', '(a + b) * c',
      'a < b && c || d', 'a || b && c', '(a || b) && c', '(a < b) < c', 'a < (b < c)', '!(a && b)', '!a && b', 'if a then b else c + d',
      '(if a then b else c) + d', 'f(if a then b else c)', 'x[i][j]', '(a + b)[0]', '(-a)[0]', 'X[:, j]', 'X[a:b, :]', 'X[a:]',
      'f(x, axis = 1)', '[[1, 2], [3, 4]]', '-x[i]', 'a - -b', '--a', 'a * (b / c)', 'a / (b * c)', 'sum(X, 1) / length(x)',
      '1.5 + 2', '3.0', '1e-7', 'inf', 'true || false', 'if if a then b else c then d else e',
    ];
    for (const s of same) expect(reprint(s)).toBe(s);
    expect(reprint('((a))')).toBe('a');
    expect(reprint('(a * b) + c')).toBe('a * b + c');
    expect(reprint('a^(b^c)')).toBe('a ^ b ^ c');
    expect(reprint('-(a^b)')).toBe('-a ^ b');
    expect(reprint('2^(-1)')).toBe('2 ^ -1');
    expect(reprint('.5')).toBe('0.5');
    expect(reprint('1e3')).toBe('1000.0');
    expect(reprint('3.')).toBe('3.0');
  });

  it('prints statements canonically', () => {
    const src = 'data  y : real[ J ,3]=0\nparam w:positive\nplate N\nz:int[N]~Categorical( probs=p )@enumerate\nx[i,j]=1\nminimize (t-b)^2\n';
    expect(printProgram(parse(src).program)).toBe(
      'data y: real[J, 3] = 0\nparam w: positive\nplate N\nz: int[N] ~ Categorical(probs = p) @enumerate\nx[i, j] = 1\nminimize (t - b) ^ 2\n',
    );
    const loop = parse('for i in 0..N { for j in 0..i { a[i, j] = 0 } }\nguide { }').program.body;
    expect(printStmt(loop[0]!)).toBe('for i in 0..N {\n  for j in 0..i {\n    a[i, j] = 0\n  }\n}');
    expect(printStmt(loop[1]!)).toBe('guide {}');
    expect(printStmt(loop[0]!, '    ')).toBe('    for i in 0..N {\n      for j in 0..i {\n        a[i, j] = 0\n      }\n    }');
    expect(printProgram(parse('').program)).toBe('');
  });

  it('round-trips hand-written programs', () => {
    roundTrip('data t: real = 0.499\nparam phi: real = 0\nb ~ Bernoulli(logits = phi)\nminimize (t - b) ^ 2');
    roundTrip('for i in 1.5..2 * N + 1 {\n  x[i] ~ Normal(-a ^ 2, 2 ^ -1) @reparam\n}\ny = if a < b && !c then X[:, j] else X[1:][2]\nz = [[1, 2], [3.0, .5]]');
    roundTrip('guide {\n  param V: real[784, 200]\n  z ~ Bernoulli(logits = x @ V + d)\n}\nmaximize -sum((y - f(x, axis = 1)) ^ 2)');
  });

  it.skipIf(MODELS.length === 0).each(MODELS.map((m) => [m.name, m.source]))('round-trips models/%s', (_name, source) => {
    roundTrip(source);
  });
});

describe('type aliases', () => {
  it('print as written and round-trip', () => {
    const src = 'data N: int\ndata y: vector[N]\ndata b: row_vector[N]\ndata S: matrix[N, N]\ny ~ MultiNormal(b, S)\n';
    expect(printProgram(parse(src).program)).toBe(src);
    roundTrip(src);
  });
});
