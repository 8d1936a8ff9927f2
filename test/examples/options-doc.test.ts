// docs/api.md's table of fit options is generated from the option table (inference/options.ts):
// this test fails when the page and the table differ, and rewrites the page's table when run
// with TILDE_WRITE_DOCS=1.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIT_OPTIONS, optionTableMarkdown } from '../../inference/options.js';

const PAGE = fileURLToPath(new URL('../../docs/api.md', import.meta.url));
const BEGIN = '<!-- fit options: begin (generated from inference/options.ts) -->\n';
const END = '<!-- fit options: end -->';

describe('docs/api.md option table', () => {
  it('is the table rendered from FIT_OPTIONS, one row per option', () => {
    const page = readFileSync(PAGE, 'utf8');
    const start = page.indexOf(BEGIN);
    const end = page.indexOf(END);
    expect(start, 'the begin marker').toBeGreaterThanOrEqual(0);
    expect(end, 'the end marker after the begin marker').toBeGreaterThan(start);
    const want = optionTableMarkdown() + '\n';
    if (process.env['TILDE_WRITE_DOCS'] === '1') writeFileSync(PAGE, page.slice(0, start + BEGIN.length) + want + page.slice(end));
    else expect(page.slice(start + BEGIN.length, end)).toBe(want);
    for (const o of FIT_OPTIONS) expect(want).toContain(`| \`${o.name}\` |`);
  });
});
