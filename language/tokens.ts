// The lexical layer: Chevrotain token types, the lexer, and the layout pass that
// decides which line breaks end statements. No grammar lives here.

import { createToken, createTokenInstance, Lexer, type ILexingError, type IToken, type TokenType } from 'chevrotain';

// Category tokens group operators by precedence level, so each grammar rule
// consumes one category instead of listing every operator.
export const AddOp = createToken({ name: 'AddOp', pattern: Lexer.NA });
export const MulOp = createToken({ name: 'MulOp', pattern: Lexer.NA });
export const CmpOp = createToken({ name: 'CmpOp', pattern: Lexer.NA });
export const UnaryOp = createToken({ name: 'UnaryOp', pattern: Lexer.NA });
/** Every infix operator but '^'; the AST builder applies their precedence (see parser.ts). */
export const BinaryOp = createToken({ name: 'BinaryOp', pattern: Lexer.NA });
export const TypeName = createToken({ name: 'TypeName', pattern: Lexer.NA });
export const NumberLit = createToken({ name: 'NumberLit', pattern: Lexer.NA });
export const BoolLit = createToken({ name: 'BoolLit', pattern: Lexer.NA });
/** A line break or ';'. */
export const Terminator = createToken({ name: 'Terminator', pattern: Lexer.NA });
/** Tokens that can never begin a statement: a line starting with one is skipped as a whole. */
export const Junk = createToken({ name: 'Junk', pattern: Lexer.NA });
/** Everything except a statement terminator and '}': the rest of a skipped line. */
export const LineRest = createToken({ name: 'LineRest', pattern: Lexer.NA });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [LineRest] });

const junk = [Junk, LineRest];

function keyword(word: string, categories: TokenType[] = junk): TokenType {
  return createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word), longer_alt: Identifier, categories });
}

// Statement keywords start a statement, so they are not Junk.
export const Data = keyword('data', [LineRest]);
export const Param = keyword('param', [LineRest]);
export const Plate = keyword('plate', [LineRest]);
export const Guide = keyword('guide', [LineRest]);
export const For = keyword('for', [LineRest]);
export const Minimize = keyword('minimize', [LineRest]);
export const Maximize = keyword('maximize', [LineRest]);
export const Fun = keyword('fun', [LineRest]);
export const Return = keyword('return', [LineRest]);
export const In = keyword('in');
export const If = keyword('if');
export const Then = keyword('then');
export const Else = keyword('else');
export const True = keyword('true', [BoolLit, ...junk]);
export const False = keyword('false', [BoolLit, ...junk]);
export const Inf = keyword('inf', [NumberLit, ...junk]);
export const Real = keyword('real', [TypeName, ...junk]);
export const Int = keyword('int', [TypeName, ...junk]);
export const Bool = keyword('bool', [TypeName, ...junk]);
export const Positive = keyword('positive', [TypeName, ...junk]);
export const Unit = keyword('unit', [TypeName, ...junk]);
export const Simplex = keyword('simplex', [TypeName, ...junk]);
export const Ordered = keyword('ordered', [TypeName, ...junk]);
export const PositiveOrdered = keyword('positive_ordered', [TypeName, ...junk]);

export const TYPE_NAMES = ['real', 'int', 'bool', 'positive', 'unit', 'simplex', 'ordered', 'positive_ordered'] as const;
/** Stan's names for real arrays (not keywords: `matrix` stays usable as a name): the rank each takes. */
export const TYPE_ALIASES: Readonly<Record<string, number>> = { vector: 1, row_vector: 1, matrix: 2 };

/**
 * Constrained matrix types: contextual names, not keywords (they are read as identifiers in a
 * type position, so `cov_matrix` stays free as a variable name elsewhere). One dimension K gives
 * a K×K value.
 */
export const MATRIX_TYPE_NAMES = ['cholesky_factor_corr', 'cholesky_factor_cov', 'corr_matrix', 'cov_matrix'] as const;
export const ALL_TYPE_NAMES: readonly string[] = [...TYPE_NAMES, ...MATRIX_TYPE_NAMES];
export const KEYWORDS = ['data', 'param', 'plate', 'guide', 'for', 'in', 'minimize', 'maximize', 'fun', 'return', 'if', 'then', 'else', 'true', 'false', 'inf', ...TYPE_NAMES];

