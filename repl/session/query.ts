// Questions about the posterior: a bare expression prints its summary, P(cond) a
// probability, E(expr) an expectation (both with Monte Carlo standard errors),
// quantile(expr, q) a quantile. Names are checked here first, so a typo gets a
// caret and a suggestion rather than an engine error.

import type { Expr } from '../../language/ast.js';
import { BUILTIN_NAMES } from '../../language/builtins.js';
import { parseExpression } from '../../language/parse.js';
import { didYouMean } from '../../language/suggest.js';
import type { SummaryRow } from '../../index.js';
import { varRefs } from '../../inference/graph.js';
import { fmt } from '../format.js';
import { diagnosticBlocks, inputError } from './errors.js';
import type { SessionState } from './state.js';
import type { Block } from './types.js';


export const QUERY_FUNCTIONS = ['P', 'E', 'quantile'];


/** Parses an expression typed at the prompt; errors come back as blocks with carets. */
export function parseInput(text: string): { expr?: Expr; blocks: Block[] } {
  const { expr, diagnostics } = parseExpression(text, '<repl>');
  if (!expr || diagnostics.some((d) => d.severity === 'error')) return { blocks: diagnosticBlocks(diagnostics, text) };
  return { expr, blocks: [] };
}

/**
 * Every name in `expr` must have posterior draws. Data and names the fit does not know get
 * their own messages, since "unknown name" would be wrong for them.
 */
export function checkNames(state: SessionState, expr: Expr, text: string, offset = 0): Block[] {
  const fit = state.fit!;
  const known = new Set(fit.posterior.draws.keys());
  for (const v of varRefs(expr)) {
    if (known.has(v.name)) continue;
    const start = v.span.start.offset + offset;
    const end = v.span.end.offset + offset;
    const sym = state.checked?.symbols.get(v.name) ?? fit.model.program.symbols.get(v.name);
    if (sym?.kind === 'data') {
      const hint = sym.observed ? `:predict ${v.name} shows its posterior predictive` : undefined;
      return [inputError(text, start, end, `'${v.name}' is data, not a quantity of the posterior`, hint)];
    }
    if (sym) return [inputError(text, start, end, `'${v.name}' is not in the last fit (it was added after it)`, 'run :fit again')];
    return [inputError(text, start, end, `unknown name '${v.name}'${didYouMean(v.name, [...known, ...BUILTIN_NAMES])}`)];
  }
  return [];
}

/** Two significant digits: a standard error is itself only that precise. */
export function sig2(x: number): string {
  if (!Number.isFinite(x) || x === 0) return String(x);
  return Number(x.toPrecision(2)).toString();
}

export const NO_FIT = 'no fit yet: run :fit first';

function staleNote(state: SessionState): Block[] {
  return state.fitIsStale ? [{ kind: 'note', text: '(from the last fit; the model has changed since: :fit to refit)' }] : [];
}

export function runQuery(state: SessionState, text: string): Block[] {
  const parsed = parseInput(text);
  if (!parsed.expr) return parsed.blocks;
  if (!state.fit) return [{ kind: 'error', text: `error: ${NO_FIT}` }];
  const bad = checkNames(state, parsed.expr, text);
  if (bad.length) return bad;
  const r = state.fit.query(text);
  const out: Block[] = [];
  switch (r.kind) {
    case 'probability':
    case 'expectation':
      out.push({ kind: 'text', text: `${text.trim()} = ${fmt(r.value)} ± ${sig2(r.se)}` }, { kind: 'note', text: `(± one Monte Carlo standard error over ${r.draws} draws)` });
      break;
    case 'quantile':
      out.push({ kind: 'text', text: `${text.trim()} = ${fmt(r.value)}` }, { kind: 'note', text: `(${r.draws} draws)` });
      break;
    case 'summary':
      out.push(summaryBlock(r.rows));
      break;
  }
  return [...out, ...staleNote(state)];
}

/** The ArviZ-style summary (same columns as `tilde fit`), kept structured for the Ink renderer. */
export function summaryBlock(rows: Record<string, SummaryRow>): Block {
  return { kind: 'table', header: ['name', 'mean', 'sd', '5%', '50%', '95%'], rows: Object.entries(rows).map(([name, r]) => [name, fmt(r.mean), fmt(r.sd), fmt(r.q5), fmt(r.q50), fmt(r.q95)]) };
}

export { staleNote };
