// Syntax diagnostics: one constructor per kind, each taking a span, and the translation of
// Chevrotain's recognition errors into them. Users never see Chevrotain's wording or its
// token type names; every message says what was expected and what was found.

import { EOF, type IParserErrorMessageProvider, type IRecognitionException, type IToken, type TokenType } from 'chevrotain';
import type { Diagnostic } from './diagnostics.js';
import { ESTIMATORS } from './distributions.js';
import type { Span } from './span.js';
import { ALL_TYPE_NAMES, KEYWORDS, TYPE_ALIASES } from './tokens.js';

const FILE_PLACEHOLDER = '<input>';

function diag(code: string, message: string, span: Span, hint?: string): Diagnostic {
  const d: Diagnostic = { severity: 'error', code, message, file: FILE_PLACEHOLDER, span };
  if (hint !== undefined) d.hint = hint;
  return d;
}

/** Every syntax diagnostic's code starts with 'syntax'. */
export function isSyntaxDiagnostic(d: Diagnostic): boolean {
  return d.code === 'syntax' || d.code.startsWith('syntax-');
}

// ---- constructors, one per kind ----

export const unexpectedCharacter = (span: Span, text: string): Diagnostic => {
  const hints: Record<string, string> = {
    '|': "did you mean '||'?",
    '&': "did you mean '&&'?",
    '"': 'tilde has no strings',
    "'": 'tilde has no strings',
  };
  const what = text.length === 1 ? `character '${text}'` : `characters '${text}'`;
  return diag('syntax-character', `unexpected ${what}`, span, hints[text[0]!]);
};

export const expectedToken = (span: Span, expected: string, found: string): Diagnostic =>
  diag('syntax', `expected ${expected}, found ${found}`, span);

export const unclosedBracket = (span: Span, close: string, open: string, openedAt: Span, found: string): Diagnostic =>
  diag('syntax-unclosed', `expected '${close}' to close '${open}' opened at ${at(openedAt)}, found ${found}`, span);

export const unterminatedBlock = (span: Span, openedAt: Span): Diagnostic =>
  diag('syntax-unterminated-block', `unterminated block: '{' opened at ${at(openedAt)} is never closed`, span);

export const unmatchedCloser = (span: Span, close: string): Diagnostic =>
  diag('syntax-unmatched', `unmatched '${close}': there is no open bracket for it to close`, span);

export const expectedStatementEnd = (span: Span, found: string): Diagnostic =>
  diag('syntax-statement-end', `expected end of statement (a new line or ';'), found ${found}`, span);

export const expectedStatement = (span: Span, found: string): Diagnostic =>
  diag(
    'syntax-statement',
    `expected a statement, found ${found}`,
    span,
    'a statement is a declaration (data, param, plate), a definition (x = …), a sample (x ~ …), a for loop, minimize, maximize or guide',
  );

export const misplacedFunction = (span: Span, where: string): Diagnostic =>
  diag('syntax-function-place', `functions are declared at the top level, not inside ${where}`, span, 'move the function out of the block; it may stand before or after its uses');

export const misplacedReturn = (span: Span): Diagnostic =>
  diag('syntax-return-place', "'return' is only allowed as the last statement of a function body", span);

export const afterReturn = (span: Span): Diagnostic =>
  diag('syntax-after-return', "nothing may follow 'return' in a function body", span, "'return EXPR' ends the body: move this statement above it");

export const missingReturn = (span: Span, name: string): Diagnostic =>
  diag('syntax-missing-return', `function '${name}' has no 'return': its body must end with 'return EXPR'`, span);

export const expectedDefinition = (span: Span, name: string, found: string): Diagnostic => {
  const kw = suggest(name, ['data', 'param', 'plate', 'guide', 'for', 'minimize', 'maximize']);
  return diag(
    'syntax-definition',
    `expected '=', ':' or '~' after '${name}', found ${found}${kw ? ` (did you mean '${kw}'?)` : ''}`,
    span,
    kw ? undefined : `write '${name} = …' to define it or '${name} ~ …' to sample it`,
  );
};

export const plusEqualsNotTarget = (span: Span, left: string): Diagnostic =>
  diag('syntax-target', `'+=' adds to the log density and only applies to 'target', found '${left} +='`, span, `write 'target += expr' to add a log-density term; a name is defined once, so a sum goes in a new name (${left}2 = ${left} + …)`);

export const misplacedBar = (span: Span, message: string): Diagnostic => diag('syntax-bar', message, span);

export const emptyTruncation = (span: Span): Diagnostic =>
  diag('syntax-truncation', 'T[ , ] truncates nothing: give a lower bound, an upper bound or both (T[lo, hi], T[lo, ], T[, hi])', span);

