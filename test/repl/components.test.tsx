// Ink components rendered with ink-testing-library: prompt, progress bar, tables
// and charts, with and without colour.

import './force-colour.js';
import { render } from 'ink-testing-library';
import { describe, expect, test } from 'vitest';
import { BlockView } from '../../repl/components/BlockView.js';
import { FitProgress, timeLeft } from '../../repl/components/FitProgress.js';
import { Histogram } from '../../repl/components/Histogram.js';
import { LineChart } from '../../repl/components/LineChart.js';
import { columns, Prompt } from '../../repl/components/Prompt.js';
import { Table } from '../../repl/components/Table.js';
import { ColourContext } from '../../repl/components/theme.js';
import { histogramBins } from '../../repl/plots.js';

const ANSI = /\x1b\[[0-9;]*m/g;
const plain = (s: string | undefined) => (s ?? '').replace(ANSI, '');

describe('Prompt', () => {
  test('shows the prompt, the text and the cursor', () => {
    const { lastFrame } = render(<Prompt prompt="tilde> " value="P(mu > 0)" cursor={2} />);
    expect(plain(lastFrame())).toBe('tilde> P(mu > 0)');
    // The character under the cursor is drawn inverse.
    expect(lastFrame()).toContain('\x1b[7mm\x1b[27m');
  });

  test('a cursor at the end is a block after the text', () => {
    const { lastFrame } = render(<Prompt prompt="   ...> " value="x" cursor={1} />);
    expect(plain(lastFrame())).toBe('   ...> x ');
    expect(lastFrame()).toContain('\x1b[7m \x1b[27m');
  });

  test('completion candidates in columns under the line', () => {
    const { lastFrame } = render(<Prompt prompt="tilde> " value=":s" cursor={2} candidates={['save', 'seed', 'set', 'summary']} width={20} />);
    expect(plain(lastFrame())).toBe('tilde> :s \nsave     seed\nset      summary');
    expect(columns(['a', 'b', 'c'], 80)).toBe('a  b  c');
  });
});

describe('FitProgress', () => {
  const view = { step: 2500, maxSteps: 10000, history: [-40, -35, -33, -32.5], stepsPerSecond: 500, phase: 'optimise' as const };

  test('bar, step, ELBO, sparkline, speed and time left', () => {
    const { lastFrame } = render(<FitProgress view={view} width={20} />);
    const [line, hint] = plain(lastFrame()).split('\n');
    expect(line).toBe('█████░░░░░░░░░░░░░░░ step 2500/10000  ELBO -32.50 ▁▆██  500 steps/s  ≤ 15 s left');
    expect(hint).toBe('Ctrl-C stops the fit and keeps the result so far');
  });

  test('before the first progress event', () => {
    expect(plain(render(<FitProgress />).lastFrame())).toBe('fitting… (Ctrl-C stops)');
  });

  test('time left is an upper bound in friendly units', () => {
    expect(timeLeft({ ...view, stepsPerSecond: 0 })).toBe('');
    expect(timeLeft({ ...view, step: 9999 })).toBe('< 1 s left');
    expect(timeLeft({ ...view, stepsPerSecond: 10 })).toBe('≤ 13 min left');
  });

  test('the averaging phase is shown', () => {
    expect(plain(render(<FitProgress view={{ ...view, phase: 'average' }} />).lastFrame())).toContain('(converged, averaging)');
  });
});

describe('tables and charts', () => {
  test('Table aligns columns with a bold header', () => {
    const { lastFrame } = render(<Table header={['name', 'mean']} rows={[['mu', '4.41'], ['theta[0]', '6.15']]} />);
    expect(plain(lastFrame())).toBe('name      mean\nmu        4.41\ntheta[0]  6.15');
    expect(lastFrame()).toContain('\x1b[1m');
  });

  test('Histogram draws one bar per bin', () => {
    const bins = histogramBins([0, 1, 1, 2]);
    const out = plain(render(<Histogram title="z (4 draws)" bins={bins} total={4} width={4} />).lastFrame());
    expect(out).toBe('z (4 draws)\n0 │██     25.0%\n1 │████   50.0%\n2 │██     25.0%');
  });

  test('LineChart draws the series', () => {
    const out = plain(render(<LineChart title="ELBO by step" values={[-10, -5, -3, -2.5]} xLabel="step" width={4} height={4} />).lastFrame());
    expect(out.split('\n')[0]).toBe('ELBO by step');
    expect(out).toContain('•');
    expect(out).toContain('4  step');
  });

  test('without colour, blocks carry no escape codes', () => {
    const blocks = [
      { kind: 'error' as const, text: '<repl>:1:1: oops' },
      { kind: 'warning' as const, text: 'careful' },
      { kind: 'ok' as const, text: 'done' },
      { kind: 'note' as const, text: 'by the way' },
    ];
    for (const b of blocks) {
      const coloured = render(<BlockView block={b} />).lastFrame()!;
      const bare = render(
        <ColourContext.Provider value={false}>
          <BlockView block={b} />
        </ColourContext.Provider>,
      ).lastFrame()!;
      expect(coloured).toMatch(ANSI);
      expect(bare).toBe(b.text);
    }
  });
});
