// Tab completion: command names after ':', file names after the commands that
// take a file, otherwise the names of the model, distributions, built-in
// functions and query functions.

import { BUILTIN_NAMES } from '../language/builtins.js';
import { FAMILY_NAMES } from '../language/distributions.js';
import { COMMANDS, ALIASES } from './session/commands/index.js';
import { SETTING_NAMES } from './session/commands/fit.js';
import { QUERY_FUNCTIONS } from './session/query.js';

export interface Completion {
  /** Where the completed word starts in the line. */
  start: number;
  candidates: string[];
}

export interface CompletionSources {
  /** Names of the current program and fit. */
  names: readonly string[];
  /** Entries of a directory ('' for the current one), directories ending in '/'. */
  listDir?: (dir: string) => string[];
}

const KEYWORDS = ['data', 'param', 'plate', 'for', 'in', 'guide', 'minimize', 'maximize', 'if', 'then', 'else', 'true', 'false', 'real', 'int', 'bool', 'positive', 'unit', 'simplex', 'ordered', 'positive_ordered', 'cholesky_factor_corr', 'cholesky_factor_cov', 'corr_matrix', 'cov_matrix'];
const FILE_COMMANDS = new Set(['load', 'data', 'save', 'open', 'l']);

export function commonPrefix(xs: readonly string[]): string {
  if (xs.length === 0) return '';
  let p = xs[0]!;
  for (const x of xs) while (!x.startsWith(p)) p = p.slice(0, -1);
  return p;
}

function unique(xs: Iterable<string>): string[] {
  return [...new Set(xs)].sort();
}

export function complete(line: string, cursor: number, src: CompletionSources): Completion {
  const before = line.slice(0, cursor);
  const cmd = /^\s*:(\S*)$/.exec(before);
  if (cmd) {
    const start = before.length - cmd[1]!.length;
    return { start, candidates: unique(COMMANDS.map((c) => c.name)).filter((n) => n.startsWith(cmd[1]!)) };
  }
  const fileCmd = /^\s*:(\S+)\s+(\S*)$/.exec(before);
  if (fileCmd && FILE_COMMANDS.has(fileCmd[1]!) && src.listDir) {
    const partial = fileCmd[2]!;
    const slash = partial.lastIndexOf('/');
    const dir = slash >= 0 ? partial.slice(0, slash + 1) : '';
    const base = partial.slice(slash + 1);
    const start = before.length - base.length;
    return { start, candidates: src.listDir(dir).filter((f) => f.startsWith(base) && !f.startsWith('.')).sort() };
  }
  const setCmd = /^\s*:(set|fit)\s+(?:\S+\s+)*([a-z]*)$/.exec(before);
  if (setCmd && ALIASES[setCmd[1]!] === undefined) {
    const start = before.length - setCmd[2]!.length;
    return { start, candidates: SETTING_NAMES.filter((n) => n.startsWith(setCmd[2]!)).map((n) => n + '=') };
  }
  const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before);
  if (!word) return { start: cursor, candidates: [] };
  const prefix = word[0];
  // The model's own names first: they are what people type most.
  const own = unique(src.names).filter((n) => n.startsWith(prefix));
  const rest = unique([...FAMILY_NAMES, ...BUILTIN_NAMES, ...QUERY_FUNCTIONS, ...KEYWORDS]).filter((n) => n.startsWith(prefix) && !own.includes(n));
  return { start: cursor - prefix.length, candidates: [...own, ...rest] };
}

/** What Tab does: the single candidate, or the longest common prefix; the list to show when ambiguous. */
export function applyCompletion(line: string, cursor: number, c: Completion): { text: string; start: number; show: string[] } | undefined {
  if (c.candidates.length === 0) return undefined;
  const typed = line.slice(c.start, cursor);
  if (c.candidates.length === 1) {
    const only = c.candidates[0]!;
    // A finished command name or directory gets its separator so typing can go on.
    const isCommand = line.slice(0, c.start).trim() === ':';
    return { text: only + (isCommand ? ' ' : ''), start: c.start, show: [] };
  }
  const prefix = commonPrefix(c.candidates);
  return { text: prefix.length > typed.length ? prefix : typed, start: c.start, show: c.candidates };
}
