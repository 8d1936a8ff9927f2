// Shared by the middle-end tests: the real front end, failing loudly on any error.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { check } from '../../language/checker.js';
import type { CheckedProgram } from '../../language/checked.js';
import { parse } from '../../language/parse.js';

export const modelsDir = fileURLToPath(new URL('../../models/', import.meta.url));

export function front(source: string, file = 'test.tilde'): CheckedProgram {
  const parsed = parse(source, file);
  const { checked, diagnostics } = check(parsed.program, source);
  const errors = [...parsed.diagnostics, ...diagnostics].filter((d) => d.severity === 'error');
  if (!checked || errors.length) throw new Error(`${file}: ${errors.map((d) => d.message).join('; ')}`);
  return checked;
}

export function model(name: string): CheckedProgram {
  return front(readFileSync(`${modelsDir}${name}.tilde`, 'utf8'), `${name}.tilde`);
}
