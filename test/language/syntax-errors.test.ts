// Golden tests for syntax diagnostics: each test/language/golden/syntax/NAME.tilde has its
// rendered diagnostics in NAME.expected. Run with UPDATE_GOLDEN=1 to rewrite them (then review the diff).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderDiagnostics } from '../../language/diagnostics.js';
import { parse } from '../../language/parse.js';
import { isSyntaxDiagnostic } from '../../language/syntax-errors.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'syntax');
const cases = readdirSync(dir).filter((f) => f.endsWith('.tilde')).sort();

function render(name: string, source: string): string {
  const { diagnostics } = parse(source, name);
  return `${renderDiagnostics(diagnostics, source)}\n`;
}

describe('syntax error golden files', () => {
  it('has at least 18 malformed programs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(18);
  });

  it.each(cases)('%s', (file) => {
    const source = readFileSync(join(dir, file), 'utf8');
    const actual = render(file, source);
    const expectedPath = join(dir, file.replace(/\.tilde$/, '.expected'));
    if (process.env.UPDATE_GOLDEN || !existsSync(expectedPath)) writeFileSync(expectedPath, actual);
    expect(actual).toBe(readFileSync(expectedPath, 'utf8'));
  });
});

describe('syntax diagnostics', () => {
  it('report three separate errors as three', () => {
    const source = 'a = 1 +* 2\nb = $\nok = 1\nc = a < b < c\nd = 4\n';
    const { program, diagnostics } = parse(source);
    expect(diagnostics.map((d) => d.span!.start.line)).toEqual([1, 2, 4]);
    // the statements without errors survive
    expect(program.body.map((s) => (s.kind === 'assign' ? s.target.name : s.kind))).toEqual(['ok', 'c', 'd']);
  });

  it('recover across blocks', () => {
    const source = 'x ~ Normal(0, 1\nguide {\n  y = * 1\n  z ~ Normal(0, 1)\n}\nw = 1 2\n';
    const { program, diagnostics } = parse(source);
    expect(diagnostics.map((d) => d.span!.start.line)).toEqual([2, 3, 6]);
    expect(program.body.map((s) => s.kind)).toEqual(['guide', 'assign']);
  });

  it('never use Chevrotain wording or token names', () => {
    const sources = readdirSync(dir).filter((f) => f.endsWith('.tilde')).map((f) => readFileSync(join(dir, f), 'utf8'));
    for (const s of sources) {
      for (const d of parse(s).diagnostics) {
        expect(d.message).not.toMatch(/Expecting|Redundant input|RParen|LParen|Identifier|Terminator|NumberLit|EOF|-->|<--|OR\(|MANY/);
        expect(isSyntaxDiagnostic(d)).toBe(true);
        expect(d.severity).toBe('error');
      }
    }
  });

  it('name the file', () => {
    expect(parse('x = (', 'm.tilde').diagnostics[0]!.file).toBe('m.tilde');
  });
});
