// Building the model from typed statements and files. Every change re-runs the
// front end on the whole program, so a statement that does not fit what is
// already there (an unknown name, a second definition) is refused with its caret
// and the program stays as it was.

import { frontEnd } from '../../language/index.js';
import type { Diagnostic } from '../../language/diagnostics.js';
import { diagnosticBlocks } from './errors.js';
import { joinChunks, type Chunk, type SessionState } from './state.js';
import type { Block } from './types.js';

const REPL_FILE = '<repl>';

/** Start of `chunks[index]` in the joined program: its offset and 1-based line. */
function chunkStart(chunks: readonly Chunk[], index: number): { offset: number; line: number } {
  const before = joinChunks(chunks.slice(0, index));
  if (index === 0) return { offset: 0, line: 1 };
  return { offset: before.length + 1, line: before.split('\n').length + 1 };
}

/** Diagnostics inside the typed chunk, re-expressed relative to it so the caret shows what was typed. */
function rebase(d: Diagnostic, start: { offset: number; line: number }): Diagnostic {
  if (!d.span) return { ...d, file: REPL_FILE };
  const shift = (p: { offset: number; line: number; column: number }) => ({ offset: p.offset - start.offset, line: p.line - start.line + 1, column: p.column });
  return { ...d, file: REPL_FILE, span: { start: shift(d.span.start), end: shift(d.span.end) } };
}

/** Diagnostics for the user: those in the new chunk against its text, the rest against the whole program. */
const UNFINISHED = new Set(['prior-mode', 'unused-data']);

function report(ds: readonly Diagnostic[], chunks: readonly Chunk[], index: number, onlyNew: boolean): Block[] {
  const start = chunkStart(chunks, index);
  const chunk = chunks[index]!;
  const inChunk = (d: Diagnostic) => d.span !== undefined && d.span.start.offset >= start.offset;
  // Warnings about an unfinished program are noise while a model is being typed line by line.
  const shown = ds.filter((d) => !(onlyNew && (UNFINISHED.has(d.code) || (d.severity === 'warning' && !inChunk(d)))));
  const mine = shown.filter(inChunk).map((d) => rebase(d, start));
  const rest = shown.filter((d) => !inChunk(d));
  return [...diagnosticBlocks(mine, chunk.text), ...diagnosticBlocks(rest, joinChunks(chunks))];
}

function check(state: SessionState, chunks: Chunk[]) {
  const source = joinChunks(chunks);
  return frontEnd(source, state.modelFile ?? REPL_FILE);
}

/** Appends typed statements; refuses them (program unchanged) when the whole no longer checks. */
export function addStatements(state: SessionState, text: string): Block[] {
  const chunks = [...state.chunks, { text, origin: REPL_FILE }];
  const { checked, diagnostics } = check(state, chunks);
  const index = chunks.length - 1;
  if (!checked) return [...report(diagnostics, chunks, index, true), { kind: 'note', text: 'the model is unchanged' }];
  state.chunks = chunks;
  state.checked = checked;
  state.warnings = diagnostics.filter((d) => d.severity === 'warning');
  return report(diagnostics, chunks, index, true);
}

/** Replaces the program by a file's text (`:load`); a file with errors leaves the session as it was. */
export function loadProgram(state: SessionState, text: string, file: string): Block[] {
  const { checked, diagnostics } = frontEnd(text, file);
  if (!checked) return [...diagnosticBlocks(diagnostics, text), { kind: 'note', text: 'the model is unchanged' }];
  state.chunks = [{ text, origin: file }];
  state.modelFile = file;
  state.checked = checked;
  state.warnings = diagnostics.filter((d) => d.severity === 'warning');
  return diagnosticBlocks(state.warnings, text);
}

/** Drops the last statement: the last typed input, or the last statement of a loaded file. */
export function undoStatement(state: SessionState): Block[] {
  const last = state.chunks[state.chunks.length - 1];
  if (!last || !state.checked) return [{ kind: 'note', text: 'nothing to undo: the model is empty' }];
  let chunks: Chunk[];
  let dropped: string;
  if (last.origin === REPL_FILE || state.checked.ast.body.length <= 1) {
    chunks = state.chunks.slice(0, -1);
    dropped = last.text.trim();
  } else {
    const body = state.checked.ast.body;
    const stmt = body[body.length - 1]!;
    const start = chunkStart(state.chunks, state.chunks.length - 1).offset;
    const cut = stmt.span.start.offset - start;
    dropped = last.text.slice(cut, stmt.span.end.offset - start).trim();
    chunks = [...state.chunks.slice(0, -1), { ...last, text: last.text.slice(0, cut).replace(/\s+$/, '') }];
  }
  if (chunks.length === 0 || joinChunks(chunks).trim() === '') {
    state.chunks = [];
    state.checked = undefined;
    state.warnings = [];
    return [{ kind: 'note', text: `dropped: ${dropped}` }, { kind: 'note', text: 'the model is now empty' }];
  }
  const { checked, diagnostics } = check(state, chunks);
  if (!checked) return [{ kind: 'error', text: `error: cannot drop '${dropped}': the rest of the program would not check` }, ...diagnosticBlocks(diagnostics, joinChunks(chunks))];
  state.chunks = chunks;
  state.checked = checked;
  state.warnings = diagnostics.filter((d) => d.severity === 'warning');
  return [{ kind: 'note', text: `dropped: ${dropped}` }];
}
