// User-facing diagnostics: what went wrong, where, and how it is shown. Constructors for
// each kind of diagnostic live beside the stage that raises them (syntax-errors.ts,
// semantic-errors.ts, data.ts); this module holds the shared shape and the renderer, and
// errors.ts the ModelError that carries them.

import { inlinedAt, type Span } from './span.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable kind, e.g. 'unknown-name', 'syntax', 'data-shape'. */
  code: string;
  message: string;
  /** The model file (or '<repl>', or the data file for data diagnostics). */
  file: string;
  /** Absent only when the problem has no place in any source text (e.g. a missing data file). */
  span?: Span;
  /** A suggestion shown under the caret ("did you mean 'Normal'?" goes in the message). */
  hint?: string;
}

/** `file:line:col: message`, then the offending line with a caret under the span. */
export function renderDiagnostic(d: Diagnostic, source?: string): string {
  const where = d.span ? `${d.file}:${d.span.start.line}:${d.span.start.column}` : d.file;
  const head = `${where}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
  const lines = [head];
  if (d.span && source !== undefined) {
    const text = source.split(/\r?\n/)[d.span.start.line - 1];
    if (text !== undefined) {
      const startCol = d.span.start.column;
      const endCol = d.span.end.line === d.span.start.line ? Math.max(d.span.end.column, startCol + 1) : text.length + 1;
      const width = Math.max(1, Math.min(endCol, text.length + 1) - startCol);
      // Tabs keep their width under the caret so it lines up in a terminal.
      const pad = text.slice(0, startCol - 1).replace(/[^\t]/g, ' ');
      lines.push(`  ${text}`, `  ${pad}${'^'.repeat(width)}`);
    }
  }
  for (const note of inlinedAt(d.span)) lines.push(`  ${note}`);
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join('\n');
}

export function renderDiagnostics(ds: readonly Diagnostic[], source?: string): string {
  return ds.map((d) => renderDiagnostic(d, source)).join('\n\n');
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
