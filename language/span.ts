// Source positions. Lines and columns are 1-based (what editors show); offsets are
// 0-based indices into the source string. A span's end is exclusive.

export interface Pos {
  offset: number;
  line: number;
  column: number;
}

export interface Span {
  start: Pos;
  end: Pos;
}

export function spanCover(a: Span, b: Span): Span {
  return { start: a.start.offset <= b.start.offset ? a.start : b.start, end: a.end.offset >= b.end.offset ? a.end : b.end };
}

/** Position of a 0-based offset in `source`. */
export function posAt(source: string, offset: number): Pos {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

export const NO_SPAN: Span = { start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };
