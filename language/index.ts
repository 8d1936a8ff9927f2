// The front end as one call: source text → tokens → CST → AST → checked program.
// Each stage is also exported on its own so tools (the REPL, tests) can stop early.

import { check } from './checker.js';
import type { CheckedProgram } from './checked.js';
import { hasErrors, type Diagnostic } from './diagnostics.js';
import { parse } from './parse.js';

export interface FrontEndResult {
  checked?: CheckedProgram;
  diagnostics: Diagnostic[];
}

export function frontEnd(source: string, file = '<input>'): FrontEndResult {
  const parsed = parse(source, file);
  if (hasErrors(parsed.diagnostics)) return { diagnostics: parsed.diagnostics };
  const { checked, diagnostics } = check(parsed.program, source);
  const all = [...parsed.diagnostics, ...diagnostics];
  return hasErrors(all) ? { diagnostics: all } : { checked, diagnostics: all };
}

export { parse, parseExpression, parseStatement, isIncomplete } from './parse.js';
export { check } from './checker.js';
export { bindData } from './data.js';
export { parseCsv } from './csv.js';
export { renderDiagnostic, renderDiagnostics, type Diagnostic } from './diagnostics.js';
export { ModelError } from './errors.js';
export { printProgram, printExpr, printStmt } from './printer.js';
export type { CheckedProgram } from './checked.js';
