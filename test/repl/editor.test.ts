// The prompt's line editor, Tab completion and the history file.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { applyCompletion, commonPrefix, complete } from '../../repl/complete.js';
import { defaultHistoryFile, History, MAX_HISTORY } from '../../repl/history.js';
import { editorReducer, initialEditor, type EditorAction, type EditorState } from '../../repl/line-editor.js';

const run = (s: EditorState, ...as: EditorAction[]) => as.reduce(editorReducer, s);
const type = (text: string): EditorAction => ({ type: 'insert', text });

describe('line editor', () => {
  test('insert, move, delete', () => {
    let s = run(initialEditor(), type('mu > 0'), { type: 'home' }, type('P('), { type: 'end' }, type(')'));
    expect(s.value).toBe('P(mu > 0)');
    s = run(s, { type: 'left' }, { type: 'backspace' });
    expect([s.value, s.cursor]).toEqual(['P(mu > )', 7]);
    s = run(s, { type: 'home' }, { type: 'delete' });
    expect(s.value).toBe('(mu > )');
    expect(run(s, { type: 'home' }, { type: 'backspace' }, { type: 'left' }).cursor).toBe(0);
    expect(run(s, { type: 'end' }, { type: 'delete' }, { type: 'right' }).cursor).toBe(7);
  });

  test('word motions and kills', () => {
    let s = run(initialEditor(), type('theta_raw + tau'));
    expect(run(s, { type: 'wordLeft' }).cursor).toBe(12);
    expect(run(s, { type: 'wordLeft' }, { type: 'wordLeft' }).cursor).toBe(0);
    expect(run(s, { type: 'home' }, { type: 'wordRight' }).cursor).toBe(9);
    expect(run(s, { type: 'killWord' }).value).toBe('theta_raw + ');
    s = run(s, { type: 'wordLeft' });
    expect(run(s, { type: 'killToStart' })).toMatchObject({ value: 'tau', cursor: 0 });
    expect(run(s, { type: 'killToEnd' }).value).toBe('theta_raw + ');
  });

  test('pasted control characters are dropped; tabs become spaces', () => {
    expect(run(initialEditor(), type('a\tb\x1b[c')).value).toBe('a  b[c');
  });

  test('history: up walks back, down returns to the draft', () => {
    let s = initialEditor(['a', 'b']);
    s = run(s, type('dra'), { type: 'historyPrev' });
    expect(s.value).toBe('b');
    s = run(s, { type: 'historyPrev' }, { type: 'historyPrev' });
    expect(s.value).toBe('a');
    s = run(s, { type: 'historyNext' }, { type: 'historyNext' });
    expect([s.value, s.cursor]).toEqual(['dra', 3]);
    expect(run(s, { type: 'historyNext' }).value).toBe('dra');
  });

  test('submit remembers non-blank lines once', () => {
    let s = run(initialEditor(), type(':fit'), { type: 'submit' }, type(':fit'), { type: 'submit' }, type('  '), { type: 'submit' });
    expect(s.history).toEqual([':fit']);
    expect(s.value).toBe('');
    s = run(s, type('x'), { type: 'clear' });
    expect(s.value).toBe('');
  });
});

describe('completion', () => {
  const src = { names: ['mu', 'tau', 'theta', 'theta_raw'], listDir: (dir: string) => (dir === 'models/' ? ['eight_schools.tilde', 'eight_schools.json', 'coin.tilde'] : ['models/', 'README.md']) };

  test('command names after a colon', () => {
    expect(complete(':fi', 3, src)).toEqual({ start: 1, candidates: ['fit'] });
    expect(applyCompletion(':fi', 3, complete(':fi', 3, src))).toEqual({ text: 'fit ', start: 1, show: [] });
    expect(complete(':s', 2, src).candidates).toEqual(['save', 'seed', 'set', 'summary']);
  });

  test('model names, distributions and functions', () => {
    expect(complete('P(th', 4, src).candidates).toEqual(['theta', 'theta_raw', 'then']); // the model's names first
    expect(applyCompletion('P(th', 4, complete('P(th', 4, src))).toEqual({ text: 'the', start: 2, show: ['theta', 'theta_raw', 'then'] });
    expect(applyCompletion('P(thet', 6, complete('P(thet', 6, src))).toMatchObject({ text: 'theta', show: ['theta', 'theta_raw'] });
    expect(complete('x ~ Norm', 8, src).candidates).toEqual(['Normal']);
    expect(complete('y = sig', 7, src).candidates).toContain('sigmoid');
    expect(complete('quan', 4, src).candidates).toEqual(['quantile']);
    expect(complete('1 + ', 4, src).candidates).toEqual([]);
  });

  test('files after :load, settings after :set', () => {
    expect(complete(':load mo', 8, src)).toEqual({ start: 6, candidates: ['models/'] });
    expect(complete(':load models/ei', 15, src)).toEqual({ start: 13, candidates: ['eight_schools.json', 'eight_schools.tilde'] });
    expect(commonPrefix(['eight_schools.json', 'eight_schools.tilde'])).toBe('eight_schools.');
    expect(complete(':set steps=3 pa', 15, src).candidates).toEqual(['particles=']);
  });

  test('nothing to complete', () => {
    expect(applyCompletion('zz', 2, complete('zz', 2, src))).toBeUndefined();
  });
});

describe('history file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tilde-history-'));

  test('lives under HOME unless TILDE_HISTORY says otherwise', () => {
    expect(defaultHistoryFile({ HOME: '/home/x' })).toBe('/home/x/.tilde_history');
    expect(defaultHistoryFile({ HOME: '/home/x', TILDE_HISTORY: '/tmp/h' })).toBe('/tmp/h');
  });

  test('appends lines and reads them back in a new session', () => {
    const file = join(dir, 'h1');
    const h = new History(file);
    h.add(':load m.tilde');
    h.add(':fit');
    h.add(':fit');
    h.add('  ');
    expect(readFileSync(file, 'utf8')).toBe(':load m.tilde\n:fit\n');
    expect(new History(file).entries).toEqual([':load m.tilde', ':fit']);
  });

  test('keeps the last MAX_HISTORY lines', () => {
    const file = join(dir, 'h2');
    writeFileSync(file, Array.from({ length: MAX_HISTORY + 10 }, (_, i) => `l${i}`).join('\n') + '\n');
    const h = new History(file);
    expect(h.entries.length).toBe(MAX_HISTORY);
    expect(h.entries[0]).toBe('l10');
  });

  test('an unwritable or missing file never throws', () => {
    const h = new History(join(dir, 'no', 'such', 'dir', 'h'));
    expect(h.entries).toEqual([]);
    expect(() => h.add('x')).not.toThrow();
    expect(new History(undefined).entries).toEqual([]);
  });
});
