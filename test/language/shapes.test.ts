// Shape inference tables: broadcasting, '@', indexing and gathers, reductions, constructors.
import { describe, expect, it } from 'vitest';
import { parse } from '../../language/parse.js';
import { check } from '../../language/checker.js';
import { analyseCoverage, broadcastShapes, fitsInto, matmulShape, resolveDim, affineOf, dimOf } from '../../language/shapes.js';
import { showType, type Dim } from '../../language/types.js';
import { NO_SPAN } from '../../language/span.js';

const DECLS = `data N: int
data K: int
data M: int
data T: int
data x: real[N]
data X: real[N, K]
data W: real[K, M]
data v: real[K]
data z: int[N]
data Z: int[N, 2]
data B: real[4, N, K]
data c: real[3]
data s: real
data i: int
data b: bool
`;

/** The type the checker infers for `expr`, or the first error message. */
function typeOf(expr: string): string {
  const src = `${DECLS}r = ${expr}\nminimize 0\n`;
  const p = parse(src, 't.tilde');
  if (p.diagnostics.length) return 'SYNTAX ' + p.diagnostics[0]!.message;
  const { checked, diagnostics } = check(p.program, src);
  const err = diagnostics.find((d) => d.severity === 'error');
  if (err) return 'ERROR ' + err.message;
  return showType(checked!.symbols.get('r')!.type);
}

describe('broadcastShapes', () => {
  const table: [Dim[], Dim[], Dim[] | 'error', number][] = [
    [[], [], [], 0],
    [['N'], [], ['N'], 0],
    [['N', 1], ['K'], ['N', 'K'], 0],
    [[3], [1], [3], 0],
    [[3], [4], 'error', 0],
    [['N'], [3], 'error', 0],
    [['N'], [1], ['N'], 0],
    [['N'], ['K'], ['N'], 1], // undecidable: recorded for the data check
    [['T-1'], ['T'], 'error', 0],
    [['T-1'], ['T-1'], ['T-1'], 0],
    [[2, 'N', 1], ['N', 5], [2, 'N', 5], 0],
  ];
  it.each(table)('%j with %j', (a, b, want, deferred) => {
    const r = broadcastShapes(a, b);
    if (want === 'error') expect(r.ok).toBe(false);
    else {
      expect(r).toMatchObject({ ok: true, shape: want });
      if (r.ok) expect(r.deferred.length).toBe(deferred);
    }
  });
});

describe('matmulShape', () => {
  const table: [Dim[], Dim[], Dim[] | 'error'][] = [
    [['N', 'K'], ['K', 'M'], ['N', 'M']],
    [['K'], ['K', 'M'], ['M']],
    [['N', 'K'], ['K'], ['N']],
    [['K'], ['K'], []],
    [[4, 'N', 'K'], ['K', 'M'], [4, 'N', 'M']],
    [['N', 200], [784, 200], 'error'],
    [['N', 3], ['K', 2], 'error'],
    [[], ['K'], 'error'],
  ];
  it.each(table)('%j @ %j', (a, b, want) => {
    const r = matmulShape(a, b);
    if (want === 'error') expect(r.ok).toBe(false);
    else expect(r).toMatchObject({ ok: true, shape: want });
  });
});

describe('fitsInto (declared shapes and iid copies)', () => {
  it('accepts smaller or broadcastable value shapes and rejects larger ones', () => {
    expect(fitsInto([], ['N', 200]).ok).toBe(true);
    expect(fitsInto([200], ['N', 200]).ok).toBe(true);
    expect(fitsInto([1, 200], ['N', 200]).ok).toBe(true);
    expect(fitsInto(['K'], ['N']).ok).toBe(true); // decided with the data
    expect(fitsInto([3], ['N']).ok).toBe(false);
    expect(fitsInto([3], ['N'], true).ok).toBe(true);
    expect(fitsInto(['N', 'K'], ['K']).ok).toBe(false);
  });
});

describe('symbolic dims', () => {
  it('parses and resolves name ± literal', () => {
    expect(affineOf('T-1')).toEqual({ name: 'T', k: -1 });
    expect(dimOf({ name: 'T', k: 2 })).toBe('T+2');
    expect(resolveDim('T-1', new Map([['T', 10]]))).toBe(9);
    expect(resolveDim(4, new Map())).toBe(4);
    expect(resolveDim('Q', new Map())).toBeUndefined();
  });
});

