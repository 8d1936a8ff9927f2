// The semantic checker: resolves names, infers element types and symbolic shapes, resolves
// distribution arguments against the family table, decides the mode, and checks guides.
// It reports every error it can in one run; an unknown name is reported once and its uses
// get an unknown type (undefined) that silences follow-on errors.
// The work is split by concern under check/: names and scopes (names.ts), types and shapes
// (types.ts), distributions and modes (distributions.ts), statements in order (statements.ts),
// over the state of one run (state.ts). This module runs them over a program.

import type { Program } from './ast.js';
import type { CheckedProgram, GuideInfo, SymbolInfo } from './checked.js';
import type { Diagnostic } from './diagnostics.js';
import * as E from './semantic-errors.js';
import { newScope, prepass, toInfo, type Sym } from './scope.js';
import { decideMode, warnUnused } from './check/distributions.js';
import { finishElements, stmt } from './check/statements.js';
import { CheckState } from './check/state.js';
import { checkFunctions, type FunctionTable } from './check/functions.js';
import { inlineProgram } from './inline.js';

export { supportConstraint, supportWord } from './check/distributions.js';

export interface CheckResult {
  checked?: CheckedProgram;
  diagnostics: Diagnostic[];
}

/**
 * A program with user functions is checked twice: as written (every error located in what the
 * user wrote, calls typed by their signatures), then, when that is clean, with every call expanded
 * inline (language/inline.ts); the second run gives the checked program the engine reads.
 */
export function check(program: Program, source: string): CheckResult {
  const first = checkOnce(program, source);
  // Functions are checked before the statements; the report reads top to bottom all the same.
  if (program.functions?.length) first.diagnostics.sort((a, b) => (a.span?.start.offset ?? 0) - (b.span?.start.offset ?? 0));
  if (!program.functions?.length || !first.checked || !first.table) return { diagnostics: first.diagnostics, ...(first.checked ? { checked: first.checked } : {}) };
  const inlined = inlineProgram(program, first.table);
  const expansionErrors = inlined.diagnostics.map((d) => ({ ...d, file: program.file }));
  // Sizes that disagree only at one call of a body that calls another function.
  if (expansionErrors.length) return { diagnostics: [...first.diagnostics, ...expansionErrors] };
  const second = checkOnce(inlined.program, source);
  if (!second.checked) {
    // Not expected once the first run is clean; shown located in the function, with the call.
    return { diagnostics: [...first.diagnostics, ...second.diagnostics.filter((d) => d.severity === 'error')] };
  }
  // A call's value has its declared type: `real` for a body that happens to compute ints.
  for (const [name, sym] of second.checked.symbols) {
    const declared = first.checked.symbols.get(name)?.type;
    if (declared && declared.elem !== sym.type.elem) sym.type = { ...sym.type, elem: declared.elem };
  }
  const checked: CheckedProgram = { ...second.checked, written: program, deferred: [...(second.checked.deferred ?? []), ...inlined.deferred] };
  return { checked, diagnostics: first.diagnostics };
}

function checkOnce(program: Program, source: string): CheckResult & { table?: FunctionTable } {
  const ck = new CheckState(program, source);
  prepass(ck.model, program.body, []);
  const table = program.functions?.length ? checkFunctions(ck, program) : undefined;
  for (const s of program.body) {
    if (s.kind === 'guide') {
      if (ck.guideStmt) ck.report(E.secondGuide(s.span, ck.guideStmt.span.start.line));
      else ck.guideStmt = s;
    } else stmt(ck, s);
  }
  finishElements(ck, ck.model);
  if (ck.guideStmt) {
    const g = newScope('guide');
    ck.guideScope = g;
    ck.scope = g;
    prepass(g, ck.guideStmt.body, []);
    for (const s of ck.guideStmt.body) stmt(ck, s);
    finishElements(ck, g);
    ck.scope = ck.model;
  }
  const mode = decideMode(ck);
  warnUnused(ck, mode);
  const diagnostics = ck.diags;
  const warnings = diagnostics.filter((d) => d.severity === 'warning');
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const strip = (m: Map<string, Sym>): Map<string, SymbolInfo> => new Map([...m].map(([k, v]) => [k, toInfo(v)]));
  let guide: GuideInfo | undefined;
  if (ck.guideStmt && ck.guideScope) guide = { span: ck.guideStmt.span, symbols: strip(ck.guideScope.symbols), sites: ck.guideScope.sites };
  const checked: CheckedProgram = {
    file: program.file,
    source,
    ast: program,
    mode,
    symbols: strip(ck.model.symbols),
    sites: ck.model.sites,
    objectives: ck.objectives,
    exprTypes: ck.exprTypes,
    warnings,
    deferred: ck.deferred,
  };
  if (guide) checked.guide = guide;
  return table ? { checked, diagnostics, table } : { checked, diagnostics };
}
