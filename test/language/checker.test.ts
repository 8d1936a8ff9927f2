// Every example model checks cleanly and binds its own JSON data.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from '../../language/parse.js';
import { check } from '../../language/checker.js';
import { bindData } from '../../language/data.js';
import { renderDiagnostics } from '../../language/diagnostics.js';

const dir = join(import.meta.dirname, '..', '..', 'models');
const models = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.tilde')) : [];

describe('example models', () => {
  it.each(models)('%s checks cleanly and binds its data', (f) => {
    const source = readFileSync(join(dir, f), 'utf8');
    const parsed = parse(source, f);
    expect(renderDiagnostics(parsed.diagnostics, source)).toBe('');
    const { checked, diagnostics } = check(parsed.program, source);
    expect(renderDiagnostics(diagnostics.filter((d) => d.severity === 'error'), source)).toBe('');
    expect(checked).toBeDefined();
    const dataFile = join(dir, f.replace(/\.tilde$/, '.json'));
    if (existsSync(dataFile)) {
      const bound = bindData(checked!, JSON.parse(readFileSync(dataFile, 'utf8')), f.replace(/\.tilde$/, '.json'));
      for (const sym of checked!.symbols.values()) if (sym.kind === 'data') expect(bound.arrays.has(sym.name)).toBe(true);
    }
  });
});
