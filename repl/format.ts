// Plain-text renderings shared by the CLI and the REPL: summary tables in the
// ArviZ/Stan convention, numbers with sensible precision, durations.

import type { SummaryRow } from '../index.js';

export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(2);
  return x.toFixed(Math.max(0, digits - Math.max(0, Math.floor(Math.log10(a)))));
}

export function table(header: string[], rows: string[][]): string {
  // A reduce, not Math.max(...): a matrix parameter has more rows than a call takes arguments.
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), h.length));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * The posterior summary as a table, at most `perName` rows for each variable (its first elements)
 * and then one line saying how many more: a belief net's latents over a data set are millions of rows.
 */
export function summaryTable(summary: Record<string, SummaryRow>, perName = Infinity): string {
  const rows: string[][] = [];
  // A variable's elements come one after another: its "more" line closes them.
  let base = '';
  let shown = 0;
  let hidden = 0;
  const close = () => {
    if (hidden) rows.push([`${base}[…]`, `(${hidden.toLocaleString('en-US')} more)`, '', '', '', '']);
  };
  for (const [name, r] of Object.entries(summary)) {
    const b = name.replace(/\[.*$/, '');
    if (b !== base) {
      close();
      base = b;
      shown = hidden = 0;
    }
    if (shown++ < perName) rows.push([name, fmt(r.mean), fmt(r.sd), fmt(r.q5), fmt(r.q50), fmt(r.q95)]);
    else hidden++;
  }
  close();
  return table(['name', 'mean', 'sd', '5%', '50%', '95%'], rows);
}

export function seconds(s: number): string {
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`;
}

/** "RELAX z: λ 0.42 η 0.97" for up to two sites (progress lines and the fit's last lines). */
export function formatSurrogates(r: Record<string, { temperature: number; scale: number }> | undefined): string {
  if (!r) return '';
  const sites = Object.entries(r);
  const shown = sites.slice(0, 2).map(([k, v]) => `${k}: λ ${v.temperature.toPrecision(2)} η ${v.scale.toPrecision(2)}`);
  return `RELAX ${shown.join(', ')}${sites.length > 2 ? ` (+${sites.length - 2})` : ''}`;
}
