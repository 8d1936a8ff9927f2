// Property tests: the front end never throws on any input, its diagnostics always point inside
// the source, and printing any AST then parsing it gives the same AST back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Arg, DimExpr, DistExpr, Expr, IndexItem, LValue, Program, Stmt, TypeExpr } from '../../language/ast.js';
import { renderDiagnostic, type Diagnostic } from '../../language/diagnostics.js';
import { parse } from '../../language/parse.js';
import { printProgram } from '../../language/printer.js';
import { NO_SPAN, posAt } from '../../language/span.js';
import { stripSpans } from './helpers.js';
import { MODELS } from './models.js';

type Check = (program: Program, source: string) => { diagnostics: Diagnostic[] };
// The checker is a colleague's module; the properties cover it once it exists.
const checker = (await import('../../language/checker.js').catch(() => undefined)) as { check?: Check } | undefined;
const check: Check | undefined = typeof checker?.check === 'function' ? checker.check : undefined;

function expectValidPositions(source: string, diagnostics: Diagnostic[]): void {
  const lines = source.split('\n');
  for (const d of diagnostics) {
    expect(d.message.length).toBeGreaterThan(0);
    if (d.span === undefined) continue;
    const { start, end } = d.span;
    expect(start.line).toBeGreaterThanOrEqual(1);
    expect(start.line).toBeLessThanOrEqual(lines.length);
    expect(start.column).toBeGreaterThanOrEqual(1);
    expect(start.column).toBeLessThanOrEqual(lines[start.line - 1]!.length + 1);
    expect(end.offset).toBeGreaterThanOrEqual(start.offset);
    expect(end.offset).toBeLessThanOrEqual(source.length);
    expect(posAt(source, start.offset)).toEqual(start);
    expect(() => renderDiagnostic(d, source)).not.toThrow();
  }
}

function frontEnd(source: string): void {
  const { program, diagnostics } = parse(source, 'fuzz.tilde');
  expectValidPositions(source, diagnostics);
  if (check !== undefined) {
    const checked = check(program, source);
    expectValidPositions(source, checked.diagnostics);
  }
}

const TOKENS = [
  'data', 'param', 'plate', 'guide', 'for', 'in', 'minimize', 'maximize', 'if', 'then', 'else', 'true', 'false', 'inf', 'fun', 'return',
  'real', 'int', 'bool', 'positive', 'unit', 'simplex', 'x', 'mu', 'N', 'Normal', 'Bernoulli', 'sum', '0', '3', '1.5', '.5', '1e-3',
  '..', '+', '-', '*', '/', '^', '@', '<', '<=', '>', '>=', '==', '!=', '&&', '||', '!', '=', '~', ':', ';', ',',
  '(', ')', '[', ']', '{', '}', '\n', '\n', '\n', '# c\n', '// c\n', '$', '|', '&', '"', '\t', '\r\n', '.',
];

describe('the front end on arbitrary input', () => {
  it('never throws on random token sequences and reports valid positions', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }), fc.array(fc.constantFrom(' ', ''), { minLength: 40, maxLength: 40 }), (toks, seps) => {
        frontEnd(toks.map((t, i) => t + seps[i]).join(''));
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on random strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60, unit: fc.constantFrom(...'abxN019.e+-*/^@<>=!&|~:;,()[]{}#\n \t$'.split('')) }), (s) => frontEnd(s)),
      { numRuns: 300 },
    );
  });

  it.skipIf(MODELS.length === 0)(`never throws on single-character mutations of every model${check ? ' (parse and check)' : ''}`, () => {
    const chars = 'aZ_09.e+-*/^@<>=!~:;,()[]{}# \n\t$';
    const mutation = fc.record({
      model: fc.nat({ max: MODELS.length - 1 }),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      op: fc.constantFrom('insert', 'delete', 'replace'),
      ch: fc.constantFrom(...chars.split('')),
    });
    fc.assert(
      fc.property(mutation, ({ model, at, op, ch }) => {
        const src = MODELS[model]!.source;
        const i = Math.min(src.length - 1, Math.floor(at * src.length));
        const mutated = op === 'insert' ? src.slice(0, i) + ch + src.slice(i) : op === 'delete' ? src.slice(0, i) + src.slice(i + 1) : src.slice(0, i) + ch + src.slice(i + 1);
        frontEnd(mutated);
      }),
      { numRuns: 400 },
    );
  });
});

// ---- random ASTs ----

const NAMES = ['a', 'b', 'x', 'y', 'mu', 'theta_1', 'N', 'K', '_z', 'infinity', 'integer', 'iff'];
const name = fc.constantFrom(...NAMES);
const family = fc.constantFrom('Normal', 'Bernoulli', 'Categorical', 'Dirichlet', 'Foo');
const s = NO_SPAN;

const num: fc.Arbitrary<Expr> = fc.oneof(
  fc.nat({ max: 1_000_000 }).map((value) => ({ kind: 'num' as const, value, isInt: true, span: s })),
  fc.double({ min: 0, noNaN: true }).map((v) => ({ kind: 'num' as const, value: Math.abs(v), isInt: false, span: s })),
  fc.constantFrom(0.5, 3, 1e-3, 2.5e4, 1e21).map((value) => ({ kind: 'num' as const, value, isInt: false, span: s })),
);

