// The checker's output: the program with every name resolved, every sample site's
// distribution resolved against the family table, the types and shapes of all
// expressions, and the mode. The engine builds its graph from this value alone.

import type { Expr, Program, Stmt } from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import type { EstimatorName, FamilySpec } from './distributions.js';
import type { Span } from './span.js';
import type { Constraint, ValueType } from './types.js';
import type { DeferredCheck } from './shapes.js';

export type SymbolKind =
  | 'data' // supplied by the user; `observed` when it is the target of `~`
  | 'param' // point-estimated, learned
  | 'plate' // an integer dimension whose entries are conditionally independent
  | 'latent' // an unobserved sample site
  | 'deterministic' // NAME = EXPR
  | 'loop'; // a for-loop variable

export interface SymbolInfo {
  name: string;
  kind: SymbolKind;
  type: ValueType;
  constraint: Constraint;
  /** Where it was declared or first defined. */
  span: Span;
  scope: 'model' | 'guide';
  /** data only: the target of a `~` statement. */
  observed?: boolean;
  /** Defined element by element inside for loops (`x[i] ~ …` / `x[i] = …`). */
  elementwise?: boolean;
  /** data only: the default value expression. */
  defaultValue?: Expr;
  /** param only: the initial value expression. */
  init?: Expr;
}

export type SampleStmt = Extract<Stmt, { kind: 'sample' }>;

export interface SiteInfo {
  /** The name of the sampled variable (the whole array for element sites). */
  name: string;
  stmt: SampleStmt;
  scope: 'model' | 'guide';
  observed: boolean;
  family: FamilySpec;
  /** Canonical parameter name (from the family table) → argument expression; positional arguments resolved. */
  args: Record<string, Expr>;
  /** Type of the whole variable (declared, or inferred from the arguments' broadcast shape). */
  type: ValueType;
  /** Enclosing for-loop variables, outermost first (empty for whole-array sites). */
  loopVars: string[];
  annotation?: EstimatorName;
}

export type Mode =
  | 'inference' // has observations: fit q to the posterior by the ELBO
  | 'optimisation' // has minimize/maximize and no observations
  | 'prior'; // neither: fits the prior (a warning says so)

export interface GuideInfo {
  span: Span;
  /** Guide-scope names: its own params and definitions. Model data is visible from the guide. */
  symbols: Map<string, SymbolInfo>;
  sites: SiteInfo[];
}

export interface CheckedProgram {
  file: string;
  source: string;
  /** The program the engine runs: with user functions, every call expanded inline (language/inline.ts). */
  ast: Program;
  /** The program as written, with its functions; present only when it has any. */
  written?: Program;
  mode: Mode;
  /** Model scope, in definition order. */
  symbols: Map<string, SymbolInfo>;
  /** Model sample sites (observed and latent) in source order. */
  sites: SiteInfo[];
  guide?: GuideInfo;
  objectives: Extract<Stmt, { kind: 'objective' }>[];
  /** The inferred type of every expression node in the program. */
  exprTypes: Map<Expr, ValueType>;
  warnings: Diagnostic[];
  /**
   * Shape and coverage checks that depend on data sizes (two different dim names that must
   * agree, element definitions with data-valued bounds, gather indices); `bindData` re-runs them.
   */
  deferred?: DeferredCheck[];
}
