// Every error tilde throws on purpose, in one place: what the user can meet (ModelError for
// diagnostics of the model, its data or a query; EvalError for a run-time problem at a place in the
// program; FitError for a fit that cannot go on) and the one that is tilde's own bug
// (InternalError). Under language/ because the front end throws them too and must not import the
// engine; inference/evaluate.ts and inference/fit.ts re-export theirs for the modules that import
// them from there.

import { renderDiagnostics, type Diagnostic } from './diagnostics.js';
import { inlinedAt, type Span } from './span.js';

/** Thrown by `compile` and data validation: carries every diagnostic of the run, not only the first. */
export class ModelError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly source?: string;
  constructor(diagnostics: Diagnostic[], source?: string) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(renderDiagnostics(errors.length ? errors : diagnostics, source));
    this.name = 'ModelError';
    this.diagnostics = diagnostics;
    this.source = source;
  }
}

/** An internal compiler error: a bug in tilde, never the user's fault. Kept apart from ModelError. */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error (a bug in tilde, please report it): ${message}`);
    this.name = 'InternalError';
  }
}

/** A run-time problem in the user's program, with the place it happened (and the call, inside a function). */
export class EvalError extends Error {
  constructor(
    message: string,
    readonly span: Span,
  ) {
    const notes = inlinedAt(span);
    // A message re-thrown with more context already carries the note.
    const where = `line ${span.start.line}:${span.start.column} ${notes.join(', ')}`;
    super(notes.length && !message.includes(where) ? `${message} (at ${where})` : message);
    this.name = 'EvalError';
  }
}

/** A fit that cannot go on: names the site and suggests a fix. */
export class FitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FitError';
  }
}