export const expectedExpression = (span: Span, found: string, after?: string): Diagnostic =>
  diag('syntax-expression', `expected an expression${after ? ` after '${after}'` : ''}, found ${found}`, span);

export const expectedType = (span: Span, found: string, didYouMean?: string): Diagnostic =>
  diag(
    'syntax-type',
    `expected a type (${ALL_TYPE_NAMES.join(', ')}), found ${found}${didYouMean ? ` (did you mean '${didYouMean}'?)` : ''}`,
    span,
  );

export const aliasRank = (span: Span, alias: string, found: number): Diagnostic => {
  const rank = TYPE_ALIASES[alias]!;
  const form = rank === 1 ? `${alias}[N]` : `${alias}[N, K]`;
  return diag('syntax-type', `${alias} takes ${rank === 1 ? 'one dimension' : 'two dimensions'} (${form}), found ${found === 0 ? 'none' : found}`, span);
};

export const expectedDimension = (span: Span, found: string): Diagnostic =>
  diag('syntax-dimension', `expected a dimension (a non-negative integer or a name), found ${found}`, span);

export const expectedDistribution = (span: Span): Diagnostic =>
  diag('syntax-distribution', `'~' needs a distribution on its right, e.g. Normal(0, 1)`, span);

export const expectedDistributionArgs = (span: Span, family: string, found: string): Diagnostic =>
  diag('syntax-distribution', `expected '(' after '${family}': a distribution takes arguments, e.g. ${family}(0, 1), found ${found}`, span);

export const expectedEstimator = (span: Span, found: string): Diagnostic =>
  diag('syntax-estimator', `expected an estimator name after '@' (${ESTIMATORS.join(', ')}), found ${found}`, span);

export const expectedName = (span: Span, what: string, found: string): Diagnostic =>
  diag('syntax-name', `expected ${what}, found ${found}`, span);

export const chainedComparison = (span: Span, op: string, suggestion: string): Diagnostic =>
  diag('syntax-chained-comparison', `'${op}' cannot be chained: write ${suggestion}`, span);

export const expectedIndex = (span: Span, found: string): Diagnostic =>
  diag('syntax-index', `expected an index (an expression, a slice lo:hi, or ':'), found ${found}`, span);

export const unexpectedInput = (span: Span, found: string): Diagnostic => diag('syntax', `unexpected ${found}`, span);

// ---- helpers ----

function at(s: Span): string {
  return `${s.start.line}:${s.start.column}`;
}

export function tokenSpan(t: IToken): Span {
  return {
    start: { offset: t.startOffset, line: t.startLine ?? 1, column: t.startColumn ?? 1 },
    end: { offset: (t.endOffset ?? t.startOffset - 1) + 1, line: t.endLine ?? t.startLine ?? 1, column: (t.endColumn ?? (t.startColumn ?? 1) - 1) + 1 },
  };
}

/** A zero-width span just after `t`: where a missing token belongs. */
export function pointAfter(t: IToken | undefined): Span {
  if (t === undefined || !isRealToken(t)) return { start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };
  const s = tokenSpan(t);
  return { start: s.end, end: s.end };
}

function isRealToken(t: IToken): boolean {
  return t.tokenType !== EOF && Number.isFinite(t.startOffset) && !t.isInsertedInRecovery;
}

const IMAGES: Record<string, string> = {
  Newline: 'a new line', Semicolon: "';'", Terminator: "a new line or ';'", Identifier: 'a name', Num: 'a number', NumberLit: 'a number',
  TypeName: 'a type', BoolLit: "'true' or 'false'", AddOp: "'+' or '-'", MulOp: "'*', '/' or '@'", CmpOp: 'a comparison',
  UnaryOp: "'-', '+' or '!'", Range: "'..'", LessEq: "'<='", GreaterEq: "'>='", EqEq: "'=='", NotEq: "'!='", Less: "'<'",
  Greater: "'>'", AndAnd: "'&&'", OrOr: "'||'", Equals: "'='", Bang: "'!'", Plus: "'+'", Minus: "'-'", Star: "'*'",
  Slash: "'/'", At: "'@'", Caret: "'^'", Tilde: "'~'", Colon: "':'", Comma: "','", LParen: "'('", RParen: "')'",
  LBracket: "'['", RBracket: "']'", LBrace: "'{'", RBrace: "'}'", EOF: 'end of input',
};

/** How an expected token type reads in a message. */
export function describeExpected(name: string): string {
  return IMAGES[name] ?? (KEYWORDS.includes(name.toLowerCase()) ? `'${name.toLowerCase()}'` : name);
}

