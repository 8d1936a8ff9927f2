// The live region while a fit runs: a bar over the step budget, the smoothed
// ELBO and its trend, speed, and the time left at most (the fit usually stops
// earlier, when the ELBO converges).

import { Box, Text } from 'ink';
import { fmt } from '../format.js';
import { bar, sparkline } from '../plots.js';
import { useTone } from './theme.js';

export interface FitView {
  step: number;
  maxSteps: number;
  /** Smoothed ELBO at each progress event so far. */
  history: number[];
  stepsPerSecond: number;
  phase: 'optimise' | 'average';
}

export function timeLeft(v: FitView): string {
  if (!(v.stepsPerSecond > 0)) return '';
  const s = Math.max(0, v.maxSteps - v.step) / v.stepsPerSecond;
  if (s < 1) return '< 1 s left';
  if (s < 120) return `≤ ${Math.round(s)} s left`;
  return `≤ ${Math.round(s / 60)} min left`;
}

export function FitProgress({ view, width = 30 }: { view?: FitView; width?: number }) {
  const tone = useTone();
  if (!view) {
    return <Text {...tone('note')}>fitting… (Ctrl-C stops)</Text>;
  }
  const done = Math.min(1, view.step / Math.max(1, view.maxSteps));
  const filled = bar(done * width);
  const elbo = view.history[view.history.length - 1];
  return (
    <Box flexDirection="column">
      <Text>
        <Text {...tone('accent')}>{filled}</Text>
        <Text {...tone('note')}>{'░'.repeat(Math.max(0, width - filled.length))}</Text>
        {` step ${view.step}/${view.maxSteps}  ELBO ${elbo === undefined ? '…' : fmt(elbo)} `}
        <Text {...tone('ok')}>{sparkline(view.history, 16)}</Text>
        {`  ${Math.round(view.stepsPerSecond)} steps/s  ${timeLeft(view)}${view.phase === 'average' ? '  (converged, averaging)' : ''}`}
      </Text>
      <Text {...tone('note')}>Ctrl-C stops the fit and keeps the result so far</Text>
    </Box>
  );
}
