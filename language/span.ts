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
  /**
   * Set on the spans of a user function's body as expanded at one call (language/inline.ts): the
   * call it came from, so a problem found there names the call site as well as the line in the body.
   */
  via?: CallSite;
}

/** A call of a user function, itself possibly inside another function's expanded body. */
export interface CallSite {
  fn: string;
  call: Span;
}

/** "in function 'f' called at line 12:5", one per enclosing call, outermost last; none outside functions. */
export function inlinedAt(span: Span | undefined): string[] {
  const out: string[] = [];
  for (let v = span?.via; v !== undefined; v = v.call.via) out.push(`in function '${v.fn}' called at line ${v.call.start.line}:${v.call.start.column}`);
  return out;
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
