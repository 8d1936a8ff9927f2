// Splitting a command's argument text into words that remember where they were,
// so an error can put its caret under the word at fault.

export interface Word {
  text: string;
  start: number;
  end: number;
}

export function words(args: string, offset: number): Word[] {
  const out: Word[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(args); m; m = re.exec(args)) {
    out.push({ text: m[1] ?? m[2] ?? m[3]!, start: offset + m.index, end: offset + m.index + m[0].length });
  }
  return out;
}

/** The single FILE argument of :load, :data, :save, :open (quotes allowed around names with spaces). */
export function fileArg(args: string, offset: number): Word | undefined {
  const ws = words(args, offset);
  if (ws.length !== 1) return undefined;
  return ws[0];
}