// `3.` is a number but `0..N` is `0`, `..`, `N`: a '.' directly followed by another '.' is never part of a number.
export const Num = createToken({
  name: 'Num',
  pattern: /(?:\d+(?:\.(?!\.)\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
  start_chars_hint: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.'],
  categories: [NumberLit, ...junk],
});

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\f\v]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /(?:#|\/\/)[^\n]*/, group: Lexer.SKIPPED });
export const Newline = createToken({ name: 'Newline', pattern: /\n/, line_breaks: true, categories: [Terminator] });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/, categories: [Terminator] });

const op = (name: string, pattern: RegExp, categories: TokenType[] = []): TokenType =>
  createToken({ name, pattern, categories: [...categories, ...junk] });

export const Range = op('Range', /\.\./);
export const LessEq = op('LessEq', /<=/, [CmpOp, BinaryOp]);
export const GreaterEq = op('GreaterEq', />=/, [CmpOp, BinaryOp]);
export const EqEq = op('EqEq', /==/, [CmpOp, BinaryOp]);
export const NotEq = op('NotEq', /!=/, [CmpOp, BinaryOp]);
export const Less = op('Less', /</, [CmpOp, BinaryOp]);
export const Greater = op('Greater', />/, [CmpOp, BinaryOp]);
export const AndAnd = op('AndAnd', /&&/, [BinaryOp]);
export const OrOr = op('OrOr', /\|\|/, [BinaryOp]);
export const Equals = op('Equals', /=/);
export const PlusEquals = op('PlusEquals', /\+=/);
/** Only in `normal_lpdf(y | mu, sigma)`: it separates the value from the parameters. */
export const Bar = op('Bar', /\|/);
export const Bang = op('Bang', /!/, [UnaryOp]);
export const Plus = op('Plus', /\+/, [AddOp, BinaryOp, UnaryOp]);
export const Minus = op('Minus', /-/, [AddOp, BinaryOp, UnaryOp]);
export const Star = op('Star', /\*/, [MulOp, BinaryOp]);
export const Slash = op('Slash', /\//, [MulOp, BinaryOp]);
export const At = op('At', /@/, [MulOp, BinaryOp]);
export const Caret = op('Caret', /\^/);
export const Tilde = op('Tilde', /~/);
export const Colon = op('Colon', /:/);
export const Comma = op('Comma', /,/);
export const LParen = op('LParen', /\(/);
export const RParen = op('RParen', /\)/);
export const LBracket = op('LBracket', /\[/);
export const RBracket = op('RBracket', /]/);
export const LBrace = op('LBrace', /{/);
// '}' ends a block, so it is neither Junk nor LineRest.
export const RBrace = createToken({ name: 'RBrace', pattern: /}/ });

// Order matters: Chevrotain takes the first pattern that matches, so longer keywords come
// before their prefixes (`inf`/`int` before `in`) and two-character operators before one.
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace, Comment, Newline, Semicolon,
  PositiveOrdered, Minimize, Maximize, Positive, Ordered, Simplex, Return, Param, Plate, Guide, False, Data, Then, Else, True, Real, Bool, Unit, Fun, For, Inf, Int, In, If,
  Identifier, Num,
  Range, LessEq, GreaterEq, EqEq, NotEq, Less, Greater, AndAnd, OrOr, Bar, PlusEquals, Equals, Bang,
  Plus, Minus, Star, Slash, At, Caret, Tilde, Colon, Comma, LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  AddOp, MulOp, CmpOp, UnaryOp, BinaryOp, TypeName, NumberLit, BoolLit, Terminator, Junk, LineRest,
];

/** The lexer's configuration; its validations, which depend on the tokens alone, run in a test instead of at every start. */
export const LEXER_CONFIG = {
  positionTracking: 'full',
  // Only '\n' breaks lines, as in the diagnostic renderer; a lone '\r' is whitespace.
  lineTerminatorsPattern: /\n/g,
  lineTerminatorCharacters: ['\n'],
  ensureOptimizations: false,
} as const;

const lexer = new Lexer(ALL_TOKENS, { ...LEXER_CONFIG, lineTerminatorCharacters: ['\n'], skipValidations: true });

/** Kept for readers of older code: tokens carry no extra fields (that would slow the parser down). */
export type TildeToken = IToken;

export interface LexResult {
  tokens: IToken[];
  errors: ILexingError[];
  /**
   * The innermost bracket still open where each token stands (parallel to `tokens`), for
   * "expected ')' to close '(' opened at …". A side array, not a field on the tokens: tokens of
   * two shapes would make every token access in the parser polymorphic.
   */
  openers: (IToken | undefined)[];
  /** Terminators the layout pass made up: before a '}' or at the end of input. */
  synthetic: Map<IToken, 'brace' | 'end'>;
  /** The innermost bracket left open at the end of input. */
  openAtEnd?: IToken;
  /** The last token of the input continues the line (an operator, ',', an open bracket). */
  endsWithContinuation: boolean;
}

