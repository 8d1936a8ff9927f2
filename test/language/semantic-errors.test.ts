// Golden files: each malformed program in golden/semantic/ is parsed and checked, and its
// rendered diagnostics (message, line, column, caret) must match NAME.expected exactly.
// Run with UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from '../../language/parse.js';
import { check } from '../../language/checker.js';
import { renderDiagnostics } from '../../language/diagnostics.js';
import * as E from '../../language/semantic-errors.js';
import { NO_SPAN } from '../../language/span.js';

const dir = join(import.meta.dirname, 'golden', 'semantic');
const cases = readdirSync(dir).filter((f) => f.endsWith('.tilde')).sort();

function render(file: string): string {
  const source = readFileSync(join(dir, file), 'utf8');
  const parsed = parse(source, file);
  if (parsed.diagnostics.length) return 'SYNTAX\n' + renderDiagnostics(parsed.diagnostics, source) + '\n';
  const { diagnostics } = check(parsed.program, source);
  return renderDiagnostics(diagnostics, source) + '\n';
}

describe('semantic diagnostics (golden)', () => {
  it('has at least 30 malformed programs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });
  it.each(cases)('%s', (file) => {
    const out = render(file);
    const expectedFile = join(dir, file.replace(/\.tilde$/, '.expected'));
    if (process.env.UPDATE_GOLDEN || !existsSync(expectedFile)) writeFileSync(expectedFile, out);
    expect(out).toBe(readFileSync(expectedFile, 'utf8'));
    expect(out.startsWith('SYNTAX')).toBe(false);
  });
});

describe('semantic error constructors', () => {
  it('every constructor gives a stable code, a severity and the span it was given', () => {
    for (const [name, make] of Object.entries(E)) {
      if (typeof make !== 'function') continue;
      const d = (make as (...a: unknown[]) => E.SemanticError)(NO_SPAN, 'a', 'b', 'c', 'd', 'e');
      expect(d.span, name).toBe(NO_SPAN);
      expect(d.code, name).toMatch(/^[a-z-]+$/);
      expect(['error', 'warning'], name).toContain(d.severity);
    }
  });
});
