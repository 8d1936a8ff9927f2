// The grammar of tilde as a Chevrotain CST parser. Pure grammar: no semantics, no AST.
// Precedence, lowest to highest: if-then-else, ||, &&, comparisons (non-associative: a
// chain is rejected by the AST builder with a clear message), + -, * / @, unary - + !,
// ^ (right-associative; its right operand may be unary), postfix [ ] and calls. The
// infix levels from || to * / @ are one flat rule, nested by the AST builder.

import { CstParser, type CstNode } from 'chevrotain';
import * as T from './tokens.js';
import { structuredErrorMessages } from './syntax-errors.js';

export class TildeParser extends CstParser {
  /**
   * `validate`: run Chevrotain's grammar validations (ambiguities, left recursion), which cost a
   * tenth of a command's start-up; the shared parser skips them and a test runs them.
   */
  constructor(options: { validate?: boolean } = {}) {
    super(T.ALL_TOKENS, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: structuredErrorMessages, skipValidations: !options.validate });
    this.performSelfAnalysis();
  }

  program = this.RULE('program', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Terminator) },
        { ALT: () => this.SUBRULE(this.statementLine) },
        { ALT: () => this.SUBRULE(this.junkLine) },
        // A '}' with no block to close; the builder reports it and parsing goes on.
        { ALT: () => this.CONSUME(T.RBrace, { LABEL: 'strayBrace' }) },
      ]);
    });
  });

  block = this.RULE('block', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Terminator) },
        { ALT: () => this.SUBRULE(this.statementLine) },
        { ALT: () => this.SUBRULE(this.junkLine) },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  /** One statement and its terminator (the layout pass guarantees every statement has one). */
  statementLine = this.RULE('statementLine', () => {
    this.SUBRULE(this.statement);
    this.CONSUME(T.Terminator);
  });

  /** A line that cannot start a statement, kept whole so it yields one diagnostic, not one per token. */
  junkLine = this.RULE('junkLine', () => {
    this.CONSUME(T.Junk);
    this.MANY(() => this.CONSUME(T.LineRest));
  });

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.dataDecl) },
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.plateDecl) },
      { ALT: () => this.SUBRULE(this.forStmt) },
      { ALT: () => this.SUBRULE(this.objective) },
      { ALT: () => this.SUBRULE(this.guideBlock) },
      { ALT: () => this.SUBRULE(this.funDecl) },
      { ALT: () => this.SUBRULE(this.returnStmt) },
      { ALT: () => this.SUBRULE(this.definition) },
    ]);
  });

  /** `fun NAME(x: T, …): T { … }`; where it may stand (the top level) is the AST builder's concern. */
  funDecl = this.RULE('funDecl', () => {
    this.CONSUME(T.Fun);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.funParam);
      this.MANY({
        GATE: () => this.LA(2).tokenType !== T.RParen,
        DEF: () => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.funParam);
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma, { LABEL: 'trailingComma' }));
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
    this.SUBRULE(this.block);
  });

  funParam = this.RULE('funParam', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  /** `return EXPR`: allowed by the grammar anywhere, by the AST builder only last in a function body. */
  returnStmt = this.RULE('returnStmt', () => {
    this.CONSUME(T.Return);
    this.SUBRULE(this.expression);
  });

  dataDecl = this.RULE('dataDecl', () => {
    this.CONSUME(T.Data);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression);
    });
  });

  paramDecl = this.RULE('paramDecl', () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression);
    });
  });

  plateDecl = this.RULE('plateDecl', () => {
    this.CONSUME(T.Plate);
    this.CONSUME(T.Identifier);
  });

  forStmt = this.RULE('forStmt', () => {
    this.CONSUME(T.For);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.In);
    this.SUBRULE(this.expression, { LABEL: 'from' });
    this.CONSUME(T.Range);
    this.SUBRULE2(this.expression, { LABEL: 'to' });
    this.SUBRULE(this.block);
  });

  objective = this.RULE('objective', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Minimize) }, { ALT: () => this.CONSUME(T.Maximize) }]);
    this.SUBRULE(this.expression);
  });

  guideBlock = this.RULE('guideBlock', () => {
    this.CONSUME(T.Guide);
    this.SUBRULE(this.block);
  });

  /** `x = e`, `x ~ D`, `x: T ~ D`, and their indexed forms. */
  definition = this.RULE('definition', () => {
    this.SUBRULE(this.lvalue);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Equals);
          this.SUBRULE(this.expression);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Colon);
          this.SUBRULE(this.typeExpr);
          this.CONSUME(T.Tilde);
          this.SUBRULE(this.distribution);
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.Tilde);
          this.SUBRULE2(this.distribution);
        },
      },
      {
        // `target += e`; the builder refuses any other name on the left
        ALT: () => {
          this.CONSUME(T.PlusEquals);
          this.SUBRULE3(this.expression);
        },
      },
      {
        // `factor(e)`, a statement; the builder refuses any other name
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE4(this.expression);
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  lvalue = this.RULE('lvalue', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
      this.CONSUME(T.RBracket);
    });
  });

  /** A base type with an optional shape. Any name is accepted here so a misspelt type gets a did-you-mean. */
  typeExpr = this.RULE('typeExpr', () => {
    this.OR([{ ALT: () => this.CONSUME(T.TypeName) }, { ALT: () => this.CONSUME(T.Identifier) }]);
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.dim) });
      this.CONSUME(T.RBracket);
    });
  });

  dim = this.RULE('dim', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Num) }, { ALT: () => this.CONSUME(T.Identifier) }]);
  });

  distribution = this.RULE('distribution', () => {
    this.CONSUME(T.Identifier, { LABEL: 'family' });
    this.CONSUME(T.LParen);
    this.OPTION(() => this.SUBRULE(this.argList));
    this.CONSUME(T.RParen);
    // `T[lo, hi]`: T is a name like any other, so it is recognised by its text before a '['.
    this.OPTION3({
      GATE: () => this.LA(1).image === 'T' && this.LA(2).tokenType === T.LBracket,
      DEF: () => {
        this.CONSUME3(T.Identifier, { LABEL: 'truncT' });
        this.CONSUME(T.LBracket);
        this.OPTION4(() => this.SUBRULE(this.expression, { LABEL: 'truncLo' }));
        this.CONSUME(T.Comma);
        this.OPTION5(() => this.SUBRULE2(this.expression, { LABEL: 'truncHi' }));
        this.CONSUME(T.RBracket);
      },
    });
    this.OPTION2(() => {
      this.CONSUME(T.At);
      this.CONSUME2(T.Identifier, { LABEL: 'estimator' });
    });
  });

  /** Arguments of a call or distribution; a trailing comma is allowed (multi-line argument lists). */
  argList = this.RULE('argList', () => {
    this.SUBRULE(this.arg);
    this.MANY({
      GATE: () => this.LA(2).tokenType !== T.RParen,
      DEF: () => {
        // '|' is accepted here and checked by the builder (after the first argument of a call only)
        this.OR([{ ALT: () => this.CONSUME(T.Comma) }, { ALT: () => this.CONSUME(T.Bar) }]);
        this.SUBRULE2(this.arg);
      },
    });
    this.OPTION(() => this.CONSUME2(T.Comma, { LABEL: 'trailingComma' }));
  });

  arg = this.RULE('arg', () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: 'argName' });
      this.CONSUME(T.Equals);
    });
    this.SUBRULE(this.expression);
  });

  expression = this.RULE('expression', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.ifExpr) }, { ALT: () => this.SUBRULE(this.binaryExpr) }]);
  });

  ifExpr = this.RULE('ifExpr', () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.expression, { LABEL: 'cond' });
    this.CONSUME(T.Then);
    this.SUBRULE2(this.expression, { LABEL: 'then' });
    this.CONSUME(T.Else);
    this.SUBRULE3(this.expression, { LABEL: 'else' });
  });

  /**
   * Operands joined by infix operators, flat: the AST builder nests them by precedence
   * (|| < && < comparisons < + - < * / @). One rule instead of one per level keeps the
   * CST small: a lone name costs 4 nodes, not 11, and parsing is about twice as fast.
   */
  binaryExpr = this.RULE('binaryExpr', () => {
    this.SUBRULE(this.operand, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.BinaryOp, { LABEL: 'ops' });
      this.SUBRULE2(this.operand, { LABEL: 'operands' });
    });
  });

  /**
   * Prefix operators, a primary with its index suffixes, and an optional `^ operand`. '^' binds
   * tighter than the prefix operators on its left (`-x^2` is `-(x^2)`) and its right side is a
   * whole operand, so it is right-associative and may be negated (`2^-1`).
   */
  operand = this.RULE('operand', () => {
    this.MANY(() => this.CONSUME(T.UnaryOp, { LABEL: 'prefix' }));
    this.SUBRULE(this.primary);
    this.MANY2(() => this.SUBRULE(this.indexSuffix));
    this.OPTION(() => {
      this.CONSUME(T.Caret);
      this.SUBRULE2(this.operand, { LABEL: 'exponent' });
    });
  });

  indexSuffix = this.RULE('indexSuffix', () => {
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.indexItem) });
    this.CONSUME(T.RBracket);
  });

  /** `e`, `lo:hi`, `lo:`, `:hi`, `:`. */
  indexItem = this.RULE('indexItem', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Colon);
          this.OPTION(() => this.SUBRULE(this.expression, { LABEL: 'hi' }));
        },
      },
      {
        ALT: () => {
          this.SUBRULE2(this.expression, { LABEL: 'lo' });
          this.OPTION2(() => {
            this.CONSUME2(T.Colon);
            this.OPTION3(() => this.SUBRULE3(this.expression, { LABEL: 'hi' }));
          });
        },
      },
    ]);
  });

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.BoolLit) },
      {
        // a name, or a call of a built-in function
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.OPTION(() => {
            this.CONSUME(T.LParen);
            this.OPTION2(() => this.SUBRULE(this.argList));
            this.CONSUME(T.RParen);
          });
        },
      },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      { ALT: () => this.SUBRULE(this.arrayLit) },
    ]);
  });

  parenExpr = this.RULE('parenExpr', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  arrayLit = this.RULE('arrayLit', () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: 'elements' });
      this.MANY({
        GATE: () => this.LA(2).tokenType !== T.RBracket,
        DEF: () => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.expression, { LABEL: 'elements' });
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma, { LABEL: 'trailingComma' }));
    });
    this.CONSUME(T.RBracket);
  });

  /** Entry for a lone expression (REPL, tests): the expression and its terminator. */
  expressionLine = this.RULE('expressionLine', () => {
    this.SUBRULE(this.expression);
    this.MANY(() => this.CONSUME(T.Terminator));
  });
}

let shared: TildeParser | undefined;

/** The one parser instance: building a Chevrotain parser runs a grammar analysis, too slow to repeat. */
export function tildeParser(): TildeParser {
  return (shared ??= new TildeParser());
}

export type { CstNode };