describe('expression types through the checker', () => {
  const table: [string, string][] = [
    ['1 + 2', 'int'],
    ['1 / 2', 'real'],
    ['2 ^ 3', 'real'],
    ['b + 1', 'int'],
    ['i * 2.0', 'real'],
    ['x < 1', 'bool[N]'],
    ['!b', 'bool'],
    ['b && (s > 0)', 'bool'],
    ['if s > 0 then x else 0', 'real[N]'],
    ['x + s', 'real[N]'],
    ['X * v', 'real[N, K]'],
    ['X + x', 'real[N, K]'], // K against N: accepted, re-checked with the data
    ['x + c', "ERROR shapes do not broadcast in '+': x is real[N] and c is real[3]"],
    ['X @ W', 'real[N, M]'],
    ['v @ W', 'real[M]'],
    ['X @ v', 'real[N]'],
    ['v @ v', 'real'],
    ['B @ W', 'real[4, N, M]'],
    ['X @ c', "ERROR '@' needs matching inner dimensions: X is real[N, K], c is real[3]"],
    ['X @ X', 'real[N, K]'], // K against N: re-checked with the data
    ['s @ v', 'ERROR'],
    ['x[0]', 'real'],
    ['X[0]', 'real[K]'],
    ['X[0, 1]', 'real'],
    ['X[:, 1]', 'real[N]'],
    ['X[1:3]', 'real[2, K]'],
    ['x[1:N]', 'real[N-1]'],
    ['x[0:N - 1]', 'real[N-1]'],
    ['x[2:]', 'real[N-2]'],
    ['x[:]', 'real[N]'],
    ['v[z]', 'real[N]'],
    ['X[z]', 'real[N, K]'],
    ['W[:, z]', 'real[K, N]'],
    ['v[Z]', 'real[N, 2]'],
    ['x[0, 0]', 'ERROR x is real[N], which takes at most 1 index'],
    ['x[s]', 'ERROR indices must be int, but this is real'],
    ['c[3]', 'ERROR index 3 is out of range for c (axis of size 3)'],
    ['sum(X)', 'real'],
    ['sum(X, 0)', 'real[K]'],
    ['sum(X, 1)', 'real[N]'],
    ['sum(X, -1)', 'real[N]'],
    ['sum(z)', 'int'],
    ['mean(z)', 'real'],
    ['max(X, 0)', 'real[K]'],
    ['logsumexp(B, 1)', 'real[4, K]'],
    ['prod(x)', 'real'],
    ['sum(X, 2)', 'ERROR'],
    ['sum(X, i)', 'ERROR sum: the axis must be an int literal'],
    ['softmax(X)', 'real[N, K]'],
    ['log_softmax(v)', 'real[K]'],
    ['exp(X)', 'real[N, K]'],
    ['abs(z)', 'int[N]'],
    ['floor(x)', 'int[N]'],
    ['round(s)', 'int'],
    ['pow(x, 2)', 'real[N]'],
    ['dot(v, v)', 'real'],
    ['dot(x, c)', 'ERROR'],
    ['transpose(X)', 'real[K, N]'],
    ['transpose(x)', 'ERROR transpose needs a matrix, but x is real[N]'],
    ['ones(K)', 'real[K]'],
    ['zeros(N, 3)', 'real[N, 3]'],
    ['ones(K) / K', 'real[K]'],
    ['fill(2, N, K)', 'int[N, K]'],
    ['fill(x, 2)', 'ERROR'],
    ['ones(length(x))', 'real[N]'],
    ['zeros(N - 1)', 'real[N-1]'],
    ['ones(s)', 'ERROR'],
    ['length(X)', 'int'],
    ['[1, 2, 3]', 'int[3]'],
    ['[[1, 2], [3, 4.5]]', 'real[2, 2]'],
    ['[1, [2]]', 'ERROR'],
    ['exp(x, 1)', 'ERROR exp takes 1 argument, got 2'],
    ['sum()', 'ERROR sum takes 1 or 2 arguments (an array and an optional axis), got 0'],
    ['Normal(0, 1)', "ERROR 'Normal' is a distribution; use it on the right of '~'"],
  ];
  it.each(table)('%s', (expr, want) => {
    const got = typeOf(expr);
    if (want === 'ERROR') expect(got.startsWith('ERROR')).toBe(true);
    else expect(got).toBe(want);
  });
});

describe('analyseCoverage', () => {
  const box = (...ivs: [number, number][]) => ({ intervals: ivs.map(([lo, hi]) => ({ lo: { k: lo }, hi: { k: hi } })), span: NO_SPAN, line: 1 });
  it('decides literal boxes', () => {
    expect(analyseCoverage('z', [{ k: 4 }], [box([0, 1]), box([1, 4])], true).problems).toEqual([]);
    expect(analyseCoverage('z', [{ k: 4 }], [box([0, 1]), box([2, 4])], true).problems[0]!.message).toBe('z[1] is never defined');
    expect(analyseCoverage('z', [{ k: 5 }], [box([0, 1])], true).problems[0]!.message).toBe('z[1] to z[4] are never defined');
    expect(analyseCoverage('z', [{ k: 4 }], [box([0, 2]), box([1, 4])], true).problems[0]!.message).toBe('z[1] is defined twice (lines 1 and 1)');
    expect(analyseCoverage('A', [{ k: 2 }, { k: 3 }], [box([0, 2], [0, 2])], true).problems[0]!.message).toBe("the element definitions of 'A' define 4 of its 6 elements");
    expect(analyseCoverage('A', [{ k: 2 }, { k: 3 }], [box([0, 2], [0, 3])], true).problems).toEqual([]);
    expect(analyseCoverage('y', [{ k: 4 }], [box([1, 4])], false).problems).toEqual([]);
  });
  it('leaves symbolic questions undecided unless asked to assume large sizes', () => {
    const T = { name: 'T', k: 0 };
    const b = [box([0, 1]), { intervals: [{ lo: { k: 1 }, hi: T }], span: NO_SPAN, line: 2 }];
    expect(analyseCoverage('z', [T], b, true).undecided).toBe(true);
    expect(analyseCoverage('z', [T], b, true, true)).toEqual({ problems: [], undecided: false });
  });
});
