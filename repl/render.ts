// Blocks as plain text: what the non-TTY mode prints, and what the Ink
// components show with colour added. Shared so both modes say the same thing.

import { table } from './format.js';
import { lineChart, renderHistogram } from './plots.js';
import type { Block } from './session/types.js';

/** Columns padded to a common width; the first left-aligned, the rest right-aligned unless `leftAll`. */
export function formatTable(header: string[], rows: string[][], leftAll = false): string {
  if (!leftAll) return table(header, rows);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function blockText(b: Block, width = 80): string {
  switch (b.kind) {
    case 'table':
      return formatTable(b.header, b.rows, b.text).replace(/ +$/gm, '');
    case 'histogram':
      return [b.title, ...renderHistogram(b.bins, b.total, Math.max(10, Math.min(50, width - 30)))].join('\n');
    case 'chart':
      return [b.title, ...lineChart(b.values, Math.max(10, Math.min(70, width - 14)), 12, b.xLabel)].join('\n');
    default:
      return b.text;
  }
}

export function blocksText(blocks: readonly Block[], width = 80): string {
  return blocks.map((b) => blockText(b, width)).join('\n');
}
