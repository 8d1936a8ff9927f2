// The state of one checker run, shared by the modules of language/check/: the diagnostics so
// far, the scopes and the enclosing loops, what the checked program will carry (expression
// types, deferred shape checks, objectives), and the helpers every part reports through.

import type { Expr, Program, Stmt } from '../ast.js';
import type { Diagnostic } from '../diagnostics.js';
import type { SemanticError } from '../semantic-errors.js';
import { showTyped, type DeferredCheck, type DimPair } from '../shapes.js';
import { newScope, type ForStmt, type Loop, type Scope } from '../scope.js';
import type { Span } from '../span.js';
import type { ValueType } from '../types.js';
import type { FunctionTable } from './functions.js';

export class CheckState {
  readonly diags: Diagnostic[] = [];
  readonly exprTypes = new Map<Expr, ValueType>();
  readonly deferred: DeferredCheck[] = [];
  readonly model: Scope = newScope('model');
  guideScope?: Scope;
  guideStmt?: Extract<Stmt, { kind: 'guide' }>;
  /** The scope statements are checked in now: the model's, then the guide's. */
  scope: Scope = this.model;
  /** The for loops around the statement being checked, innermost last. */
  loops: Loop[] = [];
  readonly objectives: Extract<Stmt, { kind: 'objective' }>[] = [];
  /** `target +=` / `factor(…)` statements of the model: terms of its log density. */
  readonly targets: Extract<Stmt, { kind: 'target' }>[] = [];
  /** The names each cost (observation or objective) reads: what reaches the likelihood. */
  readonly costDeps: Set<string>[] = [];
  /** Loops whose bounds had an error: their element definitions report nothing more. */
  readonly badLoops = new Set<ForStmt>();
  /** Arrays whose element definitions already produced an error: no coverage errors on top. */
  readonly quietElements = new Set<string>();
  /** The program's user functions, when it has any. */
  functions?: FunctionTable;
  /** User functions whose signature had an error: their calls report nothing more. */
  readonly brokenSignatures = new Set<string>();
  /** Set while a function body is checked: its name, and the line of a model name it must not read. */
  inFunction?: string;
  outside?: (name: string) => number | undefined;

  constructor(
    readonly program: Program,
    readonly source: string,
  ) {}

  report(e: SemanticError): void {
    this.diags.push({ ...e, file: this.program.file });
  }

  text(span: Span): string {
    return this.source.slice(span.start.offset, span.end.offset);
  }

  /** "z is int[N, 200]" when the source text is short enough to quote, else "the left side is …". */
  describe(e: Expr, t: ValueType, fallback: string): string {
    const txt = this.text(e.span);
    const name = txt.length > 0 && txt.length <= 24 && !txt.includes('\n') ? txt : fallback;
    return `${name} is ${showTyped(t.elem, t.shape)}`;
  }

  defer(pairs: DimPair[], what: string, span: Span): void {
    for (const pair of pairs) this.deferred.push({ kind: 'dims', pair, what, span });
  }
}