const OPENERS = new Set<TokenType>([LParen, LBracket, LBrace]);
const CLOSER_OF = new Map<TokenType, TokenType>([[RParen, LParen], [RBracket, LBracket], [RBrace, LBrace]]);

/** A line ending in one of these continues on the next line. */
export const CONTINUATION = new Set<TokenType>([
  Plus, Minus, Star, Slash, Caret, At, Less, LessEq, Greater, GreaterEq, EqEq, NotEq, AndAnd, OrOr, Bang,
  Comma, Tilde, Equals, Colon, Range, LParen, LBracket, LBrace, If, Then, Else, In, PlusEquals, Bar,
]);

// A statement never starts with these, so a line break right before one only continued the line
// (`else` on its own line, a '{' under its `for`).
const LEADING_CONTINUATION = new Set<TokenType>([Then, Else, LBrace]);

function isTerminator(t: IToken | undefined): boolean {
  return t !== undefined && (t.tokenType === Newline || t.tokenType === Semicolon);
}

function syntheticTerminator(after: IToken | undefined): IToken {
  const offset = after ? (after.endOffset ?? after.startOffset) + 1 : 0;
  const line = after?.endLine ?? 1;
  const column = after ? (after.endColumn ?? 0) + 1 : 1;
  return createTokenInstance(Newline, '', offset, offset - 1, line, line, column, column - 1);
}

/**
 * Tokenise and apply the layout rules in one linear pass: line breaks inside ( ) and [ ] or after a
 * continuation token are dropped, runs of terminators collapse, and every statement — including the
 * last one in a block or file — ends in a terminator, so the grammar needs no special cases.
 */
export function lex(source: string): LexResult {
  const raw = lexer.tokenize(source);
  const out: IToken[] = [];
  const openers: (IToken | undefined)[] = [];
  const synthetic = new Map<IToken, 'brace' | 'end'>();
  const stack: IToken[] = [];
  let lastReal: IToken | undefined;
  // Characters the lexer rejected still end a line's content: `b = $` must not continue onto the next line.
  const errors = raw.errors;
  let nextError = 0;
  let rejectedSinceLast = false;
  for (const tok of raw.tokens) {
    const type = tok.tokenType;
    const top = stack[stack.length - 1];
    const last = out[out.length - 1];
    while (nextError < errors.length && errors[nextError]!.offset < tok.startOffset) {
      rejectedSinceLast = true;
      nextError++;
    }
    if (type === Newline) {
      if (top !== undefined && top.tokenType !== LBrace) continue;
      if (last === undefined || isTerminator(last) || (CONTINUATION.has(last.tokenType) && !rejectedSinceLast)) continue;
      out.push(tok);
      openers.push(top);
      rejectedSinceLast = false;
      continue;
    }
    rejectedSinceLast = false;
    lastReal = tok;
    if (LEADING_CONTINUATION.has(type) && last !== undefined && last.tokenType === Newline && !synthetic.has(last)) {
      out.pop();
      openers.pop();
    }
    if (type === RBrace) {
      const prev = out[out.length - 1];
      if (prev !== undefined && !isTerminator(prev) && prev.tokenType !== LBrace) {
        const t = syntheticTerminator(prev);
        synthetic.set(t, 'brace');
        out.push(t);
        openers.push(top);
      }
    }
    out.push(tok);
    openers.push(top);
    if (OPENERS.has(type)) {
      stack.push(tok);
    } else {
      const opener = CLOSER_OF.get(type);
      if (opener !== undefined) {
        // A mismatched closer closes up to the nearest bracket of its kind, if any is open.
        for (let i = stack.length - 1; i >= 0; i--) {
          if (stack[i]!.tokenType === opener) {
            stack.length = i;
            break;
          }
        }
      }
    }
  }
  const last = out[out.length - 1];
  if (last !== undefined && !isTerminator(last)) {
    const t = syntheticTerminator(last);
    synthetic.set(t, 'end');
    out.push(t);
    openers.push(stack[stack.length - 1]);
  }
  return {
    tokens: out,
    errors: raw.errors,
    openers,
    synthetic,
    openAtEnd: stack[stack.length - 1],
    endsWithContinuation: lastReal !== undefined && CONTINUATION.has(lastReal.tokenType),
  };
}
