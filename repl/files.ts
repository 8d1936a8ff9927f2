// Reading model and data files for the CLI and the REPL: the only place that
// touches the file system. Problems become diagnostics that name the file.

import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Diagnostic } from '../language/diagnostics.js';
import { ModelError } from '../language/errors.js';
import { parseCsv } from '../language/csv.js';
import { posAt } from '../language/span.js';

function fileError(file: string, message: string): ModelError {
  const d: Diagnostic = { severity: 'error', code: 'file', message, file };
  return new ModelError([d]);
}

export function readText(file: string, what: string): string {
  if (!existsSync(file)) throw fileError(file, `${what} file not found`);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw fileError(file, `cannot read ${what} file: ${(e as Error).message}`);
  }
}

/** JSON (an object of names) or CSV (one column per name), chosen by extension. */
export function readDataFile(file: string): Record<string, unknown> {
  const text = readText(file, 'data');
  if (extname(file).toLowerCase() === '.csv') return parseCsv(text, file);
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw fileError(file, 'data must be a JSON object mapping names to values');
    return v as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ModelError) throw e;
    const m = /position (\d+)/.exec((e as Error).message);
    const span = m ? { start: posAt(text, Number(m[1])), end: posAt(text, Number(m[1]) + 1) } : undefined;
    throw new ModelError([{ severity: 'error', code: 'data-json', message: `invalid JSON: ${(e as Error).message.replace(/ in JSON at position \d+.*$/, '')}`, file, span }], text);
  }
}

/** The data file that sits beside a model (`m.tilde` → `m.json`, else `m.csv`), if any. */
export function defaultDataFile(modelFile: string): string | undefined {
  const base = modelFile.replace(/\.tilde$/, '');
  for (const ext of ['.json', '.csv']) if (existsSync(base + ext)) return base + ext;
  return undefined;
}
