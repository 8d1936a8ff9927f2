// The front end's entry points: source text in, AST and diagnostics out. User input never
// throws; a failure here that is not the user's is an InternalError.

import type { CstNode, IRecognitionException, IToken } from 'chevrotain';
import type { Expr, Program, Stmt } from './ast.js';
import { buildExpression, buildProgram } from './ast-builder.js';
import type { Diagnostic } from './diagnostics.js';
import { InternalError } from './errors.js';
import { tildeParser } from './parser.js';
import type { Span } from './span.js';
import { translateParserError, unexpectedCharacter } from './syntax-errors.js';
import { lex, type LexResult } from './tokens.js';

export { lex } from './tokens.js';
export type { LexResult, TildeToken } from './tokens.js';

/** The span of the whole source, computed in one pass. */
function wholeSpan(source: string): Span {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { start: { offset: 0, line: 1, column: 1 }, end: { offset: source.length, line, column: source.length - lineStart + 1 } };
}

function lexDiagnostics(lexed: LexResult, source: string): Diagnostic[] {
  return lexed.errors.map((err) => {
    const text = source.slice(err.offset, err.offset + err.length);
    const line = err.line ?? 1;
    const column = err.column ?? 1;
    return unexpectedCharacter({ start: { offset: err.offset, line, column }, end: { offset: err.offset + err.length, line, column: column + err.length } }, text);
  });
}

/** Parser errors as diagnostics, at most one per position (recovery can report a spot twice). */
function parserDiagnostics(errors: IRecognitionException[], lexed: LexResult): Diagnostic[] {
  const seen = new Set<number>();
  const out: Diagnostic[] = [];
  // Built only when there are errors, so a clean parse pays nothing for it.
  let indexOf: Map<IToken, number> | undefined;
  const openerOf = (t: IToken): IToken | undefined => {
    indexOf ??= new Map(lexed.tokens.map((tok, i) => [tok, i]));
    const i = indexOf.get(t);
    return i === undefined ? undefined : lexed.openers[i];
  };
  for (const e of errors) {
    const d = translateParserError(e, { openAtEnd: lexed.openAtEnd, openerOf, synthetic: lexed.synthetic });
    const key = d.span?.start.offset ?? -1;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/**
 * Sorted by position, at most one per line: after an error, recovery skips to the end of the
 * line, and whatever else it reports there is a consequence of the first error, not news.
 */
function finish(diagnostics: Diagnostic[], file: string): Diagnostic[] {
  const sorted = diagnostics.sort((a, b) => (a.span?.start.offset ?? 0) - (b.span?.start.offset ?? 0));
  // A rejected character explains its line better than the parse error it causes.
  const characterLines = new Set(sorted.filter((d) => d.code === 'syntax-character').map((d) => d.span?.start.line));
  const lines = new Set<number>();
  const out: Diagnostic[] = [];
  for (const d of sorted) {
    d.file = file;
    const line = d.span?.start.line;
    if (line !== undefined) {
      if (lines.has(line) || (characterLines.has(line) && d.code !== 'syntax-character')) continue;
      lines.add(line);
    }
    out.push(d);
  }
  return out;
}

function run<X>(source: string, file: string, entry: 'program' | 'expressionLine', build: (cst: CstNode) => { value: X; diagnostics: Diagnostic[]; dropped: number }): {
  value: X;
  diagnostics: Diagnostic[];
} {
  try {
    const lexed = lex(source);
    const parser = tildeParser();
    parser.input = lexed.tokens;
    const cst = entry === 'program' ? parser.program() : parser.expressionLine();
    const syntax = [...lexDiagnostics(lexed, source), ...parserDiagnostics(parser.errors, lexed)];
    const built = build(cst);
    const diagnostics = [...syntax, ...built.diagnostics];
    if (built.dropped > 0 && diagnostics.length === 0) {
      throw new InternalError(`the parser accepted input the AST builder could not complete (${file})`);
    }
    return { value: built.value, diagnostics: finish(diagnostics, file) };
  } catch (e) {
    if (e instanceof InternalError) throw e;
    throw new InternalError(`parsing ${file} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

/** Parse a whole file. With errors, `program` holds every statement that parsed. */
export function parse(source: string, file = '<input>'): { program: Program; diagnostics: Diagnostic[] } {
  const { value, diagnostics } = run(source, file, 'program', (cst) => buildProgram(cst, file, wholeSpan(source)));
  return { program: value, diagnostics };
}

/** Parse one expression (the REPL's `:print x + 1`, tests). */
export function parseExpression(source: string, file = '<input>'): { expr?: Expr; diagnostics: Diagnostic[] } {
  const { value, diagnostics } = run(source, file, 'expressionLine', buildExpression);
  return value === undefined ? { diagnostics } : { expr: value, diagnostics };
}

/**
 * Parse what the REPL read: usually one statement, possibly several separated by ';' or new lines.
 * `stmt` is set when there is exactly one.
 */
export function parseStatement(source: string, file = '<repl>'): { stmt?: Stmt; statements: Stmt[]; diagnostics: Diagnostic[] } {
  const { program, diagnostics } = parse(source, file);
  return program.body.length === 1 ? { stmt: program.body[0]!, statements: program.body, diagnostics } : { statements: program.body, diagnostics };
}

/** True when the REPL should read another line: a bracket is still open or the last line ends in an operator. */
export function isIncomplete(source: string): boolean {
  const lexed = lex(source);
  return lexed.openAtEnd !== undefined || lexed.endsWithContinuation;
}
