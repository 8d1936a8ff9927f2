// The prompt's input hook: Ink key events → editor actions (emacs-style keys as
// in readline), Tab completion, and the submit / interrupt / end-of-input
// callbacks. The state lives in a ref so keys arriving in one burst (a paste)
// each see the result of the previous one.

import { useInput } from 'ink';
import { useRef, useState } from 'react';
import { applyCompletion, type Completion } from '../complete.js';
import { editorReducer, initialEditor, type EditorAction, type EditorState } from '../line-editor.js';

export interface LineEditorOptions {
  history: readonly string[];
  isActive: boolean;
  onSubmit: (line: string) => void;
  /** Ctrl-C, with the line as it was. */
  onInterrupt: (line: string) => void;
  /** Ctrl-D on an empty line. */
  onEof: () => void;
  complete: (line: string, cursor: number) => Completion;
}

export function useLineEditor(o: LineEditorOptions): { state: EditorState; candidates: string[] } {
  const ref = useRef<EditorState>(initialEditor(o.history));
  const [, rerender] = useState(0);
  const [candidates, setCandidates] = useState<string[]>([]);

  const apply = (a: EditorAction) => {
    ref.current = editorReducer(ref.current, a);
  };

  const submit = () => {
    const line = ref.current.value;
    apply({ type: 'submit' });
    o.onSubmit(line);
  };

  /**
   * Text that arrives as one chunk: a paste, or keys typed while the event loop was busy with a
   * fit step. Its control characters still act (Enter submits, Ctrl-C interrupts), in order.
   */
  const feed = (chunk: string) => {
    let text = '';
    const flush = () => {
      if (text) apply({ type: 'insert', text });
      text = '';
    };
    for (const ch of chunk) {
      if (ch === '\r' || ch === '\n') {
        flush();
        submit();
      } else if (ch === '\x03') {
        flush();
        const line = ref.current.value;
        apply({ type: 'clear' });
        o.onInterrupt(line);
      } else if (ch === '\x7f' || ch === '\b') {
        flush();
        apply({ type: 'backspace' });
      } else text += ch;
    }
    flush();
  };

  useInput(
    (input, key) => {
      const s = ref.current;
      let shown: string[] = [];
      if (key.return) submit();
      else if (key.ctrl && input === 'c') {
        const line = s.value;
        apply({ type: 'clear' });
        o.onInterrupt(line);
      } else if (key.ctrl && input === 'd') {
        if (s.value === '') o.onEof();
        else apply({ type: 'delete' });
      } else if (key.tab) {
        const done = applyCompletion(s.value, s.cursor, o.complete(s.value, s.cursor));
        if (done) {
          apply({ type: 'replace', start: done.start, text: done.text });
          shown = done.show;
        }
      } else if (key.upArrow || (key.ctrl && input === 'p')) apply({ type: 'historyPrev' });
      else if (key.downArrow || (key.ctrl && input === 'n')) apply({ type: 'historyNext' });
      else if (key.leftArrow) apply({ type: key.ctrl || key.meta ? 'wordLeft' : 'left' });
      else if (key.rightArrow) apply({ type: key.ctrl || key.meta ? 'wordRight' : 'right' });
      else if (key.home || (key.ctrl && input === 'a')) apply({ type: 'home' });
      else if (key.end || (key.ctrl && input === 'e')) apply({ type: 'end' });
      // Most terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`.
      else if (key.backspace || key.delete || (key.ctrl && input === 'h')) apply({ type: 'backspace' });
      else if (key.ctrl && input === 'u') apply({ type: 'killToStart' });
      else if (key.ctrl && input === 'k') apply({ type: 'killToEnd' });
      else if (key.ctrl && input === 'w') apply({ type: 'killWord' });
      else if (key.ctrl && input === 'b') apply({ type: 'left' });
      else if (key.ctrl && input === 'f') apply({ type: 'right' });
      else if (key.meta && input === 'b') apply({ type: 'wordLeft' });
      else if (key.meta && input === 'f') apply({ type: 'wordRight' });
      else if (!key.ctrl && !key.meta && input) feed(input);
      setCandidates(shown);
      rerender((n) => n + 1);
    },
    { isActive: o.isActive },
  );

  return { state: ref.current, candidates };
}
