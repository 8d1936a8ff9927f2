// CSV data: one column per name, each cell a number, true/false, or a NaN/NA/inf spelling.
// Every problem is a diagnostic at its row and column, naming the column, all thrown together.

import type { Diagnostic } from './diagnostics.js';
import { ModelError } from './errors.js';
import { NON_FINITE_STRINGS } from './data.js';
import type { Span } from './span.js';

/**
 * One column per name, named by the header row. Cells are numbers, true / false (1 / 0), or
 * NaN / NA / inf spellings (kept, so binding reports them with their index). Errors name the
 * row (1-based line of the file, the header being row 1) and the column.
 */
export function parseCsv(text: string, file = '<csv>'): Record<string, number[]> {
  const diags: Diagnostic[] = [];
  const lines = text.split(/\r?\n/);
  let offset = 0;
  const rows: { cells: { text: string; col: number }[]; line: number; start: number }[] = [];
  lines.forEach((line, i) => {
    if (line.trim() !== '') rows.push({ cells: splitCsvLine(line), line: i + 1, start: offset });
    offset += line.length + (text[offset + line.length] === '\r' ? 2 : 1);
  });
  const spanOf = (row: { line: number; start: number }, col: number, len: number): Span => ({
    start: { offset: row.start + col, line: row.line, column: col + 1 },
    end: { offset: row.start + col + Math.max(1, len), line: row.line, column: col + 1 + Math.max(1, len) },
  });
  const fail = (span: Span | undefined, message: string): void => {
    diags.push(span ? { severity: 'error', code: 'csv', message, file, span } : { severity: 'error', code: 'csv', message, file });
  };
  const out: Record<string, number[]> = {};
  const header = rows[0];
  if (!header) {
    fail(undefined, 'the CSV file is empty; it needs a header row naming the columns');
    throw new ModelError(diags, text);
  }
  const names = header.cells.map((c) => c.text.trim());
  names.forEach((n, i) => {
    const cell = header.cells[i]!;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) fail(spanOf(header, cell.col, cell.text.length), `column ${i + 1} of the header is '${n}', which is not a name`);
    else if (names.indexOf(n) !== i) fail(spanOf(header, cell.col, cell.text.length), `column '${n}' appears twice in the header`);
    out[n] = [];
  });
  for (const row of rows.slice(1)) {
    if (row.cells.length !== names.length) {
      fail(spanOf(row, 0, lines[row.line - 1]!.length), `row ${row.line} has ${row.cells.length} cells, but the header names ${names.length} columns`);
      continue;
    }
    row.cells.forEach((cell, i) => {
      const t = cell.text.trim();
      const name = names[i]!;
      const span = spanOf(row, cell.col, cell.text.length);
      let v: number | undefined;
      if (t === '') fail(span, `row ${row.line}, column '${name}' is empty`);
      else if (t === 'true' || t === 'TRUE') v = 1;
      else if (t === 'false' || t === 'FALSE') v = 0;
      else if (NON_FINITE_STRINGS.has(t)) v = NON_FINITE_STRINGS.get(t)!;
      else if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) v = Number(t);
      else fail(span, `row ${row.line}, column '${name}': '${t}' is not a number`);
      if (v !== undefined) out[name]!.push(v);
    });
  }
  if (diags.length) throw new ModelError(diags, text);
  return out;
}

/** Splits one line on commas, honouring double quotes; keeps each cell's column for carets. */
function splitCsvLine(line: string): { text: string; col: number }[] {
  const cells: { text: string; col: number }[] = [];
  let i = 0;
  let start = 0;
  let cur = '';
  let quoted = false;
  for (; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push({ text: cur, col: start });
      cur = '';
      start = i + 1;
    } else cur += ch;
  }
  cells.push({ text: cur, col: start });
  return cells;
}
