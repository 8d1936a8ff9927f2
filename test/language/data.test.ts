// Data binding and CSV parsing: one test per message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from '../../language/parse.js';
import { check } from '../../language/checker.js';
import { parseCsv } from '../../language/csv.js';
import { bindData, parseElements, parseRegular, parseValue } from '../../language/data.js';
import { renderDiagnostic } from '../../language/diagnostics.js';
import { ModelError } from '../../language/errors.js';

function program(src: string) {
  const p = parse(src, 'm.tilde');
  expect(p.diagnostics).toEqual([]);
  const r = check(p.program, src);
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  return r.checked!;
}

/** The messages of the ModelError that binding throws. */
function problems(src: string, data: Record<string, unknown>, file = 'data.json'): string[] {
  try {
    bindData(program(src), data, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return (e as ModelError).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  }
  return [];
}

const EIGHT = 'data J: int\ndata y: real[J]\ndata sigma: positive[J]\nmu ~ Normal(0, 5)\ny ~ Normal(mu, sigma)\n';

describe('bindData', () => {
  it('binds scalars and arrays row-major, with sizes', () => {
    const b = bindData(program('data N: int\ndata K: int\ndata X: real[N, K]\ndata f: bool\nX ~ Normal(0, 1)\nm = f\n'), { N: 2, K: 3, X: [[1, 2, 3], [4, 5, 6]], f: true });
    expect(b.arrays.get('X')).toEqual({ name: 'X', elem: 'real', shape: [2, 3], values: Float64Array.from([1, 2, 3, 4, 5, 6]) });
    expect(b.arrays.get('f')!.values[0]).toBe(1);
    expect(b.sizes).toEqual(new Map([['N', 2], ['K', 3]]));
  });
  it('reports missing data, naming the expected type', () => {
    expect(problems(EIGHT, { J: 2, y: [1, 2] })).toEqual(["missing data 'sigma': expected positive[J] (J = 2) (in data.json)"]);
  });
  it('uses defaults, evaluated from literals, arrays, arithmetic and other data', () => {
    const src = 'data K: int = 2\ndata mu0: real[K] = [-1, 1] * 2\ndata t: real = K / 4 + 0.25\ndata y: real\ny ~ Normal(sum(mu0) + t, 1)\n';
    const b = bindData(program(src), { y: 0 });
    expect([...b.arrays.get('mu0')!.values]).toEqual([-2, 2]);
    expect(b.arrays.get('t')!.values[0]).toBe(0.75);
    expect(bindData(program(src), { y: 0, K: 3, mu0: [0, 0, 1] }).arrays.get('mu0')!.shape).toEqual([3]);
    expect(problems(src, { y: 0, K: 3 })).toEqual(['mu0: expected real[K] (K = 3), found an array of 2 numbers (in data.json)']);
  });
  it('warns about extra names, with a suggestion', () => {
    const b = bindData(program(EIGHT), { J: 1, y: [1], sigma: [1], sgima: 3 }, 'd.json');
    expect(b.warnings.map((w) => w.message)).toEqual(["d.json supplies 'sgima', which the model does not declare (did you mean 'sigma'?)"]);
  });
  it('reports wrong shapes with symbolic and resolved dims', () => {
    expect(problems(EIGHT, { J: 8, y: [1, 2, 3, 4, 5, 6, 7], sigma: [1, 1, 1, 1, 1, 1, 1, 1] })).toEqual([
      'y: expected real[J] (J = 8), found an array of 7 numbers (in data.json)',
    ]);
    expect(problems(EIGHT, { J: 2, y: 3, sigma: [1, 1] })).toEqual(['y: expected real[J] (J = 2), found the number 3 (in data.json)']);
    expect(problems(EIGHT, { J: 2, y: [[1], [2]], sigma: [1, 1] })).toEqual(['y: expected real[J] (J = 2), found an array of shape [2, 1] (in data.json)']);
    expect(problems('data X: real[2, 2]\nX ~ Normal(0, 1)\n', { X: [[1, 2], [3]] })).toEqual([
      'X: expected real[2, 2], found a ragged array (entry 0 has 2 numbers, entry 1 has 1 number) (in data.json)',
    ]);
    expect(problems(EIGHT, { J: 1, y: ['a'], sigma: [1] })).toEqual(["y: expected real[J] (J = 1), found an array containing the string 'a' at index 0 (in data.json)"]);
  });
  it('reports reals where ints are declared, and accepts booleans for ints', () => {
    expect(problems('data K: int\ndata y: real\ny ~ Normal(K, 1)\n', { K: 2.5, y: 0 })).toEqual(['K: expected an int, found 2.5 (in data.json)']);
    expect(problems('data N: int\ndata x: int[N]\nx ~ Bernoulli(0.5)\n', { N: 3, x: [true, false, 0.5] })).toEqual(['x[2]: expected an int, found 0.5 (in data.json)']);
    expect(problems('data b: bool\ndata y: real\ny ~ Normal(b, 1)\n', { b: 2, y: 0 })).toEqual(['b: expected a bool (true / false or 0 / 1), found 2 (in data.json)']);
  });
  it('reports NaN and non-finite values with their index', () => {
    expect(problems(EIGHT, { J: 4, y: [1, 2, 3, null], sigma: [1, 1, 1, 1] })).toEqual(['y[3] is not a finite number (in data.json)']);
    expect(problems(EIGHT, { J: 2, y: [1, 'NaN'], sigma: [1, 1] })).toEqual(['y[1] is not a finite number (in data.json)']);
    expect(problems(EIGHT, { J: 2, y: [1, Infinity], sigma: [1, 1] })).toEqual(['y[1] is not a finite number (in data.json)']);
  });
  it('checks the constraints of positive, unit and simplex data', () => {
    expect(problems(EIGHT, { J: 2, y: [1, 2], sigma: [1, -1] })).toEqual(['sigma[1] must be positive, found -1 (in data.json)']);
    expect(problems('data p: unit\ndata y: int\ny ~ Bernoulli(p)\n', { p: 1, y: 0 })).toEqual(['p must be strictly between 0 and 1, found 1 (in data.json)']);
    expect(problems('data K: int\ndata p: simplex[K]\ndata y: int\ny ~ Categorical(p)\n', { K: 2, p: [0.5, 0.4], y: 0 })).toEqual([
      'p must sum to one along its last dimension, but sums to 0.9 (in data.json)',
    ]);
  });
  it('checks ordered and positive_ordered data, row by row, naming both entries', () => {
    const src = 'data c: ordered[3]\ndata y: int\ny ~ OrderedLogistic(0, c)\n';
    expect(problems(src, { c: [-1, 1.5, 1.3], y: 0 })).toEqual(['c must be strictly increasing, found c[2] = 1.3 ≤ c[1] = 1.5 (in data.json)']);
    expect(problems(src, { c: [-1, 1.5, 2], y: 0 })).toEqual([]);
    const rows = 'data c: ordered[2, 2]\ndata y: int[2]\ny ~ OrderedLogistic(0, c)\n';
    expect(problems(rows, { c: [[0, 1], [3, 3]], y: [0, 1] })).toEqual(['c must be strictly increasing, found c[1, 1] = 3 ≤ c[1, 0] = 3 (in data.json)']);
    const pos = 'data c: positive_ordered[2]\ndata y: real[2]\ny ~ Normal(c, 1)\n';
    expect(problems(pos, { c: [-1, 2], y: [0, 0] })).toEqual(['c[0] must be positive (it is part of a positive_ordered vector), found -1 (in data.json)']);
  });
  it('takes plate sizes from the data, or from the first array that uses them', () => {
    const src = 'plate N\ndata x: real[N]\ndata w: real[N]\nx ~ Normal(w, 1)\n';
    expect(bindData(program(src), { x: [1, 2, 3], w: [0, 0, 0] }).sizes.get('N')).toBe(3);
    expect(bindData(program(src), { x: [1, 2, 3], w: [0, 0, 0] }).arrays.get('N')!.values[0]).toBe(3);
    expect(problems(src, { x: [1, 2, 3], w: [0, 0] })).toEqual(['w: expected real[N] (N = 3), found an array of 2 numbers (in data.json)']);
    expect(problems(src, { N: 2, x: [1, 2, 3], w: [0, 0] })).toEqual(['x: expected real[N] (N = 2), found an array of 3 numbers (in data.json)']);
    expect(problems('plate N\nm ~ Normal(0, 1)\nminimize m\n', {})).toEqual(["no size for plate 'N': supply 'N' in the data, or an array declared with dimension N (in data.json)"]);
  });
  it('re-checks the shape questions the checker deferred', () => {
    const src = 'data N: int\ndata K: int\ndata x: real[N]\nmu: real[K] ~ Normal(0, 1)\nx ~ Normal(mu + x, 1)\n';
    expect(problems(src, { N: 2, K: 2, x: [1, 2] })).toEqual([]);
    expect(problems(src, { N: 2, K: 1, x: [1, 2] })).toEqual([]);
    expect(problems(src, { N: 2, K: 3, x: [1, 2] })).toEqual(["sizes do not agree in '+': K = 3, but N = 2 (in data.json)"]);
  });
  it('re-checks gather index ranges', () => {
    const src = 'data N: int\ndata K: int\ndata z: int[N]\ndata x: real[N]\nlocs: real[K] ~ Normal(0, 1)\nx ~ Normal(locs[z], 1)\n';
    expect(problems(src, { N: 3, K: 2, z: [0, 1, 2], x: [0, 0, 0] })).toEqual(['z[2] = 2 is out of range as an index into locs (axis of size K = 2) (in data.json)']);
  });
  it('re-checks element coverage with the real sizes', () => {
    const src = 'data T: int\ndata y: real[T]\nz[0] ~ Normal(0, 1)\nz[1] ~ Normal(0, 1)\nfor t in 2..T {\n  z[t] ~ Normal(z[t - 1], 1)\n}\ny ~ Normal(z, 1)\n';
    expect(problems(src, { T: 5, y: [0, 0, 0, 0, 0] })).toEqual([]);
    expect(problems(src, { T: 1, y: [0] })[0]).toMatch(/^with these sizes, 'z' is defined at index 1 on axis 0, outside its shape \[1\]/);
  });
  it('adds derived dims like T-1 to the size table', () => {
    const b = bindData(program('data T: int\ndata y: real[T]\nd = y[1:T] - y[0:T - 1]\nd ~ Normal(0, 1)\n'.replace('d ~', 'y ~')), { T: 4, y: [1, 2, 3, 4] });
    expect(b.sizes.get('T-1')).toBe(3);
  });
  it('points diagnostics at the declaration in the model file', () => {
    try {
      bindData(program(EIGHT), { J: 2, y: [1], sigma: [1, 1] }, 'data.json');
      expect.unreachable();
    } catch (e) {
      const d = (e as ModelError).diagnostics[0]!;
      expect(d.file).toBe('m.tilde');
      expect(renderDiagnostic(d, EIGHT)).toBe(
        ['m.tilde:2:6: y: expected real[J] (J = 2), found an array of 1 number (in data.json)', '  data y: real[J]', '       ^'].join('\n'),
      );
    }
  });
  it('collects every problem in one error', () => {
    expect(problems(EIGHT, { J: 2.5, y: [1, null], sigma: [0, 1] }).length).toBeGreaterThanOrEqual(2);
  });
});

describe('parseCsv', () => {
  it('reads one column per header name', () => {
    expect(parseCsv('x,y\n1,2.5\n3,-4e-1\n', 'd.csv')).toEqual({ x: [1, 3], y: [2.5, -0.4] });
    expect(parseCsv('"a",b\r\n1,true\r\n2,false\r\n')).toEqual({ a: [1, 2], b: [1, 0] });
    const nan = parseCsv('y\nNaN\n');
    expect(Number.isNaN(nan.y![0])).toBe(true);
  });
  const csvErrors = (text: string): string[] => {
    try {
      parseCsv(text, 'd.csv');
    } catch (e) {
      return (e as ModelError).diagnostics.map((d) => d.message);
    }
    return [];
  };
  it('names the row and column of bad cells', () => {
    expect(csvErrors('x,y\n1,2\n3,abc\n')).toEqual(["row 3, column 'y': 'abc' is not a number"]);
    expect(csvErrors('x,y\n1,\n')).toEqual(["row 2, column 'y' is empty"]);
    expect(csvErrors('x,y\n1,2,3\n')).toEqual(['row 2 has 3 cells, but the header names 2 columns']);
    expect(csvErrors('x,x\n1,2\n')).toEqual(["column 'x' appears twice in the header"]);
    expect(csvErrors('x,2y\n1,2\n')).toEqual(["column 2 of the header is '2y', which is not a name"]);
    expect(csvErrors('')).toEqual(['the CSV file is empty; it needs a header row naming the columns']);
  });
  it('renders a caret under the bad cell', () => {
    try {
      parseCsv('x,y\n1,2\n3,abc\n', 'd.csv');
    } catch (e) {
      expect(String((e as Error).message)).toBe(["d.csv:3:3: row 3, column 'y': 'abc' is not a number", '  3,abc', '    ^^^'].join('\n'));
    }
  });
  it('feeds bindData', () => {
    const cols = parseCsv('x,y\n1,2\n2,4\n3,6\n');
    const b = bindData(program('plate N\ndata x: real[N]\ndata y: real[N]\nw ~ Normal(0, 1)\ny ~ Normal(w * x, 1)\n'), cols, 'd.csv');
    expect(b.sizes.get('N')).toBe(3);
  });
});

describe('deferred index ranges', () => {
  it('are re-checked with the sizes', () => {
    const src = 'data T: int\ndata S: int\ndata y: real[T]\ndata w: real[S]\nfor t in 0..T {\n  y[t] ~ Normal(w[t], 1)\n}\n';
    expect(problems(src, { T: 2, S: 3, y: [0, 0], w: [1, 2, 3] })).toEqual([]);
    expect(problems(src, { T: 3, S: 2, y: [0, 0, 0], w: [1, 2] })).toEqual(['w[t] reads index 2, outside its axis of size S = 2 (in data.json)']);
  });
});

describe('reading a data value', () => {
  // Leaves as JSON and CSV give them, including what only the element-wise reader accepts or words.
  const leaf = fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('NaN', '-inf', 'x'));
  const nested = fc.letrec((tie) => ({ value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 4 })) })).value;
  // Regular numeric arrays of any shape (rare among the nested values above).
  const regular = fc.array(fc.nat(4), { maxLength: 3 }).chain((shape) => {
    const build = (d: number): fc.Arbitrary<unknown> => (d === shape.length ? fc.double() : fc.array(build(d + 1), { minLength: shape[d]!, maxLength: shape[d]! }));
    return build(0);
  });

  it('gives, in one pass, what reading element by element gives, for any value', () => {
    fc.assert(
      fc.property(fc.oneof(nested, regular), (v) => {
        expect(parseValue(v)).toEqual(parseElements(v));
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('takes the one pass for regular numeric arrays, and leaves everything else to the element-wise reader', () => {
    fc.assert(
      fc.property(regular, (v) => {
        expect(parseRegular(v)).toBeDefined();
      }),
      { seed: 8, numRuns: 300 },
    );
    for (const v of [[1, true], [[1, 2], [3]], [null], ['NaN'], [[1], 2], 'x', false]) expect(parseRegular(v)).toBeUndefined();
  });
});
