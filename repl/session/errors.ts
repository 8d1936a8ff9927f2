// Turning anything that went wrong into blocks. User errors (ModelError, bad
// options) print as diagnostics; anything else is a bug in tilde, said so, and
// the session goes on either way.

import { renderDiagnostics, type Diagnostic } from '../../language/diagnostics.js';
import { ModelError } from '../../language/errors.js';
import type { Span } from '../../language/span.js';
import type { Block } from './types.js';

export function diagnosticBlocks(ds: readonly Diagnostic[], source?: string): Block[] {
  const errors = ds.filter((d) => d.severity === 'error');
  const warnings = ds.filter((d) => d.severity === 'warning');
  const out: Block[] = [];
  if (errors.length) out.push({ kind: 'error', text: renderDiagnostics(errors, source) });
  if (warnings.length) out.push({ kind: 'warning', text: renderDiagnostics(warnings, source) });
  return out;
}

/** A span over `line` from character `start` to `end` (0-based, end exclusive); one-line input. */
export function lineSpan(start: number, end: number): Span {
  return { start: { offset: start, line: 1, column: start + 1 }, end: { offset: end, line: 1, column: end + 1 } };
}

/** An error about part of what the user typed, with the caret under it. */
export function inputError(line: string, start: number, end: number, message: string, hint?: string): Block {
  const d: Diagnostic = { severity: 'error', code: 'repl', message, file: '<repl>', span: lineSpan(start, Math.max(end, start + 1)), hint };
  return { kind: 'error', text: renderDiagnostics([d], line) };
}

export function errorBlock(message: string): Block {
  return { kind: 'error', text: `error: ${message}` };
}

/** Re-labels diagnostics of a parsed query (`<query>`) as the REPL's input. */
function relabel(ds: readonly Diagnostic[], file: string): Diagnostic[] {
  return ds.map((d) => (d.file === '<query>' ? { ...d, file } : d));
}

export function exceptionBlocks(e: unknown): Block[] {
  if (e instanceof ModelError) return diagnosticBlocks(relabel(e.diagnostics, '<repl>'), e.source);
  if (e instanceof Error) {
    // The engine reports bad options as RangeError/TypeError, and failed fits as FitError.
    if (e.name === 'FitError') return [errorBlock(`the fit failed: ${e.message}`)];
    if (e.name === 'RangeError' || e.name === 'TypeError' || e.name === 'EvalError' || e.name === 'Error') return [errorBlock(e.message)];
    return [{ kind: 'error', text: `internal error (a bug in tilde, please report it): ${e.stack ?? e.message}` }];
  }
  return [{ kind: 'error', text: `internal error (a bug in tilde, please report it): ${String(e)}` }];
}
