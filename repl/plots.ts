// Text plots for a terminal: a horizontal histogram, a line chart and a
// sparkline. Pure functions of numbers to lines of text, so both the Ink
// components and the plain mode use them and tests can pin their output.

import { fmt } from './format.js';
import type { Bin } from './session/types.js';

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const SPARKS = '▁▂▃▄▅▆▇█';

/** A bar of `x` cells (fractional), drawn with eighth blocks. */
export function bar(x: number): string {
  const cells = Math.max(0, x);
  const full = Math.floor(cells);
  const rest = Math.round((cells - full) * 8);
  return '█'.repeat(full) + (rest === 8 ? '█' : EIGHTHS[rest]!);
}

function finite(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) out.push(values[i]!);
  return out;
}

/**
 * Equal-width bins over the range of the values. Integer-valued draws (discrete latents,
 * counts) get one bin per integer when there are few of them, so a bar never straddles two values.
 */
export function histogramBins(values: ArrayLike<number>, maxBins = 20): Bin[] {
  const xs = finite(values);
  if (xs.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of xs) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const integers = xs.every((x) => Number.isInteger(x));
  if (integers && hi - lo < maxBins) {
    const bins: Bin[] = [];
    for (let v = lo; v <= hi; v++) bins.push({ lo: v, hi: v + 1, count: 0 });
    for (const x of xs) bins[x - lo]!.count++;
    return bins;
  }
  if (hi === lo) return [{ lo, hi, count: xs.length }];
  const n = Math.max(1, Math.min(maxBins, Math.ceil(Math.sqrt(xs.length))));
  const width = (hi - lo) / n;
  const bins: Bin[] = Array.from({ length: n }, (_, i) => ({ lo: lo + i * width, hi: lo + (i + 1) * width, count: 0 }));
  for (const x of xs) bins[Math.min(n - 1, Math.floor((x - lo) / width))]!.count++;
  return bins;
}

/** One line per bin: `  lower edge │bar  share`, the longest bar `width` cells. */
export function renderHistogram(bins: readonly Bin[], total: number, width = 40): string[] {
  if (bins.length === 0) return ['(no finite values)'];
  const integers = bins.every((b) => Number.isInteger(b.lo) && b.hi === b.lo + 1);
  const labels = bins.map((b) => (integers ? String(b.lo) : fmt(b.lo)));
  const pad = Math.max(...labels.map((l) => l.length));
  const most = Math.max(...bins.map((b) => b.count));
  return bins.map((b, i) => {
    const share = total > 0 ? (100 * b.count) / total : 0;
    const len = most > 0 ? (b.count / most) * width : 0;
    return `${labels[i]!.padStart(pad)} │${bar(len).padEnd(width + 1)} ${share.toFixed(1).padStart(5)}%`;
  });
}

/** Means of `values` over `n` consecutive, nearly equal groups (n ≤ length). */
export function downsample(values: readonly number[], n: number): number[] {
  if (values.length <= n) return [...values];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = Math.floor((i * values.length) / n);
    const b = Math.floor(((i + 1) * values.length) / n);
    let s = 0;
    for (let k = a; k < b; k++) s += values[k]!;
    out.push(s / Math.max(1, b - a));
  }
  return out;
}

/** The last `width` values as block characters scaled between their min and max. */
export function sparkline(values: readonly number[], width = 20): string {
  const xs = finite(downsample(values, width));
  if (xs.length === 0) return '';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return xs.map((x) => SPARKS[hi === lo ? 3 : Math.round(((x - lo) / (hi - lo)) * (SPARKS.length - 1))]).join('');
}

/**
 * A line chart `height` rows high and `width` columns wide (plus the y labels), averaging the
 * series into one point per column and joining neighbouring points with vertical strokes.
 */
export function lineChart(values: readonly number[], width = 60, height = 12, xLabel = 'step'): string[] {
  const ys = finite(downsample(values, width));
  if (ys.length === 0) return ['(nothing to plot)'];
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const row = (y: number) => Math.round(((hi - y) / (hi - lo)) * (height - 1));
  const grid = Array.from({ length: height }, () => Array.from({ length: ys.length }, () => ' '));
  ys.forEach((y, x) => {
    const r = row(y);
    if (x > 0) {
      const p = row(ys[x - 1]!);
      for (let k = Math.min(p, r) + 1; k < Math.max(p, r); k++) grid[k]![x] = '│';
    }
    grid[r]![x] = '•';
  });
  const top = fmt(hi);
  const bottom = fmt(lo);
  const pad = Math.max(top.length, bottom.length);
  const lines = grid.map((cells, r) => `${(r === 0 ? top : r === height - 1 ? bottom : '').padStart(pad)} ┤${cells.join('')}`);
  const axis = `${' '.repeat(pad)} └${'─'.repeat(ys.length)}`;
  const last = String(values.length);
  const ticks = `${' '.repeat(pad + 2)}1${' '.repeat(Math.max(1, ys.length - 1 - last.length))}${last}`;
  return [...lines, axis, ticks + `  ${xLabel}`];
}
