// Blocks as plain text: what the non-TTY mode prints, and what the Ink
// components show with colour added. Shared so both modes say the same thing.

import { table } from './format.js';
import { lineChart, renderHistogram } from './plots.js';
import type { Block } from './session/types.js';

export function blockText(b: Block, width = 80): string {
  switch (b.kind) {
    case 'table':
      return table(b.header, b.rows).replace(/ +$/gm, '');
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
