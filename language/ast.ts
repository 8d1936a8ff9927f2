// The abstract syntax tree. Every node carries the span of source it came from, so
// that every later stage (checker, engine, REPL) can point back at the text.
// Nodes are plain JSON-able objects; `kind` discriminates.

import type { Span } from './span.js';
import type { EstimatorName } from './distributions.js';

export type BaseType = 'real' | 'int' | 'bool' | 'positive' | 'unit' | 'simplex' | 'ordered' | 'positive_ordered' | MatrixBase;
/** Constrained K×K matrix types (language/tokens.ts MATRIX_TYPE_NAMES). */
export type MatrixBase = 'cholesky_factor_corr' | 'cholesky_factor_cov' | 'corr_matrix' | 'cov_matrix';

/** A dimension in a declared shape: an integer literal or the name of integer data / a plate. */
export type DimExpr = { kind: 'dimLit'; value: number; span: Span } | { kind: 'dimName'; name: string; span: Span };

export interface TypeExpr {
  kind: 'type';
  base: BaseType;
  dims: DimExpr[];
  span: Span;
  /** The alias written (`vector`, `row_vector`, `matrix`) when `base` is the real it stands for. */
  alias?: string;
}

export type UnaryOp = '-' | '+' | '!';
export type BinaryOp = '+' | '-' | '*' | '/' | '^' | '@' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';

/** A call or distribution argument, positional (`name` absent) or named (`scale = 1`). */
export interface Arg {
  name?: string;
  nameSpan?: Span;
  value: Expr;
  span: Span;
}

/** One position inside `x[...]`: an expression, or a slice `lo:hi` (either side optional; `:` is the whole axis). */
export type IndexItem =
  | { kind: 'at'; expr: Expr; span: Span }
  | { kind: 'slice'; lo?: Expr; hi?: Expr; span: Span };

export type Expr =
  | { kind: 'num'; value: number; /** written as an integer literal (no '.', no exponent, not inf) */ isInt: boolean; span: Span }
  | { kind: 'bool'; value: boolean; span: Span }
  | { kind: 'var'; name: string; span: Span }
  | { kind: 'unary'; op: UnaryOp; arg: Expr; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: 'if'; cond: Expr; then: Expr; else: Expr; span: Span }
  | {
      kind: 'call';
      callee: string;
      calleeSpan: Span;
      args: Arg[];
      /** Where `|` separated the first argument from the rest (`normal_lpdf(y | mu, sigma)`). */
      bar?: Span;
      span: Span;
    }
  | { kind: 'index'; target: Expr; items: IndexItem[]; span: Span }
  | { kind: 'array'; elements: Expr[]; span: Span };

/** The right-hand side of `~`: a family name applied to arguments, with an optional estimator annotation. */
export interface DistExpr {
  kind: 'dist';
  family: string;
  familySpan: Span;
  args: Arg[];
  annotation?: { name: EstimatorName | string; span: Span };
  /** `T[lo, hi]`, `T[lo, ]`, `T[, hi]` after the arguments: the density truncated to [lo, hi]. */
  truncation?: { lo?: Expr; hi?: Expr; span: Span };
  span: Span;
}

/** The left-hand side of `=` or `~`: a name, optionally indexed by expressions (`x[i]`, `A[i, j]`). */
export interface LValue {
  name: string;
  nameSpan: Span;
  indices: Expr[];
  span: Span;
}

export type Stmt =
  | { kind: 'data'; name: string; nameSpan: Span; type: TypeExpr; default?: Expr; span: Span }
  | { kind: 'param'; name: string; nameSpan: Span; type: TypeExpr; init?: Expr; span: Span }
  | { kind: 'plate'; name: string; nameSpan: Span; span: Span }
  | { kind: 'assign'; target: LValue; value: Expr; span: Span }
  | { kind: 'sample'; target: LValue; type?: TypeExpr; dist: DistExpr; span: Span }
  | { kind: 'for'; variable: string; variableSpan: Span; from: Expr; to: Expr; body: Stmt[]; span: Span }
  | { kind: 'objective'; direction: 'minimize' | 'maximize'; expr: Expr; span: Span }
  /** `target += e` or `factor(e)`: e, summed to a scalar, is added to the model's log density. */
  | { kind: 'target'; form: 'target' | 'factor'; expr: Expr; span: Span }
  | { kind: 'guide'; body: Stmt[]; span: Span };

/** One parameter of a user function: `name: TYPE`. */
export interface FunParam {
  name: string;
  nameSpan: Span;
  type: TypeExpr;
  span: Span;
}

/**
 * `fun NAME(PARAMS): TYPE { DEFINITIONS; return EXPR }`, at the top level only. Kept out of
 * `Program.body`: a call is expanded inline by the front end (language/inline.ts), so the engine
 * never meets a function.
 */
export interface FunDecl {
  kind: 'fun';
  name: string;
  nameSpan: Span;
  params: FunParam[];
  returns: TypeExpr;
  /** The statements before `return` (the checker allows only local `NAME = EXPR`). */
  body: Stmt[];
  result: Expr;
  /** The `return EXPR` statement. */
  returnSpan: Span;
  span: Span;
}

export interface Program {
  kind: 'program';
  /** The file name used in diagnostics ("<repl>" for typed input). */
  file: string;
  body: Stmt[];
  /** User functions in source order; absent when there are none. */
  functions?: FunDecl[];
  span: Span;
}

export type Node = Program | Stmt | Expr | DistExpr | TypeExpr | LValue | Arg | IndexItem | DimExpr | FunDecl | FunParam;