/** How a found token reads in a message: its text, or "end of line" / "end of input". */
export function describeFound(t: IToken, ctx?: TranslateContext): string {
  const synthetic = ctx?.synthetic.get(t);
  if (t.tokenType === EOF || synthetic === 'end') return 'end of input';
  if (synthetic === 'brace') return "'}'";
  if (t.tokenType.name === 'Newline') return 'end of line';
  const image = t.image.length > 24 ? `${t.image.slice(0, 21)}...` : t.image;
  return `'${image}'`;
}

/** Where to point for a found token: at it, or just after the previous token when it is a line break or the end. */
function foundSpan(found: IToken, previous: IToken | undefined, ctx: TranslateContext): Span {
  if (found.tokenType === EOF || ctx.synthetic.has(found) || found.tokenType.name === 'Newline' || !isRealToken(found)) {
    return previous !== undefined && isRealToken(previous) ? pointAfter(previous) : pointAfter(found);
  }
  return tokenSpan(found);
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = up;
    }
  }
  return row[b.length]!;
}

/** The closest candidate within a small edit distance, case-insensitively. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(w.length / 3)) + 1;
  for (const c of candidates) {
    if (c === word) continue;
    const d = levenshtein(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

// ---- Chevrotain error translation ----

/** What the message provider records, so translation can use the token types rather than prose. */
type Structured =
  | { kind: 'mismatch'; expected: string; rule: string }
  | { kind: 'noViable'; expected: string[]; rule: string }
  | { kind: 'earlyExit'; expected: string[]; rule: string }
  | { kind: 'notAll'; rule: string };

const firstNames = (paths: TokenType[][]): string[] => [...new Set(paths.map((p) => p[0]?.name ?? 'EOF'))];

/** Makes Chevrotain's error "messages" machine-readable; `translateParserError` turns them into diagnostics. */
export const structuredErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, ruleName }) => JSON.stringify({ kind: 'mismatch', expected: expected.name, rule: ruleName } satisfies Structured),
  buildNotAllInputParsedMessage: ({ ruleName }) => JSON.stringify({ kind: 'notAll', rule: ruleName } satisfies Structured),
  buildNoViableAltMessage: ({ expectedPathsPerAlt, ruleName }) =>
    JSON.stringify({ kind: 'noViable', expected: firstNames(expectedPathsPerAlt.flat()), rule: ruleName } satisfies Structured),
  buildEarlyExitMessage: ({ expectedIterationPaths, ruleName }) =>
    JSON.stringify({ kind: 'earlyExit', expected: firstNames(expectedIterationPaths), rule: ruleName } satisfies Structured),
};

const EXPRESSION_RULES = new Set([
  'expression', 'ifExpr', 'binaryExpr', 'operand', 'primary', 'parenExpr', 'arrayLit', 'arg', 'argList', 'expressionLine',
]);

const CLOSE_OF_OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

export interface TranslateContext {
  /** The innermost bracket still open at the end of input. */
  openAtEnd?: IToken;
  /** The innermost bracket open where a token stands. */
  openerOf(t: IToken): IToken | undefined;
  synthetic: Map<IToken, 'brace' | 'end'>;
}

export function translateParserError(e: IRecognitionException & { previousToken?: IToken }, ctx: TranslateContext): Diagnostic {
  let info: Structured;
  try {
    info = JSON.parse(e.message) as Structured;
  } catch {
    info = { kind: 'notAll', rule: e.context?.ruleStack?.at(-1) ?? '' };
  }
  const found = e.token;
  const previous = e.previousToken;
  const span = foundSpan(found, previous, ctx);
  const what = describeFound(found, ctx);
  const atEnd = found.tokenType === EOF || ctx.synthetic.get(found) === 'end';
  const prevImage = previous !== undefined && isRealToken(previous) ? previous.image : undefined;
  const rule = info.rule || (e.context?.ruleStack?.at(-1) ?? '');

  const d = translate(info, e, ctx, { found, previous, span, what, atEnd, prevImage, rule });
  // '|' lexes as a token of its own (log-density calls); where it cannot stand it was meant as '||' more often than not.
  if (found.image === '|' && d.hint === undefined) d.hint = "did you mean '||'? ('|' only separates the value from the parameters in normal_lpdf(y | mu, sigma))";
  return d;
}

interface Found {
  found: IToken;
  previous: IToken | undefined;
  span: Span;
  what: string;
  atEnd: boolean;
  prevImage: string | undefined;
  rule: string;
}

