// The prompt's editing state as a reducer: text, cursor and a walk through the
// history. Keys map to actions in the input hook; this file knows nothing of
// terminals, so it is tested directly.

export interface EditorState {
  value: string;
  cursor: number;
  /** Oldest first. */
  history: readonly string[];
  /** Position while walking the history; history.length means "the line being typed". */
  historyIndex: number;
  /** What was typed before walking into the history, restored on the way back. */
  draft: string;
}

export type EditorAction =
  | { type: 'insert'; text: string }
  | { type: 'backspace' }
  | { type: 'delete' }
  | { type: 'left' }
  | { type: 'right' }
  | { type: 'home' }
  | { type: 'end' }
  | { type: 'wordLeft' }
  | { type: 'wordRight' }
  | { type: 'killToStart' }
  | { type: 'killToEnd' }
  | { type: 'killWord' }
  | { type: 'historyPrev' }
  | { type: 'historyNext' }
  /** Replace `value[start, cursor)` by `text` (Tab completion). */
  | { type: 'replace'; start: number; text: string }
  /** The line was submitted: clear it and remember it. */
  | { type: 'submit' }
  | { type: 'clear' };

export function initialEditor(history: readonly string[] = []): EditorState {
  return { value: '', cursor: 0, history, historyIndex: history.length, draft: '' };
}

const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);

function wordStart(v: string, i: number): number {
  while (i > 0 && !isWord(v[i - 1])) i--;
  while (i > 0 && isWord(v[i - 1])) i--;
  return i;
}

function wordEnd(v: string, i: number): number {
  while (i < v.length && !isWord(v[i])) i++;
  while (i < v.length && isWord(v[i])) i++;
  return i;
}

function recall(s: EditorState, index: number): EditorState {
  const value = index === s.history.length ? s.draft : s.history[index]!;
  return { ...s, historyIndex: index, value, cursor: value.length };
}

export function editorReducer(s: EditorState, a: EditorAction): EditorState {
  const { value: v, cursor: c } = s;
  switch (a.type) {
    case 'insert': {
      // Control characters from a paste would corrupt the line; tabs become spaces.
      const text = a.text.replace(/\t/g, '  ').replace(/[\x00-\x1f\x7f]/g, '');
      return { ...s, value: v.slice(0, c) + text + v.slice(c), cursor: c + text.length };
    }
    case 'backspace':
      return c === 0 ? s : { ...s, value: v.slice(0, c - 1) + v.slice(c), cursor: c - 1 };
    case 'delete':
      return c >= v.length ? s : { ...s, value: v.slice(0, c) + v.slice(c + 1) };
    case 'left':
      return { ...s, cursor: Math.max(0, c - 1) };
    case 'right':
      return { ...s, cursor: Math.min(v.length, c + 1) };
    case 'home':
      return { ...s, cursor: 0 };
    case 'end':
      return { ...s, cursor: v.length };
    case 'wordLeft':
      return { ...s, cursor: wordStart(v, c) };
    case 'wordRight':
      return { ...s, cursor: wordEnd(v, c) };
    case 'killToStart':
      return { ...s, value: v.slice(c), cursor: 0 };
    case 'killToEnd':
      return { ...s, value: v.slice(0, c) };
    case 'killWord': {
      const start = wordStart(v, c);
      return { ...s, value: v.slice(0, start) + v.slice(c), cursor: start };
    }
    case 'historyPrev': {
      if (s.historyIndex === 0) return s;
      const saved = s.historyIndex === s.history.length ? { ...s, draft: v } : s;
      return recall(saved, s.historyIndex - 1);
    }
    case 'historyNext':
      return s.historyIndex >= s.history.length ? s : recall(s, s.historyIndex + 1);
    case 'replace':
      return { ...s, value: v.slice(0, a.start) + a.text + v.slice(c), cursor: a.start + a.text.length };
    case 'submit': {
      const keep = v.trim() !== '' && s.history[s.history.length - 1] !== v;
      const history = keep ? [...s.history, v] : s.history;
      return { value: '', cursor: 0, history, historyIndex: history.length, draft: '' };
    }
    case 'clear':
      return { ...s, value: '', cursor: 0, historyIndex: s.history.length, draft: '' };
  }
}
