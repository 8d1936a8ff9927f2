import { describe, expect, it } from 'vitest';
import { isIncomplete, lex } from '../../language/parse.js';
import { Lexer } from 'chevrotain';
import { ALL_TOKENS, LEXER_CONFIG } from '../../language/tokens.js';

/** Token names and images after the layout pass; terminators show as NL (real), NL* (made up) and ';'. */
function toks(source: string): string[] {
  const r = lex(source);
  return r.tokens.map((t) => {
    if (t.tokenType.name === 'Newline') return r.synthetic.has(t) ? 'NL*' : 'NL';
    return t.image;
  });
}

function types(source: string): string[] {
  return lex(source).tokens.filter((t) => t.tokenType.name !== 'Newline').map((t) => t.tokenType.name);
}

describe('lexer', () => {
  it('lexes numbers in every accepted form', () => {
    expect(toks('3 3.0 .5 1e-3 2.5E+4 3. inf 10e2')).toEqual(['3', '3.0', '.5', '1e-3', '2.5E+4', '3.', 'inf', '10e2', 'NL*']);
    expect(types('3 .5 inf')).toEqual(['Num', 'Num', 'Inf']);
  });

  it('lexes a range as number, .., name and never as 0. .N', () => {
    expect(toks('0..N')).toEqual(['0', '..', 'N', 'NL*']);
    expect(toks('1..10')).toEqual(['1', '..', '10', 'NL*']);
    expect(toks('a+1..b-1')).toEqual(['a', '+', '1', '..', 'b', '-', '1', 'NL*']);
  });

  it('keeps keywords apart from identifiers that start with them', () => {
    expect(types('in inf int integer infinity data database real realistic if iffy unit units')).toEqual([
      'In', 'Inf', 'Int', 'Identifier', 'Identifier', 'Data', 'Identifier', 'Real', 'Identifier', 'If', 'Identifier', 'Unit', 'Identifier',
    ]);
    expect(types('param plate guide for minimize maximize then else true false bool positive simplex')).toEqual([
      'Param', 'Plate', 'Guide', 'For', 'Minimize', 'Maximize', 'Then', 'Else', 'True', 'False', 'Bool', 'Positive', 'Simplex',
    ]);
  });

  it('lexes every operator, longest first', () => {
    expect(toks('+ - * / ^ @ < <= > >= == != && || ! = ~ : ; , ( ) [ ] { }')).toEqual([
      '+', '-', '*', '/', '^', '@', '<', '<=', '>', '>=', '==', '!=', '&&', '||', '!', '=', '~', ':', ';', ',', '(', ')', '[', ']', '{', '}', 'NL*',
    ]);
    expect(toks('a<=b')).toEqual(['a', '<=', 'b', 'NL*']);
    expect(toks('!a != b')).toEqual(['!', 'a', '!=', 'b', 'NL*']);
  });

  it('skips both comment styles to the end of the line', () => {
    expect(toks('x = 1 # one\ny = 2 // two\n// only a comment\n# another')).toEqual(['x', '=', '1', 'NL', 'y', '=', '2', 'NL']);
    expect(toks('a = b / c // d')).toEqual(['a', '=', 'b', '/', 'c', 'NL*']);
  });

  it('ends statements at new lines and collapses blank lines', () => {
    expect(toks('\n\nx = 1\n\n\ny = 2\n')).toEqual(['x', '=', '1', 'NL', 'y', '=', '2', 'NL']);
    expect(toks('x = 1; y = 2')).toEqual(['x', '=', '1', ';', 'y', '=', '2', 'NL*']);
  });

  it('continues lines inside ( ) and [ ]', () => {
    expect(toks('f(a,\n  b\n)')).toEqual(['f', '(', 'a', ',', 'b', ')', 'NL*']);
    expect(toks('x = [\n 1\n 2]')).toEqual(['x', '=', '[', '1', '2', ']', 'NL*']);
  });

  it('continues lines after an operator, comma, ~ or =', () => {
    expect(toks('y = a +\n b')).toEqual(['y', '=', 'a', '+', 'b', 'NL*']);
    expect(toks('y =\n b')).toEqual(['y', '=', 'b', 'NL*']);
    expect(toks('y ~\n N(0)')).toEqual(['y', '~', 'N', '(', '0', ')', 'NL*']);
    expect(toks('y = a # comment\n+ b')).toEqual(['y', '=', 'a', 'NL', '+', 'b', 'NL*']);
    expect(toks('y = a + # comment\n b')).toEqual(['y', '=', 'a', '+', 'b', 'NL*']);
  });

  it('continues a line before then, else and a block brace', () => {
    expect(toks('y = if c then a\n else b')).toEqual(['y', '=', 'if', 'c', 'then', 'a', 'else', 'b', 'NL*']);
    expect(toks('for i in 0..N\n{\n}')).toEqual(['for', 'i', 'in', '0', '..', 'N', '{', '}', 'NL*']);
  });

  it('keeps line breaks inside { } and ends the last statement of a block', () => {
    expect(toks('guide {\n a = 1\n b = 2 }')).toEqual(['guide', '{', 'a', '=', '1', 'NL', 'b', '=', '2', 'NL*', '}', 'NL*']);
  });

  it('tracks 1-based lines and columns', () => {
    const t = lex('a = 1\n  bb = 2').tokens.find((x) => x.image === 'bb')!;
    expect([t.startLine, t.startColumn, t.startOffset]).toEqual([2, 3, 8]);
  });

  it('reports unexpected characters and keeps going', () => {
    const r = lex('x = $ + 1\ny = 2');
    expect(r.errors.map((e) => [e.line, e.column, e.length])).toEqual([[1, 5, 1]]);
    expect(toks('x = $ + 1\ny = 2')).toEqual(['x', '=', '+', '1', 'NL', 'y', '=', '2', 'NL*']);
    // the rejected character ends the line's content: no continuation after '='
    expect(toks('b = $\nc = 1')).toEqual(['b', '=', 'NL', 'c', '=', '1', 'NL*']);
  });

  it('treats CRLF like LF', () => {
    expect(toks('x = 1\r\ny = 2\r\n')).toEqual(['x', '=', '1', 'NL', 'y', '=', '2', 'NL']);
    const t = lex('x = 1\r\ny = 2').tokens.find((x) => x.image === 'y')!;
    expect([t.startLine, t.startColumn]).toEqual([2, 1]);
  });

  it('knows when REPL input is incomplete', () => {
    expect(isIncomplete('guide {')).toBe(true);
    expect(isIncomplete('x = f(1,')).toBe(true);
    expect(isIncomplete('x = [1, 2')).toBe(true);
    expect(isIncomplete('y = a +')).toBe(true);
    expect(isIncomplete('y = a + # more to come')).toBe(true);
    expect(isIncomplete('y ~')).toBe(true);
    expect(isIncomplete('y = a + b')).toBe(false);
    expect(isIncomplete('guide {\n z ~ Normal(0, 1)\n}')).toBe(false);
    expect(isIncomplete('x = 1)')).toBe(false);
    expect(isIncomplete('')).toBe(false);
  });
});

describe('the token definitions', () => {
  // The shared lexer skips Chevrotain's validations to start faster; they are checked here.
  it("pass Chevrotain's lexer validations (no unreachable or conflicting patterns)", () => {
    const l = new Lexer(ALL_TOKENS, { ...LEXER_CONFIG, lineTerminatorCharacters: ['\n'], skipValidations: false });
    expect(l.lexerDefinitionErrors).toEqual([]);
  });
});