function translate(info: Structured, e: IRecognitionException, ctx: TranslateContext, f: Found): Diagnostic {
  const { found, previous, span, what, atEnd, prevImage, rule } = f;
  switch (info.kind) {
    case 'mismatch': {
      const ex = info.expected;
      if (ex === 'RParen' || ex === 'RBracket' || ex === 'RBrace') {
        const close = ex === 'RParen' ? ')' : ex === 'RBracket' ? ']' : '}';
        const opener = found.tokenType === EOF ? ctx.openAtEnd : (ctx.openerOf(found) ?? (atEnd ? ctx.openAtEnd : undefined));
        if (close === '}' && opener?.image === '{' && atEnd) {
          return unterminatedBlock(tokenSpan(opener), tokenSpan(opener));
        }
        if (opener !== undefined && CLOSE_OF_OPEN[opener.image] === close) return unclosedBracket(span, close, opener.image, tokenSpan(opener), what);
        return expectedToken(span, `'${close}'`, what);
      }
      if (ex === 'Terminator') return expectedStatementEnd(span, what);
      if (ex === 'Identifier') {
        if (rule === 'distribution') {
          return prevImage === '@' ? expectedEstimator(span, what) : expectedDistribution(span);
        }
        const keywordNote = KEYWORDS.includes(found.image) && isRealToken(found) ? ` (a keyword, which cannot be a name)` : '';
        if (rule === 'dataDecl' || rule === 'paramDecl' || rule === 'plateDecl') return expectedName(span, `a name after '${prevImage ?? rule.replace('Decl', '')}'`, what + keywordNote);
        if (rule === 'forStmt') return expectedName(span, `a loop variable after 'for'`, what + keywordNote);
        return expectedName(span, 'a name', what + keywordNote);
      }
      if (ex === 'LParen' && rule === 'distribution') return expectedDistributionArgs(span, prevImage ?? 'Normal', what);
      if (ex === 'Colon' && (rule === 'dataDecl' || rule === 'paramDecl')) {
        const kw = rule === 'dataDecl' ? 'data' : 'param';
        return expectedToken(span, `':' and a type after '${prevImage ?? 'the name'}' (e.g. ${kw} ${prevImage ?? 'x'}: real)`, what);
      }
      if (ex === 'In') return expectedToken(span, `'in' after the loop variable (for i in 0..N { … })`, what);
      if (ex === 'Range') return expectedToken(span, `'..' in the loop range (for i in 0..N { … })`, what);
      if (ex === 'LBrace') {
        const owner = e.context?.ruleStack?.includes('forStmt') ? 'the loop body' : e.context?.ruleStack?.includes('guideBlock') ? "the block after 'guide'" : 'the block';
        return expectedToken(span, `'{' to start ${owner}`, what);
      }
      if (ex === 'Then') return expectedToken(span, `'then' after the condition of 'if'`, what);
      if (ex === 'Else') return expectedToken(span, `'else': 'if' needs both branches (if c then a else b)`, what);
      if (ex === 'Tilde') {
        const d = expectedToken(span, `'~' and a distribution after the type`, what);
        if (found.image === '=') d.hint = "a typed statement samples (x: real ~ Normal(0, 1)); to give a value, declare it: param x: real = 0";
        return d;
      }
      return expectedToken(span, describeExpected(ex), what);
    }
    case 'noViable':
    case 'earlyExit': {
      if (rule === 'definition') return expectedDefinition(span, prevImage ?? '', what);
      if (rule === 'typeExpr' && info.kind === 'earlyExit') return expectedDimension(span, what);
      if (rule === 'typeExpr') {
        return expectedType(span, what, found.tokenType.name === 'Identifier' ? suggest(found.image, ALL_TYPE_NAMES) : undefined);
      }
      if (rule === 'dim') return expectedDimension(span, what);
      if (rule === 'indexSuffix' || rule === 'indexItem' || rule === 'lvalue') return expectedIndex(span, what);
      if (rule === 'objective') return expectedExpression(span, what, prevImage);
      if (EXPRESSION_RULES.has(rule) || info.expected.includes('NumberLit') || info.expected.includes('Identifier')) {
        return expectedExpression(span, what, prevImage !== undefined && isOperatorLike(previous!) ? prevImage : undefined);
      }
      return unexpectedInput(span, what);
    }
    case 'notAll':
      return unexpectedInput(span, what);
  }
}

function isOperatorLike(t: IToken): boolean {
  return !/^[A-Za-z_0-9.)\]}]/.test(t.image) || ['if', 'then', 'else', 'in', 'minimize', 'maximize'].includes(t.image);
}