const { expr } = fc.letrec<{ expr: Expr; item: IndexItem; arg: Arg }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    num,
    fc.boolean().map((value) => ({ kind: 'bool' as const, value, span: s })),
    name.map((n) => ({ kind: 'var' as const, name: n, span: s })),
    fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom('-' as const, '+' as const, '!' as const), arg: tie('expr'), span: fc.constant(s) }),
    fc.record({
      kind: fc.constant('binary' as const),
      op: fc.constantFrom('+', '-', '*', '/', '^', '@', '<', '<=', '>', '>=', '==', '!=', '&&', '||') as fc.Arbitrary<Extract<Expr, { kind: 'binary' }>['op']>,
      left: tie('expr'),
      right: tie('expr'),
      span: fc.constant(s),
    }),
    fc.record({ kind: fc.constant('if' as const), cond: tie('expr'), then: tie('expr'), else: tie('expr'), span: fc.constant(s) }),
    fc.record({ kind: fc.constant('call' as const), callee: name, calleeSpan: fc.constant(s), args: fc.array(tie('arg'), { maxLength: 3 }), span: fc.constant(s) }),
    fc.record({ kind: fc.constant('index' as const), target: tie('expr'), items: fc.array(tie('item'), { minLength: 1, maxLength: 3 }), span: fc.constant(s) }),
    fc.record({ kind: fc.constant('array' as const), elements: fc.array(tie('expr'), { maxLength: 3 }), span: fc.constant(s) }),
  ) as fc.Arbitrary<Expr>,
  item: fc.oneof(
    fc.record({ kind: fc.constant('at' as const), expr: tie('expr'), span: fc.constant(s) }),
    fc.record({ kind: fc.constant('slice' as const), lo: tie('expr'), hi: tie('expr'), span: fc.constant(s) }, { requiredKeys: ['kind', 'span'] }),
  ) as fc.Arbitrary<IndexItem>,
  arg: fc.oneof(
    fc.record({ value: tie('expr'), span: fc.constant(s) }),
    fc.record({ name, nameSpan: fc.constant(s), value: tie('expr'), span: fc.constant(s) }),
  ) as fc.Arbitrary<Arg>,
}));

const small = expr;
const dim: fc.Arbitrary<DimExpr> = fc.oneof(
  fc.nat({ max: 1000 }).map((value) => ({ kind: 'dimLit' as const, value, span: s })),
  name.map((n) => ({ kind: 'dimName' as const, name: n, span: s })),
);
const type: fc.Arbitrary<TypeExpr> = fc.record({
  kind: fc.constant('type' as const),
  base: fc.constantFrom('real', 'int', 'bool', 'positive', 'unit', 'simplex') as fc.Arbitrary<TypeExpr['base']>,
  dims: fc.array(dim, { maxLength: 3 }),
  span: fc.constant(s),
});
const lvalue: fc.Arbitrary<LValue> = fc.record({ name, nameSpan: fc.constant(s), indices: fc.array(small, { maxLength: 2 }), span: fc.constant(s) });
const dist: fc.Arbitrary<DistExpr> = fc.record(
  {
    kind: fc.constant('dist' as const),
    family,
    familySpan: fc.constant(s),
    args: fc.array(fc.oneof(fc.record({ value: small, span: fc.constant(s) }), fc.record({ name, nameSpan: fc.constant(s), value: small, span: fc.constant(s) })), { maxLength: 3 }),
    annotation: fc.record({ name: fc.constantFrom('reparam', 'relax', 'enumerate', 'custom'), span: fc.constant(s) }),
    span: fc.constant(s),
  },
  { requiredKeys: ['kind', 'family', 'familySpan', 'args', 'span'] },
);

const { stmt } = fc.letrec<{ stmt: Stmt }>((tie) => ({
  stmt: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('data' as const), name, nameSpan: fc.constant(s), type, default: small, span: fc.constant(s) }, { requiredKeys: ['kind', 'name', 'nameSpan', 'type', 'span'] }),
    fc.record({ kind: fc.constant('param' as const), name, nameSpan: fc.constant(s), type, init: small, span: fc.constant(s) }, { requiredKeys: ['kind', 'name', 'nameSpan', 'type', 'span'] }),
    fc.record({ kind: fc.constant('plate' as const), name, nameSpan: fc.constant(s), span: fc.constant(s) }),
    fc.record({ kind: fc.constant('assign' as const), target: lvalue, value: small, span: fc.constant(s) }),
    fc.record({ kind: fc.constant('sample' as const), target: lvalue, type, dist, span: fc.constant(s) }, { requiredKeys: ['kind', 'target', 'dist', 'span'] }),
    fc.record({ kind: fc.constant('for' as const), variable: name, variableSpan: fc.constant(s), from: small, to: small, body: fc.array(tie('stmt'), { maxLength: 3 }), span: fc.constant(s) }),
    fc.record({ kind: fc.constant('objective' as const), direction: fc.constantFrom('minimize' as const, 'maximize' as const), expr: small, span: fc.constant(s) }),
    fc.record({ kind: fc.constant('guide' as const), body: fc.array(tie('stmt'), { maxLength: 3 }), span: fc.constant(s) }),
  ) as fc.Arbitrary<Stmt>,
}));

const program: fc.Arbitrary<Program> = fc.array(stmt, { maxLength: 6 }).map((body) => ({ kind: 'program' as const, file: '<input>', body, span: s }));

describe('printing random ASTs', () => {
  it('parses back to the same AST', () => {
    fc.assert(
      fc.property(program, (p) => {
        const printed = printProgram(p);
        const reparsed = parse(printed);
        expect(reparsed.diagnostics).toEqual([]);
        expect(stripSpans(reparsed.program)).toEqual(stripSpans(p));
      }),
      { numRuns: 300 },
    );
    if (process.env.SHOW_SAMPLES) for (const p of fc.sample(program, 3)) console.log(printProgram(p));
  });
});
